"""Root fields of Calendar's events: ``eventCreate`` (and, from the issue-16 work, the rest of
the event mutations and the ``events`` window query), and the viewer's ``calendars``."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.types import (
    Calendar,
    Event,
    EventVisibilityEnum,
    ShowAsEnum,
)
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.calendar import EventVisibility, ShowAs
from resolvers.calendar import queries
from resolvers.calendar.attendees import MAX_ATTENDEES, AttendeeSpec
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.event_create import check_event_create
from resolvers.calendar.fields import Details, Times
from resolvers.calendar.queries import SeenEvent
from resolvers.core.errors import CoreErrorCode

INPUT = strawberry.argument(description="What to do.")

INVALID_TIME_RANGE = error_code(
    CalendarErrorCode.INVALID_TIME_RANGE,
    "End before start, a timed event given dates (or an all-day one given instants), or an "
    "occurrence longer than five years; `field` says which.",
)
UNKNOWN_TIME_ZONE = error_code(
    CalendarErrorCode.UNKNOWN_TIME_ZONE, "`timeZone` is not an IANA zone name."
)
INVALID_RECURRENCE = error_code(
    CalendarErrorCode.INVALID_RECURRENCE,
    "An RRULE, RDATE or EXDATE that does not parse, or COUNT with UNTIL.",
)
NO_OCCURRENCES = error_code(
    CalendarErrorCode.NO_OCCURRENCES, "The recurrence yields no occurrence at all."
)
TOO_MANY_ATTENDEES = error_code(
    CalendarErrorCode.TOO_MANY_ATTENDEES,
    f"More than {MAX_ATTENDEES} attendees once groups and departments are expanded.",
)
INVALID_EMAIL = error_code(CalendarErrorCode.INVALID_EMAIL, "An attendee's address is not one.")
INVALID_COLOR = error_code(CalendarErrorCode.INVALID_COLOR, "A color is `#rrggbb`.")
INVALID_REMINDER = error_code(
    CalendarErrorCode.INVALID_REMINDER, "At most 5 reminders, each 0 to 40,320 minutes before."
)

ROOM_NOT_BOOKABLE = error_code(
    CalendarErrorCode.ROOM_NOT_BOOKABLE,
    "A room you may not book (its `bookableBy`), or a disabled one; the message names it.",
)


@strawberry.input(
    description="One attendee: exactly one of `userId`, `groupId`, `departmentId` (everyone in "
    "it and below it, each answering for themselves), `roomId` and `email` (an address "
    "outside the organization; a colleague's address invites the colleague)."
)
class AttendeeInput:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="A person.")
    group_id: strawberry.ID | None = strawberry.field(default=None, description="A group.")
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="A department."
    )
    room_id: strawberry.ID | None = strawberry.field(default=None, description="A meeting room.")
    email: str | None = strawberry.field(default=None, description="An email address.")
    optional: bool = strawberry.field(default=False, description="Optional attendance.")

    def spec(self, where: str) -> AttendeeSpec:
        return AttendeeSpec(
            user_id=require_id(self.user_id, "User", f"{where}.userId"),
            group_id=require_id(self.group_id, "Group", f"{where}.groupId"),
            department_id=require_id(self.department_id, "Department", f"{where}.departmentId"),
            room_id=require_id(self.room_id, "Room", f"{where}.roomId"),
            email=self.email,
            optional=self.optional,
        )


@strawberry.input(description="How an event repeats (RFC 5545).")
class RecurrenceInput:
    rrule: str | None = strawberry.field(
        default=None,
        description="An RRULE value (`FREQ=WEEKLY;BYDAY=MO`, the `RRULE:` prefix optional). "
        "UNTIL in UTC (`…Z`), or a date for all-day events.",
    )
    rdates: list[str] = strawberry.field(
        default_factory=list,
        description="Extra starts: ISO 8601 instants with an offset, or dates for all-day events.",
    )
    exdates: list[str] = strawberry.field(
        default_factory=list,
        description="Removed starts, as `rdates`. At most 1,000 of each.",
    )


@strawberry.input(description="A new event.")
class EventCreateInput:
    calendar_id: strawberry.ID | None = strawberry.field(
        default=None, description="A calendar you may write; your primary calendar if omitted."
    )
    title: str = strawberry.field(default="", description="At most 500 characters.")
    description: str = strawberry.field(default="", description="At most 8,000 characters.")
    location: str = strawberry.field(default="", description="At most 500 characters.")
    all_day: bool = strawberry.field(
        default=False, description="An all-day event: give `startDate` and `endDate`."
    )
    start_at: datetime | None = strawberry.field(
        default=None, description="A timed event's start, with an offset."
    )
    end_at: datetime | None = strawberry.field(
        default=None, description="A timed event's end (not before `startAt`)."
    )
    start_date: date | None = strawberry.field(
        default=None, description="An all-day event's first day."
    )
    end_date: date | None = strawberry.field(
        default=None, description="The day after its last day (exclusive)."
    )
    time_zone: str | None = strawberry.field(
        default=None,
        description="The IANA zone it repeats in (the calendar's if omitted): a weekly 09:00 "
        "stays at 09:00 there across DST changes.",
    )
    recurrence: RecurrenceInput | None = strawberry.field(
        default=None, description="How it repeats; none if omitted."
    )
    visibility: EventVisibilityEnum = strawberry.field(
        default=EventVisibilityEnum.DEFAULT, description="Who sees its details."
    )
    show_as: ShowAsEnum = strawberry.field(
        default=ShowAsEnum.BUSY, description="How it counts in free/busy."
    )
    color: str | None = strawberry.field(default=None, description="`#rrggbb`.")
    attendees: list[AttendeeInput] = strawberry.field(
        default_factory=list,
        description="Who and what to invite (at most 100 entries, 1,000 attendees once groups "
        "and departments are expanded). You are the organizer and always attend.",
    )
    reminder_minutes: list[int] = strawberry.field(
        default_factory=list,
        description="Reminders, minutes before (at most 5), for attendees who set none.",
    )
    guests_can_invite: bool = strawberry.field(
        default=False, description="Attendees may invite others."
    )
    guests_can_see_guests: bool = strawberry.field(
        default=True, description="Attendees may see the guest list."
    )
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Drive files to attach (at most 25)."
    )
    chat_id: strawberry.ID | None = strawberry.field(
        default=None, description="A chat it is about."
    )
    doc_id: strawberry.ID | None = strawberry.field(
        default=None, description="A doc (a Drive file) it is about."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first event."
    )

    def times(self) -> Times:
        recurrence = self.recurrence or RecurrenceInput()
        return Times(
            all_day=self.all_day,
            start=self.start_at,
            end=self.end_at,
            start_date=self.start_date,
            end_date=self.end_date,
            time_zone=self.time_zone or "",
            rrule=recurrence.rrule,
            rdates=list(recurrence.rdates),
            exdates=list(recurrence.exdates),
        )

    with_meeting: bool = strawberry.field(
        default=False,
        description="Create the event with a video meeting (its `meeting`): a scheduled "
        "meeting its attendees join without a passcode.",
    )

    def details(self) -> Details:
        return Details(
            title=self.title,
            description=self.description,
            location=self.location,
            visibility=EventVisibility[self.visibility.name],
            show_as=ShowAs[self.show_as.name],
            color=self.color,
            attachment_file_ids=[
                require_id(a, "File", f"attachmentIds.{i}")
                for i, a in enumerate(self.attachment_ids)
            ],
            chat_id=require_id(self.chat_id, "Chat", "chatId"),
            doc_id=require_id(self.doc_id, "File", "docId"),
            reminder_minutes=list(self.reminder_minutes),
            guests_can_invite=self.guests_can_invite,
            guests_can_see_guests=self.guests_can_see_guests,
        )


@strawberry.enum(description="Why `eventCreate` failed.")
class EventCreateErrorCode(Enum):
    INVALID_TIME_RANGE = INVALID_TIME_RANGE
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    INVALID_RECURRENCE = INVALID_RECURRENCE
    NO_OCCURRENCES = NO_OCCURRENCES
    TOO_MANY_ATTENDEES = TOO_MANY_ATTENDEES
    INVALID_EMAIL = INVALID_EMAIL
    INVALID_COLOR = INVALID_COLOR
    INVALID_REMINDER = INVALID_REMINDER
    ROOM_NOT_BOOKABLE = ROOM_NOT_BOOKABLE
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "You can see the calendar but may not add events to it."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The calendar, or an attendee, room, group or department, does not exist or you "
        "cannot see it (the two answer alike); `field` says which.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `eventCreate` failed.")
class EventCreateError(MutationError):
    code: EventCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `eventCreate`.")
class EventCreatePayload:
    event: Event | None = strawberry.field(default=None, description="The new event.")
    errors: list[EventCreateError] = strawberry.field(description="Why nothing was created.")


@strawberry.type
class CalendarEventsQuery:
    @strawberry.field(
        description="Your calendar list: your own calendars (the primary one first), then "
        "those you subscribed to and still may see.",
        directives=needs("calendar:read"),
    )
    async def calendars(self, info: Info) -> list[Calendar]:
        return [Calendar.from_model(c) for c in await queries.viewer_calendars(info.context)]


@strawberry.type
class CalendarEventsMutation:
    @strawberry.mutation(
        description="Create an event or a recurring series, with its attendees and rooms. "
        "Rooms answer at once: booked, declined when taken, or pending their admin's approval.",
        directives=needs("calendar:write"),
    )
    async def event_create(
        self, info: Info, input: Annotated[EventCreateInput, INPUT]
    ) -> EventCreatePayload:
        action = check_event_create(
            info.context,
            calendar_id=require_id(input.calendar_id, "Calendar", "calendarId"),
            times=input.times(),
            details=input.details(),
            attendees=[a.spec(f"attendees.{i}") for i, a in enumerate(input.attendees)],
            idempotency_key=input.idempotency_key,
            with_meeting=input.with_meeting,
        )
        return await mutate(
            EventCreatePayload,
            EventCreateError,
            action,
            lambda e: {"event": Event.from_model(SeenEvent(e, None, True))},
        )
