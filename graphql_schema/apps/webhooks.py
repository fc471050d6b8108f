"""Webhooks: an app's event subscriptions, their delivery log, and redelivery."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, decode_id, global_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models import webhooks as m
from resolvers.apps import webhook_deliveries as deliveries
from resolvers.apps import webhooks as actions
from resolvers.apps.errors import AppsErrorCode
from resolvers.core.errors import CoreErrorCode
from resolvers.core.principal import require_principal
from resolvers.core.webhook_events import webhook_event_types

MAX_LIST = 100


@strawberry.type(description="An event type an app may subscribe to with a webhook.")
class WebhookEventType:
    name: str = strawberry.field(
        description="The type, as in `eventTypes` and the delivered body's `type`."
    )
    description: str = strawberry.field(description="When an event of this type happens.")
    module: str = strawberry.field(description="The module that publishes it.")


@strawberry.type(
    description="An app's webhook: events of the chosen types in its organization, POSTed to "
    "`url`, signed with the subscription's secret. Exists only once its URL passed "
    "verification, so it is active. Message and chat events go only to apps whose bot is in "
    "the chat; Drive events only for items the bot can see."
)
class WebhookSubscription(VisibleNode):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    event_types: list[str] = strawberry.field(description="The event types delivered.")
    verified_at: datetime | None = strawberry.field(
        description="When the URL last echoed the verification challenge (UTC)."
    )
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    app_pk: strawberry.Private[int]

    @strawberry.field(description="The global ID of the app it belongs to.")
    def app_id(self) -> strawberry.ID:
        return global_id("App", self.app_pk)

    @classmethod
    def from_model(cls, sub: m.WebhookSubscription) -> WebhookSubscription:
        return cls(
            id=sub.id,
            url=sub.url,
            event_types=list(sub.event_types),
            verified_at=sub.verified_at,
            created_at=sub.created_at,
            app_pk=sub.app_id,
        )

    fetch_visible = staticmethod(actions.visible_subscriptions)


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryState(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Waiting for its first attempt or a retry (`nextAttemptAt`)."
    )
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED",
        description="Every attempt within 24 hours failed; `webhookRedeliver` tries again.",
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED",
        description="Not sent any more: the app was disabled, the subscription no longer wants "
        "the type, or the app's bot left the chat (`lastError` says which).",
    )


@strawberry.type(description="One POST of a delivery and how it ended.")
class WebhookDeliveryAttempt:
    number: int = strawberry.field(description="1 for the first attempt, then 2, 3, ...")
    status_code: int | None = strawberry.field(
        description="The HTTP status the endpoint answered; null when there was no answer."
    )
    latency_ms: int = strawberry.field(description="Milliseconds from connecting to the end.")
    response_excerpt: str = strawberry.field(
        description="The start of the response body (at most 1024 characters)."
    )
    error: str | None = strawberry.field(
        description="Why the attempt failed: HTTP_STATUS (not 2xx, redirects included), "
        "TIMEOUT, RESPONSE_TOO_LARGE (over 64 KiB), CONNECTION or ADDRESS_REFUSED (the host "
        "resolves to an address webhooks may not reach); null on success."
    )
    error_message: str | None = strawberry.field(description="The failure, for people.")
    created_at: datetime = strawberry.field(description="When the attempt ended (UTC).")


@strawberry.type(
    description="One event for one webhook subscription, with every attempt to deliver it."
)
class WebhookDelivery(VisibleNode):
    id: relay.NodeID[int]
    event_id: str = strawberry.field(
        description="The event's id (`Hello-Event-Id`): the same on every attempt and "
        "redelivery, so receivers deduplicate by it."
    )
    event_type: str = strawberry.field(description="The event's type.")
    state: WebhookDeliveryState = strawberry.field(description="Where it stands.")
    payload: str = strawberry.field(description="The JSON body POSTed, exactly as sent.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due (PENDING only)."
    )
    last_error: str | None = strawberry.field(
        description="How the latest attempt failed, or why it was cancelled."
    )
    created_at: datetime = strawberry.field(description="When the event happened (UTC).")
    attempts: list[WebhookDeliveryAttempt] = strawberry.field(
        description="Every attempt, first first."
    )

    @classmethod
    def from_model(cls, d: m.WebhookDelivery) -> WebhookDelivery:
        log = sorted(d.attempt_log, key=lambda a: a.number)
        return cls(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            state=WebhookDeliveryState(m.DeliveryState(d.state).value),
            payload=d.body,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            created_at=d.created_at,
            attempts=[
                WebhookDeliveryAttempt(
                    number=a.number,
                    status_code=a.status_code,
                    latency_ms=a.latency_ms,
                    response_excerpt=a.response_excerpt,
                    error=a.error,
                    error_message=a.error_message,
                    created_at=a.created_at,
                )
                for a in log
            ],
        )

    fetch_visible = staticmethod(deliveries.visible_deliveries)


# --- errors, inputs, payloads ---------------------------------------------------------------

_NOT_FOUND_APP = "No app of your organization has this ID (another organization's answers alike)."
_NOT_FOUND_SUB = (
    "No webhook subscription of your organization has this ID (another organization's "
    "answers alike)."
)
_FORBIDDEN = "Only the owner and admins manage webhooks."
_INVALID_URL = "`url` is not an absolute http(s) URL, or has credentials or a fragment."
_URL_NOT_ALLOWED = (
    "`url` is or resolves to a loopback, private, link-local or otherwise non-public address "
    "that the operator did not allow (HELLO_WEBHOOK_ALLOWED_HOSTS)."
)
_VERIFICATION = (
    '`url` did not answer the verification POST with 2xx and `{"challenge": ...}` echoing '
    "the challenge it was sent; nothing was changed."
)
_EVENT_TYPE = "An event type is not in `webhookEventTypes`, or none or over 100 were given."


@strawberry.enum(description="Why `webhookSubscriptionCreate` failed.")
class WebhookSubscriptionCreateErrorCode(Enum):
    NOT_FOUND = error_code(CoreErrorCode.NOT_FOUND, _NOT_FOUND_APP)
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, _FORBIDDEN)
    APP_DISABLED = error_code(AppsErrorCode.APP_DISABLED, "The app is disabled.")
    INVALID_URL = error_code(AppsErrorCode.INVALID_URL, _INVALID_URL)
    URL_NOT_ALLOWED = error_code(AppsErrorCode.URL_NOT_ALLOWED, _URL_NOT_ALLOWED)
    URL_VERIFICATION_FAILED = error_code(AppsErrorCode.URL_VERIFICATION_FAILED, _VERIFICATION)
    INVALID_EVENT_TYPE = error_code(AppsErrorCode.INVALID_EVENT_TYPE, _EVENT_TYPE)
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `webhookSubscriptionCreate` failed.")
class WebhookSubscriptionCreateError(MutationError):
    code: WebhookSubscriptionCreateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="A new webhook subscription of an app.")
class WebhookSubscriptionCreateInput:
    app_id: strawberry.ID = strawberry.field(description="The app's global ID.")
    url: str = strawberry.field(
        description="Where to POST events (http or https, at most 2000 characters). It must "
        "echo the verification challenge before the subscription is created."
    )
    event_types: list[str] = strawberry.field(
        description="Event types to deliver (1 to 100 names from `webhookEventTypes`)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key (1 to 128 characters) and input returns the "
        "first subscription and the same secret.",
    )


@strawberry.type(description="The result of `webhookSubscriptionCreate`.")
class WebhookSubscriptionCreatePayload:
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        default=None, description="The subscription, active."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (`whsec_...`): shown here only. Verify each delivery's "
        '`Hello-Signature: v1=<hex>` as HMAC-SHA256 of "<Hello-Timestamp>.<body>" under it.',
    )
    errors: list[WebhookSubscriptionCreateError] = strawberry.field(
        description="Why it was not created."
    )


@strawberry.enum(description="Why `webhookSubscriptionUpdate` failed.")
class WebhookSubscriptionUpdateErrorCode(Enum):
    NOT_FOUND = error_code(CoreErrorCode.NOT_FOUND, _NOT_FOUND_SUB)
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, _FORBIDDEN)
    INVALID_URL = error_code(AppsErrorCode.INVALID_URL, _INVALID_URL)
    URL_NOT_ALLOWED = error_code(AppsErrorCode.URL_NOT_ALLOWED, _URL_NOT_ALLOWED)
    URL_VERIFICATION_FAILED = error_code(AppsErrorCode.URL_VERIFICATION_FAILED, _VERIFICATION)
    INVALID_EVENT_TYPE = error_code(AppsErrorCode.INVALID_EVENT_TYPE, _EVENT_TYPE)


@strawberry.type(description="A reason why `webhookSubscriptionUpdate` failed.")
class WebhookSubscriptionUpdateError(MutationError):
    code: WebhookSubscriptionUpdateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="What to change in a webhook subscription (null: unchanged).")
class WebhookSubscriptionUpdateInput:
    id: strawberry.ID = strawberry.field(description="The subscription's global ID.")
    url: str | None = strawberry.field(
        default=None, description="A new URL; verified again, with the same secret."
    )
    event_types: list[str] | None = strawberry.field(
        default=None, description="The new event types (replacing the old ones)."
    )


@strawberry.type(description="The result of `webhookSubscriptionUpdate`.")
class WebhookSubscriptionUpdatePayload:
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        default=None, description="The subscription after the change."
    )
    errors: list[WebhookSubscriptionUpdateError] = strawberry.field(
        description="Why nothing changed."
    )


@strawberry.enum(description="Why `webhookSubscriptionDelete` failed.")
class WebhookSubscriptionDeleteErrorCode(Enum):
    NOT_FOUND = error_code(CoreErrorCode.NOT_FOUND, _NOT_FOUND_SUB)
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, _FORBIDDEN)


@strawberry.type(description="A reason why `webhookSubscriptionDelete` failed.")
class WebhookSubscriptionDeleteError(MutationError):
    code: WebhookSubscriptionDeleteErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="The webhook subscription to delete.")
class WebhookSubscriptionDeleteInput:
    id: strawberry.ID = strawberry.field(description="The subscription's global ID.")


@strawberry.type(description="The result of `webhookSubscriptionDelete`.")
class WebhookSubscriptionDeletePayload:
    deleted_webhook_subscription_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The global ID of the deleted subscription; its pending deliveries are "
        "dropped with it.",
    )
    errors: list[WebhookSubscriptionDeleteError] = strawberry.field(
        description="Why nothing was deleted."
    )


@strawberry.enum(description="Why `webhookRedeliver` failed.")
class WebhookRedeliverErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "No delivery of your organization has this ID (another organization's answers alike).",
    )
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, _FORBIDDEN)
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `webhookRedeliver` failed.")
class WebhookRedeliverError(MutationError):
    code: WebhookRedeliverErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="The delivery to send again.")
class WebhookRedeliverInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery's global ID.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key (1 to 128 characters) does not send it a third "
        "time.",
    )


@strawberry.type(description="The result of `webhookRedeliver`.")
class WebhookRedeliverPayload:
    webhook_delivery: WebhookDelivery | None = strawberry.field(
        default=None, description="The delivery, PENDING again, its next attempt due now."
    )
    errors: list[WebhookRedeliverError] = strawberry.field(description="Why it was not.")


# --- root fields --------------------------------------------------------------------------------


def _app_id(raw: str) -> int | None:
    return decode_id(raw, "App")


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="Every event type apps may subscribe to with webhooks, by name. Any "
        "signed-in member."
    )
    def webhook_event_types(self, info: Info) -> list[WebhookEventType]:
        require_principal(info.context)
        return [
            WebhookEventType(name=t.name, description=t.description, module=t.module)
            for t in webhook_event_types()
        ]

    @strawberry.field(
        description="An app's webhook subscriptions, oldest first. Owner and admins only.",
        directives=needs("apps:write"),
    )
    async def webhook_subscriptions(
        self,
        info: Info,
        app_id: Annotated[strawberry.ID, strawberry.argument(description="The app's global ID.")],
    ) -> list[WebhookSubscription]:
        subs = await actions.webhook_subscriptions(info.context, _app_id(app_id))
        return [WebhookSubscription.from_model(s) for s in subs]

    @strawberry.field(
        description="A subscription's deliveries, newest first, with every attempt (status "
        "code, latency, response excerpt, error). Owner and admins only.",
        directives=needs("apps:write"),
    )
    async def webhook_deliveries(
        self,
        info: Info,
        subscription_id: Annotated[
            strawberry.ID, strawberry.argument(description="The subscription's global ID.")
        ],
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookDelivery]:
        page = await deliveries.webhook_deliveries(
            info.context,
            decode_id(subscription_id, "WebhookSubscription"),
            first=first,
            after=after,
        )
        return connection(page, WebhookDelivery.from_model)


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Subscribe an app to event types (owner and admins): the URL is verified "
        "with a challenge first; the signing secret is in the payload, once.",
        directives=needs("apps:write"),
    )
    async def webhook_subscription_create(
        self,
        info: Info,
        input: Annotated[
            WebhookSubscriptionCreateInput, strawberry.argument(description="The subscription.")
        ],
    ) -> WebhookSubscriptionCreatePayload:
        return await mutate(
            WebhookSubscriptionCreatePayload,
            WebhookSubscriptionCreateError,
            actions.check_webhook_subscription_create(
                info.context,
                _app_id(input.app_id),
                url=input.url,
                event_types=list(input.event_types)[: MAX_LIST + 1],
                idempotency_key=input.idempotency_key,
            ),
            lambda r: {
                "webhook_subscription": WebhookSubscription.from_model(r[0]),
                "secret": r[1],
            },
        )

    @strawberry.mutation(
        description="Change a webhook subscription's URL (verified again) or event types.",
        directives=needs("apps:write"),
    )
    async def webhook_subscription_update(
        self,
        info: Info,
        input: Annotated[
            WebhookSubscriptionUpdateInput, strawberry.argument(description="What to change.")
        ],
    ) -> WebhookSubscriptionUpdatePayload:
        return await mutate(
            WebhookSubscriptionUpdatePayload,
            WebhookSubscriptionUpdateError,
            actions.check_webhook_subscription_update(
                info.context,
                decode_id(input.id, "WebhookSubscription"),
                url=input.url,
                event_types=list(input.event_types)[: MAX_LIST + 1]
                if input.event_types is not None
                else None,
            ),
            lambda s: {"webhook_subscription": WebhookSubscription.from_model(s)},
        )

    @strawberry.mutation(
        description="Delete a webhook subscription and its deliveries.",
        directives=needs("apps:write"),
    )
    async def webhook_subscription_delete(
        self,
        info: Info,
        input: Annotated[
            WebhookSubscriptionDeleteInput, strawberry.argument(description="Which one.")
        ],
    ) -> WebhookSubscriptionDeletePayload:
        return await mutate(
            WebhookSubscriptionDeletePayload,
            WebhookSubscriptionDeleteError,
            actions.check_webhook_subscription_delete(
                info.context, decode_id(input.id, "WebhookSubscription")
            ),
            lambda s: {"deleted_webhook_subscription_id": global_id("WebhookSubscription", s.id)},
        )

    @strawberry.mutation(
        description="Send a delivery again (owner and admins): a new attempt now, under the "
        "same event id, retried for another 24 hours if it fails.",
        directives=needs("apps:write"),
    )
    async def webhook_redeliver(
        self,
        info: Info,
        input: Annotated[WebhookRedeliverInput, strawberry.argument(description="Which one.")],
    ) -> WebhookRedeliverPayload:
        return await mutate(
            WebhookRedeliverPayload,
            WebhookRedeliverError,
            deliveries.check_webhook_redeliver(
                info.context,
                decode_id(input.delivery_id, "WebhookDelivery"),
                idempotency_key=input.idempotency_key,
            ),
            lambda d: {"webhook_delivery": WebhookDelivery.from_model(d)},
        )
