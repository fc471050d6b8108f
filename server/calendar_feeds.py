"""``GET /calendar/feeds/<token>.ics``: a calendar's private iCalendar feed
(resolvers/calendar/feed.py), for calendar apps that subscribe by URL and cannot sign in.

200 ``text/calendar`` with an ``ETag`` (of the body) and ``Last-Modified`` (the latest change of
the calendar or its events); 304 on a matching ``If-None-Match``; 404 for an unknown or revoked
token (or a deleted calendar); 429 with ``Retry-After`` past the feed's rate. Each feed has its
own token bucket in the shared store, with the incoming webhooks' capacity and refill: calendar
apps poll every few minutes, so that limit only stops a runaway client."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from adapters import runtime
from adapters.kv import StoreUnavailable
from adapters.settings import get_settings
from resolvers.calendar.feed import feed_calendar, feed_last_modified
from resolvers.calendar.ics import feed_ics


async def feed(request: Request) -> Response:
    token = str(request.path_params["token"])
    calendar = await feed_calendar(token)
    if calendar is None:
        return PlainTextResponse("No such calendar feed.", 404)
    settings = get_settings()
    try:
        bucket = await runtime.current().store.take(
            f"calendar-feed:{calendar.id}",
            1,
            settings.incoming_webhook_rate_capacity,
            settings.incoming_webhook_rate_refill_per_second,
        )
        allowed, retry_after = bucket.allowed, bucket.retry_after
    except StoreUnavailable:
        allowed, retry_after = True, 0.0  # fail open, as the request rate limit does
    if not allowed:
        return PlainTextResponse(
            "This feed is read too often; slow down.",
            429,
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )
    body = await feed_ics(calendar)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    modified: datetime = (await feed_last_modified(calendar)).astimezone(UTC)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified.replace(microsecond=0), usegmt=True),
        "Cache-Control": "private, no-cache",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, 200, media_type="text/calendar; charset=utf-8", headers=headers)


routes = [Route("/calendar/feeds/{token}.ics", feed, methods=["GET"])]
