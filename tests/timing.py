"""Time in tests without fixed sleeps.

A fixed sleep is too short on a busy machine (the test flakes) and too long everywhere else (the
suite crawls). So:

- code whose behaviour depends on elapsed time takes a clock (``MemoryStore(clock=...)``), and a
  test passes a ``FakeClock`` and moves it: no waiting, exact boundaries;
- a test that waits for something to happen (an event delivered, a key expired on a real
  server) polls for it with ``eventually``, up to a generous deadline that only a real failure
  reaches.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


class FakeClock:
    """A monotonic clock (seconds, like ``time.monotonic``) that moves only when told."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def eventually(
    check: Callable[[], Awaitable[bool] | bool],
    *,
    timeout: float = 10.0,
    interval: float = 0.01,
    what: str = "the condition",
) -> None:
    """Return as soon as ``check()`` is true; fail after ``timeout`` seconds of polling."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                result = check()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"{what} did not hold within {timeout} s") from None
