"""The typed context every resolver receives: who is asking, on behalf of which organization,
and the per-request DataLoaders.

It lives with the domain, not in ``server/``: every layer from the resolvers up reads it, and
``server/`` (the edge) only builds it per request, so imports still go down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resolvers.core.loaders import Loaders

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from models.identity import User


@dataclass
class Principal:
    """A signed-in user, as established from a valid access token."""

    user: User
    session_id: int

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def organization_id(self) -> int:
        return self.user.organization_id


@dataclass
class RequestMeta:
    request_id: str
    ip: str = ""
    user_agent: str = ""


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    meta: RequestMeta
    principal: Principal | None = None
    loaders: Loaders = field(default_factory=Loaders)
    cache: dict[str, Any] = field(default_factory=dict)
    """Facts worked out once per request (the viewer's departments and groups, say)."""
    connection_params: dict[str, Any] | None = None
    # Filled by the limits extension; read by the request log.
    cost: int | None = None
    operation_name: str | None = None
    outcome: str = "ok"

    @property
    def is_websocket(self) -> bool:
        return self.request.scope["type"] == "websocket"
