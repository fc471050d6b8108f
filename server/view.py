"""The GraphQL view: authentication at the edge, CSRF and body limits, timeouts, WebSocket
sign-in (``server/ws_signin.py``), and one structured log line per operation
(``server/request_log.py``). Queries and mutations over plain HTTP then run in our own small
endpoint (``server/http_operations.py``); strawberry's view serves the rest (WebSockets,
streams, multipart uploads, GraphiQL).

Whatever happens, a client gets the GraphQL JSON shape with an ``extensions.code``: a lost
database connection is retried once where that is safe (``adapters/dbhealth.py``) and is
otherwise SERVICE_UNAVAILABLE with ``Retry-After``; anything unforeseen is
INTERNAL_SERVER_ERROR with the request id, never uvicorn's plain-text 500. Answers are in the
media type the Accept header asks for, with its status codes (``server/negotiation.py``)."""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from adapters.dbhealth import connection_lost
from adapters.settings import Settings
from resolvers.core.context import Context, RequestMeta
from server import (
    graphiql,
    http_operations,
    jsonbody,
    live_events,
    negotiation,
    persisted,
    request_log,
    ws_signin,
)
from server.answers import JsonAnswer
from server.frame_hub import FrameHub
from server.http_operations import JSON_TYPES, MULTIPART, get_only, run_under_rules, unresolved
from server.http_streams import HttpStreams, stream_required
from server.rejections import (
    RequestRejected,
    SizedRequest,
    bearer_guest,
    bearer_principal,
    is_guest_bearer,
    unavailable,
)
from server.sockets import SocketRegistry
from server.ws_frames import FrameCheckingHandler

log = logging.getLogger("hello.request")

CSRF_HEADER = "x-hello-csrf"


_RANDOM = bytearray()
"""Random bytes from ``os.urandom`` not used yet, 4 KiB at a time: one system call for 256
request ids rather than one each."""


def _forget_random() -> None:
    _RANDOM.clear()  # a forked child must not repeat its parent's ids


os.register_at_fork(after_in_child=_forget_random)


def new_request_id() -> str:
    """``uuid.uuid4().hex`` without building the UUID: 16 random bytes, version 4 and the
    RFC 4122 variant set as ``uuid.UUID(..., version=4)`` sets them."""
    if not _RANDOM:
        _RANDOM.extend(os.urandom(4096))
    raw = _RANDOM[-16:]
    del _RANDOM[-16:]
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


