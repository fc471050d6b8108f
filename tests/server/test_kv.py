"""Counters and token buckets, in-process and on real Redis.

Time: the in-process store reads an injected ``FakeClock``, which the tests move, so its
windows and refills are checked at their exact boundaries without waiting. Redis keeps its own
time (key TTLs, ``TIME`` in the bucket script), so there a test reads the TTL Redis set, or
polls for what it waits for with a deadline (``tests/timing.py``), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.kv import (
    BucketResult,
    KeyValueStore,
    MemoryStore,
    RedisStore,
    StoreUnavailable,
    create_store,
)
from tests.services import require_env
from tests.timing import FakeClock, eventually


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
async def store(
    request: pytest.FixtureRequest, prefix: str, clock: FakeClock
) -> AsyncIterator[KeyValueStore]:
    if request.param == "memory":
        assert isinstance(create_store(None, prefix), MemoryStore)
        kv: KeyValueStore = MemoryStore(clock=clock)
    else:
        kv = create_store(require_env("HELLO_TEST_REDIS_URL"), prefix)
        assert isinstance(kv, RedisStore)
    yield kv
    await kv.close()
    if request.param == "redis":
        # Some buckets (slow refill) would otherwise linger for hours.
        admin = Redis.from_url(require_env("HELLO_TEST_REDIS_URL"))
        keys = [k async for k in admin.scan_iter(match=f"{prefix}*")]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()


async def pttl(key: str) -> int:
    """Milliseconds Redis gives the key to live."""
    admin = Redis.from_url(require_env("HELLO_TEST_REDIS_URL"))
    try:
        return int(await admin.pttl(key))
    finally:
        await admin.aclose()


async def test_hit_counts_within_the_window_and_expires_with_it(
    store: KeyValueStore, clock: FakeClock, prefix: str
) -> None:
    assert await store.count("login:ann") == 0
    assert [await store.hit("login:ann", 1) for _ in range(3)] == [1, 2, 3]
    assert await store.count("login:ann") == 3
    assert await store.count("login:bob") == 0  # keys are independent

    if isinstance(store, MemoryStore):
        clock.advance(0.999)
        assert await store.count("login:ann") == 3  # not before the window ends
        clock.advance(0.001)
    else:
        assert 0 < await pttl(f"{prefix}count:login:ann") <= 1000

        async def expired() -> bool:
            return await store.count("login:ann") == 0

        await eventually(expired, what="the end of the window")

    assert await store.count("login:ann") == 0
    assert await store.hit("login:ann", 1) == 1  # a new window starts


async def test_hit_does_not_extend_the_window(
    store: KeyValueStore, clock: FakeClock, prefix: str
) -> None:
    await store.hit("k", 1)
    if isinstance(store, MemoryStore):
        clock.advance(0.6)
        await store.hit("k", 1)  # a later hit must not push the expiry back
        clock.advance(0.4)
        assert await store.count("k") == 0
    else:
        first = await pttl(f"{prefix}count:k")
        await store.hit("k", 1)  # a later hit must not push the expiry back
        assert 0 < await pttl(f"{prefix}count:k") <= first


async def test_concurrent_hits_are_all_counted(store: KeyValueStore) -> None:
    counts = await asyncio.gather(*(store.hit("k", 60) for _ in range(100)))
    assert sorted(counts) == list(range(1, 101))
    assert await store.count("k") == 100


async def test_decrement_never_goes_below_zero_and_reset_clears(store: KeyValueStore) -> None:
    await store.hit("k", 60)
    await store.hit("k", 60)
    await store.decrement("k")
    assert await store.count("k") == 1
    await store.decrement("k")
    await store.decrement("k")
    assert await store.count("k") == 0
    await store.decrement("never-hit")
    assert await store.count("never-hit") == 0

    for _ in range(4):
        await store.hit("k", 60)
    await store.reset("k")
    assert await store.count("k") == 0
    assert await store.hit("k", 60) == 1


async def test_token_bucket_allows_up_to_capacity_then_refuses_then_refills(
    store: KeyValueStore, clock: FakeClock
) -> None:
    # Given a bucket of 5 refilling 10 points a second, which starts full
    started = time.monotonic()
    results = [await store.take("api:ann", 1, 5, 10.0) for _ in range(5)]
    assert all(r.allowed for r in results)
    assert [r.remaining for r in results] == [4, 3, 2, 1, 0]
    assert all(r.retry_after == 0 for r in results)

    # When it is empty, a point is refused, taking nothing, with the time one point takes
    refused = await store.take("api:ann", 1, 5, 10.0)
    assert not refused.allowed
    assert refused.remaining == 0
    assert 0 < refused.retry_after <= 0.1
    # a bigger cost waits longer, in proportion
    big = await store.take("api:ann", 3, 5, 10.0)
    assert not big.allowed
    assert 0.2 < big.retry_after <= 0.3

    # Then it refills over time
    if isinstance(store, MemoryStore):
        assert refused.retry_after == pytest.approx(0.1)
        assert big.retry_after == pytest.approx(0.3)
        clock.advance(0.199)
        assert not (await store.take("api:ann", 2, 5, 10.0)).allowed
        clock.advance(0.051)
        again = await store.take("api:ann", 2, 5, 10.0)
        assert again.allowed
        assert again.remaining == 0
    else:
        # Redis's clock: ask until the 2 points are there; at 10 a second, no sooner, no more.
        taken: list[BucketResult] = []

        async def refilled() -> bool:
            taken.append(await store.take("api:ann", 2, 5, 10.0))
            return taken[-1].allowed

        await eventually(refilled, what="the refill")
        again = taken[-1]
        waited = time.monotonic() - started
        assert waited >= 0.2
        assert again.remaining <= max(0, math.floor(waited * 10) - 2)
    assert not (await store.take("api:bob", 5, 5, 10.0)).retry_after  # other keys are full


async def test_cost_above_capacity_is_never_allowed(store: KeyValueStore) -> None:
    result = await store.take("api:ann", 6, 5, 10.0)
    assert not result.allowed
    assert result.remaining == 5  # nothing was taken
    assert result.retry_after == pytest.approx(0.5)  # capacity / refill: finite, positive
    assert (await store.take("api:ann", 5, 5, 10.0)).allowed


async def test_concurrent_takes_allow_exactly_the_capacity(store: KeyValueStore) -> None:
    results = await asyncio.gather(*(store.take("burst", 1, 20, 0.001) for _ in range(50)))
    assert sum(r.allowed for r in results) == 20
    assert all(r.retry_after > 0 for r in results if not r.allowed)


async def test_idle_state_expires(store: KeyValueStore, prefix: str, clock: FakeClock) -> None:
    await store.take("idle", 1, 2, 10.0)
    await store.hit("idle", 5)
    if isinstance(store, RedisStore):
        admin = Redis.from_url(require_env("HELLO_TEST_REDIS_URL"))
        try:
            # the bucket lives only until it would be full again (0.1 s), plus a margin
            assert 0 < await admin.pttl(f"{prefix}bucket:idle") <= 1100
            assert 4000 < await admin.pttl(f"{prefix}count:idle") <= 5000
        finally:
            await admin.aclose()
    else:
        assert isinstance(store, MemoryStore)
        store._next_purge = 0  # force the periodic sweep on the next call
        clock.advance(0.1)  # the bucket is full again: 1 point at 10 a second
        await store.count("other")
        assert "idle" not in store._buckets  # full again: swept
        assert "idle" in store._counters  # window still open: kept


async def test_ping(store: KeyValueStore) -> None:
    assert await store.ping()


async def test_redis_store_throttles_per_process_while_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kv = RedisStore("redis://127.0.0.1:1/0", socket_timeout=0.5)
    try:
        assert not await kv.ping()
        # Counters and buckets fall back to this process's own, and say so.
        assert await kv.hit("k", 60) == 1
        assert await kv.hit("k", 60) == 2
        assert await kv.count("k") == 2
        first = await kv.take("b", 2, 3, 1.0)
        second = await kv.take("b", 2, 3, 1.0)
        assert (first.allowed, second.allowed) == (True, False)
        assert second.retry_after > 0
        assert kv.degraded
        assert "throttles are per process" in caplog.text
        # Shared values (presence) are not faked per process.
        with pytest.raises(StoreUnavailable):
            await kv.put("v", "1", 10)
    finally:
        await kv.close()


# -- take_all: every bucket of a request in one step ------------------------------------------


async def test_take_all_takes_from_every_bucket_or_from_none(store: KeyValueStore) -> None:
    from adapters.kv import Bucket

    # Given a roomy bucket and a small one (slow refill: nothing refills during the test)
    roomy, small = Bucket("all:roomy", 100, 0.001), Bucket("all:small", 10, 0.001)
    # When a cost both hold is taken
    first = await store.take_all([roomy, small], 8)
    # Then both lose it
    assert [(r.allowed, r.remaining) for r in first] == [(True, 92), (True, 2)]
    # When a cost only the roomy one holds is asked
    refused = await store.take_all([roomy, small], 5)
    # Then neither loses anything, and the small one says how long it needs
    assert [r.allowed for r in refused] == [False, False]
    assert [r.remaining for r in refused] == [92, 2]
    assert refused[0].retry_after == 0.0
    assert refused[1].retry_after == pytest.approx(3 / 0.001, rel=0.01)
    again = await store.take_all([roomy, small], 2)
    assert [(r.allowed, r.remaining) for r in again] == [(True, 90), (True, 0)]
    # And a single bucket is the same bucket ``take`` meters
    assert (await store.take("all:roomy", 90, 100, 0.001)).remaining == 0


async def test_take_all_refills_each_bucket_at_its_own_rate(clock: FakeClock) -> None:
    from adapters.kv import Bucket

    kv = MemoryStore(clock=clock)
    fast, slow = Bucket("r:fast", 10, 10.0), Bucket("r:slow", 10, 1.0)
    assert all(r.allowed for r in await kv.take_all([fast, slow], 10))
    clock.advance(0.5)  # fast has 5 again, slow 0.5
    refused = await kv.take_all([fast, slow], 1)
    assert [r.allowed for r in refused] == [False, False]
    assert refused[1].retry_after == pytest.approx(0.5)
    clock.advance(0.5)  # fast full, slow 1
    taken = await kv.take_all([fast, slow], 1)
    assert [(r.allowed, r.remaining) for r in taken] == [(True, 9), (True, 0)]
