"""WebSocket clients that stop taking what they are sent are closed on purpose, with a code.

A client that stops reading (a frozen tab, a suspended phone, a stalled network, a program that
never calls ``recv``) leaves our frames in the kernel's and the transport's buffers; once those
are full, every send on that socket waits. Left alone, its subscriptions hang there holding their
bus queues, and after 20 to 40 s a keepalive gives up (the server's 20 s ping, whose pong is
stuck behind the backlog, or the client library's own): the client sees the connection dropped
with no close frame, no overflow error, no hint of what it missed.

Instead, a send that waits longer than ``ws_send_timeout_seconds`` marks the socket stalled: its
operations end at once (the app is cancelled as on a disconnect), nothing more is queued for
it, and it is closed with ``STALLED_CLOSE_CODE``. The close frame follows what the client has
not read yet, so a client that reads again gets the events up to the one that could not be sent,
then 4008, and resumes each stream with ``afterSeq`` (README, "The API in brief"). The default
bound (10 s) is below the keepalive's, so the close is ours; a client that is still silent past
the keepalive is dropped by it, as before, and resumes the same way.

Pure ASGI around the GraphQL view: it needs nothing of the server's internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.settings import Settings

log = logging.getLogger("hello.sockets")

STALLED_CLOSE_CODE = 4008
"""Private range (4000-4999), unused by graphql-transport-ws, and retried by the graphql-ws
client (it gives up only on 1002-1011 and its own 44xx codes)."""
STALLED_CLOSE_REASON = "Stalled: too long without reading; reconnect and resume with afterSeq"
CLOSE_GRACE_SECONDS = 30.0
"""How long the close frame may wait for the client to make room for it."""


class StalledSocketGuard:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        # Read per connection, so that the setting can change without rebuilding the app.
        timeout = self.settings.ws_send_timeout_seconds
        connection = asyncio.current_task()
        assert connection is not None
        stalled = False

        async def guarded_send(message: Message) -> None:
            nonlocal stalled
            if stalled:
                return  # the socket is being closed: whatever comes now is dropped
            if message["type"] != "websocket.send":
                await send(message)
                return
            try:
                async with asyncio.timeout(timeout):
                    await send(message)
            except TimeoutError:
                stalled = True
                log.info("closing a stalled WebSocket", extra={"client": scope.get("client")})
                # Ends the app as a disconnect would, from its receive loop and every
                # operation (none of which waits on this socket any more).
                connection.cancel()

        try:
            await self.app(scope, receive, guarded_send)
        except asyncio.CancelledError:
            if not stalled or connection.cancelling() > 1:
                raise  # not ours (server shutdown): let it through
            connection.uncancel()
        if stalled:
            # Waits until the client reads what is ahead of it (or a keepalive has closed the
            # socket: then there is nothing left to say).
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                    await send(
                        {
                            "type": "websocket.close",
                            "code": STALLED_CLOSE_CODE,
                            "reason": STALLED_CLOSE_REASON,
                        }
                    )
