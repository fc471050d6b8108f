"""The media type of an HTTP answer, as the GraphQL over HTTP spec has it.

A client that asks for ``application/graphql-response+json`` gets it, with the spec's status
codes: a request error (a document that does not parse or validate, variables that do not
coerce, an operation that cannot be chosen, a limit refused before execution) is a 4xx and
has no ``data`` entry, so a client can tell it from a field error without reading the body.
``application/json`` keeps the legacy behaviour the spec keeps for it: 200 for every request
error of a well-formed request, ``"data": null`` in the body. Our own typed refusals (401,
413, 429, 503, ...) keep their status codes in both, always in the GraphQL shape with an
``extensions.code``.

The choice follows the ``Accept`` header with its q-values; none, ``*/*`` or ``application/*``
mean ``application/json`` (the spec's default until every client speaks the new type). A
header that accepts neither is answered 406, except where another part of the view answers
in a media type of its own (GraphiQL's HTML, the streaming transports).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_OURS = (GRAPHQL_RESPONSE_JSON, JSON)
# Media types the HTTP streaming transports (Server-Sent Events, multipart subscriptions)
# answer in; they decide for themselves.
_ELSEWHERE = ("text/event-stream", "multipart/mixed")

# The status of a request error in application/graphql-response+json, by extensions.code;
# every other request error is the client's malformed request: 400.
_STATUS = {
    "UNAUTHENTICATED": 401,
    "GATEWAY_ONLY": 403,
    # A token without the scopes the operation needs (server/scope_check.py).
    "FORBIDDEN": 403,
    "PASSWORD_CHANGE_REQUIRED": 403,
    "RATE_LIMITED": 429,
    "INTERNAL_SERVER_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}


def _ranges(accept: str) -> list[tuple[str, float]]:
    """``(media range, q)`` in the order written; unreadable q-values count as 0."""
    found = []
    for part in accept.split(","):
        fields = part.split(";")
        media = fields[0].strip().lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        found.append((media, q))
    return found


def _matches(media_range: str, media: str) -> int:
    """How specifically ``media_range`` names ``media``: 3 exactly, 2 by ``type/*``, 1 by
    ``*/*``, 0 not at all (RFC 9110, 12.5.1: the most specific range decides its q)."""
    if media_range == media:
        return 3
    if media_range.endswith("/*") and media.startswith(media_range[:-1]):
        return 2
    return 1 if media_range == "*/*" else 0


def choose(accept: str | None) -> str | None:
    """The media type to answer in, or None when the header accepts neither of ours."""
    if not accept:
        return JSON
    return _choose(accept)


# Remembered by header: clients send a handful of distinct ones and every request asks (a
# client sending a new header each time only cycles the cache).
@lru_cache(maxsize=256)
def _choose(accept: str) -> str | None:
    if not accept.strip():
        return JSON
    ranges = _ranges(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for preference, media in enumerate(_OURS):
        matching = [
            (_matches(r, media), -position, q)
            for position, (r, q) in enumerate(ranges)
            if _matches(r, media)
        ]
        if not matching:
            continue
        specificity, position, q = max(matching)
        if q <= 0:
            continue
        # Higher q, then a range that names the type itself, then the one written first; a
        # wildcard alone (`*/*`, `application/*`) means application/json, listed last.
        rank = (q, specificity, position if specificity == 3 else 0, preference)
        if best is None or rank > best:
            best, chosen = rank, media
    return chosen


def for_request(request: Request) -> str | None:
    """The media type to answer ``request`` in; None (406) only when nothing else answers it
    either: a GET without a query may be a browser asking for GraphiQL, and the streaming
    transports answer in their own types (not when refused with ``q=0``)."""
    media = choose(request.headers.get("accept"))
    if media is not None:
        return media
    ranges = _ranges(request.headers.get("accept", ""))
    if any(q > 0 and media_range in _ELSEWHERE for media_range, q in ranges):
        return JSON
    if request.method == "GET" and "query" not in request.query_params:
        return JSON
    return None


def not_acceptable() -> tuple[int, str, str]:
    return (
        406,
        f"This endpoint answers in {GRAPHQL_RESPONSE_JSON} or {JSON}; the Accept header "
        "allows neither.",
        "NOT_ACCEPTABLE",
    )


def error_response(
    media: str,
    status: int,
    message: str,
    code: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A request refused before execution, in the GraphQL shape: ``data`` is absent in
    application/graphql-response+json (no execution began), ``null`` in legacy JSON."""
    body: dict[str, Any] = {} if media == GRAPHQL_RESPONSE_JSON else {"data": None}
    body["errors"] = [{"message": message, "extensions": {"code": code, **extra}}]
    return Response(
        orjson.dumps(body), status_code=status, headers=dict(headers or {}), media_type=media
    )


def request_error(
    media: str | None, sub_response: Any, errors: Iterable[GraphQLError], body: GraphQLHTTPResponse
) -> None:
    """Shape the answer to a request error in application/graphql-response+json: no ``data``
    entry, and a 4xx by the first error's code (unless one is set already: the limits set 429
    with Retry-After, the retry 503)."""
    if media != GRAPHQL_RESPONSE_JSON:
        return
    body.pop("data", None)
    if sub_response is None or sub_response.status_code:
        return
    status = 400
    for error in errors:
        found = _STATUS.get(str((error.extensions or {}).get("code", "")))
        if found is not None:
            status = found
            break
    sub_response.status_code = status


def label(response: Response, media: str) -> None:
    """Answer a JSON response in the negotiated media type; the answer depends on Accept, so
    caches must key on it."""
    headers = response.headers
    content_type = headers.get("content-type", "")
    if content_type != media and content_type.split(";", 1)[0].strip() == JSON:
        headers["content-type"] = media
    if "vary" in headers:
        headers.add_vary_header("Accept")
    else:
        headers.append("vary", "Accept")  # what add_vary_header does then, without the scans
