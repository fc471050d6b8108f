"""One HTTP stream (SSE or multipart) from its headers to its last byte, and every way it ends.

Three tasks per stream: the producer runs the operation (``schema.stream``) and queues encoded
events; the watcher waits for the client to go away; the response's own task writes what is
queued and a heartbeat whenever nothing was written for the framing's interval. The stream ends

* ``complete``: the operation has no more results (a query answered, a subscription that
  returned, e.g. ``chatEvents`` of someone removed from the chat): ``complete`` is written;
* ``disconnected``: the client went away; the operation is cancelled at once, which leaves its
  bus subscription, nothing is written;
* ``revoked``: the socket registry closes it (sign-out, a revoked session, a deactivated or
  removed user), as it closes sockets: what is still queued is dropped, an ``UNAUTHENTICATED``
  error is written, then ``complete``;
* ``stalled``: a write waited longer than ``HELLO_WS_SEND_TIMEOUT_SECONDS``, the client stopped
  reading (``server/stalled_sockets.py`` for why that matters): the operation is cancelled,
  and once the client reads again, within ``CLOSE_GRACE_SECONDS``, it gets what was on the wire,
  a ``STREAM_STALLED`` error, and ``complete``. It resumes with ``afterSeq`` like a socket
  closed with 4008. A client that never reads again is dropped by the server.

The operation timeout applies to queries and mutations (``StreamGate`` tells the stream the
operation type once it is parsed), not to subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.types.graphql import OperationType

from resolvers.core.context import Context
from server.stalled_sockets import CLOSE_GRACE_SECONDS

if TYPE_CHECKING:
    from server.http_streams import Framing
    from server.view import HelloGraphQL

log = logging.getLogger("hello.request")

COMPLETE, DISCONNECTED, REVOKED, STALLED = "complete", "disconnected", "revoked", "stalled"
SHUTDOWN = "shutdown"
OUTBOX_SIZE = 16
"""Encoded events waiting for the writer. Small: behind it the bus queue of the subscription
(``HELLO_BUS_QUEUE_SIZE``) already buffers, and closes a subscriber that falls too far behind."""

_FATAL = {
    REVOKED: (
        "The session was signed out or revoked, or the account deactivated; sign in again.",
        "UNAUTHENTICATED",
    ),
    STALLED: (
        "Stalled: too long without reading; subscribe again and resume with afterSeq.",
        "STREAM_STALLED",
    ),
}


class _End:
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Stalled(Exception):
    pass


class HttpStream(Response):
    def __init__(
        self,
        view: HelloGraphQL,
        request: Request,
        context: Context,
        framing: Framing,
        results: AsyncGenerator[Any, None],
        *,
        on_close: Callable[[HttpStream], None],
        key: str,
    ) -> None:
        # No body and no Content-Length: the headers of a stream (as StreamingResponse sets them).
        self.status_code = 200
        self.background = None
        self.media_type = framing.media_type
        self.init_headers(
            {
                # Neither cached nor transformed (compressed, buffered) on the way.
                "cache-control": "no-cache, no-transform",
                "x-accel-buffering": "no",
            }
        )
        self.view, self.request, self.context, self.framing = view, request, context, framing
        self.results = results
        self.on_close = on_close
        self.key = key
        self.outbox: asyncio.Queue[bytes | _End] = asyncio.Queue(OUTBOX_SIZE)
        self.ending: str | None = None
        self.events = 0
        self.deadline: asyncio.Timeout | None = None
        self._producer: asyncio.Task[None] | None = None

    # -- told from outside ------------------------------------------------------------------

    def operation_started(self, operation: OperationType) -> None:
        """Queries and mutations get the operation timeout; a subscription runs until it ends."""
        if operation is not OperationType.SUBSCRIPTION and self.deadline is not None:
            timeout = self.view.settings.operation_timeout_seconds
            self.deadline.reschedule(asyncio.get_running_loop().time() + timeout)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """The socket registry's call on revocation (``server/sockets.py``)."""
        self._end(REVOKED)

    def _end(self, reason: str) -> None:
        if self.ending is not None:
            return
        self.ending = reason
        if self._producer is not None:
            self._producer.cancel()
        # Whatever is still queued is not delivered: the stream ends now.
        while not self.outbox.empty():
            self.outbox.get_nowait()
        self.outbox.put_nowait(_End(reason))

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        self._producer = asyncio.create_task(self._produce(), name="http-stream-producer")
        watcher = asyncio.create_task(self._watch(receive), name="http-stream-watcher")
        try:
            await self._write_all(send)
        except asyncio.CancelledError:
            # uvicorn cancels what is still open once its graceful shutdown is over
            # (server/cli.py). End the response at the HTTP level, without the protocol's
            # completion: clients take it as a lost connection and reconnect elsewhere.
            task = asyncio.current_task()
            if task is None or task.cancelling() > 1:
                raise
            task.uncancel()
            self.ending = self.ending or SHUTDOWN
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self._producer.cancel()
            watcher.cancel()
            try:
                # Waits for the operation to unwind (its bus subscription is left in there).
                await asyncio.wait([self._producer, watcher])
            finally:
                self.on_close(self)
                self._log(started)

    async def _write_all(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            await self._write(send, self.framing.opening())
            while True:
                try:
                    async with asyncio.timeout(self.framing.heartbeat_seconds):
                        item = await self.outbox.get()
                except TimeoutError:
                    await self._write(send, self.framing.heartbeat())
                    continue
                if isinstance(item, _End):
                    reason = item.reason
                    break
                await self._write(send, item)
                self.events += 1
        except _Stalled:
            reason = STALLED
            log.info("closing a stalled HTTP stream", extra={"client": self.context.meta.ip})
        self.ending = self.ending or reason
        if reason == DISCONNECTED:
            return  # nobody left to tell
        if self._producer is not None:
            self._producer.cancel()  # nothing more is sent: its events stop here
        tail = self.framing.complete()
        if reason in _FATAL:
            message, code = _FATAL[reason]
            errors = [{"message": message, "extensions": {"code": code}}]
            tail = self.framing.fatal(self.view.encode_json(errors)) + tail
        # A stalled client may read again for a while; the others read, or are gone already.
        grace = CLOSE_GRACE_SECONDS if reason == STALLED else self._send_timeout()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await send({"type": "http.response.body", "body": tail, "more_body": False})

    def _send_timeout(self) -> float:
        return self.view.settings.ws_send_timeout_seconds

    async def _write(self, send: Send, data: bytes) -> None:
        try:
            async with asyncio.timeout(self._send_timeout()):
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except TimeoutError as e:
            raise _Stalled() from e

    async def _watch(self, receive: Receive) -> None:
        # The body was read already; what comes now is the client going away.
        while (await receive())["type"] != "http.disconnect":
            pass
        self._end(DISCONNECTED)

    async def _produce(self) -> None:
        try:
            async with asyncio.timeout(None) as deadline:
                self.deadline = deadline
                async with aclosing(self.results) as results:
                    async for result in results:
                        await self.outbox.put(self.framing.next(await self._encode(result)))
        except TimeoutError as e:
            if self.deadline is not None and self.deadline.expired():
                seconds = self.view.settings.operation_timeout_seconds
                message = f"The operation took longer than {seconds:g} s and was cancelled."
                await self._put_errors(message, "TIMEOUT")
            else:
                await self._put_unexpected(e)
        except GraphQLError as e:
            # Raised by an extension before execution: a request error if it carries a code
            # (strawberry lets those through a stream; its plain execution answers them).
            if not (e.extensions or {}).get("code"):
                await self._put_unexpected(e)
            else:
                await self.outbox.put(
                    self.framing.next(self.view.encode_json({"errors": [e.formatted]}))
                )
        except Exception as e:  # the last line of defence, as in the view
            await self._put_unexpected(e)
        await self.outbox.put(_End(COMPLETE))

    async def _put_unexpected(self, error: Exception) -> None:
        rejected = self.view._unexpected(error, self.context.meta.request_id)
        await self._put_errors(rejected.message, rejected.code)

    async def _put_errors(self, message: str, code: str) -> None:
        errors = [{"message": message, "extensions": {"code": code}}]
        await self.outbox.put(self.framing.next(self.view.encode_json({"errors": errors})))

    async def _encode(self, result: Any) -> str:
        payload = await self.view.process_result(self.request, result)
        return self.view.encode_json(payload)

    def _log(self, started: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        principal = self.context.principal
        log.info(
            "graphql stream",
            extra={
                "request_id": self.context.meta.request_id,
                "operation": self.context.operation_name,
                "user_id": principal.user_id if principal else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "transport": self.framing.name,
                "events": self.events,
                "outcome": self.ending,
            },
        )
