"""Subscriptions over plain HTTP: GraphQL over Server-Sent Events (the ``graphql-sse`` protocol,
distinct connections mode) and Apollo's multipart subscriptions.

A request is a stream when its ``Accept`` lists ``text/event-stream`` or
``multipart/mixed;subscriptionSpec=1.0`` (anywhere, with q > 0: a client that names a stream type
can read one). Any operation may be streamed, as graphql-sse allows: a query or mutation yields
one result, then the stream completes. Without a streaming ``Accept`` a subscription is a request
error, 406 ``STREAMING_TRANSPORT_REQUIRED`` (``StreamGate``), never an execution that cannot work.

The rules are the WebSocket's (``server/view.py``, ``server/sockets.py``,
``server/stalled_sockets.py``):

* authentication is the Bearer token of the request, checked by the view before anything here;
* the operation goes through ``schema.stream``, so the same Guard runs (limits, cost, rate limit)
  before execution; what it refuses arrives as a ``next`` event with the error, as the protocol
  requires of everything after the request was accepted;
* a principal holds at most ``max_http_streams`` streams per process (``STREAM_LIMIT_EXCEEDED``,
  429): the cap protects what a stream holds here (a task, a bus subscription);
* the stream is registered with the socket registry, so signing out, a revoked session, a
  deactivated or removed user end it at once, like the sockets (``stream_response.py``);
* a cross-origin browser request from an origin not in ``HELLO_ALLOWED_ORIGINS`` is refused, as
  the WebSocket handshake is; a POST keeps the view's content-type rule (CSRF).

Why not strawberry's own transports (``strawberry.http.streaming``)? Their SSE and multipart
framing is right, and ours follows it, but the response around them is a plain
``StreamingResponse``: nothing can end it from outside (a revoked session), a reader that stops
reading holds it for ever (no send timeout), nothing counts streams per principal, and an error
an extension raises before execution (the Guard's, with its code) escapes the stream as an
exception, which cuts the response without a word. We keep strawberry's execution
(``schema.stream``, which runs the extensions) and write the response ourselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData
from strawberry.http.websocket_origin import is_same_origin, normalize_origin
from strawberry.types.graphql import OperationType

from resolvers.core.context import Context
from server.rejections import RequestRejected
from server.stream_response import HttpStream

if TYPE_CHECKING:
    from server.view import HelloGraphQL

STREAM_SCOPE_KEY = "hello.stream"
SSE_KEEPALIVE_SECONDS = 12.0
"""graphql-sse's own server pings every 12 s: well inside the 30 to 60 s after which proxies and
load balancers drop an idle connection."""
MULTIPART_HEARTBEAT_SECONDS = 5.0
"""What Apollo Router sends (``{}`` parts every 5 s); Apollo's clients expect about that."""


def stream_required() -> RequestRejected:
    return RequestRejected(
        406,
        "Subscriptions need a streaming transport: a WebSocket (graphql-transport-ws), or this "
        "request with 'Accept: text/event-stream' (GraphQL over SSE) or "
        "'Accept: multipart/mixed;subscriptionSpec=1.0' (Apollo multipart subscriptions).",
        "STREAMING_TRANSPORT_REQUIRED",
    )


# -- framing ----------------------------------------------------------------------------------


class Framing:
    """How one transport writes events on the wire; every method returns bytes to send."""

    name = ""
    media_type = ""
    heartbeat_seconds = 0.0

    def opening(self) -> bytes:
        raise NotImplementedError

    def next(self, encoded: str) -> bytes:
        raise NotImplementedError

    def heartbeat(self) -> bytes:
        raise NotImplementedError

    def complete(self) -> bytes:
        raise NotImplementedError

    def fatal(self, encoded_errors: str) -> bytes:
        """The stream ends for a reason of ours (revoked, stalled), then ``complete``."""
        raise NotImplementedError


