"""Webhooks: apps' subscriptions to event types, the deliveries of events to their URLs with
every attempt, and chats' incoming webhooks (a URL that posts into a chat as a bot).

Secrets that Hello must use again (to sign a delivery, to check an incoming signature) cannot
be stored as hashes: they are stored encrypted with AES-GCM under a key derived from the
server secret (``resolvers.apps.webhook_crypto``). The incoming webhook's URL token is only
compared, so only its HMAC is stored."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    """Waiting for its first attempt or for a retry."""
    SUCCEEDED = "SUCCEEDED"
    """The endpoint answered 2xx."""
    FAILED = "FAILED"
    """Every attempt of the retry window failed (``webhookRedeliver`` tries again)."""
    CANCELLED = "CANCELLED"
    """Not sent any more: the subscription or app went away, or the bot left the chat."""


class WebhookSubscription(Model):
    """A subscription of an app: events of these types in its organization, POSTed to ``url``.
    Created only once the URL echoed a verification challenge."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Organization", related_name="webhook_subscriptions", on_delete=fields.CASCADE
    )
    organization_id: int
    app: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.App", related_name="webhook_subscriptions", on_delete=fields.CASCADE
    )
    app_id: int
    url = fields.CharField(max_length=2000)
    event_types: list[str] = fields.JSONField(default=list)
    secret_encrypted = fields.CharField(max_length=200)
    """The signing secret, AES-GCM encrypted (nonce and ciphertext, base64)."""
    created_by_id = fields.BigIntField(null=True)
    verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_subscription"
        indexes = (("organization_id", "id"), ("app_id", "id"))


class WebhookDelivery(Model):
    """One event for one subscription, with its retries. The body is kept as sent, so every
    attempt and every redelivery sends the same bytes under the same event id."""

    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[WebhookSubscription] = fields.ForeignKeyField(
        "models.WebhookSubscription", related_name="deliveries", on_delete=fields.CASCADE
    )
    subscription_id: int
    organization_id = fields.BigIntField()
    event_id = fields.CharField(max_length=40)
    event_type = fields.CharField(max_length=100)
    body = fields.TextField()
    """The JSON body, exactly as POSTed."""
    chat_id = fields.BigIntField(null=True)
    """For chat events: the chat the app's bot must still be in when the attempt is made."""
    state = fields.CharEnumField(DeliveryState, max_length=10, default=DeliveryState.PENDING)
    attempts = fields.IntField(default=0)
    generation = fields.IntField(default=0)
    """Raised by each redelivery: a retry job of an earlier generation does nothing."""
    retry_until = fields.DatetimeField()
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    attempt_log: fields.ReverseRelation[WebhookAttempt]

    class Meta:
        table = "webhook_delivery"
        indexes = (("subscription_id", "id"),)


class WebhookAttempt(Model):
    """One POST of a delivery and how it ended."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    delivery_id: int
    number = fields.IntField()
    status_code = fields.IntField(null=True)
    latency_ms = fields.IntField()
    response_excerpt = fields.CharField(max_length=1024, default="")
    error = fields.CharField(max_length=40, null=True)
    """Why it failed (TIMEOUT, RESPONSE_TOO_LARGE, HTTP_STATUS, CONNECTION, ADDRESS_REFUSED)."""
    error_message = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_attempt"
        unique_together = (("delivery_id", "number"),)


class WebhookSequence(Model):
    """The last sequence number given to events of one object (``chat:12``): taken with an
    UPDATE in the writing transaction, so it follows the order of commits per object."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=100, unique=True)
    last_value = fields.BigIntField(default=0)

    class Meta:
        table = "webhook_sequence"


class ChatIncomingWebhook(Model):
    """A URL that posts into one chat as a bot user of its own (what Lark calls a custom bot)."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.BigIntField()
    chat: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Chat", related_name="incoming_webhooks", on_delete=fields.CASCADE
    )
    chat_id: int
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    signing_secret_encrypted = fields.CharField(max_length=200, null=True)
    bot_user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="incoming_webhooks", on_delete=fields.RESTRICT
    )
    bot_user_id: int
    created_by_id = fields.BigIntField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_incoming_webhook"
        indexes = (("chat_id", "id"),)
