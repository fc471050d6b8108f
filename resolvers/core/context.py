"""The typed context every resolver receives: who is asking, on behalf of which organization,
and the per-request DataLoaders.

It lives with the domain, not in ``server/``: every layer from the resolvers up reads it, and
``server/`` (the edge) only builds it per request, so imports still go down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from resolvers.core.loaders import Loaders

T = TypeVar("T")

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from models.identity import User


@dataclass(slots=True)
class Principal:
    """A signed-in user, as established from a valid access token.

    ``scopes`` is None for the person's own sign-in: everything their role allows. A token
    issued to an app (OAuth, its bot's tenant token) or a personal access token carries the
    scopes it was granted; ``resolvers.core.scopes.effective_scopes`` is what it may do.
    ``app_id`` is the app such a token was issued to."""

    user: User
    session_id: int
    scopes: frozenset[str] | None = None
    app_id: int | None = None

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def organization_id(self) -> int:
        return self.user.organization_id


@dataclass(slots=True)
class Guest:
    """Someone from outside the organization in one meeting, signed in with the guest token
    ``meetingJoinAsGuest`` gave them (``resolvers.meetings.guests``). A guest is no principal:
    every field but the meeting ones answers UNAUTHENTICATED, so a guest sees nothing of the
    organization (its directory, chats, files)."""

    participant_id: int
    meeting_id: int
    organization_id: int
    display_name: str


@dataclass(slots=True)
class RequestMeta:
    request_id: str
    ip: str = ""
    user_agent: str = ""


class Context:
    """Who asks and what one request (or one WebSocket, for its whole life) has worked out.

    A plain class with ``__slots__`` rather than a dataclass, and its loaders and cache made on
    first use: a signed-in WebSocket keeps its context as long as it is open, and an idle one
    should cost a few hundred bytes, not a dict per field and DataLoaders holding the rows of
    the last event (issue 14, step 5; ``drop_loaders``)."""

    __slots__ = (
        "_cache",
        "_loaders",
        "connection_params",
        "cost",
        "guest",
        "meta",
        "operation_name",
        "outcome",
        "principal",
        "request",
        "response",
    )

    def __init__(
        self,
        request: Request | WebSocket,
        response: Response | WebSocket | None,
        meta: RequestMeta,
        principal: Principal | None = None,
        loaders: Loaders | None = None,
        cache: dict[str, Any] | None = None,
        connection_params: dict[str, Any] | None = None,
        cost: int | None = None,
        operation_name: str | None = None,
        outcome: str = "ok",
        guest: Guest | None = None,
    ) -> None:
        self.request = request
        self.response = response
        self.meta = meta
        self.principal = principal
        self.guest = guest
        self._loaders = loaders
        self._cache = cache
        self.connection_params = connection_params
        # Filled by the limits extension; read by the request log.
        self.cost = cost
        self.operation_name = operation_name
        self.outcome = outcome

    @property
    def loaders(self) -> Loaders:
        """The DataLoaders of this request, made on first use."""
        loaders = self._loaders
        if loaders is None:
            loaders = self._loaders = Loaders()
        return loaders

    @loaders.setter
    def loaders(self, value: Loaders) -> None:
        self._loaders = value

    def drop_loaders(self) -> None:
        """Forget the DataLoaders and the rows they hold: a WebSocket's context calls this
        after each event, so an idle socket keeps none. The next read makes new ones (a
        resolver still running holds on to the loader it has)."""
        self._loaders = None

    @property
    def cache(self) -> dict[str, Any]:
        """Facts worked out once per request (the viewer's departments and groups, say)."""
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        return cache

    def per_request(self, key: str, make: Callable[[], T]) -> T:
        """What ``make()`` builds, once per request under ``key``: a DataLoader's batch
        function that closes over this context (DataLoaders are keyed by their function, so
        building it again per field would batch nothing)."""
        cache = self.cache
        found = cache.get(key)
        if found is None:
            found = cache[key] = make()
        return cast(T, found)

    @property
    def is_websocket(self) -> bool:
        return self.request.scope["type"] == "websocket"

    def __repr__(self) -> str:
        return f"Context(meta={self.meta!r}, principal={self.principal!r})"
