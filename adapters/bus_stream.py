"""One subscriber's side of the event bus (``adapters/bus.py``): its bounded buffer, and the
``Link`` markers and ``CATCH_UP`` signals by which an outage of the backend reaches it."""

from __future__ import annotations

import asyncio
import enum
import random
from collections import deque
from collections.abc import AsyncIterator
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


class Subscription:
    """Async iterator of one subscriber's events, in publish order."""

    def __init__(self, channel: str, queue_size: int, poll_seconds: float | None = None) -> None:
        self.channel = channel
        self._limit = queue_size
        self._poll = poll_seconds
        # A deque and an Event rather than an asyncio.Queue: on overflow the buffer is dropped
        # at once, and closing must wake a waiting reader even when the buffer is full.
        self._events: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()
        self.overflowed = False
        self.closed = False
        # Between a lost connection and the channel's next confirmation events may be missed.
        self.degraded = False
        self._lost = asyncio.Event()  # set with degraded, for a join still waiting to confirm
        self._catch_up_due = False
        # The channel's shared poll clock, set by the bus when it joins the channel.
        self.ticks = Ticks()

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

    def _degrade(self) -> None:
        self.degraded = True
        self._lost.set()
        self._wakeup.set()  # a reader waiting without a timeout starts polling

    def _resubscribed(self) -> None:
        if self.degraded:
            self.degraded = False
            self._lost.clear()
            self._catch_up_due = self._poll is not None
            self._wakeup.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while True:
            item = await self.next_item()
            if not isinstance(item, CatchUp):
                return item

    async def items(self) -> AsyncIterator[dict[str, Any] | CatchUp]:
        """Events and, with ``poll_seconds``, ``CATCH_UP`` markers (see the module doc)."""
        while True:
            try:
                yield await self.next_item()
            except StopAsyncIteration:
                return

    async def next_item(self) -> dict[str, Any] | CatchUp:
        while True:
            if self.overflowed:
                raise SubscriberOverflow(
                    f"subscriber fell more than {self._limit} events behind on {self.channel!r}"
                )
            if self._catch_up_due:
                self._catch_up_due = False
                return CATCH_UP
            if self._events:
                return self._events.popleft()
            if self.closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            if self._poll is None or not self.degraded:
                await self._wakeup.wait()
                continue
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout_at(self.ticks.deadline(self._poll, loop.time())):
                    await self._wakeup.wait()
            except TimeoutError:
                if self.degraded:
                    return CATCH_UP