class SSEFraming(Framing):
    name = "sse"
    media_type = "text/event-stream"
    heartbeat_seconds = SSE_KEEPALIVE_SECONDS

    def opening(self) -> bytes:
        # A comment: clients ignore it, and it puts the headers on the wire at once (the
        # client's fetch resolves before the first event, however late that comes).
        return b":\n\n"

    def next(self, encoded: str) -> bytes:
        # JSON as we write it holds no raw line breaks, so one data line carries it.
        return b"event: next\ndata: " + encoded.encode() + b"\n\n"

    def heartbeat(self) -> bytes:
        return b":\n\n"

    def complete(self) -> bytes:
        # An empty data field: EventSource drops events without one.
        return b"event: complete\ndata:\n\n"

    def fatal(self, encoded_errors: str) -> bytes:
        return self.next('{"errors":' + encoded_errors + "}")


class MultipartFraming(Framing):
    """Apollo's multipart subscriptions: ``{"payload": result}`` parts, ``{}`` heartbeats,
    ``{"payload": null, "errors": [...]}`` when the server ends the subscription, then the
    closing delimiter. Each part is followed by the next delimiter at once, because a
    multipart reader can only tell a part is whole when it sees the delimiter after it."""

    name = "multipart"
    boundary = "graphql"
    media_type = f'multipart/mixed;boundary="{boundary}";subscriptionSpec="1.0"'
    heartbeat_seconds = MULTIPART_HEARTBEAT_SECONDS

    def opening(self) -> bytes:
        return f"\r\n--{self.boundary}".encode()

    def _part(self, encoded: str) -> bytes:
        return (
            b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
            + encoded.encode()
            + f"\r\n--{self.boundary}".encode()
        )

    def next(self, encoded: str) -> bytes:
        return self._part('{"payload":' + encoded + "}")

    def heartbeat(self) -> bytes:
        return self._part("{}")

    def complete(self) -> bytes:
        return b"--\r\n"

    def fatal(self, encoded_errors: str) -> bytes:
        return self._part('{"payload":null,"errors":' + encoded_errors + "}")


SSE = SSEFraming()
MULTIPART = MultipartFraming()


def _media_ranges(accept: str) -> Iterator[tuple[str, dict[str, str]]]:
    for item in accept.split(","):
        media, *params = item.split(";")
        values: dict[str, str] = {}
        for param in params:
            key, _, value = param.partition("=")
            values[key.strip().lower()] = value.strip().strip("\"'")
        yield media.strip().lower(), values


