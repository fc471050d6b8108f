"""Listening to the bus from a subscription, with the bus's failures as typed errors.

Every stream follows one rule (README, "Running at scale"): the database is the source of
truth, the bus only makes delivery fast. ``subscribed`` opens a feed that yields the channel's
events and, whenever they may have been missed, ``CATCH_UP``: every ``POLL_SECONDS`` while the
bus is down (or the subscription was opened during an outage), and once when its channel is
confirmed again after a reconnect. A stream answers ``CATCH_UP`` with its own database read
since its cursor (chat ``seq`` for messages); what a stream can and cannot recover that way is
written in its module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adapters import runtime
from adapters.bus import CATCH_UP, BusUnavailable, CatchUp, EventBus, SubscriberOverflow
from resolvers.core.errors import CoreErrorCode, DomainError

__all__ = ["CATCH_UP", "POLL_SECONDS", "CatchUp", "listen", "subscribed"]

# While degraded, each subscriber reads the database this often: modest, as there may be
# thousands of subscribers per process, and an outage only delays delivery by about this much.
POLL_SECONDS = 2.0


class SubscriptionOverflow(DomainError):
    code = CoreErrorCode.SUBSCRIPTION_OVERFLOW
    default_message = (
        "This subscription fell too far behind its events and was closed; subscribe again "
        "(and refetch what you show)."
    )


class LiveEventsUnavailable(DomainError):
    code = CoreErrorCode.SERVICE_UNAVAILABLE
    default_message = "Live events are unavailable right now; try again shortly."


Item = dict[str, Any] | CatchUp


async def listen(channel: str, bus: EventBus | None = None) -> AsyncIterator[Item]:
    """Events of one channel, from the moment the backend confirmed the subscription (or at
    once, degraded, during an outage), and ``CATCH_UP`` markers."""
    async with subscribed(channel, bus) as events:
        async for event in events:
            yield event


@asynccontextmanager
async def subscribed(
    channel: str, bus: EventBus | None = None, *, poll_seconds: float | None = None
) -> AsyncIterator[AsyncIterator[Item]]:
    """Enter once the subscription is confirmed (so whatever is published from then on will
    arrive) or, while the bus is down, at once; then iterate events and ``CATCH_UP`` markers.
    The bus's failures surface as typed errors."""
    bus = bus or runtime.current().bus
    try:
        async with bus.subscribe(channel, poll_seconds=poll_seconds or POLL_SECONDS) as sub:
            yield _typed(sub.items())
    except BusUnavailable as e:
        raise LiveEventsUnavailable() from e


async def _typed(items: AsyncIterator[Item]) -> AsyncIterator[Item]:
    try:
        async for item in items:
            yield item
    except SubscriberOverflow as e:
        raise SubscriptionOverflow() from e
    except BusUnavailable as e:
        raise LiveEventsUnavailable() from e
