"""One subscriber's side of the event bus (``adapters/bus.py``): its bounded buffer, and the
``Link`` markers and ``CATCH_UP`` signals by which an outage of the backend reaches it."""

from __future__ import annotations

import asyncio
import enum
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Final


class SubscriberOverflow(Exception):
    """Raised to a subscriber that fell more than queue_size events behind."""


class Link(enum.Enum):
    """What a backend says about its connection, as the ``message`` of an event it reads out."""

    LOST = "lost"  # the connection dropped: every channel may miss events from now on
    SUBSCRIBED = "subscribed"  # the channel is confirmed: events flow again from here


class CatchUp:
    """Yielded by a subscription opened with ``poll_seconds``: re-read what may be missed."""

    def __repr__(self) -> str:
        return "CATCH_UP"


CATCH_UP: Final = CatchUp()


class Ticks:
    """When the degraded subscribers of one channel in this process poll next: one shared,
    jittered clock per poll interval. Subscribers of a chat then catch up in the same instant
    and share one database read (``subscriptions/messenger.py``) instead of each reading on a
    clock of its own; the jitter (a fresh draw per tick, per channel, per process) keeps
    channels and processes from polling in step."""

    def __init__(self) -> None:
        self._next: dict[float, float] = {}

    def deadline(self, poll: float, now: float) -> float:
        due = self._next.get(poll)
        if due is None or due <= now:
            due = now + poll * random.uniform(0.5, 1.5)
            self._next[poll] = due
        return due


_NO_TICKS: Final = Ticks()
"""A subscription's clock until it joins its channel's (never used to poll before that)."""


class Subscription:
    """Async iterator of one subscriber's events, in publish order.

    There is one per live subscription, mostly idle, so it is small: ``__slots__``, no buffer
    while nothing is buffered, and a future to wake its reader made only while the reader waits
    (an ``asyncio.Event`` and a deque cost 760 bytes each, issue 14, step 5)."""

    __slots__ = (
        "_catch_up_due",
        "_events",
        "_limit",
        "_lost",
        "_poll",
        "_wakeup",
        "channel",
        "closed",
        "degraded",
        "overflowed",
        "ticks",
        "weight",
    )

    def __init__(self, channel: str, queue_size: int, poll_seconds: float | None = None) -> None:
        self.channel = channel
        self._limit = queue_size
        self._poll = poll_seconds
        # A deque rather than an asyncio.Queue: on overflow the buffer is dropped at once, and
        # closing must wake a waiting reader even when the buffer is full. None while empty.
        self._events: deque[dict[str, Any]] | None = None
        # Set while the reader waits; resolved by whatever it waits for.
        self._wakeup: asyncio.Future[None] | None = None
        self.overflowed = False
        self.closed = False
        # Between a lost connection and the channel's next confirmation events may be missed.
        self.degraded = False
        # Set with degraded, for a join still waiting to confirm (made by the join that asks).
        self._lost: asyncio.Event | None = None
        self._catch_up_due = False
        # The channel's shared poll clock, set by the bus when it joins the channel.
        self.ticks = _NO_TICKS
        # How many listeners this subscription stands for (``subscriber_count``): one, or the
        # live subscriptions a process's frame hub serves from it (``server/frame_hub.py``).
        self.weight = 1

    def lost(self) -> asyncio.Event:
        """Set when the backend's connection drops (while it stays degraded)."""
        if self._lost is None:
            self._lost = asyncio.Event()
            if self.degraded:
                self._lost.set()
        return self._lost

    def _wake(self) -> None:
        waiter = self._wakeup
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _deliver(self, event: dict[str, Any]) -> None:
        if self.overflowed or self.closed:
            return
        events = self._events
        if events is None:
            events = self._events = deque()
        if len(events) >= self._limit:
            self.overflowed = True
            self._events = None
        else:
            events.append(event)
        self._wake()

    def _close(self) -> None:
        self.closed = True
        self._wake()

    def _degrade(self) -> None:
        self.degraded = True
        if self._lost is not None:
            self._lost.set()
        self._wake()  # a reader waiting without a timeout starts polling

    def _resubscribed(self) -> None:
        if self.degraded:
            self.degraded = False
            if self._lost is not None:
                self._lost.clear()
            self._catch_up_due = self._poll is not None
            self._wake()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while True:
            item = await self.next_item()
            if not isinstance(item, CatchUp):
                return item

    def items(self) -> AsyncIterator[dict[str, Any] | CatchUp]:
        """Events and, with ``poll_seconds``, ``CATCH_UP`` markers (see the module doc)."""
        return _Items(self)

    async def next_item(self) -> dict[str, Any] | CatchUp:
        while True:
            if self.overflowed:
                raise SubscriberOverflow(
                    f"subscriber fell more than {self._limit} events behind on {self.channel!r}"
                )
            if self._catch_up_due:
                self._catch_up_due = False
                return CATCH_UP
            events = self._events
            if events:
                event = events.popleft()
                if not events:
                    self._events = None  # an idle subscriber keeps no deque
                return event
            if self.closed:
                raise StopAsyncIteration
            loop = asyncio.get_running_loop()
            waiter = self._wakeup = loop.create_future()
            try:
                if self._poll is None or not self.degraded:
                    await waiter
                    continue
                try:
                    async with asyncio.timeout_at(self.ticks.deadline(self._poll, loop.time())):
                        await waiter
                except TimeoutError:
                    if self.degraded:
                        return CATCH_UP
            finally:
                self._wakeup = None


class _Items:
    """``Subscription.items``: an iterator object rather than an async generator, which every
    live subscription would keep with its frame (issue 14, step 5)."""

    __slots__ = ("_sub",)

    def __init__(self, sub: Subscription) -> None:
        self._sub = sub

    def __aiter__(self) -> _Items:
        return self

    def __anext__(self) -> Awaitable[dict[str, Any] | CatchUp]:
        return self._sub.next_item()  # ends with StopAsyncIteration once closed
