"""The composition root: one Starlette app serving ``/graphql`` (POST, GET and WebSocket),
``/healthz``, ``/readyz`` and Drive's downloads and upload parts (``server/files.py``)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters import logs, runtime
from adapters.blobs import sweep_forever
from adapters.settings import Settings, get_settings
from graphql_schema.schema import create_schema
from resolvers.core.channels import AUTH_CHANNEL
from resolvers.core.idempotency import sweep_forever as sweep_idempotency_keys
from resolvers.drive.completion import cleanup_forever
from resolvers.identity.queries import live_sessions
from server import calendar_feeds, files, graphiql, incoming_hooks, oauth, persisted, webhooks
from server.execution import install as install_fast_paths
from server.http_streams import StreamGate
from server.jobs import create_runner
from server.limits import Guard
from server.services import running_services
from server.sockets import SocketRegistry
from server.stalled_sockets import StalledSocketGuard
from server.view import CSRF_HEADER, HelloGraphQL
from server.ws_protocol import LeanWebSocketProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every way of serving Hello passes uvicorn (``hello serve``, the tests' server, the
    bench's), so that all three speak the same WebSocket."""
    return {
        "ws_max_size": 1024 * 1024,
        "ws_per_message_deflate": settings.ws_permessage_deflate,
        # uvicorn's own protocol, minus what it kept per connection that nothing reads again
        # (server/ws_protocol.py).
        "ws": LeanWebSocketProtocol,
    }


class HelloApp(Starlette):
    """Starlette, except that a WebSocket to ``/graphql`` goes straight to its endpoint, and
    so does a GET or POST to ``/graphql`` when no middleware is configured (no CORS).

    Starlette's middleware and router do nothing for a WebSocket that this endpoint needs (the
    error middlewares re-raise, CORS ignores WebSockets, the route only matches the path), but
    each is a coroutine frame awaiting for the whole life of the socket, and the exception
    middleware builds a second ``WebSocket`` for it: a few KiB per idle socket (issue 14,
    step 5). For HTTP it is the same: the view answers every exception itself (as JSON, with a
    request id), so the two error middlewares never act, and the router only matches the path
    and the method; passing through them was some 5% of the CPU of a ``{ __typename }`` or a
    ``messageSend``. With CORS configured, and for every other request (other methods, which
    the router answers 405, and other paths), Starlette takes the usual way."""

    def __init__(
        self, *args: Any, graphql_socket: ASGIApp, graphql_http: ASGIApp | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.graphql_socket = graphql_socket
        self.graphql_http = graphql_http

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "lifespan" and scope["path"] == "/graphql":
            if kind == "websocket":
                scope["app"] = self
                await self.graphql_socket(scope, receive, send)
                return
            if self.graphql_http is not None and scope["method"] in ("GET", "POST"):
                scope["app"] = self
                await self.graphql_http(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


log = logging.getLogger("hello.app")


def create_app(settings: Settings | None = None, *, configure_logging: bool = True) -> Starlette:
    settings = settings or get_settings()
    settings.resolved_secret_key()
    if configure_logging:
        logs.configure(settings.log_level)
    schema = install_fast_paths(
        create_schema(production=settings.production, extensions=[Guard, StreamGate])
    )
    sockets = SocketRegistry()
    view = HelloGraphQL(schema, settings, sockets)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running_services(settings) as services:
            app.state.services = services
            app.state.sockets = sockets
            await sockets.start(services.bus, AUTH_CHANNEL, live_sessions)
            cleanup = asyncio.create_task(cleanup_forever(), name="drive-upload-cleanup")
            sweep = asyncio.create_task(sweep_forever(services.blobs), name="blob-temporary-sweep")
            keys = asyncio.create_task(sweep_idempotency_keys(), name="idempotency-key-sweep")
            apq = asyncio.create_task(persisted.sweep_forever(), name="persisted-query-sweep")
            hooks = asyncio.create_task(
                webhooks.listen_forever(services.bus), name="webhook-subscriptions"
            )
            # Background jobs: relayed here, and run here unless `--no-worker` (server/jobs.py).
            jobs = create_runner(settings)
            app.state.jobs = jobs
            await jobs.start()
            log.info("started", extra={"env": settings.env, "redis": bool(settings.redis_url)})
            # Imports, the schema and the start-up state live as long as the process: frozen,
            # every later full collection skips them (bench/: p99 of figure 2 74 -> 56 ms).
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                await jobs.stop()
                cleanup.cancel()
                sweep.cancel()
                keys.cancel()
                apq.cancel()
                await webhooks.stop(hooks)
                await sockets.stop()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        status, body = await runtime.readiness(request.app.state.services)
        return JSONResponse(body, status_code=status)

    middleware = []
    if settings.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST", "PUT"],
                allow_headers=["authorization", "content-type", CSRF_HEADER, "x-request-id"],
                expose_headers=[
                    "x-request-id",
                    "retry-after",
                    "etag",
                    "content-range",
                    "content-disposition",
                ],
                max_age=600,
            )
        )
    graphql_socket = StalledSocketGuard(view, settings)
    return HelloApp(
        graphql_socket=graphql_socket,
        # Straight to the view only where Starlette would add nothing: no middleware.
        graphql_http=None if middleware else view,
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_socket),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *files.routes,
            *oauth.routes,
            *incoming_hooks.routes,
            *calendar_feeds.routes,
            *graphiql.routes(settings),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
