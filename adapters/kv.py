"""Counters and token buckets: in-process when embedded, Redis at scale, one interface.

Counters are fixed-window hit counts (sign-in failures, ...): the window starts with the first
hit and the key expires with it. Token buckets meter cost points (rate limits): a bucket starts
full, refills continuously and vanishes once it would be full again, so idle keys cost nothing.

A ``cost`` greater than ``capacity`` can never be allowed. Such a call returns
``allowed=False`` with ``retry_after = capacity / refill_per_second`` (the time a full refill
takes): finite and positive, so a client that retries anyway backs off sensibly; callers should
reject such a request outright rather than ask it to wait. ``inf`` would break Retry-After
headers, and 0 would invite a hot retry loop.

Redis down: counters and buckets (the throttles) fall back to a per-process ``MemoryStore``
rather than fail, so nobody is stopped by an outage; each process then allows its own full
quota, and the fallback is logged and shown by ``/readyz`` (``RedisStore.degraded``). Plain
values (``put``/``get_many``/``forget``: presence) still raise ``StoreUnavailable``: a
per-process copy of shared state would be wrong, not merely looser.
"""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.aio import shielded
from adapters.redis_batch import Batcher

log = logging.getLogger("hello.kv")


class StoreUnavailable(Exception):
    """The store's backend (Redis) cannot be reached; the caller picks fail-open or closed."""


@dataclass(frozen=True)
class BucketResult:
    allowed: bool
    remaining: int
    retry_after: float
    """Seconds until ``cost`` points are available; 0 when allowed."""


@dataclass(frozen=True)
class Bucket:
    """One token bucket of ``take_all``: its key, its size and how fast it refills."""

    key: str
    capacity: int
    refill_per_second: float


def _check_bucket(cost: int, capacity: int, refill_per_second: float) -> None:
    if cost < 0 or capacity < 1 or refill_per_second <= 0:
        raise ValueError("need cost >= 0, capacity >= 1 and refill_per_second > 0")


class KeyValueStore(ABC):
    @abstractmethod
    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one hit atomically; the first hit starts a window of ``window_seconds``."""

    @abstractmethod
    async def decrement(self, key: str) -> None:
        """Undo one hit (never below 0)."""

    @abstractmethod
    async def reset(self, key: str) -> None:
        """Forget the key's counter and its token bucket."""

    @abstractmethod
    async def count(self, key: str) -> int: ...

    async def take(
        self, key: str, cost: int, capacity: int, refill_per_second: float
    ) -> BucketResult:
        """Take ``cost`` points from the bucket if it holds them, else take nothing."""
        return (await self.take_all([Bucket(key, capacity, refill_per_second)], cost))[0]

    @abstractmethod
    async def take_all(self, buckets: list[Bucket], cost: int) -> list[BucketResult]:
        """Take ``cost`` points from every bucket if each holds them, else from none: one
        atomic step (one Redis round trip). A result per bucket, in order; where one refuses,
        ``allowed`` is False in every result, and each one's ``retry_after`` says how long it
        alone needs."""

    @abstractmethod
    async def put(self, key: str, value: str, ttl_seconds: float) -> None:
        """Store a plain value that vanishes after ``ttl_seconds`` (presence and the like)."""

    @abstractmethod
    async def get_many(self, keys: list[str]) -> list[str | None]:
        """The values ``put`` stored under ``keys``, None where absent or expired."""

    @abstractmethod
    async def forget(self, key: str) -> None:
        """Drop a value stored with ``put``."""

    @abstractmethod
    async def ping(self) -> bool: ...

    @property
    def degraded(self) -> bool:
        """True while the throttles count per process (Redis unreachable)."""
        return False

    @abstractmethod
    async def close(self) -> None: ...


