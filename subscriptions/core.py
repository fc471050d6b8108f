"""Listening to the bus from a subscription, with the bus's failures as typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from resolvers.core.errors import DomainError
from server import runtime
from server.bus import BusUnavailable, EventBus, SubscriberOverflow


class SubscriptionOverflow(DomainError):
    code = "SUBSCRIPTION_OVERFLOW"
    default_message = (
        "This subscription fell too far behind its events and was closed; subscribe again "
        "(and refetch what you show)."
    )


class LiveEventsUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    default_message = "Live events are unavailable right now; try again shortly."


async def listen(channel: str, bus: EventBus | None = None) -> AsyncIterator[dict[str, Any]]:
    """Events of one channel, from the moment the backend confirmed the subscription."""
    async with subscribed(channel, bus) as events:
        async for event in events:
            yield event


@asynccontextmanager
async def subscribed(
    channel: str, bus: EventBus | None = None
) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """Enter once the subscription is confirmed (so whatever is published from then on will
    arrive), then iterate the events; the bus's failures surface as typed errors."""
    bus = bus or runtime.current().bus
    try:
        async with bus.subscribe(channel) as subscription:
            yield _typed(subscription)
    except BusUnavailable as e:
        raise LiveEventsUnavailable() from e


async def _typed(subscription: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    try:
        async for event in subscription:
            yield event
    except SubscriberOverflow as e:
        raise SubscriptionOverflow() from e
    except BusUnavailable as e:
        raise LiveEventsUnavailable() from e
