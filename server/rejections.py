"""Refusals at the HTTP edge, each in the GraphQL JSON shape with an ``extensions.code``: the
typed rejection the view turns into a response in the negotiated media type
(``server/negotiation.py``, ``error_response``), the body size limit enforced while the body
streams, and the database faults a request meets before execution (authentication is one read,
so it is retried once on a fresh connection)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request

from adapters.dbhealth import RETRY_AFTER_SECONDS, connection_lost, renew_connections
from resolvers.core.context import Guest, Principal
from resolvers.identity.queries import authenticate
from resolvers.meetings.guests import authenticate_guest, is_guest_token

log = logging.getLogger("hello.request")


class RequestRejected(Exception):
    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}


def unavailable() -> RequestRejected:
    return RequestRejected(
        503,
        "The database is unavailable for a moment; retry shortly.",
        "SERVICE_UNAVAILABLE",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class IndexedHeaders(Headers):
    """Request headers looked up through a dict built at the first lookup: the edge reads a
    dozen per request, and ``Headers`` scans its list for each. The same answers: the first of
    a repeated name, names compared as ``Headers`` compares them."""

    _index: dict[str, str] | None = None

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for key, value in self._list:
                index.setdefault(key.decode("latin-1"), value.decode("latin-1"))
            self._index = index
        return index

    def __getitem__(self, key: str) -> str:
        try:
            return self._lookup()[key.lower()]
        except KeyError:
            raise KeyError(key) from None

    def __contains__(self, key: Any) -> bool:
        return key.lower() in self._lookup()

    def get(self, key: str, default: Any = None) -> Any:
        return self._lookup().get(key.lower(), default)


class SizedRequest(Request):
    """A request whose body is read at most once and refused past ``limit`` bytes, whether or
    not the client sent Content-Length."""

    limit = 1024 * 1024

    @property
    def headers(self) -> Headers:
        if not hasattr(self, "_headers"):
            self._headers = IndexedHeaders(scope=self.scope)
        return self._headers

    async def stream(self) -> AsyncGenerator[bytes, None]:
        size = 0
        async for chunk in super().stream():
            size += len(chunk)
            if size > self.limit:
                raise RequestRejected(
                    413, f"Request bodies are limited to {self.limit} bytes.", "BODY_TOO_LARGE"
                )
            yield chunk

    async def body(self) -> bytes:
        """The whole body, read from ``receive`` here rather than through ``stream``'s two
        async generators (a JSON body is one message), with the same limit and answers: 413
        past ``limit``, ``ClientDisconnect`` if the client went away."""
        if not hasattr(self, "_body"):
            if self._stream_consumed:
                raise RuntimeError("Stream consumed")
            chunks: list[bytes] = []
            size = 0
            while not self._stream_consumed:
                message = await self._receive()
                kind = message["type"]
                if kind == "http.request":
                    if not message.get("more_body", False):
                        self._stream_consumed = True
                    chunk = message.get("body", b"")
                    if chunk:
                        size += len(chunk)
                        if size > self.limit:
                            raise RequestRejected(
                                413,
                                f"Request bodies are limited to {self.limit} bytes.",
                                "BODY_TOO_LARGE",
                            )
                        chunks.append(chunk)
                elif kind == "http.disconnect":
                    self._is_disconnected = True
                    raise ClientDisconnect()
            self._body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._body


def unavailable_in(result: Any) -> bool:
    errors = getattr(result, "errors", None) or ()
    return any((e.extensions or {}).get("code") == "SERVICE_UNAVAILABLE" for e in errors)


async def authenticate_at_edge(token: str) -> Principal | None:
    """``authenticate`` is one read: if the connection died under it, once more on another."""
    try:
        return await authenticate(token)
    except Exception as e:
        if not connection_lost(e):
            raise
    log.info("authenticating again after a lost database connection")
    await renew_connections()
    try:
        return await authenticate(token)
    except Exception as e:
        if connection_lost(e):
            raise unavailable() from e
        raise


async def bearer_guest(value: str) -> Guest | None:
    """The meeting guest of an ``authorization`` value (``Bearer hmg_…``), or None."""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not is_guest_token(token):
        return None
    return await authenticate_guest(token)


def is_guest_bearer(value: str) -> bool:
    scheme, _, token = value.partition(" ")
    return scheme.lower() == "bearer" and is_guest_token(token.strip())


async def bearer_principal(value: str) -> Principal | None:
    """The principal of an ``authorization`` value (``Bearer <token>``), or None."""
    scheme, _, token = value.partition(" ")
    return await authenticate_at_edge(token.strip()) if scheme.lower() == "bearer" else None