def _quality(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


@lru_cache(maxsize=256)
def negotiate(accept: str) -> Framing | None:
    """The stream framing an ``Accept`` header asks for, or None for a plain response
    (remembered by header, as ``negotiation.choose`` is)."""
    return _negotiate(accept)


def _negotiate(accept: str) -> Framing | None:
    for media, params in _media_ranges(accept):
        if _quality(params.get("q", "1")) <= 0:
            continue  # q=0: explicitly not acceptable
        if media == "text/event-stream":
            return SSE
        if media == "multipart/mixed" and params.get("subscriptionspec", "").startswith("1.0"):
            return MULTIPART
    return None


# -- the gate: subscriptions only over streams ------------------------------------------------


class StreamGate(SchemaExtension):
    """On a plain HTTP request a subscription is not allowed (strawberry then raises
    ``InvalidOperationTypeError``, which the view answers with ``stream_required()``). On a
    stream, a mutation over GET is refused with a code (``METHOD_NOT_ALLOWED``, as over plain
    HTTP), and the stream learns the operation type, so queries and mutations keep the
    operation timeout."""

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        request = getattr(ec.context, "request", None)
        scope = getattr(request, "scope", None) or {}
        stream: HttpStream | None = scope.get(STREAM_SCOPE_KEY)
        if scope.get("type") == "http" and stream is None:
            ec.allowed_operations = set(ec.allowed_operations) - {OperationType.SUBSCRIPTION}
        yield
        if stream is not None and ec.graphql_document is not None:
            try:
                operation = ec.operation_type
            except RuntimeError:
                return  # several operations and no name: reported by strawberry or the Guard
            if operation not in ec.allowed_operations:
                # Strawberry would report it as an exception without a code; in a stream it
                # arrives as a `next` event, the headers having gone.
                raise GraphQLError(
                    "Only queries and subscriptions may be sent with GET; send mutations "
                    "with POST.",
                    extensions={"code": "METHOD_NOT_ALLOWED"},
                )
            stream.operation_started(operation)


# -- opening a stream ------------------------------------------------------------------------


class HttpStreams:
    """The view's HTTP streams: negotiation, the per-principal cap, and opening each one."""

    def __init__(self, view: HelloGraphQL) -> None:
        self.view = view
        self.open: set[HttpStream] = set()
        self.per_key: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.open)

    async def respond(self, request: Request, context: Context) -> Response | None:
        """The stream response for a request that asks for one, else None (the view answers)."""
        framing = negotiate(request.headers.get("accept", ""))
        if framing is None:
            return None
        self._check_origin(request)
        key = _principal_key(context)
        limit = self.view.settings.max_http_streams
        if self.per_key[key] >= limit:
            raise RequestRejected(
                429,
                f"At most {limit} HTTP streams may be open at once; close one, or use one "
                "WebSocket for many subscriptions.",
                "STREAM_LIMIT_EXCEEDED",
            )
        # Counted from here: concurrent requests of one principal cannot all pass the check.
        self.per_key[key] += 1
        try:
            stream = await self._open(request, context, framing, key)
        except BaseException:
            self._release(key)
            raise
        self.open.add(stream)
        principal = context.principal
        if principal is not None:
            self.view.sockets.add(
                stream, session_id=principal.session_id, user_id=principal.user_id
            )
        return stream

    async def _open(
        self, request: Request, context: Context, framing: Framing, key: str
    ) -> HttpStream:
        request.state.hello_context = context  # for persisted documents (server/persisted.py)
        data = await self.view.parse_http_body(self.view.request_adapter_class(request))
        if not isinstance(data, GraphQLRequestData):
            raise HTTPException(400, "Batched requests cannot be streamed.")
        if not data.query:
            raise HTTPException(400, "No GraphQL query found in the request.")
        # What the view's run() sets for a plain request: error shaping reads the context there.
        context.response = Response()
        request.state.hello_context = context
        # GET: queries and subscriptions; POST: any (as strawberry allows them over HTTP).
        allowed = OperationType.from_http("GET" if request.method == "GET" else "POST")
        results = await self.view.schema.stream(
            data.query,
            variable_values=data.variables,
            context_value=context,
            operation_name=data.operation_name,
            operation_extensions=data.extensions,
            allowed_operation_types=allowed,
        )
        stream = HttpStream(
            self.view, request, context, framing, results, on_close=self._closed, key=key
        )
        request.scope[STREAM_SCOPE_KEY] = stream
        return stream

    def _release(self, key: str) -> None:
        self.per_key[key] -= 1
        if self.per_key[key] <= 0:
            del self.per_key[key]

    def _closed(self, stream: HttpStream) -> None:
        if stream not in self.open:
            return
        self.open.discard(stream)
        self._release(stream.key)
        principal = stream.context.principal
        if principal is not None:
            self.view.sockets.remove(
                stream, session_id=principal.session_id, user_id=principal.user_id
            )

    def _check_origin(self, request: Request) -> None:
        """A browser names the page's origin on a cross-origin request; one not allowed cannot
        open a stream (the WebSocket handshake's rule). Requests without ``Origin`` (same-origin
        GETs, programs) and same-origin ones pass."""
        origin = request.headers.get("origin")
        if origin is None or request.headers.get("sec-fetch-site") == "same-origin":
            return
        if is_same_origin(origin, request.headers.get("host")):
            return
        allowed = self.view.allowed_origins
        if "*" in allowed or normalize_origin(origin) in allowed:
            return
        raise RequestRejected(
            403,
            "Streams from this origin are not allowed (CSRF protection); add it to "
            "HELLO_ALLOWED_ORIGINS.",
            "CSRF_REJECTED",
        )


def _principal_key(context: Context) -> str:
    if context.principal is not None:
        return f"user:{context.principal.user_id}"
    return f"ip:{context.meta.ip or 'unknown'}"


__all__ = [
    "MULTIPART",
    "SSE",
    "HttpStreams",
    "StreamGate",
    "negotiate",
    "stream_required",
]
