"""Drive's HTTP routes beside GraphQL: downloads and the parts of upload sessions.

- ``GET /files/{id}`` (Bearer token): a file you may read; ``?version=N`` for an older version.
- ``GET /files/{id}/content?v=&exp=[&l=]&sig=``: a signed, short-lived download URL (no token);
  one handed out through a share link checks the link and, on S3, redirects to S3.
- ``PUT /uploads/{token}/parts/{n}`` (Bearer token): one part of an upload session on the local
  store (on S3, clients PUT parts to presigned S3 URLs instead).

Downloads answer a single ``Range`` (206 with ``Content-Range``; 416 when unsatisfiable),
``If-None-Match`` (304) and ``If-Range``, and name the file in ``Content-Disposition``.
Errors are JSON, ``{"errors": [{"message", "extensions": {"code"}}]}``, like GraphQL's.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from strawberry import relay

from adapters import runtime
from adapters.blobs import content_disposition
from resolvers.core.context import Context, RequestMeta
from resolvers.core.errors import CoreErrorCode, DomainError, ErrorCode
from resolvers.drive import downloads, upload_sessions
from resolvers.drive.errors import DriveErrorCode
from resolvers.identity.queries import authenticate

log = logging.getLogger("hello.request")

_STATUS: dict[ErrorCode, int] = {
    CoreErrorCode.UNAUTHENTICATED: 401,
    CoreErrorCode.FORBIDDEN: 403,
    DriveErrorCode.INVALID_SIGNATURE: 403,
    CoreErrorCode.NOT_FOUND: 404,
    DriveErrorCode.UPLOAD_CLOSED: 409,
    CoreErrorCode.PASSWORD_CHANGE_REQUIRED: 403,
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _error(
    status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code.value}}]})
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _domain_error(e: DomainError) -> Response:
    return _error(_STATUS.get(e.code, 400), e.code, e.message)


async def _context(request: Request) -> Context | Response:
    """A context for the bearer of the request's access token, or a 401 response."""
    meta = RequestMeta(
        request_id=getattr(request.state, "request_id", "") or uuid.uuid4().hex,
        ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    principal = await authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        return _error(
            401,
            CoreErrorCode.UNAUTHENTICATED,
            "Send a valid access token: Authorization: Bearer <token>.",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.user_id = principal.user_id
    return Context(request=request, response=None, meta=meta, principal=principal)


def _logged(
    name: str,
) -> Callable[[Callable[[Request], Awaitable[Response]]], Callable[[Request], Awaitable[Response]]]:
    """One structured log line per request, like GraphQL's (the time to the first byte)."""

    def wrap(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[..., Awaitable[Response]]:
        @functools.wraps(handler)
        async def logged(request: Request) -> Response:
            started = time.perf_counter()
            request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
            request.state.request_id = request_id
            response = await handler(request)
            response.headers["x-request-id"] = request_id
            if log.isEnabledFor(logging.INFO):
                log.info(
                    name,
                    extra={
                        "request_id": request_id,
                        "user_id": getattr(request.state, "user_id", None),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "status": response.status_code,
                        "method": request.method,
                    },
                )
            return response

        return logged

    return wrap


def _file_pk(raw: str) -> int | None:
    try:
        gid = relay.GlobalID.from_id(raw)
    except Exception:
        return None
    if gid.type_name != "File" or not gid.node_id.isdigit():
        return None
    return int(gid.node_id)


def _byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, stop) of a single ``bytes=`` range; None to serve everything (no range, several
    ranges or a syntax we ignore, as RFC 9110 allows); False when unsatisfiable."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        n = int(last)
        return (max(0, size - n), size) if n > 0 and size > 0 else False
    start = int(first)
    stop = size if not last else min(size, int(last) + 1)
    if last and int(last) < start:
        return None
    if start >= size:
        return False
    return start, stop


def _serve(request: Request, download: downloads.Download) -> Response:
    version = download.version
    size = version.size
    etag = f'"{version.sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private",
        "Content-Disposition": content_disposition(download.item.name),
        # User content from the API's origin: never sniffed, never run.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    media_type = version.content_type or "application/octet-stream"
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        if "*" in tags or etag in tags:
            return Response(status_code=304, headers=headers)
    start, stop, status = 0, size, 200
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (if_range is None or if_range.strip() == etag):
        chosen = _byte_range(range_header, size)
        if chosen is False:
            headers["Content-Range"] = f"bytes */{size}"
            return _error(
                416, DriveErrorCode.RANGE_NOT_SATISFIABLE, "The range is outside the file.", headers
            )
        if isinstance(chosen, tuple):
            start, stop = chosen
            status = 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    headers["Content-Length"] = str(stop - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    store = runtime.current().blobs
    return StreamingResponse(
        store.get(download.storage_key, start, stop),
        status_code=status,
        headers=headers,
        media_type=media_type,
    )


@_logged("download")
async def file_download(request: Request) -> Response:
    """``GET /files/{id}[?version=N]`` with a Bearer token."""
    ctx = await _context(request)
    if isinstance(ctx, Response):
        return ctx
    raw_version = request.query_params.get("version")
    if raw_version is not None and not raw_version.isdigit():
        return _error(400, CoreErrorCode.BAD_REQUEST, "version is a version number (1, 2, …).")
    try:
        download = await downloads.open_download(
            ctx, _file_pk(request.path_params["id"]), int(raw_version) if raw_version else None
        )
    except DomainError as e:
        return _domain_error(e)
    return _serve(request, download)


@_logged("signed_download")
async def signed_download(request: Request) -> Response:
    """``GET /files/{id}/content?v=&exp=[&l=]&sig=``: a signed URL, no token (``l``: handed out
    through that share link, which must still work)."""
    q = request.query_params
    try:
        download = await downloads.open_signed(
            _file_pk(request.path_params["id"]),
            q.get("v", ""),
            q.get("exp", ""),
            q.get("sig", ""),
            q.get("l", ""),
        )
    except DomainError as e:
        return _domain_error(e)
    redirect = await downloads.redirect_url(download)
    if redirect is not None:
        # Made for this request and good for seconds: no cache may keep it for later ones.
        return RedirectResponse(redirect, 307, headers={"Cache-Control": "no-store"})
    return _serve(request, download)


@_logged("upload_part")
async def upload_part(request: Request) -> Response:
    """``PUT /uploads/{token}/parts/{n}``: the body is the part, exactly its expected size."""
    ctx = await _context(request)
    if isinstance(ctx, Response):
        return ctx
    number = request.path_params["number"]
    try:
        info = await upload_sessions.receive_part(
            ctx, request.path_params["token"], number, request.stream()
        )
    except DomainError as e:
        return _domain_error(e)
    body = orjson.dumps({"number": info.number, "size": info.size})
    return Response(
        body, headers={"ETag": f'"{info.etag.strip(chr(34))}"'}, media_type="application/json"
    )


routes = [
    Route("/files/{id}", file_download, methods=["GET", "HEAD"]),
    Route("/files/{id}/content", signed_download, methods=["GET", "HEAD"]),
    Route("/uploads/{token}/parts/{number:int}", upload_part, methods=["PUT"]),
]
