"""Small asyncio helpers shared by the adapters and the server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar, cast

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


class _Rest:
    """The rest of a coroutine already started, awaitable: ``first`` is what its first step
    yielded to the task (a future to wait on), and every later step is passed through as
    ``await`` would pass it (values sent, exceptions thrown in, the coroutine's return)."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, T], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro = self.coro
        pending = self.first
        while True:
            try:
                sent = yield pending
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as error:  # a cancellation the task throws in
                try:
                    pending = coro.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    pending = coro.send(sent)
                except StopIteration as done:
                    return done.value


async def within(seconds: float, coro: Coroutine[Any, Any, T]) -> T:
    """``async with asyncio.timeout(seconds): return await coro``, with the same deadline and
    the same TimeoutError, but the timer is armed only once ``coro`` suspends. A coroutine
    that runs to its end without waiting on anything cannot be cancelled by a timer (the loop
    never ran to fire it), so it needs none; arming and cancelling one was some 5 µs, about a
    tenth of a cached ``{ __typename }`` (issue 14)."""
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        first = coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    async with asyncio.timeout_at(deadline):
        return cast(T, await _Rest(coro, first))
