"""The event bus: live events from writers to subscribers, in one process or across many.

A thin fan-out of our own over a broadcaster *backend* (``memory://`` in-process, ``redis://``
across processes through ``server.redis_backend``). broadcaster's ``Broadcast`` class is not
used: concurrent first subscribers to a channel overwrite each other's registration, its
per-subscriber queues are unbounded, and its listener awaits ``queue.put`` so one slow
subscriber stalls every other one. Here:

- one listener task reads the backend and ``put_nowait``s into bounded per-subscriber buffers;
  a subscriber that falls ``queue_size`` events behind is cut off with ``SubscriberOverflow``
  (its buffer is dropped) instead of slowing anyone down;
- the backend subscribes once per channel, and every concurrent subscriber waits for that
  confirmation, so an event published after ``async with bus.subscribe(ch)`` is entered is
  delivered; the backend unsubscribes when the last subscriber leaves.

Events are dicts, orjson-encoded on the wire. A delivered dict is shared by every subscriber
of the channel: treat it as read-only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend

log = logging.getLogger("hello.bus")


class BusUnavailable(Exception):
    """The bus cannot reach its backend (Redis down, or the bus is closed)."""


class SubscriberOverflow(Exception):
    """Raised to a subscriber that fell more than queue_size events behind."""


class Subscription:
    """Async iterator of one subscriber's events, in publish order."""

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self._limit = queue_size
        # A deque and an Event rather than an asyncio.Queue: on overflow the buffer is dropped
        # at once, and closing must wake a waiting reader even when the buffer is full.
        self._events: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()
        self.overflowed = False
        self.closed = False

    def _deliver(self, event: dict[str, Any]) -> None:
        if self.overflowed or self.closed:
            return
        if len(self._events) >= self._limit:
            self.overflowed = True
            self._events.clear()
        else:
            self._events.append(event)
        self._wakeup.set()

    def _close(self) -> None:
        self.closed = True
        self._wakeup.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while True:
            if self.overflowed:
                raise SubscriberOverflow(
                    f"subscriber fell more than {self._limit} events behind on {self.channel!r}"
                )
            if self._events:
                return self._events.popleft()
            if self.closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()


class _Channel:
    """One channel's subscribers and the backend (un)subscription serving them."""

    def __init__(self, ready: asyncio.Task[None]) -> None:
        self.subscribers: set[Subscription] = set()
        self.ready = ready  # the backend subscribe; every subscriber awaits it
        self.leaving: asyncio.Task[None] | None = None  # the backend unsubscribe, once started


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
        self._open = False

    @staticmethod
    def _make_backend(url: str | None, prefix: str) -> BroadcastBackend:
        if not url or url.startswith("memory://"):
            return MemoryBackend(url or "memory://")
        if url.startswith(("redis://", "rediss://")):
            # Imported here: the embedded setup never needs the Redis client.
            from server.redis_backend import RedisBackend

            # Named, so operators (and tests) can find this process's pub/sub connection in
            # CLIENT LIST; a name cannot contain spaces.
            return RedisBackend(url, client_name="".join(prefix.split()) + "bus")
        raise ValueError(f"unsupported event bus URL scheme: {url.split(':', 1)[0]}")

    async def connect(self) -> None:
        if self._open:
            return
        await self._backend.connect()
        self._open = True
        self._listener = asyncio.create_task(self._supervise(), name="hello.bus.listener")

    async def disconnect(self) -> None:
        """Stop the bus; every open subscription ends cleanly (its iterator stops)."""
        self._open = False
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        channels, self._channels = self._channels, {}
        for entry in channels.values():
            entry.ready.cancel()
            for sub in entry.subscribers:
                sub._close()
        await self._backend.disconnect()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        if not self._open:
            raise BusUnavailable("the event bus is not connected")
        await self._backend.publish(self._prefix + channel, orjson.dumps(event).decode())

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Enter to subscribe; entering returns once the backend has confirmed the channel."""
        return self._subscription(channel)

    @asynccontextmanager
    async def _subscription(self, channel: str) -> AsyncIterator[Subscription]:
        sub = Subscription(channel, self._queue_size)
        entry = await self._join(channel, sub)
        try:
            yield sub
        finally:
            sub._close()
            await self._leave(channel, entry, sub)

    async def ready(self) -> bool:
        if not self._open or self._listener is None or self._listener.done():
            return False
        ping = getattr(self._backend, "ping", None)
        return True if ping is None else bool(await ping())

    def subscriber_count(self, channel: str) -> int:
        entry = self._channels.get(channel)
        return len(entry.subscribers) if entry else 0

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
            break
        try:
            await asyncio.shield(entry.ready)
            if not first:
                # Normally a no-op. While Redis is reconnecting it waits for the channel to be
                # re-subscribed, so the delivery guarantee holds for late joiners too.
                await self._backend.subscribe(key)
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
            # unsubscribe could reach the backend before it and be undone.
            await asyncio.wait([entry.ready])
            if self._open:
                await self._backend.unsubscribe(self._prefix + channel)
        except Exception:
            log.exception("event bus: unsubscribing %r failed", channel)
        finally:
            if self._channels.get(channel) is entry:
                del self._channels[channel]

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

    async def _listen(self) -> None:
        while True:
            event = await self._backend.next_published()
            if not event.channel.startswith(self._prefix):
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