class MemoryStore(KeyValueStore):
    """One process's store. Every method runs without awaiting, so each is atomic."""

    PURGE_INTERVAL = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        # Seconds, monotonic. A parameter so that tests move time instead of sleeping.
        self._clock = clock
        self._counters: dict[str, tuple[int, float]] = {}  # key -> (count, expires_at)
        # key -> (tokens, updated_at, full_at); past full_at the bucket is full, like no bucket
        self._buckets: dict[str, tuple[float, float, float]] = {}
        self._values: dict[str, tuple[str, float]] = {}  # key -> (value, expires_at)
        self._next_purge = clock() + self.PURGE_INTERVAL

    def _now(self) -> float:
        now = self._clock()
        if now >= self._next_purge:
            # A sweep every minute bounds memory to the keys touched within about a minute;
            # its O(n) cost is spread over every call made in between.
            self._next_purge = now + self.PURGE_INTERVAL
            self._counters = {k: v for k, v in self._counters.items() if v[1] > now}
            self._buckets = {k: v for k, v in self._buckets.items() if v[2] > now}
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
        return now

    def _live_count(self, key: str, now: float) -> int:
        entry = self._counters.get(key)
        if entry is None or entry[1] <= now:
            return 0
        return entry[0]

    async def hit(self, key: str, window_seconds: int) -> int:
        now = self._now()
        entry = self._counters.get(key)
        if entry is None or entry[1] <= now:
            entry = (0, now + window_seconds)
        count = entry[0] + 1
        self._counters[key] = (count, entry[1])
        return count

    async def decrement(self, key: str) -> None:
        now = self._now()
        count = self._live_count(key, now)
        if count > 0:
            self._counters[key] = (count - 1, self._counters[key][1])

    async def reset(self, key: str) -> None:
        self._counters.pop(key, None)
        self._buckets.pop(key, None)

    async def count(self, key: str) -> int:
        return self._live_count(key, self._now())

    async def take_all(self, buckets: list[Bucket], cost: int) -> list[BucketResult]:
        for b in buckets:
            _check_bucket(cost, b.capacity, b.refill_per_second)
        now = self._now()
        levels = []
        for b in buckets:
            tokens, updated, _ = self._buckets.get(b.key, (float(b.capacity), now, now))
            levels.append(
                min(float(b.capacity), tokens + max(0.0, now - updated) * b.refill_per_second)
            )
        allowed = all(cost <= tokens for tokens in levels)
        results = []
        for b, tokens in zip(buckets, levels, strict=True):
            capacity, rate = b.capacity, b.refill_per_second
            if allowed:
                tokens -= cost
                retry_after = 0.0
            elif cost > capacity:
                retry_after = capacity / rate
            else:
                retry_after = max(0.0, cost - tokens) / rate
            if tokens >= capacity:
                self._buckets.pop(b.key, None)  # a full bucket is the same as no bucket
            else:
                self._buckets[b.key] = (tokens, now, now + (capacity - tokens) / rate)
            results.append(BucketResult(allowed, math.floor(tokens), retry_after))
        return results

    async def put(self, key: str, value: str, ttl_seconds: float) -> None:
        self._values[key] = (value, self._now() + ttl_seconds)

    async def get_many(self, keys: list[str]) -> list[str | None]:
        now = self._now()
        found = [self._values.get(k) for k in keys]
        return [v[0] if v is not None and v[1] > now else None for v in found]

    async def forget(self, key: str) -> None:
        self._values.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._counters.clear()
        self._buckets.clear()
        self._values.clear()


# INCR and PEXPIRE in one script, so a crash between them cannot leave a counter that never
# expires. The PTTL check also repairs a key that somehow lost its expiry.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
"""

# DECR keeps the key's expiry; the guard keeps the count from going below 0 and does not
# create a key that does not exist.
_DECREMENT = """
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""

# The token buckets of a request at once (the principal's, its app's, its organization's; or
# one, for ``take``): each is refilled, then ``cost`` is taken from all of them or from none.
# Redis server TIME, not the callers' clocks, which differ between hosts. Numbers go back as
# strings: Lua numbers become truncated integers in Redis replies. ARGV: cost, then capacity and
# rate per key. Replies: allowed, then tokens and retry per key.
_TAKE_ALL = """
local cost = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local levels = {}
local allowed = 1
for i, key in ipairs(KEYS) do
    local capacity = tonumber(ARGV[2 * i])
    local rate = tonumber(ARGV[2 * i + 1])
    local state = redis.call('HMGET', key, 'tokens', 'ts')
    local tokens = tonumber(state[1])
    local ts = tonumber(state[2])
    if tokens == nil or ts == nil then
        tokens = capacity
        ts = now
    end
    if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate) end
    levels[i] = tokens
    if cost > tokens then allowed = 0 end
end
local reply = {allowed}
for i, key in ipairs(KEYS) do
    local capacity = tonumber(ARGV[2 * i])
    local rate = tonumber(ARGV[2 * i + 1])
    local tokens = levels[i]
    local retry = 0
    if allowed == 1 then
        tokens = tokens - cost
    elseif cost > capacity then
        retry = capacity / rate
    elseif cost > tokens then
        retry = (cost - tokens) / rate
    end
    if tokens >= capacity then
        redis.call('DEL', key)
    else
        redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
    end
    reply[2 * i] = tostring(tokens)
    reply[2 * i + 1] = tostring(retry)
end
return reply
"""

# MaxConnectionsError (a pool exhausted for the whole timeout) is a ConnectionError too.
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
T = TypeVar("T")


async def _guarded(awaitable: Awaitable[T]) -> T:
    try:
        return await shielded(awaitable)
    except _UNREACHABLE as exc:
        raise StoreUnavailable(str(exc)) from exc


