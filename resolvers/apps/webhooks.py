"""Webhook subscriptions: an app's URL that receives the events of the types it chose.

| act                                             | OWNER | ADMIN | MEMBER | GUEST |
|-------------------------------------------------|-------|-------|--------|-------|
| create, change, delete, list subscriptions      | yes   | yes   | no     | no    |
| read deliveries, redeliver                      | yes   | yes   | no     | no    |

Another organization's app, subscription or delivery is NOT_FOUND.

Creation (and a change of URL) verifies the URL first: Hello POSTs ``{"type":
"url_verification", "challenge": "..."}``, signed like any delivery, and the endpoint must answer
2xx with ``{"challenge": "<the same>"}``. Only then is anything stored, so every subscription
that exists is active; a failed check is the typed URL_VERIFICATION_FAILED and nothing is kept.
The HTTP exchange happens before the transaction, which is never held open across the network.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence

from adapters.settings import get_settings
from adapters.webhook_http import AddressRefused, AllowList, post_json, resolve_checked, url_problem
from models.apps import App
from models.identity import Role
from models.webhooks import WebhookSubscription
from resolvers.apps import webhook_outbox
from resolvers.apps.apps import access_app, require_app_admin
from resolvers.apps.errors import AppsErrorCode
from resolvers.apps.webhook_crypto import decrypt_secret, encrypt_secret, signature
from resolvers.core import channels
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, DomainErrors, NotFound, ValidationFailed
from resolvers.core.idempotency import once, retry_safe_token
from resolvers.core.loaders import by_key
from resolvers.core.tx import Transaction, transaction
from resolvers.core.webhook_events import webhook_event_type

SECRET_PREFIX = "whsec_"
SECRET_PURPOSE = "webhook_subscription"
MAX_EVENT_TYPES = 100
MAX_SUBSCRIPTIONS_PER_APP = 20
VERIFY_MAX_BODY = 64 * 1024


def allow_list() -> AllowList:
    return AllowList.parse(get_settings().webhook_allowed_hosts)


def subscription_secret(sub: WebhookSubscription) -> str:
    return decrypt_secret(sub.secret_encrypted, SECRET_PURPOSE)


# --- reads ----------------------------------------------------------------------------------


async def subscriptions_by_id(ids: list[int]) -> Sequence[WebhookSubscription | None]:
    return by_key(await WebhookSubscription.filter(id__in=ids), ids)


async def visible_subscriptions(ctx: Context, ids: list[int]) -> list[WebhookSubscription | None]:
    """Subscriptions as the viewer may see them: owners and admins of their organization."""
    principal = ctx.principal
    if principal is None or principal.user.role not in (Role.OWNER, Role.ADMIN):
        return [None] * len(ids)
    found = await ctx.loaders.get(subscriptions_by_id).load_many(ids)
    return [
        s if s is not None and s.organization_id == principal.organization_id else None
        for s in found
    ]


async def webhook_subscriptions(ctx: Context, app_id: int | None) -> list[WebhookSubscription]:
    """An app's subscriptions, oldest first (owners and admins)."""
    app = await _access_managed_app(ctx, app_id)
    return list(await WebhookSubscription.filter(app_id=app.id).order_by("id"))


async def _access_managed_app(ctx: Context, app_id: int | None) -> App:
    require_app_admin(ctx)
    if app_id is None:
        raise NotFound(field="appId")
    try:
        return await access_app(ctx, app_id, manage=True)
    except NotFound:
        raise NotFound(field="appId") from None


async def access_subscription(
    ctx: Context, subscription_id: int | None, *, field: str = "id"
) -> WebhookSubscription:
    """A subscription of the admin's organization, or NOT_FOUND."""
    principal = require_app_admin(ctx)
    sub = (
        await WebhookSubscription.get_or_none(
            id=subscription_id, organization_id=principal.organization_id
        )
        if subscription_id is not None
        else None
    )
    if sub is None:
        raise NotFound(field=field)
    return sub


# --- checks ---------------------------------------------------------------------------------


def check_event_types(names: list[str]) -> list[str]:
    """The event types, deduplicated and sorted; every unknown name at once."""
    if not names or len(names) > MAX_EVENT_TYPES:
        raise ValidationFailed(
            f"Subscribe to 1 to {MAX_EVENT_TYPES} event types.",
            field="eventTypes",
            code=AppsErrorCode.INVALID_EVENT_TYPE,
        )
    problems: list[DomainError] = [
        ValidationFailed(
            f"{name[:100]!r} is not an event type (see webhookEventTypes).",
            field=f"eventTypes.{i}",
            code=AppsErrorCode.INVALID_EVENT_TYPE,
        )
        for i, name in enumerate(names)
        if webhook_event_type(name) is None
    ]
    if problems:
        raise DomainErrors(problems)
    return sorted(set(names))


async def check_url(url: str) -> str:
    """A URL webhooks may reach: well formed, and resolving to an allowed address now."""
    url = url.strip()
    why = url_problem(url)
    if why:
        raise ValidationFailed(f"The URL {why}.", field="url", code=AppsErrorCode.INVALID_URL)
    try:
        await resolve_checked(url, allow_list())
    except AddressRefused as e:
        raise ValidationFailed(
            f"Webhooks may not reach this address ({e}); an operator may allow it with "
            "HELLO_WEBHOOK_ALLOWED_HOSTS.",
            field="url",
            code=AppsErrorCode.URL_NOT_ALLOWED,
        ) from None
    return url


