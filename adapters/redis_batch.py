"""Redis commands of concurrent callers, sent together: one pipeline (one write, one read) per
turn of the event loop instead of one round trip each.

Every request of a busy server makes a few small Redis calls (its rate limit, a send limit, the
publish of its event), and redis-py spends more CPU on each round trip (a pooled connection
taken and given back, a task to shield it, a write and a read) than on the command itself:
about 140 µs per token bucket alone, against some 40 µs per command in a pipeline of a dozen.
So the callers of one moment share a pipeline: each awaits the reply to its own command, as
before, and nothing else about a command changes.

- A caller's command waits at most for the batch in flight (one at a time, on a connection of
  its own, with the client's address and timeouts): a batch takes the commands queued while
  the previous one was out, so a command issued after another one's reply is sent after it
  (a caller's publishes keep their order).
- A reply that is an error goes to its caller alone; a failure of the connection (Redis
  unreachable, a timeout) goes to every caller of that batch, as each would have met it.
- A cancelled caller stops waiting; its command was (or will be) sent all the same, as a
  shielded redis-py call's was (``adapters/aio.py``), and batches run to their end in one task
  of their own, so no connection is left half read.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

__all__ = ["Batcher"]

Waiting = tuple[tuple[Any, ...], "asyncio.Future[Any]"]
"""A command's arguments, and its caller's future."""

MAX_BATCH = 512
"""Commands per pipeline at most; more wait for the next (a long pipeline's reply is read
whole before anyone is answered)."""


class Batcher:
    def __init__(self, redis: Redis) -> None:
        # A connection of the client's own (its settings: address, timeouts), made when first
        # needed, read and written only by the batch task.
        self._pool = redis.connection_pool
        self._conn: Any = None
        self._queue: list[Waiting] = []
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None  # while the task waits for commands

    async def execute(self, *args: Any) -> Any:
        """Run one command (``"PUBLISH", channel, message``) in the next batch; its reply."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((args, future))
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            # The first command, or the first since the task ended (a shutdown, a new loop).
            self._task = loop.create_task(self._run(), name="hello.redis.batch")
        return await future

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            if task.get_loop() is asyncio.get_running_loop():
                await asyncio.gather(task, return_exceptions=True)
        if self._conn is not None:
            await self._conn.disconnect()
            self._conn = None

    async def _run(self) -> None:
        """Send what is queued, batch after batch, then wait for more: one task for the
        client's life rather than one per batch."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self._queue:
                    wakeup = self._wakeup = loop.create_future()
                    await wakeup
                    continue
                batch = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
                await self._send(batch)
        finally:
            self._wakeup = None
            if self._queue:  # a cancelled run (shutdown): nobody is left waiting
                for _, future in self._queue:
                    if not future.done():
                        future.set_exception(RedisConnectionError("the Redis client was closed"))
                self._queue.clear()

    async def _send(self, batch: list[Waiting]) -> None:
        conn = self._conn
        reused = conn is not None and conn.is_connected
        if conn is None:
            conn = self._conn = self._pool.make_connection()
        try:
            try:
                await self._exchange(conn, batch)
            except RedisConnectionError:
                if not reused:
                    raise
                # A connection that sat idle may have died with a Redis restart: once more on
                # a new one (redis-py's own clients retry so too).
                await conn.disconnect(nowait=True)
                await self._exchange(conn, batch)
        except BaseException as exc:
            await conn.disconnect(nowait=True)
            for _, future in batch:
                if not future.done():
                    future.set_exception(_copy(exc))
            if not isinstance(exc, Exception):
                raise

    @staticmethod
    async def _exchange(
        conn: Any, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]
    ) -> None:
        """Write every command of the batch, then read each reply to its caller."""
        await conn.send_packed_command(
            conn.pack_commands([args for args, _ in batch]), check_health=False
        )
        for _, future in batch:
            try:
                reply = await conn.read_response()
            except ResponseError as error:  # this command's error; the connection is fine
                if not future.done():
                    future.set_exception(error)
                continue
            if not future.done():  # else its caller was cancelled
                future.set_result(reply)


def _copy(exc: BaseException) -> BaseException:
    """One exception per caller (each raise adds its own traceback); a cancellation of the
    batch reaches the callers as a lost connection, which they know how to answer."""
    if not isinstance(exc, Exception):
        return RedisConnectionError("the Redis client was closed")
    try:
        copy = type(exc)(*exc.args)
    except Exception:
        return exc
    copy.__cause__ = exc
    return copy
