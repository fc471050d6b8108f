"""``POST /hooks/incoming/<token>``: a chat's incoming webhook (resolvers/apps/incoming_webhooks).

Answers JSON: 200 ``{"ok": true, "messageId": "<Message ID>"}``; otherwise ``{"ok": false,
"error": {"code", "message"}}`` with 400 (BAD_JSON, BAD_TEXT), 401 (BAD_SIGNATURE), 404
(NOT_FOUND: unknown or revoked), 413 (BODY_TOO_LARGE) or 429 (RATE_LIMITED, with
``Retry-After``). Each hook has its own token bucket in the shared store."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters import runtime
from adapters.kv import StoreUnavailable
from adapters.settings import get_settings
from graphql_schema.core.node import global_id
from resolvers.apps.incoming_webhooks import (
    IncomingRefused,
    do_post_incoming,
    find_hook,
    parse_post,
)

MAX_BODY = 64 * 1024


def _refused(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        {"ok": False, "error": {"code": code, "message": message}}, status, headers=headers
    )


async def incoming(request: Request) -> Response:
    token = str(request.path_params["token"])
    hook = await find_hook(token)
    if hook is None:
        return _refused(404, "NOT_FOUND", "No such webhook.")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            return _refused(413, "BODY_TOO_LARGE", f"The body is over {MAX_BODY} bytes.")
    settings = get_settings()
    try:
        bucket = await runtime.current().store.take(
            f"incoming-hook:{hook.id}",
            1,
            settings.incoming_webhook_rate_capacity,
            settings.incoming_webhook_rate_refill_per_second,
        )
        allowed, retry_after = bucket.allowed, bucket.retry_after
    except StoreUnavailable:
        allowed, retry_after = True, 0.0  # fail open, as the request rate limit does
    if not allowed:
        return _refused(
            429,
            "RATE_LIMITED",
            "This webhook posts too often; slow down.",
            {"Retry-After": str(max(1, math.ceil(retry_after)))},
        )
    try:
        text = parse_post(hook, raw)
        message = await do_post_incoming(hook, text)
    except IncomingRefused as e:
        return _refused(e.status, e.code, e.message)
    return JSONResponse({"ok": True, "messageId": global_id("Message", message.id)})


routes = [Route("/hooks/incoming/{token}", incoming, methods=["POST"])]
