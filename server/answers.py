"""The answer of the lean HTTP path (``server/http_operations.py``): the sub-response the
checks and the rules decorate (a status, ``Retry-After``), and the JSON response itself, its
header list written out once rather than built through Starlette's ``Response`` and then
relabelled by the view (``server/negotiation.py``, ``label``). The same status, headers, order
and body as the general path: ``content-length``, ``content-type`` (the negotiated media type),
the sub-response's headers, ``vary: Accept``, and the view's ``x-request-id``."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response

_MEDIA: dict[str, bytes] = {}


class SubResponse:
    """What strawberry's sub-response is to its resolvers, as far as ours use one: a status
    (None until something sets it) and headers, made only if something sets one."""

    __slots__ = ("_headers", "status_code")

    def __init__(self) -> None:
        self.status_code: int | None = None
        self._headers: MutableHeaders | None = None

    @property
    def headers(self) -> MutableHeaders:
        headers = self._headers
        if headers is None:
            headers = self._headers = MutableHeaders()
        return headers

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return [] if self._headers is None else self._headers.raw


class JsonAnswer(Response):
    """A JSON body answered in ``media``, labelled for caches already (``vary: Accept``); the
    view only adds the request id (``with_request_id``)."""

    def __init__(
        self, body: bytes, status: int, media: str, extra: list[tuple[bytes, bytes]]
    ) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        encoded = _MEDIA.get(media)
        if encoded is None:
            encoded = _MEDIA[media] = media.encode("latin-1")
        self.raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", encoded),
            *extra,
            (b"vary", b"Accept"),
        ]

    def with_request_id(self, request_id: str) -> None:
        self.raw_headers.append((b"x-request-id", request_id.encode("latin-1")))


def answers_directly(extra: list[tuple[bytes, bytes]]) -> bool:
    """Whether a sub-response's headers leave the labelling to ``JsonAnswer``: unless they
    carry a ``vary`` or an ``x-request-id`` of their own (nothing of ours sets either), which
    the view's general path merges."""
    return not any(key in (b"vary", b"x-request-id") for key, _ in extra)
