"""Events recorded in a transaction reach subscribers only after commit, never after a
rollback; nested transactions publish with the outermost commit."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from adapters import runtime
from models.identity import Organization
from resolvers.core.tx import transaction


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


async def test_a_caught_nested_failure_publishes_nothing_of_the_nested_block(server: str) -> None:
    # Given a subscriber, and an outer transaction whose nested block fails and is caught
    bus = runtime.current().bus
    channel = f"test:{uuid.uuid4().hex}"
    kept, dropped = (f"{word} {uuid.uuid4().hex[:6]}" for word in ("Kept", "Dropped"))
    ran: list[str] = []

    async def record(label: str) -> None:
        ran.append(label)

    async with bus.subscribe(channel) as events:
        # When the outer block commits after catching the nested failure
        async with transaction() as outer:
            await Organization.create(name=kept)
            outer.publish(channel, {"n": "before"})
            with pytest.raises(Boom):
                async with transaction() as inner:
                    await Organization.create(name=dropped)
                    inner.publish(channel, {"n": "rolled back"})
                    inner.after_commit(lambda: record("rolled back"))
                    raise Boom
            async with transaction() as inner:
                inner.publish(channel, {"n": "nested ok"})
                inner.after_commit(lambda: record("nested ok"))
            outer.publish(channel, {"n": "after"})
            outer.after_commit(lambda: record("outer"))
        # Then the savepoint undid the nested row, and only what committed is published or run
        assert await Organization.filter(name=kept).exists()
        assert not await Organization.filter(name=dropped).exists()
        seen = [await next_event(events) for _ in range(3)]
        assert seen == [{"n": "before"}, {"n": "nested ok"}, {"n": "after"}]
        with pytest.raises(TimeoutError):
            await next_event(events, timeout=0.3)
        assert ran == ["nested ok", "outer"]
