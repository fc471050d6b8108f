"""Small asyncio helpers shared by the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an abandoned failure is not reported as unhandled


async def shielded(awaitable: Awaitable[T]) -> T:
    """Await a redis-py command so that cancelling the caller always cancels the caller.

    Measured here (redis-py 8.1): a task cancelled while redis-py awaited a reply resumed with
    the reply instead of CancelledError, the cancellation swallowed; a WebSocket operation so
    "cancelled" went on to subscribe and hung server shutdown. Through a shield the caller's
    cancellation is raised here, and the command finishes (or fails) on its own.
    """
    task = asyncio.ensure_future(awaitable)
    task.add_done_callback(_consume)
    return await asyncio.shield(task)
