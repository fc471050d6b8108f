"""Webhook deliveries: the job that POSTs one, its log, and redelivery.

Each attempt is one run of the ``webhooks.deliver`` job. It checks again that the event may
still go there (the subscription still wants the type, the app is enabled, and for a chat event
the app's bot is still in the chat: a bot removed from a chat receives nothing more of it, even
what was queued before), POSTs the body kept in the delivery with fresh ``Hello-Timestamp`` and
``Hello-Signature`` headers, and records the attempt. A 2xx answer is success; anything else
(another status, a redirect, a timeout, a body over 64 KiB, a refused address) is a failed
attempt, followed by the next one after an exponential back-off with jitter, as long as it
falls within ``HELLO_WEBHOOK_RETRY_WINDOW_SECONDS`` (24 h) of the event; then FAILED, visible in
``webhookDeliveries`` and open to ``webhookRedeliver``.

At least once: a worker that dies after the POST but before recording it sends it again, under
the same ``Hello-Event-Id``; receivers deduplicate by it. Each attempt is its own job with its
own key; a redelivery raises the delivery's ``generation``, so a retry queued before it does
nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import timedelta

from adapters.settings import get_settings
from adapters.webhook_http import post_json
from models.apps import App
from models.messenger import ChatMember
from models.webhooks import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from resolvers.apps.apps import require_app_admin
from resolvers.apps.webhook_crypto import signature
from resolvers.apps.webhook_outbox import DELIVER_JOB, do_enqueue_attempt
from resolvers.apps.webhooks import access_subscription, allow_list, subscription_secret
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import NotFound
from resolvers.core.idempotency import once
from resolvers.core.jobs import JobContext, job_handler
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction

MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 1024


def retry_delay(attempt: int, rand: float | None = None) -> float:
    """Seconds after failed attempt ``attempt`` (1, 2, ...): exponential, capped, with jitter
    between half and all of it (so retries of many deliveries spread out but never shrink to
    nothing)."""
    s = get_settings()
    full = min(s.webhook_retry_cap_seconds, s.webhook_retry_base_seconds * 2 ** (attempt - 1))
    return full * (0.5 + 0.5 * (random.random() if rand is None else rand))


# --- the job ------------------------------------------------------------------------------------


async def _why_not(delivery: WebhookDelivery, sub: WebhookSubscription | None) -> str | None:
    """Why this delivery may not be sent any more, or None."""
    if sub is None:
        return "The subscription was deleted."
    if delivery.event_type not in sub.event_types:
        return "The subscription no longer wants this event type."
    app = await App.get_or_none(id=sub.app_id)
    if app is None or app.disabled_at is not None:
        return "The app is disabled."
    if delivery.chat_id is not None and not await ChatMember.exists(
        chat_id=delivery.chat_id, user_id=app.bot_user_id
    ):
        return "The app's bot is no longer in the chat."
    return None


@job_handler(DELIVER_JOB, max_attempts=3)
async def deliver(ctx: JobContext) -> None:
    """One attempt of one delivery (the job's own retries only cover a crash of ours)."""
    delivery = await WebhookDelivery.get_or_none(id=int(ctx.args["delivery"]))
    generation = int(ctx.args["generation"])
    if (
        delivery is None
        or delivery.state != DeliveryState.PENDING
        or delivery.generation != generation
    ):
        return
    sub = await WebhookSubscription.get_or_none(id=delivery.subscription_id)
    why = await _why_not(delivery, sub)
    if why is not None or sub is None:
        await do_cancel(delivery, why or "")
        return
    body = delivery.body.encode()
    ts = int(time.time())
    settings = get_settings()
    result = await post_json(
        sub.url,
        body,
        {
            "Hello-Event-Id": delivery.event_id,
            "Hello-Timestamp": str(ts),
            "Hello-Signature": signature(subscription_secret(sub), ts, body),
            "User-Agent": "Hello-Webhooks/1",
            "Accept-Encoding": "identity",
        },
        allow=allow_list(),
        timeout=settings.webhook_timeout_seconds,
        max_body=MAX_RESPONSE_BYTES,
    )
    error, message = result.error, result.error_message
    ok = error is None and result.status_code is not None and 200 <= result.status_code < 300
    if error is None and not ok:
        error, message = "HTTP_STATUS", f"the endpoint answered {result.status_code}"
    await do_record_attempt(
        delivery,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        excerpt=result.body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS],
        error=error,
        message=message,
    )


async def do_cancel(delivery: WebhookDelivery, why: str) -> None:
    await WebhookDelivery.filter(
        id=delivery.id, state=DeliveryState.PENDING, generation=delivery.generation
    ).update(state=DeliveryState.CANCELLED, last_error=why, next_attempt_at=None, updated_at=now())


