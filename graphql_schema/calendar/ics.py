"""Root fields of iCalendar: ``calendarExport`` and ``eventExport`` (what you see, as ``.ics``
text), ``calendarImport``, and a calendar's private feed URL (``calendarFeedReset`` and
``calendarFeedRevoke``; the feed itself is ``GET /calendar/feeds/<token>.ics``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.calendars import CALENDAR_FORBIDDEN, CALENDAR_NOT_FOUND, INPUT
from graphql_schema.calendar.events import (
    INVALID_RECURRENCE,
    INVALID_TIME_RANGE,
    NO_OCCURRENCES,
    UNKNOWN_TIME_ZONE,
)
from graphql_schema.calendar.types import Calendar
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import global_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.calendar import CalendarImport, CalendarRole
from resolvers.calendar import feed, ics, ics_import
from resolvers.calendar import itip as _itip  # noqa: F401  (registers the iTIP hook)
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.core.errors import CoreErrorCode, NotFound


@strawberry.type
class CalendarIcsQuery:
    @strawberry.field(
        description="A whole calendar as iCalendar (RFC 5545) text, as you see it: events you "
        "see only as busy are busy blocks (times, no title, place, description or people). "
        "Null if you cannot see the calendar.",
        directives=needs("calendar:read"),
    )
    async def calendar_export(
        self,
        info: Info,
        calendar_id: Annotated[strawberry.ID, strawberry.argument(description="The calendar.")],
    ) -> str | None:
        try:
            return await ics.calendar_export(
                info.context, require_id(calendar_id, "Calendar", "calendarId")
            )
        except NotFound:
            return None

    @strawberry.field(
        description="One event as iCalendar text, as you see it: a series with its changed "
        "occurrences (an occurrence's ID exports its series). Null if you cannot see it.",
        directives=needs("calendar:read"),
    )
    async def event_export(
        self,
        info: Info,
        event_id: Annotated[strawberry.ID, strawberry.argument(description="The event.")],
    ) -> str | None:
        try:
            return await ics.event_export(info.context, require_id(event_id, "Event", "eventId"))
        except NotFound:
            return None


# -- calendarImport -----------------------------------------------------------------------------


@strawberry.input(description="Import an .ics file into a calendar you may write.")
class CalendarImportInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you may write.")
    ics: str = strawberry.field(
        description="The file's text (at most 5 MB). Events whose UID is in the calendar "
        "already are updated, not duplicated."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first result."
    )


@strawberry.type(description="What an import did.")
class CalendarImportResult:
    id: strawberry.ID = strawberry.field(description="This import's ID.")
    created: int = strawberry.field(description="New events (a series counts once).")
    updated: int = strawberry.field(description="Events already there (by UID), changed.")
    skipped: int = strawberry.field(
        description="Events not written: unchanged since they were last imported, or wrong "
        "(those are in `errors`)."
    )
    errors: list[CalendarImportItemError] = strawberry.field(
        description="The events that were wrong; the rest were imported."
    )
    created_at: datetime = strawberry.field(description="When the import ran.")

    @classmethod
    def from_model(cls, r: CalendarImport) -> CalendarImportResult:
        return cls(
            id=global_id("CalendarImport", r.id),
            created=r.created,
            updated=r.updated,
            skipped=r.skipped,
            errors=[
                CalendarImportItemError(
                    uid=str(e["uid"]),
                    code=CalendarImportErrorCode(str(e["code"])),
                    message=str(e["message"]),
                )
                for e in r.errors
            ],
            created_at=r.created_at,
        )


@strawberry.enum(
    description="Why `calendarImport` failed (and changed nothing), or why one event of the "
    "file was skipped (`CalendarImportResult.errors`)."
)
class CalendarImportErrorCode(Enum):
    INVALID_ICALENDAR = error_code(
        CalendarErrorCode.INVALID_ICALENDAR,
        "The file is not iCalendar or holds no event; for one event, a VEVENT Hello cannot "
        "read (no DTSTART, changed occurrences without their series).",
    )
    ICALENDAR_TOO_LARGE = error_code(
        CalendarErrorCode.ICALENDAR_TOO_LARGE, "The file is over 5 MB."
    )
    INVALID_TIME_RANGE = INVALID_TIME_RANGE
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    INVALID_RECURRENCE = INVALID_RECURRENCE
    NO_OCCURRENCES = NO_OCCURRENCES
    INVALID_EMAIL = error_code(
        CalendarErrorCode.INVALID_EMAIL,
        "Not returned: an attendee whose address is not one is left out of its event.",
    )
    TOO_MANY_ATTENDEES = error_code(
        CalendarErrorCode.TOO_MANY_ATTENDEES,
        "Not returned: attendees past the limit are left out of their event.",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "You can see the calendar but may not add events to it."
    )
    NOT_FOUND = CALENDAR_NOT_FOUND
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="An event of the file that was not imported, and why.")
class CalendarImportItemError:
    uid: str = strawberry.field(description="Its UID.")
    code: CalendarImportErrorCode = strawberry.field(
        description="What is wrong with it, for programs."
    )
    message: str = strawberry.field(description="What is wrong, for people.")


@strawberry.type(description="A reason why `calendarImport` failed.")
class CalendarImportError(MutationError):
    code: CalendarImportErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarImport`.")
class CalendarImportPayload:
    result: CalendarImportResult | None = strawberry.field(
        default=None, description="What the import did."
    )
    errors: list[CalendarImportError] = strawberry.field(description="Why nothing changed.")


# -- the feed -----------------------------------------------------------------------------------


@strawberry.input(description="Make (or remake) a calendar's private feed URL.")
class CalendarFeedResetInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you own.")


@strawberry.input(description="End a calendar's private feed.")
class CalendarFeedRevokeInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you own.")


@strawberry.enum(description="Why `calendarFeedReset` or `calendarFeedRevoke` failed.")
class CalendarFeedErrorCode(Enum):
    FORBIDDEN = CALENDAR_FORBIDDEN
    NOT_FOUND = CALENDAR_NOT_FOUND


@strawberry.type(description="A reason why a feed change failed.")
class CalendarFeedError(MutationError):
    code: CalendarFeedErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarFeedReset`.")
class CalendarFeedResetPayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    url: str | None = strawberry.field(
        default=None,
        description="The private feed URL: shown this once (only a hash is kept). Anyone "
        "holding it sees the calendar as a reader would (private events as busy). The "
        "previous URL no longer works.",
    )
    errors: list[CalendarFeedError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `calendarFeedRevoke`.")
class CalendarFeedRevokePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    errors: list[CalendarFeedError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class CalendarIcsMutation:
    @strawberry.mutation(
        description="Import an .ics file (Google, Outlook, Hello) into a calendar you may "
        "write: series, changed occurrences, time zones, attendees. Importing the same file "
        "again changes nothing.",
        directives=needs("calendar:write"),
    )
    async def calendar_import(
        self, info: Info, input: Annotated[CalendarImportInput, INPUT]
    ) -> CalendarImportPayload:
        action = ics_import.check_calendar_import(
            info.context,
            require_id(input.calendar_id, "Calendar", "calendarId"),
            input.ics,
            input.idempotency_key,
        )
        return await mutate(
            CalendarImportPayload,
            CalendarImportError,
            action,
            lambda r: {"result": CalendarImportResult.from_model(r)},
        )

    @strawberry.mutation(
        description="Make a new private feed URL for a calendar you own (the old one stops "
        "working).",
        directives=needs("calendar:write"),
    )
    async def calendar_feed_reset(
        self, info: Info, input: Annotated[CalendarFeedResetInput, INPUT]
    ) -> CalendarFeedResetPayload:
        action = feed.check_calendar_feed_reset(
            info.context, require_id(input.calendar_id, "Calendar", "calendarId")
        )
        base = str(info.context.request.base_url)
        return await mutate(
            CalendarFeedResetPayload,
            CalendarFeedError,
            action,
            lambda r: {
                "calendar": Calendar.from_model((r[0], CalendarRole.OWNER)),
                "url": feed.feed_url(base, r[1]),
            },
        )

    @strawberry.mutation(
        description="End a calendar's private feed (its URL answers 404).",
        directives=needs("calendar:write"),
    )
    async def calendar_feed_revoke(
        self, info: Info, input: Annotated[CalendarFeedRevokeInput, INPUT]
    ) -> CalendarFeedRevokePayload:
        action = feed.check_calendar_feed_revoke(
            info.context, require_id(input.calendar_id, "Calendar", "calendarId")
        )
        return await mutate(
            CalendarFeedRevokePayload,
            CalendarFeedError,
            action,
            lambda c: {"calendar": Calendar.from_model((c, CalendarRole.OWNER))},
        )