class HelloGraphQL(GraphQL[Context, None]):
    # Malformed frames close with 4400 instead of crashing the handler (server/ws_frames.py).
    graphql_transport_ws_handler_class = FrameCheckingHandler

    def __init__(self, schema: Any, settings: Settings, sockets: SocketRegistry) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
            # File uploads (the GraphQL multipart request spec) need the CSRF header, like
            # every non-JSON POST: see _check_transport.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.sockets = sockets
        # Queries and mutations over plain HTTP skip strawberry's view and extension runner
        # (server/http_operations.py) when the schema's extensions are the ones it stands for.
        self.lean = http_operations.serves(schema)
        # Subscriptions over SSE and multipart HTTP (server/http_streams.py).
        self.streams = HttpStreams(self)
        # Live chatEvents over WebSockets: one bus subscription per chat (server/frame_hub.py).
        self.hub = FrameHub(schema)

    # Read per connection, so the setting can change without rebuilding the view.
    @property
    def connection_init_wait_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.ws_init_timeout_seconds)

    @connection_init_wait_timeout.setter
    def connection_init_wait_timeout(self, value: timedelta) -> None:
        pass  # strawberry's constructor assigns it; the setting is the source of truth

    @property
    def max_subscriptions_per_connection(self) -> int:
        return self.settings.ws_max_operations

    @max_subscriptions_per_connection.setter
    def max_subscriptions_per_connection(self, value: int | None) -> None:
        pass

    # -- HTTP ---------------------------------------------------------------------------------

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:  # type: ignore[override]
        # Hands back the coroutine that serves the request rather than awaiting it: a WebSocket
        # keeps one frame fewer for its whole life.
        if scope["type"] != "http":
            return self._serve_websocket(
                WebSocket(scope, receive=ws_signin.tracked(scope, receive), send=send)
            )
        return self._serve_http(scope, receive, send)

    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = SizedRequest(scope, receive=receive)
        content_type = http_operations.media_base(request)
        request.limit = self._body_limit(content_type)
        request_id = request.headers.get("x-request-id", "")[:64] or new_request_id()
        context: Context | None = None
        outcome = "ok"
        # The media type asked for (server/negotiation.py); refusals below answer in it too.
        media = negotiation.for_request(request) or ""
        try:
            if not media:
                media = negotiation.JSON
                raise RequestRejected(*negotiation.not_acceptable())
            self._check_transport(request, content_type)
            context = await self._http_context(request, request_id)
            response = None
            if self.lean and http_operations.handles(request, content_type):
                response = await http_operations.respond(self, request, context, media)
            if response is None:
                # What strawberry's side reads (process_result, the streams).
                request.state.media_type = media
                response = await self.streams.respond(request, context) or await self.run(
                    request, context=context
                )
        except RequestRejected as e:
            outcome = e.code
            response = negotiation.error_response(media, e.status, e.message, e.code, e.headers)
        except HTTPException as e:
            outcome = "BAD_REQUEST"
            status = e.status_code
            code = "BAD_REQUEST" if status != 405 else "METHOD_NOT_ALLOWED"
            response = negotiation.error_response(media, status, e.reason, code)
        except Exception as e:  # the last line of defence: still JSON, still logged
            rejected = self._unexpected(e, request_id)
            outcome = rejected.code
            response = negotiation.error_response(
                media,
                rejected.status,
                rejected.message,
                rejected.code,
                rejected.headers,
                requestId=request_id,
            )
        if type(response) is JsonAnswer:
            response.with_request_id(request_id)  # labelled already (server/answers.py)
        else:
            negotiation.label(response, media)
            response.headers["x-request-id"] = request_id
        if context is not None and outcome == "ok":
            outcome = context.outcome
        request_log.write(request, request_id, context, started, outcome, response.status_code)
        await response(scope, receive, send)

    def _unexpected(self, error: Exception, request_id: str) -> RequestRejected:
        if connection_lost(error):
            log.warning("database connection lost", extra={"request_id": request_id})
            return unavailable()
        log.error("internal error", exc_info=error, extra={"request_id": request_id})
        # In development too: the driver's words (SQL, hosts, paths) are for the log, which
        # the request id finds.
        return RequestRejected(
            500, f"Internal server error (request {request_id}).", "INTERNAL_SERVER_ERROR"
        )

    def _check_transport(self, request: SizedRequest, content_type: str) -> None:
        if (
            request.method == "POST"
            and content_type not in JSON_TYPES
            and CSRF_HEADER not in request.headers
        ):
            raise RequestRejected(
                400,
                f"Requests with content type {content_type or 'none'!r} need the "
                f"{CSRF_HEADER} header (CSRF protection); send application/json instead.",
                "CSRF_REJECTED",
            )
        length = request.headers.get("content-length")
        limit = request.limit
        if length and length.isdigit() and int(length) > limit:
            raise RequestRejected(
                413, f"Request bodies are limited to {limit} bytes.", "BODY_TOO_LARGE"
            )

    def _body_limit(self, content_type: str) -> int:
        """JSON bodies are small; a multipart upload may carry one file of up to
        ``drive_upload_max_bytes`` plus its envelope (the file itself is checked exactly while
        it is stored)."""
        if content_type == MULTIPART:
            return self.settings.drive_upload_max_bytes + self.settings.max_body_bytes
        return self.settings.max_body_bytes

    async def _http_context(self, request: Request, request_id: str) -> Context:
        meta = RequestMeta(
            request_id=request_id,
            ip=_client_ip(request.scope),
            user_agent=request.headers.get("user-agent", ""),
        )
        context = Context(request=request, response=None, meta=meta)
        header = request.headers.get("authorization")
        if header and is_guest_bearer(header):
            # A meeting guest's token: no principal, only the meeting (resolvers/meetings).
            guest = await bearer_guest(header)
            if guest is None:
                raise RequestRejected(
                    401,
                    "The guest token is invalid or no longer works (you left the meeting, "
                    "were removed, or it ended).",
                    "UNAUTHENTICATED",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            context.guest = guest
        elif header:
            principal = await bearer_principal(header)
            if principal is None:
                raise RequestRejected(
                    401,
                    "The access token is invalid, expired or revoked; refresh it or sign in.",
                    "UNAUTHENTICATED",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            context.principal = principal
        return context

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        # Only WebSockets get here without a context (HTTP builds it in __call__), once the
        # handshake is answered: what the log needs of it is copied out, and the rest of the
        # handshake goes (issue 14, step 5).
        meta = RequestMeta(
            request_id=new_request_id(),
            ip=_client_ip(request.scope),
            user_agent=request.headers.get("user-agent", ""),
        )
        ws_signin.forget_handshake(request)
        return Context(request=request, response=response, meta=meta)

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        if isinstance(request, Request) and context is not None:
            # Strawberry asks get_sub_response for the response to decorate (status, headers);
            # hand it the one the context holds, so the rate limiter's 429 reaches the client.
            context.response = await super().get_sub_response(request)
            request.state.sub_response = context.response
            request.state.hello_context = context
            return await super().run(request, context=context, root_value=root_value)
        return await super().run(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our GraphiQL page: assets served by Hello, a CSP, headers never persisted.
        return graphiql.assets().page(request)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        existing = getattr(request.state, "sub_response", None)
        return existing if existing is not None else await super().get_sub_response(request)

    async def parse_http_body(self, request: Any) -> Any:
        data = await self._parse_http_body(request)
        if not isinstance(data, list):
            if not isinstance(data.operation_name, str | None):
                raise HTTPException(400, "operationName must be a string or null, if provided.")
            # Streams and uploads name documents by APQ hash only (no documentId field here).
            starlette_request = getattr(request, "_request", request)
            state = getattr(starlette_request, "state", None)
            context = getattr(state, "hello_context", None)
            resolved = await persisted.resolve(
                data.query, data.extensions, None, context, cast(Any, self.schema)._schema
            )
            if resolved.query is not None:
                data.query = resolved.query
        return data

    async def _parse_http_body(self, request: Any) -> Any:
        content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
        if (
            request.method == "POST"
            and content_type not in JSON_TYPES
            and content_type != MULTIPART
        ):
            # Allowed only with the CSRF header (checked above): read it as JSON.
            try:
                data = self.parse_json(await request.get_body())
            except (json.JSONDecodeError, orjson.JSONDecodeError) as e:
                raise HTTPException(400, "Unable to parse request body as JSON") from e
            if not isinstance(data, dict):
                raise HTTPException(400, "Batched requests are not supported.")
            from strawberry.http import GraphQLRequestData

            return GraphQLRequestData(
                query=data.get("query"),
                variables=data.get("variables"),
                operation_name=data.get("operationName"),
                extensions=data.get("extensions"),
            )
        return await super().parse_http_body(request)

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        attempt = functools.partial(super().execute_single, *args, **kwargs)
        try:
            return await run_under_rules(
                self.settings, attempt, kwargs.get("context"), kwargs.get("sub_response")
            )
        except InvalidOperationTypeError as e:
            raise get_only() from e
        except HTTPException as e:
            cause = e.__cause__
            if isinstance(cause, InvalidOperationTypeError) and (
                cause.operation_type is OperationType.SUBSCRIPTION
            ):
                raise stream_required() from e  # without a streaming Accept (http_streams.py)
            if "not allowed when using GET" in e.reason:
                raise get_only() from e
            if isinstance(e.__cause__, CannotGetOperationTypeError):
                return unresolved(e.reason, kwargs.get("context"))  # an unknown operationName
            raise

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        state = request.state
        return http_operations.answer_body(
            result,
            getattr(state, "hello_context", None),
            getattr(state, "media_type", None),
            getattr(state, "sub_response", None),
        )

    def encode_json(self, data: object) -> str:
        # A str, not bytes: strawberry sends bytes over a WebSocket as binary frames, which
        # graphql-ws clients (and browsers) do not read as protocol messages. A live event's
        # payload shared by a class of subscribers is encoded once (server/live_events.py).
        return live_events.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except jsonbody.TooDeep as e:
            raise HTTPException(400, f"The JSON is nested deeper than {e.limit} levels.") from e
        except json.JSONDecodeError as e:
            raise HTTPException(400, "Unable to parse request body as JSON") from e

    def decode_json(self, data: str | bytes) -> object:
        # HTTP bodies, query-string variables and WebSocket messages alike: nesting bounded
        # first (a JSONDecodeError, so each transport answers it as malformed JSON).
        return jsonbody.loads(data)

    # -- WebSocket ----------------------------------------------------------------------------

    async def _serve_websocket(self, ws: WebSocket) -> None:
        try:
            await super().run(ws)
        finally:
            # The handler returns when the socket is gone; forget it.
            await ws_signin.signed_out(ws, self.sockets)

    async def on_ws_connect(self, context: Context) -> Any:
        return await ws_signin.sign_in(context, self.sockets)