async def do_record_attempt(
    delivery: WebhookDelivery,
    *,
    status_code: int | None,
    latency_ms: int,
    excerpt: str,
    error: str | None,
    message: str | None,
) -> None:
    """Record the attempt and decide what comes next, if this run still owns the delivery."""
    at = now()
    number = delivery.attempts + 1
    async with transaction():
        won = await WebhookDelivery.filter(
            id=delivery.id,
            state=DeliveryState.PENDING,
            generation=delivery.generation,
            attempts=delivery.attempts,
        ).update(attempts=number, updated_at=at)
        if not won:
            return  # another run of this job recorded it first
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            number=number,
            status_code=status_code,
            latency_ms=latency_ms,
            response_excerpt=excerpt,
            error=error,
            error_message=(message or "")[:500] or None,
        )
        if error is None:
            await WebhookDelivery.filter(id=delivery.id).update(
                state=DeliveryState.SUCCEEDED, next_attempt_at=None, last_error=None
            )
            return
        next_at = at + timedelta(seconds=retry_delay(number))
        if next_at > delivery.retry_until:
            await WebhookDelivery.filter(id=delivery.id).update(
                state=DeliveryState.FAILED, next_attempt_at=None, last_error=message
            )
            return
        await WebhookDelivery.filter(id=delivery.id).update(
            next_attempt_at=next_at, last_error=message
        )
        delivery.attempts = number
        await do_enqueue_attempt(delivery, next_at)


# --- the log and redelivery -----------------------------------------------------------------------


async def webhook_deliveries(
    ctx: Context, subscription_id: int | None, *, first: int | None, after: str | None
) -> Page[WebhookDelivery]:
    """A subscription's deliveries, newest first, each with its attempts (two queries)."""
    sub = await access_subscription(ctx, subscription_id, field="subscriptionId")
    qs = WebhookDelivery.filter(subscription_id=sub.id).prefetch_related("attempt_log")
    return await paginate(qs, order=["-id"], first=first, after=after)


async def deliveries_by_id(ids: list[int]) -> Sequence[WebhookDelivery | None]:
    return by_key(await WebhookDelivery.filter(id__in=ids).prefetch_related("attempt_log"), ids)


async def visible_deliveries(ctx: Context, ids: list[int]) -> list[WebhookDelivery | None]:
    principal = ctx.principal
    if principal is None or principal.user.role.value not in ("OWNER", "ADMIN"):
        return [None] * len(ids)
    found = await ctx.loaders.get(deliveries_by_id).load_many(ids)
    return [
        d if d is not None and d.organization_id == principal.organization_id else None
        for d in found
    ]


async def access_delivery(ctx: Context, delivery_id: int | None) -> WebhookDelivery:
    principal = require_app_admin(ctx)
    delivery = (
        await WebhookDelivery.get_or_none(id=delivery_id, organization_id=principal.organization_id)
        if delivery_id is not None
        else None
    )
    if delivery is None:
        raise NotFound(field="deliveryId")
    return delivery


async def check_webhook_redeliver(
    ctx: Context, delivery_id: int | None, *, idempotency_key: str | None
) -> WebhookDelivery:
    """Send a delivery again, under the same event id, with a fresh retry window."""
    principal = require_principal(ctx)
    require_app_admin(ctx)

    async def redeliver() -> WebhookDelivery:
        delivery = await access_delivery(ctx, delivery_id)
        return await do_redeliver(delivery)

    async def load(pk: int) -> WebhookDelivery | None:
        return await WebhookDelivery.get_or_none(
            id=pk, organization_id=principal.organization_id
        ).prefetch_related("attempt_log")

    return await once(
        principal.user_id,
        "webhookRedeliver",
        idempotency_key,
        redeliver,
        load,
        input={"deliveryId": delivery_id},
    )


async def do_redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    at = now()
    async with transaction():
        # Conditional on the generation read: of two concurrent redeliveries one raises it,
        # the other finds the delivery already PENDING again and sends nothing more.
        won = await WebhookDelivery.filter(id=delivery.id, generation=delivery.generation).update(
            state=DeliveryState.PENDING,
            generation=delivery.generation + 1,
            retry_until=at + timedelta(seconds=get_settings().webhook_retry_window_seconds),
            next_attempt_at=at,
            updated_at=at,
        )
        fresh = await WebhookDelivery.get(id=delivery.id)
        if won:
            await do_enqueue_attempt(fresh, at)
    await fresh.fetch_related("attempt_log")
    return fresh
