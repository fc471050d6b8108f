"""A calendar's private iCalendar feed: ``calendarFeedReset`` makes a secret URL
(``/calendar/feeds/<token>.ics``) that any calendar app can subscribe to without signing in;
``calendarFeedRevoke`` ends it. Owners only.

The token is shown once, in the reset's answer; the database keeps only its HMAC
(``feed_token_hash``, as Identity keeps its tokens), so a copy of the database opens no feed.
Resetting replaces the old URL (it answers 404 from then on), as do revoking and deleting the
calendar. Whoever holds the URL sees the calendar as a READER would (``ics.feed_ics``):
private events as busy blocks."""

from __future__ import annotations

import secrets
from datetime import datetime

from adapters.settings import get_settings
from models.calendar import Calendar, CalendarRole, Event
from resolvers.calendar.access import access_calendar
from resolvers.calendar.calendars import notify_calendar_change
from resolvers.calendar.live import CalendarChange
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import NotFound
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.identity.tokens import token_hash

FEED_PREFIX = "hcf_"
"""Marks a feed token, so secret scanners can recognize a leaked one."""
FEED_PATH = "/calendar/feeds/"


def feed_url(base: str, token: str) -> str:
    public = get_settings().public_url
    return (public or base).rstrip("/") + f"{FEED_PATH}{token}.ics"


async def check_calendar_feed_reset(ctx: Context, calendar_id: int | None) -> tuple[Calendar, str]:
    """A new feed token for the calendar (the old URL stops working)."""
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, _ = await access_calendar(ctx, calendar_id, CalendarRole.OWNER)
    token = FEED_PREFIX + secrets.token_urlsafe(32)
    return await do_calendar_feed_set(calendar, token_hash(token), principal.user_id), token


async def check_calendar_feed_revoke(ctx: Context, calendar_id: int | None) -> Calendar:
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, _ = await access_calendar(ctx, calendar_id, CalendarRole.OWNER)
    return await do_calendar_feed_set(calendar, None, principal.user_id)


async def do_calendar_feed_set(calendar: Calendar, digest: str | None, actor_id: int) -> Calendar:
    async with transaction() as tx:
        await Calendar.filter(id=calendar.id).update(
            feed_token_hash=digest,
            feed_created_at=now() if digest else None,
            version=calendar.version + 1,
        )
        fresh = await Calendar.get(id=calendar.id)
        await notify_calendar_change(tx, fresh, CalendarChange.UPDATED, actor_id)
    return fresh


async def feed_calendar(token: str) -> Calendar | None:
    """The live calendar a feed token opens, or None."""
    if not token.startswith(FEED_PREFIX) or len(token) > 100:
        return None
    return await Calendar.filter(feed_token_hash=token_hash(token), deleted_at=None).first()


async def feed_last_modified(calendar: Calendar) -> datetime:
    """The latest change of the calendar or of any of its events (deleted ones included: a
    deletion changes the feed)."""
    latest = await Event.filter(calendar_id=calendar.id).order_by("-updated_at").first()
    if latest is not None and latest.updated_at > calendar.updated_at:
        return latest.updated_at
    return calendar.updated_at
