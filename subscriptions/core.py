"""Listening to the bus from a subscription, with the bus's failures as typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
    bus = bus or runtime.current().bus
    try:
        async with bus.subscribe(channel) as subscription:
            async for event in subscription:
                yield event
    except SubscriberOverflow as e:
        raise SubscriptionOverflow() from e
    except BusUnavailable as e:
        raise LiveEventsUnavailable() from e