async def _unreachable_as_unavailable(awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except _UNREACHABLE as exc:
        raise StoreUnavailable(str(exc)) from exc


class RedisStore(KeyValueStore):
    """Shared by every process; each operation is a single atomic command or script. The
    throttles fall back to this process's own buckets while Redis is unreachable."""

    # After a failure, Redis is tried again only this much later: a send must not wait for a
    # connect timeout each time while Redis is away.
    RETRY_SECONDS = 1.0

    def __init__(
        self,
        url: str,
        prefix: str = "hello:",
        *,
        socket_timeout: float = 5.0,
        max_connections: int = 50,
    ) -> None:
        # A blocking pool: past max_connections callers wait their turn (up to the socket
        # timeout) instead of failing, as redis-py's default pool does past 100.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=socket_timeout,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
        )
        self._redis = Redis(connection_pool=pool)
        self._prefix = prefix
        # register_script runs EVALSHA and falls back to EVAL (loading the script) on NOSCRIPT.
        self._hit = self._redis.register_script(_HIT)
        self._decrement = self._redis.register_script(_DECREMENT)
        self._take_all = self._redis.register_script(_TAKE_ALL)
        # Token buckets are taken on every request: concurrent ones share a pipeline.
        self._batch = Batcher(self._redis)
        self._local = MemoryStore()
        self._down_since: float | None = None
        self._next_try = 0.0

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    async def _throttle(
        self,
        remote: Callable[[], Awaitable[T]],
        local: Callable[[], Awaitable[T]],
        *,
        batched: bool = False,
    ) -> T:
        if self._down_since is not None and time.monotonic() < self._next_try:
            return await local()
        try:
            # A batched command runs in the batch's own task, so needs no shield.
            result = await (
                _unreachable_as_unavailable(remote()) if batched else _guarded(remote())
            )
        except StoreUnavailable as exc:
            now = time.monotonic()
            self._next_try = now + self.RETRY_SECONDS
            if self._down_since is None:
                self._down_since = now
                log.warning(
                    "Redis unreachable (%s): throttles are per process until it is back", exc
                )
            return await local()
        if self._down_since is not None:
            log.warning(
                "Redis reachable again after %.1f s: throttles are shared again",
                time.monotonic() - self._down_since,
            )
            self._down_since = None
            # Counts from the outage start afresh in Redis; the local ones are forgotten.
            await self._local.close()
        return result

    # Counters and buckets live in separate key spaces, so the same key used for both
    # cannot collide with a WRONGTYPE error.
    def _ckey(self, key: str) -> str:
        return f"{self._prefix}count:{key}"

    def _bkey(self, key: str) -> str:
        return f"{self._prefix}bucket:{key}"

    def _vkey(self, key: str) -> str:
        return f"{self._prefix}value:{key}"

    async def hit(self, key: str, window_seconds: int) -> int:
        async def remote() -> int:
            return int(await self._hit(keys=[self._ckey(key)], args=[window_seconds * 1000]))

        return await self._throttle(remote, lambda: self._local.hit(key, window_seconds))

    async def decrement(self, key: str) -> None:
        async def remote() -> None:
            await self._decrement(keys=[self._ckey(key)])

        await self._throttle(remote, lambda: self._local.decrement(key))

    async def reset(self, key: str) -> None:
        async def remote() -> None:
            await self._redis.delete(self._ckey(key), self._bkey(key))

        await self._throttle(remote, lambda: self._local.reset(key))

    async def count(self, key: str) -> int:
        async def remote() -> int:
            value = await self._redis.get(self._ckey(key))
            return int(value) if value is not None else 0

        return await self._throttle(remote, lambda: self._local.count(key))

    async def take_all(self, buckets: list[Bucket], cost: int) -> list[BucketResult]:
        for b in buckets:
            _check_bucket(cost, b.capacity, b.refill_per_second)

        async def remote() -> list[BucketResult]:
            keys = [self._bkey(b.key) for b in buckets]
            args: list[str | int] = [cost]
            for b in buckets:
                args += [b.capacity, repr(float(b.refill_per_second))]
            try:
                reply = await self._batch.execute(
                    "EVALSHA", self._take_all.sha, len(keys), *keys, *args
                )
            except NoScriptError:
                reply = await self._take_all(keys=keys, args=args)  # loads it, then runs it
            allowed = bool(reply[0])
            return [
                BucketResult(allowed, math.floor(float(reply[2 * i + 1])), float(reply[2 * i + 2]))
                for i in range(len(buckets))
            ]

        return await self._throttle(
            remote, lambda: self._local.take_all(buckets, cost), batched=True
        )

    async def put(self, key: str, value: str, ttl_seconds: float) -> None:
        ttl_ms = max(1, math.ceil(ttl_seconds * 1000))
        await _guarded(self._redis.set(self._vkey(key), value, px=ttl_ms))

    async def get_many(self, keys: list[str]) -> list[str | None]:
        if not keys:
            return []
        values = await _guarded(self._redis.mget([self._vkey(k) for k in keys]))
        return [v.decode() if isinstance(v, bytes) else v for v in values]

    async def forget(self, key: str) -> None:
        await _guarded(self._redis.delete(self._vkey(key)))

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def close(self) -> None:
        await self._batch.close()
        await self._redis.aclose()
        await self._local.close()


def create_store(redis_url: str | None, prefix: str = "hello:") -> KeyValueStore:
    if not redis_url or redis_url.startswith("memory://"):
        return MemoryStore()
    return RedisStore(redis_url, prefix)
