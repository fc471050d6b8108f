"""The event bus: live events from writers to subscribers, in one process or across many.

A thin fan-out of our own over a broadcaster *backend* (``memory://`` in-process, ``redis://``
across processes through ``adapters.redis_backend``). broadcaster's ``Broadcast`` class is not
used: concurrent first subscribers to a channel overwrite each other's registration, its
per-subscriber queues are unbounded, and its listener awaits ``queue.put`` so one slow
subscriber stalls every other one. Here:

- one listener task reads the backend and ``put_nowait``s into bounded per-subscriber buffers;
  a subscriber that falls ``queue_size`` events behind is cut off with ``SubscriberOverflow``
  (its buffer is dropped) instead of slowing anyone down;
- the backend subscribes once per channel, and every concurrent subscriber waits for that
  confirmation, so an event published after ``async with bus.subscribe(ch)`` is entered is
  delivered; the backend unsubscribes when the last subscriber leaves.

Redis is an accelerator, not the source of truth (README, "Running at scale"), so an outage
must lose nothing that the database holds:

- a publish that Redis refuses is kept, in order, and retried in the background until it goes
  through, so the caller (a committed write) never fails or waits for Redis;
- a backend marks the stream with ``Link`` markers: ``LOST`` when its connection drops,
  ``SUBSCRIBED`` when a channel is (re)confirmed. Subscribers of the channel are *degraded*
  between the two, and a subscription opened while the backend is down starts degraded instead
  of failing. A subscription opened with ``poll_seconds`` then yields ``CATCH_UP`` every
  ``poll_seconds`` (jittered) while degraded and once more when its channel is confirmed again;
  its owner re-reads from the database what it may have missed (``subscriptions/core.py``).
  A channel's subscribers in one process poll on one clock, so their reads can be shared.

Events are dicts, orjson-encoded on the wire. A delivered dict is shared by every subscriber
of the channel: treat it as read-only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import orjson
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend

from adapters.bus_stream import CATCH_UP, CatchUp, Link, SubscriberOverflow, Subscription, Ticks

__all__ = [
    "CATCH_UP",
    "BusUnavailable",
    "CatchUp",
    "EventBus",
    "Link",
    "SubscriberOverflow",
    "Subscription",
]

log = logging.getLogger("hello.bus")


class BusUnavailable(Exception):
    """The bus cannot reach its backend (Redis down, or the bus is closed)."""


# A publish Redis refused waits here, in order; past this many the oldest are dropped (their
# subscribers still catch up from the database when their own bus reconnects).
PENDING_LIMIT = 100_000


class _Channel:
    """One channel's subscribers and the backend (un)subscription serving them."""

    def __init__(self, ready: asyncio.Task[None]) -> None:
        self.subscribers: set[Subscription] = set()
        self.ready = ready  # the backend subscribe; every subscriber awaits it
        self.leaving: asyncio.Task[None] | None = None  # the backend unsubscribe, once started
        self.ticks = Ticks()  # when its degraded subscribers poll (bus_stream.Ticks)


