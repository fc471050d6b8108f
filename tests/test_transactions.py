"""Events recorded in a transaction reach subscribers only after commit, never after a
rollback; nested transactions publish with the outermost commit."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models.identity import Organization
from resolvers.core.tx import transaction
from server import runtime


class Boom(Exception):
    pass


async def next_event(subscription: object, timeout: float = 2) -> dict:
    return await asyncio.wait_for(subscription.__anext__(), timeout)  # type: ignore[attr-defined]


async def test_rolled_back_writes_publish_nothing(server: str) -> None:
    bus = runtime.current().bus
    channel = f"test:{uuid.uuid4().hex}"
    name = f"Rolled back {uuid.uuid4().hex[:6]}"
    async with bus.subscribe(channel) as events:
        with pytest.raises(Boom):
            async with transaction() as tx:
                await Organization.create(name=name)
                tx.publish(channel, {"n": 1})
                raise Boom
        assert not await Organization.filter(name=name).exists()

        async with transaction() as tx:
            await Organization.create(name=name)
            tx.publish(channel, {"n": 2})
            # Not yet: the transaction is still open.
            with pytest.raises(TimeoutError):
                await next_event(events, timeout=0.2)
        # The first event anyone sees is the committed one.
        assert await next_event(events) == {"n": 2}
        assert await Organization.filter(name=name).count() == 1


async def test_nested_transactions_publish_with_the_outermost_commit(server: str) -> None:
    bus = runtime.current().bus
    channel = f"test:{uuid.uuid4().hex}"
    async with bus.subscribe(channel) as events:
        with pytest.raises(Boom):
            async with transaction() as outer:
                outer.publish(channel, {"n": "outer"})
                async with transaction() as inner:
                    inner.publish(channel, {"n": "inner"})
                raise Boom
        async with transaction() as outer:
            async with transaction() as inner:
                inner.publish(channel, {"n": "inner"})
            outer.publish(channel, {"n": "outer"})
        assert await next_event(events) == {"n": "inner"}
        assert await next_event(events) == {"n": "outer"}
