"""WebSocket sign-in and the life of a signed-in socket. A ``graphql-transport-ws`` client signs
in with the ``authorization`` of its ``connection_init`` payload (the same Bearer token as on
HTTP); a socket without a valid one is refused before any operation runs. A signed-in socket is
registered (so signing out or revoking the session closes it, ``server/sockets.py``) and counts
for presence: each frame is a heartbeat (ping, pong) or an action, and when the socket goes
the registry and presence forget it. The view (``server/view.py``) calls these three functions.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import Message, Receive, Scope
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from resolvers.core.context import Context
from resolvers.messenger import presence
from server.rejections import bearer_guest, bearer_principal, is_guest_bearer
from server.sockets import SocketRegistry

log = logging.getLogger("hello.request")


def tracked(scope: Scope, receive: Receive) -> Receive:
    """``receive`` that reports each frame of a signed-in socket to presence: a ping is a
    heartbeat, anything else an action. Presence throttles its writes, so this stays cheap."""

    async def tracked() -> Message:
        message = await receive()
        context = scope.get("hello.context")
        if message["type"] == "websocket.receive" and context is not None and context.principal:
            head = (message.get("text") or "")[:40]
            heartbeat = '"ping"' in head or '"pong"' in head
            await presence.seen(context.principal.user_id, active=not heartbeat)
        return message

    return tracked


KEPT_HEADERS = (b"host",)
"""What a signed-in socket keeps of its handshake's headers: the host, from which URLs handed out
over the socket are built (Drive's download links); the user agent and the client address are
in the context's ``RequestMeta`` already, and the origin was checked before the accept."""


def forget_handshake(ws: WebSocket | Any) -> None:
    """Drop the handshake's headers from an accepted socket's ASGI scope (and Starlette's parsed
    copy of them): an idle socket keeps them for its whole life otherwise."""
    scope = ws.scope
    scope["headers"] = [(k, v) for k, v in scope.get("headers", ()) if k in KEPT_HEADERS]
    ws.__dict__.pop("_headers", None)


async def sign_in(context: Context, sockets: SocketRegistry) -> Any:
    """The ``connection_init`` payload's token signs the socket in, or the connection is
    refused."""
    params = context.connection_params or {}
    raw = params.get("authorization") or params.get("Authorization") or ""
    # The payload (and the token in it) is read once: nothing keeps it for the socket's life.
    context.connection_params = None
    if is_guest_bearer(str(raw)):
        # A meeting guest: the socket serves their meeting only, and is in no registry (the
        # guest's stream ends itself when they leave or are removed).
        guest = await bearer_guest(str(raw))
        if guest is None:
            raise ConnectionRejectionError()
        context.guest = guest
        ws = context.request
        assert isinstance(ws, WebSocket)
        ws.scope["hello.context"] = context
        return UNSET
    principal = await bearer_principal(str(raw))
    if principal is None:
        raise ConnectionRejectionError()
    context.principal = principal
    ws = context.request
    assert isinstance(ws, WebSocket)
    ws.scope["hello.context"] = context
    sockets.add(ws, session_id=principal.session_id, user_id=principal.user_id)
    await presence.connected(principal.user_id, principal.organization_id)
    log.info(
        "websocket",
        extra={
            "request_id": context.meta.request_id,
            "user_id": principal.user_id,
            "outcome": "connected",
        },
    )
    return UNSET


async def signed_out(ws: WebSocket, sockets: SocketRegistry) -> None:
    """The socket is gone: the registry and presence forget it (if it had signed in)."""
    context = ws.scope.get("hello.context")
    if context is not None and context.principal is not None:
        principal = context.principal
        sockets.remove(ws, session_id=principal.session_id, user_id=principal.user_id)
        await presence.disconnected(principal.user_id, principal.organization_id)
