"""uvicorn's WebSocket protocol (``websockets-sansio``, the one ``ws="auto"`` picks), holding
less per connection for as long as a socket lives (issue 14, step 5).

uvicorn keeps the handshake's request and response for the life of the connection, and gives
each connection an ``asyncio.Queue`` and an ``asyncio.Event``: four ``collections.deque`` of
760 bytes each, although a socket's inbox is nearly always empty and only its app's one
receiver waits on it. With thousands of idle sockets that is most of what uvicorn costs.
This subclass behaves the same on the wire (the tests of ``tests/server/test_ws_*.py`` and the
interop clients pin it); it only

- forgets the handshake once it is answered: the request's headers (the ASGI scope has its own
  copy, which the app trims too, ``server/app.py``) and the 101 response;
- keeps the inbox and the writable flag in two small objects that allocate a deque, a list or a
  future only while something actually waits.

It also lets the frame hub (``server/frame_hub.py``) write a pre-encoded text frame straight
to the transport (``write_text``), found through the ASGI scope (``PROTOCOL_SCOPE_KEY``).

``server.app.uvicorn_options`` passes it as uvicorn's ``ws`` option.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

PROTOCOL_SCOPE_KEY = "hello.ws_protocol"


class Inbox:
    """What uvicorn's protocol uses of its ``asyncio.Queue`` (``put_nowait``, ``get``,
    ``empty``), for a single reader: the app's ``receive``."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None  # an idle socket keeps no deque
        return item


class Gate:
    """What uvicorn's protocol uses of its ``writable`` ``asyncio.Event``: open unless the
    transport asked to pause writing; senders wait while it is shut."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        while not self._open:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if self._waiters is not None and waiter in self._waiters:
                    self._waiters.remove(waiter)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Gate()  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # built by the call above (the app has not run yet)
            scope[PROTOCOL_SCOPE_KEY] = self

    def write_text(self, text: str) -> bool:
        """Write one text frame now, as ``send`` of a ``websocket.send`` would, if nothing would
        make ``send`` wait or refuse: the transport accepts writes (not paused: its buffer is
        below the high-water mark), the socket is open and no close was sent. False: nothing
        was written; the caller goes through ``send`` (which waits for the transport)."""
        if (
            not self.writable.is_set()
            or self.disconnected
            or self.close_sent
            or not self.handshake_complete
            or self.initial_response is not None
            or self.transport.is_closing()
        ):
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    async def send(self, message: Any) -> None:
        handshake = not self.handshake_complete
        await super().send(message)
        if handshake and self.handshake_complete and getattr(self, "response", None) is not None:
            # Answered: nothing reads the handshake again. websockets' parser keeps the
            # request object itself (a local of its generator), so its headers are emptied.
            self.request.headers.clear()
            self.response = None  # type: ignore[assignment]