class EventBus:
    def __init__(
        self, url: str | None = None, *, prefix: str = "hello:", queue_size: int = 1000
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._prefix = prefix
        self._queue_size = queue_size
        self._backend = self._make_backend(url, prefix)
        self._channels: dict[str, _Channel] = {}
        self._listener: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._open = False
        self._pending: deque[tuple[str, str]] = deque()  # (backend channel, message)
        self._pending_added = asyncio.Event()
        self.dropped = 0  # pending publishes given up (past PENDING_LIMIT)
        self._opened_at = 0.0

    @staticmethod
    def _make_backend(url: str | None, prefix: str) -> BroadcastBackend:
        if not url or url.startswith("memory://"):
            return MemoryBackend(url or "memory://")
        if url.startswith(("redis://", "rediss://")):
            # Imported here: the embedded setup never needs the Redis client.
            from adapters.redis_backend import RedisBackend

            # Named, so operators (and tests) can find this process's pub/sub connection in
            # CLIENT LIST; a name cannot contain spaces.
            return RedisBackend(url, client_name="".join(prefix.split()) + "bus")
        raise ValueError(f"unsupported event bus URL scheme: {url.split(':', 1)[0]}")

    async def connect(self) -> None:
        if self._open:
            return
        await self._backend.connect()
        self._open = True
        self._opened_at = time.monotonic()
        self._listener = asyncio.create_task(self._supervise(), name="hello.bus.listener")
        self._flusher = asyncio.create_task(self._flush(), name="hello.bus.retry")

    async def disconnect(self, *, drain_seconds: float = 2.0) -> None:
        """Stop the bus; every open subscription ends cleanly (its iterator stops). Publishes
        still waiting for Redis get ``drain_seconds`` to go out (a SIGTERM drains them)."""
        if self._open and self._pending and self._flusher is not None:
            deadline = time.monotonic() + drain_seconds
            while self._pending and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if self._pending:
                log.error("event bus: %d publishes not sent before shutdown", len(self._pending))
        self._open = False
        for task in (self._listener, self._flusher):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._listener = self._flusher = None
        channels, self._channels = self._channels, {}
        for entry in channels.values():
            entry.ready.cancel()
            for sub in entry.subscribers:
                sub._close()
        await self._backend.disconnect()

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        """Send ``event`` (a dict, typed or not) to the channel's subscribers on every process.
        Never fails nor waits for an unreachable Redis: the event is then kept and retried in
        order (see the module doc); only a closed bus raises ``BusUnavailable``."""
        if not self._open:
            raise BusUnavailable("the event bus is not connected")
        key, message = self._prefix + channel, orjson.dumps(event).decode()
        # Behind events already waiting, or while the backend is known down: queue, in order.
        if not self._pending and self._backend_up():
            try:
                await self._backend.publish(key, message)
                return
            except Exception as exc:
                log.warning("publishing on %r failed (%s); retrying in the background", key, exc)
        if len(self._pending) >= PENDING_LIMIT:
            self._pending.popleft()
            self.dropped += 1
            log.error(
                "event bus: %d publishes waiting for Redis; dropped the oldest", PENDING_LIMIT
            )
        self._pending.append((key, message))
        self._pending_added.set()

    def subscribe(
        self, channel: str, *, poll_seconds: float | None = None
    ) -> AbstractAsyncContextManager[Subscription]:
        """Enter to subscribe; entering returns once the backend has confirmed the channel, or
        at once, degraded, while the backend is down. ``poll_seconds``: see the module doc."""
        return _Subscribing(self, Subscription(channel, self._queue_size, poll_seconds))

    async def ready(self) -> bool:
        if not self._open or self._listener is None or self._listener.done():
            return False
        ping = getattr(self._backend, "ping", None)
        return True if ping is None else bool(await ping())

    def link_since(self, channel: str) -> float | None:
        """Since when (``time.monotonic()``) this process has heard every event on ``channel``
        without a break: the backend's connection is up, has been since then, and the channel
        is confirmed on it. None while it is not (not subscribed, not yet confirmed, the
        connection lost). What was published on the channel since then has reached this
        process's subscribers, or is in their buffers."""
        entry = self._channels.get(channel)
        if not self._open or entry is None or not self._confirmed(self._prefix + channel, entry):
            return None
        if not hasattr(self._backend, "up_since"):
            return self._opened_at  # the memory backend has no connection to lose
        up_since = self._backend.up_since
        return None if up_since is None else float(up_since)

    @property
    def pending(self) -> int:
        """Publishes waiting for Redis to come back."""
        return len(self._pending)

    def subscriber_count(self, channel: str) -> int:
        """The listeners of a channel in this process (a subscription shared by several counts
        as many, ``Subscription.weight``)."""
        entry = self._channels.get(channel)
        return sum(sub.weight for sub in entry.subscribers) if entry else 0

    def _backend_up(self) -> bool:
        # The memory backend has no connection to lose.
        return bool(getattr(self._backend, "connected", True))

    def _confirmed(self, key: str, entry: _Channel) -> bool:
        ready = entry.ready
        if not ready.done() or ready.cancelled() or ready.exception() is not None:
            return False
        check = getattr(self._backend, "is_confirmed", None)
        return True if check is None else bool(check(key))

    async def _join(self, channel: str, sub: Subscription) -> _Channel:
        if not self._open:
            raise BusUnavailable("the event bus is not connected")
        key = self._prefix + channel
        while True:
            entry = self._channels.get(channel)
            if entry is None:
                # First subscriber: start the backend subscribe as a task of its own, so that
                # cancelling this caller does not cancel it for others who join meanwhile.
                task = asyncio.create_task(self._backend.subscribe(key))
                entry = _Channel(task)
                self._channels[channel] = entry
                task.add_done_callback(functools.partial(self._on_subscribed, channel, entry))
                first = True
            elif entry.leaving is not None:
                # The last subscriber is unsubscribing the backend right now; subscribing again
                # before that finished would be undone by it. Wait, then start afresh.
                await asyncio.shield(entry.leaving)
                continue
            else:
                first = False
            entry.subscribers.add(sub)
            sub.ticks = entry.ticks
            break
        if self._confirmed(key, entry):
            return entry  # the common case: nothing to wait for
        if not self._backend_up():
            # Redis is down: start degraded rather than fail; the channel stays wanted and its
            # confirmation (Link.SUBSCRIBED) tells this subscriber to catch up.
            sub._degrade()
            return entry
        try:
            # Normally the first subscriber waits for the confirmation and the others pass at
            # once; while Redis reconnects, late joiners wait for the re-subscription too. If
            # the connection drops meanwhile (Link.LOST degrades us) stop waiting, as above.
            confirm = asyncio.ensure_future(
                asyncio.shield(entry.ready) if first else self._backend.subscribe(key)
            )
            lost = asyncio.ensure_future(sub.lost().wait())
            try:
                await asyncio.wait({confirm, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                lost.cancel()
                if not confirm.done():
                    confirm.cancel()
            if not sub.degraded:
                await confirm
        except BaseException as exc:
            await self._leave(channel, entry, sub)
            me = asyncio.current_task()
            if isinstance(exc, asyncio.CancelledError) and me and not me.cancelling():
                # Not our cancellation but the subscribe's, by disconnect().
                raise BusUnavailable("the event bus was disconnected") from None
            raise
        return entry

    def _on_subscribed(self, channel: str, entry: _Channel, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is None:
            return
        # The backend subscribe failed: its waiters fail with it. Retire the entry (the backend
        # may still want the channel) and let later subscribers start afresh after that.
        if self._open and entry.leaving is None and self._channels.get(channel) is entry:
            entry.leaving = asyncio.create_task(self._retire(channel, entry))

    async def _leave(self, channel: str, entry: _Channel, sub: Subscription) -> None:
        entry.subscribers.discard(sub)
        if entry.subscribers or self._channels.get(channel) is not entry:
            return
        if entry.leaving is None:
            # Set synchronously with the check above, so a joiner arriving now sees it.
            entry.leaving = asyncio.create_task(self._retire(channel, entry))
        # Shielded: a cancelled caller must not leave the backend half unsubscribed.
        await asyncio.shield(entry.leaving)

    async def _retire(self, channel: str, entry: _Channel) -> None:
        try:
            # Let an in-flight subscribe finish first (whatever its outcome), or our
            # unsubscribe could reach the backend before it and be undone. While Redis is down
            # it would wait for the outage, so give up on it after a moment: the backend sends
            # nothing on a cancelled wait, and forgets the channel on unsubscribe.
            await asyncio.wait([entry.ready], timeout=1.0)
            entry.ready.cancel()
            if self._open:
                await self._backend.unsubscribe(self._prefix + channel)
        except Exception:
            log.exception("event bus: unsubscribing %r failed", channel)
        finally:
            if self._channels.get(channel) is entry:
                del self._channels[channel]

    async def _flush(self) -> None:
        """Send the publishes Redis refused, oldest first, backing off while it stays down."""
        delay = 0.05
        while True:
            await self._pending_added.wait()
            self._pending_added.clear()
            while self._pending:
                head = self._pending[0]
                key, message = head
                try:
                    await self._backend.publish(key, message)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.debug("event bus: retry of %r failed (%s)", key, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                delay = 0.05
                if self._pending and self._pending[0] is head:  # not dropped meanwhile
                    self._pending.popleft()
            log.info("event bus: every publish that waited for Redis is sent")

    async def _supervise(self) -> None:
        # If the listener dies the bus would silently deliver nothing; restart it, backing off
        # so a persistent fault does not spin.
        delay = 0.1
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event bus listener crashed; restarting in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _on_link(self, channel: str, link: Link) -> None:
        if link is Link.LOST:
            for entry in self._channels.values():
                for sub in entry.subscribers:
                    sub._degrade()
            return
        confirmed = self._channels.get(channel)
        if confirmed is not None:
            for sub in confirmed.subscribers:
                sub._resubscribed()

    async def _listen(self) -> None:
        while True:
            event = await self._backend.next_published()
            if not event.channel.startswith(self._prefix) and event.message is not Link.LOST:
                continue
            if isinstance(event.message, Link):
                self._on_link(event.channel[len(self._prefix) :], event.message)
                continue
            entry = self._channels.get(event.channel[len(self._prefix) :])
            if entry is None:
                continue
            try:
                payload = orjson.loads(event.message)
            except orjson.JSONDecodeError:
                log.error("event bus: dropped an undecodable event on %r", event.channel)
                continue
            for sub in tuple(entry.subscribers):
                sub._deliver(payload)
            # Give readers a turn between events. The memory backend's publish never yields,
            # so a publisher's burst reaches us all at once; without this, subscribers that
            # would have kept up get no chance to read and overflow.
            await asyncio.sleep(0)


class _Subscribing:
    """``EventBus.subscribe``'s context: a class rather than an ``asynccontextmanager``, whose
    generator, frame and wrapper every live subscription would keep (issue 14, step 5)."""

    __slots__ = ("_bus", "_entry", "_sub")

    def __init__(self, bus: EventBus, sub: Subscription) -> None:
        self._bus = bus
        self._sub = sub
        self._entry: _Channel | None = None

    async def __aenter__(self) -> Subscription:
        self._entry = await self._bus._join(self._sub.channel, self._sub)
        return self._sub

    async def __aexit__(self, *exc: object) -> None:
        sub, entry = self._sub, self._entry
        assert entry is not None
        sub._close()
        await self._bus._leave(sub.channel, entry, sub)
