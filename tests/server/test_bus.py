"""The event bus on the in-process backend and on real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from redis.asyncio import Redis

from adapters.bus import CATCH_UP, BusUnavailable, EventBus, SubscriberOverflow, Subscription
from adapters.redis_backend import RedisBackend
from tests.services import require_env

MakeBus = Callable[..., Awaitable[EventBus]]


@pytest.fixture(params=["memory", "redis"])
def bus_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return require_env("HELLO_TEST_REDIS_URL")


@pytest.fixture
def prefix() -> str:
    # Unique per test, so parallel runs on one Redis never see each other's channels.
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def make_bus(bus_url: str, prefix: str) -> AsyncIterator[MakeBus]:
    buses: list[EventBus] = []

    async def make(queue_size: int = 1000) -> EventBus:
        bus = EventBus(bus_url, prefix=prefix, queue_size=queue_size)
        await bus.connect()
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.disconnect()


@pytest.fixture
async def redis_admin() -> AsyncIterator[Redis]:
    client = Redis.from_url(require_env("HELLO_TEST_REDIS_URL"))
    yield client
    await client.aclose()


async def read(sub: Subscription, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        async for event in sub:
            out.append(event)
            if len(out) == n:
                break
    return out


async def numsub(admin: Redis, channel: str) -> int:
    counts = dict(await admin.pubsub_numsub(channel))
    return int(counts.get(channel.encode(), 0))


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def test_concurrent_subscribers_all_registered_and_receive_everything_in_order(
    make_bus: MakeBus, bus_url: str, prefix: str
) -> None:
    bus = await make_bus()
    async with AsyncExitStack() as stack:
        # Given 200 subscribers entering a new channel at once
        subs = await asyncio.gather(
            *(stack.enter_async_context(bus.subscribe("room")) for _ in range(200))
        )
        assert bus.subscriber_count("room") == 200
        if bus_url.startswith("redis"):
            # one backend subscription serves them all
            admin = Redis.from_url(bus_url)
            assert await numsub(admin, prefix + "room") == 1
            await admin.aclose()

        # When 100 events are published
        for i in range(100):
            await bus.publish("room", {"n": i})

        # Then every subscriber receives all of them, in order
        received = await asyncio.gather(*(read(sub, 100) for sub in subs))
        assert all(events == [{"n": i} for i in range(100)] for events in received)


async def test_event_published_right_after_subscribe_is_delivered(make_bus: MakeBus) -> None:
    bus = await make_bus()
    for i in range(50):
        async with bus.subscribe(f"fresh-{i}") as sub:
            await bus.publish(f"fresh-{i}", {"i": i})
            assert await read(sub, 1, timeout=5) == [{"i": i}]


async def test_slow_subscriber_overflows_without_holding_back_a_fast_one(
    make_bus: MakeBus,
) -> None:
    bus = await make_bus(queue_size=10)
    async with bus.subscribe("feed") as slow, bus.subscribe("feed") as fast:
        fast_reader = asyncio.create_task(read(fast, 50))
        for i in range(50):
            await bus.publish("feed", {"i": i})

        assert await fast_reader == [{"i": i} for i in range(50)]
        with pytest.raises(SubscriberOverflow):
            await read(slow, 1)
        assert slow.overflowed and not slow._events  # its buffer was dropped


async def test_last_subscriber_leaving_unsubscribes_the_backend(
    make_bus: MakeBus, bus_url: str, prefix: str
) -> None:
    bus = await make_bus()
    channel = prefix + "doc"
    admin = Redis.from_url(bus_url) if bus_url.startswith("redis") else None

    async def backend_subscribers() -> int:
        if admin is None:
            return int(channel in bus._backend._subscribed)  # type: ignore[attr-defined]
        return await numsub(admin, channel)

    try:
        async with bus.subscribe("doc"):
            async with bus.subscribe("doc"):
                assert await backend_subscribers() == 1
            # one subscriber left: still subscribed
            assert bus.subscriber_count("doc") == 1
            assert await backend_subscribers() == 1
        assert bus.subscriber_count("doc") == 0
        assert "doc" not in bus._channels

        async def gone() -> bool:
            return await backend_subscribers() == 0

        await eventually(gone)

        # subscribing again right after the unsubscribe works and delivers
        async with bus.subscribe("doc") as sub:
            await bus.publish("doc", {"again": True})
            assert await read(sub, 1) == [{"again": True}]
            assert await backend_subscribers() == 1
    finally:
        if admin is not None:
            await admin.aclose()


async def test_subscribe_racing_unsubscribe_of_the_same_channel(make_bus: MakeBus) -> None:
    bus = await make_bus()

    async def enter_and_leave(i: int) -> dict[str, Any]:
        async with bus.subscribe("busy") as sub:
            await bus.publish("busy", {"from": i})
            # other subscribers' events may arrive too; ours must
            async with asyncio.timeout(10):
                async for event in sub:
                    if event == {"from": i}:
                        return event
        raise AssertionError("unreachable")

    results = await asyncio.gather(*(enter_and_leave(i) for i in range(30)))
    assert results == [{"from": i} for i in range(30)]
    assert bus.subscriber_count("busy") == 0


async def test_listener_crash_is_logged_and_the_listener_restarted(
    make_bus: MakeBus, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bus = await make_bus()
    real = bus._backend.next_published
    calls = 0

    async def flaky() -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await real()

    async with bus.subscribe("x") as sub:
        # the listener is waiting in the real next_published; its next call gets ours
        monkeypatch.setattr(bus._backend, "next_published", flaky)
        await bus.publish("x", {"before": True})
        assert await read(sub, 1) == [{"before": True}]
        await bus.publish("x", {"after": True})  # the listener calls flaky() next: it raises
        assert await read(sub, 1) == [{"after": True}]
    assert calls >= 2
    assert "listener crashed" in caplog.text
    assert await bus.ready()


async def test_disconnect_ends_open_subscriptions(bus_url: str, prefix: str) -> None:
    bus = EventBus(bus_url, prefix=prefix)
    await bus.connect()
    assert await bus.ready()
    async with bus.subscribe("a") as sub:
        reader = asyncio.create_task(read(sub, 5))
        await asyncio.sleep(0.05)
        await bus.disconnect()
        assert await asyncio.wait_for(reader, 5) == []  # the iterator stopped
    assert not await bus.ready()
    with pytest.raises(BusUnavailable):
        await bus.publish("a", {})


async def test_redis_reconnects_and_resubscribes_after_the_connection_is_killed(
    prefix: str, redis_admin: Redis
) -> None:
    bus = EventBus(require_env("HELLO_TEST_REDIS_URL"), prefix=prefix)
    await bus.connect()
    channel = prefix + "live"
    try:
        async with bus.subscribe("live") as sub:
            await bus.publish("live", {"n": 1})
            assert await read(sub, 1) == [{"n": 1}]

            # When our pub/sub connection (and only ours, found by its name) is killed
            ids = [c["id"] for c in await redis_admin.client_list() if c["name"] == f"{prefix}bus"]
            assert len(ids) == 1
            await redis_admin.execute_command("CLIENT", "KILL", "ID", ids[0])

            # Then the bus reconnects under a new client id and subscribes again
            async def resubscribed() -> bool:
                clients = await redis_admin.client_list()
                new = [c["id"] for c in clients if c["name"] == f"{prefix}bus"]
                return new not in ([], ids) and await numsub(redis_admin, channel) == 1

            await eventually(resubscribed)
            await eventually(bus.ready)
            # and events flow again to the existing subscription
            await bus.publish("live", {"n": 2})
            assert await read(sub, 1) == [{"n": 2}]
    finally:
        await bus.disconnect()


async def test_redis_backend_raises_on_publish_and_waits_on_subscribe_when_unreachable() -> None:
    # Port 1 on loopback refuses connections: no server needed for this one.
    backend = RedisBackend("redis://127.0.0.1:1/0", socket_timeout=0.5, subscribe_timeout=0.5)
    await backend.connect()
    try:
        async with asyncio.timeout(5):
            with pytest.raises(BusUnavailable):
                await backend.publish("x", "{}")
            # A subscribe waits for the reconnection rather than fail: the channel stays wanted.
            waiting = asyncio.ensure_future(backend.subscribe("x"))
            await asyncio.sleep(1.0)  # twice the subscribe timeout
            assert not waiting.done()
            waiting.cancel()
            assert not backend.connected
            assert not await backend.ping()
    finally:
        await backend.disconnect()


async def test_an_unreachable_redis_keeps_publishes_and_degrades_subscriptions() -> None:
    bus = EventBus("redis://127.0.0.1:1/0", prefix="test-down:")
    await bus.connect()
    try:
        async with asyncio.timeout(10):
            # Publishing neither fails nor waits: the event is kept for when Redis is back.
            await bus.publish("a", {"n": 1})
            assert bus.pending == 1
            # A subscription opens at once, degraded, and asks to catch up every poll.
            async with bus.subscribe("a", poll_seconds=0.1) as sub:
                assert sub.degraded
                items = sub.items()
                assert await anext(items) is CATCH_UP
                assert await anext(items) is CATCH_UP
            # Without poll_seconds (plain iteration) a subscriber just waits for events.
            async with bus.subscribe("a") as plain:
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(anext(plain), 0.3)
            assert not await bus.ready()
    finally:
        await bus.disconnect(drain_seconds=0.1)