async def verify_url(url: str, secret: str) -> None:
    """POST the challenge to ``url``; raise URL_VERIFICATION_FAILED unless it is echoed."""
    challenge = secrets.token_urlsafe(24)
    body = json.dumps(
        {"type": "url_verification", "challenge": challenge}, separators=(",", ":")
    ).encode()
    ts = int(time.time())
    settings = get_settings()
    result = await post_json(
        url,
        body,
        {
            "Hello-Event-Id": "url_verification",
            "Hello-Timestamp": str(ts),
            "Hello-Signature": signature(secret, ts, body),
            "User-Agent": "Hello-Webhooks/1",
            "Accept-Encoding": "identity",
        },
        allow=allow_list(),
        timeout=settings.webhook_timeout_seconds,
        max_body=VERIFY_MAX_BODY,
    )
    if result.error == "ADDRESS_REFUSED":
        raise ValidationFailed(
            "Webhooks may not reach this address.", field="url", code=AppsErrorCode.URL_NOT_ALLOWED
        )
    echoed = None
    if result.error is None and result.status_code is not None and 200 <= result.status_code < 300:
        try:
            answer = json.loads(result.body)
            echoed = answer.get("challenge") if isinstance(answer, dict) else None
        except ValueError:
            echoed = None
    if echoed != challenge:
        how = (
            result.error_message
            or f"it answered {result.status_code} without the challenge in a JSON body"
        )
        raise ValidationFailed(
            f"The URL did not pass verification: {how}.",
            field="url",
            code=AppsErrorCode.URL_VERIFICATION_FAILED,
        )


# --- create, update, delete -------------------------------------------------------------------


async def check_webhook_subscription_create(
    ctx: Context,
    app_id: int | None,
    *,
    url: str,
    event_types: list[str],
    idempotency_key: str | None,
) -> tuple[WebhookSubscription, str]:
    """Verify the URL, then store the subscription; it and its signing secret (shown once)."""
    principal = require_app_admin(ctx)
    app = await _access_managed_app(ctx, app_id)
    if app.disabled_at is not None:
        raise DomainError("This app is disabled.", field="appId", code=AppsErrorCode.APP_DISABLED)
    types = check_event_types(event_types)
    clean_url = await check_url(url)
    # With a key, a retry derives the same secret, so it can answer with the first one.
    secret = retry_safe_token(SECRET_PREFIX, "webhookSubscriptionCreate", idempotency_key, app.id)
    if idempotency_key is not None and len(idempotency_key) > 128:
        raise ValidationFailed("Keys have 1 to 128 characters.", field="idempotencyKey")
    await verify_url(clean_url, secret)

    async def create() -> WebhookSubscription:
        count = await WebhookSubscription.filter(app_id=app.id).count()
        if count >= MAX_SUBSCRIPTIONS_PER_APP:
            raise ValidationFailed(
                f"An app has at most {MAX_SUBSCRIPTIONS_PER_APP} webhook subscriptions.",
                field="appId",
            )
        return await do_create_subscription(app, principal.user_id, clean_url, types, secret)

    async def load(pk: int) -> WebhookSubscription | None:
        return await WebhookSubscription.get_or_none(id=pk, app_id=app.id)

    sub = await once(
        principal.user_id,
        "webhookSubscriptionCreate",
        idempotency_key,
        create,
        load,
        input={"appId": app.id, "url": clean_url, "eventTypes": types},
    )
    return sub, subscription_secret(sub)


async def do_create_subscription(
    app: App, user_id: int, url: str, event_types: list[str], secret: str
) -> WebhookSubscription:
    async with transaction() as tx:
        sub = await WebhookSubscription.create(
            organization_id=app.organization_id,
            app_id=app.id,
            url=url,
            event_types=event_types,
            secret_encrypted=encrypt_secret(secret, SECRET_PURPOSE),
            created_by_id=user_id,
            verified_at=now(),
        )
        subscriptions_changed(tx)
    return sub


async def check_webhook_subscription_update(
    ctx: Context,
    subscription_id: int | None,
    *,
    url: str | None,
    event_types: list[str] | None,
) -> WebhookSubscription:
    """Change the URL (verified again, with the same secret) or the event types."""
    require_app_admin(ctx)
    sub = await access_subscription(ctx, subscription_id)
    types = check_event_types(event_types) if event_types is not None else None
    clean_url = None
    if url is not None and url.strip() != sub.url:
        clean_url = await check_url(url)
        await verify_url(clean_url, subscription_secret(sub))
    return await do_update_subscription(sub, url=clean_url, event_types=types)


async def do_update_subscription(
    sub: WebhookSubscription, *, url: str | None, event_types: list[str] | None
) -> WebhookSubscription:
    async with transaction() as tx:
        changes: dict[str, object] = {}
        if url is not None:
            changes["url"] = url
            changes["verified_at"] = now()
        if event_types is not None:
            changes["event_types"] = event_types
        if changes:
            await WebhookSubscription.filter(id=sub.id).update(**changes, updated_at=now())
            subscriptions_changed(tx)
        fresh = await WebhookSubscription.get_or_none(id=sub.id)
        if fresh is None:
            raise NotFound(field="id")
    return fresh


async def check_webhook_subscription_delete(
    ctx: Context, subscription_id: int | None
) -> WebhookSubscription:
    require_app_admin(ctx)
    sub = await access_subscription(ctx, subscription_id)
    await do_delete_subscription(sub)
    return sub


async def do_delete_subscription(sub: WebhookSubscription) -> None:
    """Gone with its deliveries; retries already queued find nothing and do nothing."""
    async with transaction() as tx:
        await WebhookSubscription.filter(id=sub.id).delete()
        subscriptions_changed(tx)


def subscriptions_changed(tx: Transaction) -> None:
    """Every process forgets which organizations subscribe to what (after the commit)."""
    tx.publish(channels.WEBHOOKS_CHANNEL, webhook_outbox.subscriptions_changed_event())
    tx.after_commit(webhook_outbox.forget_subscribers)
