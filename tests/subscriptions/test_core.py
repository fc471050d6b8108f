"""A subscriber that falls behind gets a typed error, not unbounded memory."""

from __future__ import annotations

import asyncio

import pytest

from adapters.bus import EventBus
from subscriptions.core import LiveEventsUnavailable, SubscriptionOverflow, listen
from tests.timing import eventually


async def test_overflow_becomes_a_typed_error() -> None:
    bus = EventBus(None, queue_size=3)
    await bus.connect()
    try:
        async with asyncio.timeout(10):
            stream = listen("slow", bus)
            first = asyncio.ensure_future(stream.__anext__())
            while bus.subscriber_count("slow") == 0:
                await asyncio.sleep(0.01)
            await bus.publish("slow", {"n": 0})
            assert await first == {"n": 0}
            # Fall behind: five events for a queue of three, none read.
            for n in range(1, 6):
                await bus.publish("slow", {"n": n})
            # The bus delivers from its listener task: wait until it has cut the reader off.
            subscribers = bus._channels["slow"].subscribers
            await eventually(lambda: all(s.overflowed for s in subscribers), what="overflow")
            with pytest.raises(SubscriptionOverflow) as raised:
                async for _ in stream:
                    pass
        assert raised.value.extensions["code"] == "SUBSCRIPTION_OVERFLOW"
    finally:
        await bus.disconnect()


async def test_a_stopped_bus_is_a_typed_error() -> None:
    bus = EventBus(None)
    with pytest.raises(LiveEventsUnavailable):
        async for _ in listen("anything", bus):
            pass
