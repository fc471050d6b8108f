"""A broadcaster backend for Redis pub/sub that confirms subscriptions and reconnects.

broadcaster 0.3.1's own ``RedisBackend`` returns from ``subscribe()`` before Redis has confirmed
the SUBSCRIBE (an event published right after can be lost) and never reconnects after the
connection drops (every subscriber goes silent for good). This one owns a single pub/sub
connection read by one task, which:

- resolves a per-channel future when the server's ``subscribe`` confirmation arrives, so
  ``subscribe()`` returns only once delivery is guaranteed;
- on a dropped connection reconnects with exponential back-off (0.1 s doubling to 5 s, with
  jitter), re-subscribes every channel still wanted and logs the outage on ``hello.bus``;
- pings the server when the connection has been idle, so a half-open socket is noticed.

Publishing goes through an ordinary client with socket timeouts, and raises ``BusUnavailable``
while Redis is unreachable instead of hanging (the bus keeps and retries it). Pub/sub is
at-most-once: events published while the connection is down are lost, so the reader tells the
bus about the gap, among the events in the order it saw them: ``Link.LOST`` when the connection
drops, ``Link.SUBSCRIBED`` for each channel confirmed (again). Subscribers catch up from the
database in between (``adapters/bus.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any, cast

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.bus import BusUnavailable, Link
from adapters.redis_batch import Batcher

__all__ = ["BusUnavailable", "RedisBackend"]

log = logging.getLogger("hello.bus")

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_FIRST_DELAY = 0.1
# Reconnecting is cheap and bounds how long live delivery lags once Redis is back.
_MAX_DELAY = 2.0


class RedisBackend(BroadcastBackend):
    def __init__(
        self,
        url: str,
        *,
        client_name: str | None = None,
        socket_timeout: float = 5.0,
        subscribe_timeout: float = 10.0,
        health_check_interval: float = 15.0,
    ) -> None:
        self._socket_timeout = socket_timeout
        self._subscribe_timeout = subscribe_timeout
        self._idle = health_check_interval
        self._publisher = Redis(
            connection_pool=BlockingConnectionPool.from_url(
                url,
                # Publishers past this wait for a connection rather than fail.
                max_connections=50,
                timeout=socket_timeout,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                # One quick retry replaces a pooled connection that died with the server;
                # more would only delay the BusUnavailable the caller gets anyway.
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
            )
        )
        # Every request that writes publishes: concurrent publishes share a pipeline.
        self._batch = Batcher(self._publisher)
        # The pub/sub connection is ours alone (not borrowed through redis-py's PubSub, whose
        # hidden reconnect-and-resubscribe would race our own bookkeeping). No retries inside
        # redis-py: the reader's loop owns back-off. redis-py's health check must stay off, it
        # would read (and drop) our pub/sub messages while waiting for its PONG.
        self._pool = ConnectionPool.from_url(
            url,
            client_name=client_name,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            socket_keepalive=True,
            health_check_interval=0,
            retry=Retry(NoBackoff(), 0),
        )
        self._conn = self._pool.make_connection()
        self._wanted: set[str] = set()
        self._confirmed: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        # UNSUBSCRIBEs sent but not yet acknowledged, per channel. A 'subscribe' reply that
        # precedes one of them belongs to an older SUBSCRIBE and must not confirm a newer one.
        self._unsub_pending: dict[str, int] = {}
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._send_lock = asyncio.Lock()
        self._up = asyncio.Event()
        self._up_since = 0.0
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        if self._reader is None:
            self._reader = asyncio.create_task(self._run(), name="hello.bus.redis-reader")
        # Give the first connection a moment so startup is deterministic; if Redis is down the
        # reader keeps trying in the background and ping() reports not ready.
        try:
            await asyncio.wait_for(self._up.wait(), self._socket_timeout)
        except TimeoutError:
            log.warning("Redis pub/sub not reachable at startup; retrying in the background")

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        self._up.clear()
        for futures in self._waiters.values():
            for fut in futures:
                if not fut.done():
                    fut.set_exception(BusUnavailable("the event bus was disconnected"))
        self._waiters.clear()
        self._wanted.clear()
        self._confirmed.clear()
        await self._conn.disconnect()
        await self._batch.close()
        await self._publisher.aclose()
        await self._pool.disconnect()

    @property
    def connected(self) -> bool:
        """The pub/sub connection is up (its channels may still await confirmation)."""
        return self._up.is_set()

    @property
    def up_since(self) -> float | None:
        """When (``time.monotonic()``) the pub/sub connection came up; None while it is down."""
        return self._up_since if self._up.is_set() else None

    def is_confirmed(self, channel: str) -> bool:
        return channel in self._confirmed

    async def subscribe(self, channel: str) -> None:
        """Return once Redis confirmed the channel. While the connection is down this waits for
        the reconnection (the bus does not wait: it degrades the subscriber); it gives up with
        ``BusUnavailable`` only if Redis stays up and silent for ``subscribe_timeout``."""
        if channel in self._confirmed:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(fut)
        if channel not in self._wanted:
            self._wanted.add(channel)
            # When the connection is down the reader re-subscribes everything in _wanted once
            # it is back, so not sending here loses nothing. Shielded: a waiter cancelled
            # mid-write would leave the connection's protocol state torn.
            await asyncio.shield(self._send("SUBSCRIBE", channel))
        try:
            while True:
                try:
                    await asyncio.wait_for(asyncio.shield(fut), self._subscribe_timeout)
                    return
                except TimeoutError:
                    up_for = time.monotonic() - self._up_since
                    if self._up.is_set() and up_for >= self._subscribe_timeout:
                        raise BusUnavailable(f"Redis did not confirm SUBSCRIBE {channel}") from None
        finally:
            # On timeout or cancellation the channel stays wanted: other callers may rely on it,
            # and whoever gave up calls unsubscribe(), as with any broadcaster backend.
            waiters = self._waiters.get(channel)
            if waiters is not None and fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    del self._waiters[channel]

    async def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        self._confirmed.discard(channel)
        await self._send("UNSUBSCRIBE", channel)

    async def publish(self, channel: str, message: Any) -> None:
        try:
            await self._batch.execute("PUBLISH", channel, message)
        except _UNREACHABLE as exc:
            raise BusUnavailable(f"Redis is unreachable: {exc}") from exc

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def ping(self) -> bool:
        """Ready when both the publishing client and the pub/sub connection are up."""
        if not self._up.is_set():
            return False
        try:
            return bool(await self._publisher.ping())
        except RedisError:
            return False

    async def _send(self, *args: str) -> None:
        async with self._send_lock:
            # Checked under the lock: redis-py would silently reconnect a closed connection
            # inside send_command, behind the reader's back.
            if not self._up.is_set() or not self._conn.is_connected:
                return
            if args[0] == "UNSUBSCRIBE":
                self._unsub_pending[args[1]] = self._unsub_pending.get(args[1], 0) + 1
            # On failure the reader sees the same broken connection, reconnects and
            # re-subscribes _wanted, so there is nothing to do here.
            with contextlib.suppress(*_UNREACHABLE):
                await self._conn.send_command(*args, check_health=False)

    async def _run(self) -> None:
        delay = _FIRST_DELAY
        down_since: float | None = None
        while True:
            try:
                await self._conn.connect()
                async with self._send_lock:
                    # Snapshot and go-live under the lock: a concurrent subscribe() either is
                    # in this SUBSCRIBE or sends its own after us, never neither.
                    self._confirmed.clear()
                    self._unsub_pending.clear()
                    if self._wanted:
                        await self._conn.send_command(
                            "SUBSCRIBE", *self._wanted, check_health=False
                        )
                    self._up_since = time.monotonic()
                    self._up.set()
                if down_since is not None:
                    log.warning(
                        "Redis pub/sub connection restored after %.1f s; re-subscribed %d channels",
                        time.monotonic() - down_since,
                        len(self._wanted),
                    )
                    down_since = None
                delay = _FIRST_DELAY
                await self._read_until_broken()
            except _UNREACHABLE as exc:
                if down_since is None:
                    down_since = time.monotonic()
                    log.warning("Redis pub/sub connection lost (%s); reconnecting", exc)
                else:
                    log.debug("Redis pub/sub reconnect failed (%s); next try in %.1f s", exc, delay)
            except Exception:
                # Anything else is a bug or a protocol surprise; a dead reader would silence
                # every subscriber, so log it and go round again like any outage.
                down_since = down_since or time.monotonic()
                log.exception("Redis pub/sub reader failed; reconnecting")
            finally:
                if self._up.is_set():
                    # Among the events, so the bus sees it after everything read before it.
                    self._queue.put_nowait(_marker("", Link.LOST))
                self._up.clear()
                # Nothing is confirmed on a dead connection: subscribe() must wait for the
                # re-subscription rather than return at once.
                self._confirmed.clear()
                await self._conn.disconnect(nowait=True)
            await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, _MAX_DELAY)

    async def _read_until_broken(self) -> None:
        ping_sent = False
        while True:
            try:
                reply = await self._conn.read_response(timeout=self._idle, push_request=True)
            except ResponseError as exc:
                # An error reply (e.g. an ACL refusing a channel) is consumed; the waiter for
                # that channel times out with BusUnavailable.
                log.error("Redis refused a pub/sub command: %s", exc)
                continue
            if reply is None:
                if ping_sent:
                    raise RedisTimeoutError("no PONG from Redis on the pub/sub connection")
                await self._send("PING")
                ping_sent = True
                continue
            ping_sent = False
            await self._handle(reply)

    async def _handle(self, reply: Any) -> None:
        # RESP2 and RESP3 both give [kind, channel, data] for pub/sub replies; PONG is
        # b"PONG" (RESP3) or [b"pong", b""] (RESP2).
        if not isinstance(reply, list) or len(reply) < 3:
            return
        kind = _text(reply[0])
        channel = _text(reply[1])
        if kind == "message":
            self._queue.put_nowait(Event(channel=channel, message=_text(reply[2])))
        elif kind == "subscribe":
            if self._unsub_pending.get(channel, 0):
                return
            if channel not in self._wanted:
                # Confirmation for a channel given up on meanwhile: undo it.
                await self._send("UNSUBSCRIBE", channel)
                return
            self._confirmed.add(channel)
            self._queue.put_nowait(_marker(channel, Link.SUBSCRIBED))
            for fut in self._waiters.pop(channel, []):
                if not fut.done():
                    fut.set_result(None)
        elif kind == "unsubscribe":
            left = self._unsub_pending.get(channel, 0) - 1
            if left > 0:
                self._unsub_pending[channel] = left
            else:
                self._unsub_pending.pop(channel, None)


def _marker(channel: str, link: Link) -> Event:
    # broadcaster types a message as str; the bus tells a Link from an event by its type.
    return Event(channel=channel, message=cast(Any, link))


def _text(value: Any) -> str:
    # errors="replace": a foreign publisher's bad bytes must not crash the reader; the bus
    # drops what it cannot decode as JSON.
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
