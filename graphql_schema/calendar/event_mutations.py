"""``eventUpdate`` and ``eventDelete``: change or delete an event, one occurrence of a series,
the series from one occurrence on, or the whole series (``resolvers.calendar.event_update``
explains the choices)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.events import (
    INPUT,
    INVALID_COLOR,
    INVALID_EMAIL,
    INVALID_RECURRENCE,
    INVALID_REMINDER,
    INVALID_TIME_RANGE,
    NO_OCCURRENCES,
    ROOM_NOT_BOOKABLE,
    TOO_MANY_ATTENDEES,
    UNKNOWN_TIME_ZONE,
    AttendeeInput,
    RecurrenceInput,
)
from graphql_schema.calendar.types import Event, EventVisibilityEnum, ShowAsEnum
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.calendar import Event as EventModel
from models.calendar import EventVisibility, ShowAs
from resolvers.calendar import queries
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.event_delete import check_event_delete
from resolvers.calendar.event_update import EventConflict, EventPatch, Scope, check_event_update
from resolvers.core.errors import CoreErrorCode

UNSET: Any = strawberry.UNSET


@strawberry.enum(name="EventScope", description="Which occurrences of a series a change is for.")
class EventScopeEnum(Enum):
    THIS = strawberry.enum_value("THIS", description="Only the occurrence `recurrenceId`.")
    THIS_AND_FOLLOWING = strawberry.enum_value(
        "THIS_AND_FOLLOWING",
        description="That occurrence and every later one: the series is split there.",
    )
    ALL = strawberry.enum_value("ALL", description="The whole series (or the single event).")


CONFLICT = error_code(
    CalendarErrorCode.CONFLICT,
    "`version` is not the current one: someone changed the event meanwhile. The message names "
    "the current version and the payload's `event` is the event as it is now.",
)
NOT_AN_OCCURRENCE = error_code(
    CalendarErrorCode.NOT_AN_OCCURRENCE,
    "`recurrenceId` is not the original start of an occurrence of the series.",
)
NOT_RECURRING = error_code(
    CalendarErrorCode.NOT_RECURRING, "THIS or THIS_AND_FOLLOWING on an event that does not recur."
)
NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The event (or an attendee, room, group or department named) does not exist or you cannot "
    "see it (the two answer alike); `field` says which.",
)
FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN,
    "You see the event but are neither its organizer nor a writer of its calendar.",
)


@strawberry.input(
    description="A change to an event: only the fields given change (null clears `color`)."
)
class EventUpdateInput:
    event_id: strawberry.ID = strawberry.field(
        description="The event or series (an edited occurrence's own id edits that occurrence)."
    )
    version: int = strawberry.field(
        description="The version your change is based on: a stale one is a CONFLICT."
    )
    scope: EventScopeEnum = strawberry.field(
        default=EventScopeEnum.ALL, description="Which occurrences of a series (ALL if omitted)."
    )
    recurrence_id: datetime | None = strawberry.field(
        default=None,
        description="The occurrence (its original start) for THIS and THIS_AND_FOLLOWING.",
    )
    title: str | None = strawberry.field(default=UNSET, description="At most 500 characters.")
    description: str | None = strawberry.field(
        default=UNSET, description="At most 8,000 characters."
    )
    location: str | None = strawberry.field(default=UNSET, description="At most 500 characters.")
    all_day: bool | None = strawberry.field(
        default=UNSET, description="Make it all-day (give dates) or timed (give times)."
    )
    start_at: datetime | None = strawberry.field(default=UNSET, description="A timed start.")
    end_at: datetime | None = strawberry.field(default=UNSET, description="A timed end.")
    start_date: date | None = strawberry.field(default=UNSET, description="An all-day first day.")
    end_date: date | None = strawberry.field(
        default=UNSET, description="The day after the last day (exclusive)."
    )
    time_zone: str | None = strawberry.field(default=UNSET, description="An IANA zone.")
    recurrence: RecurrenceInput | None = strawberry.field(
        default=UNSET,
        description="The new recurrence (ALL or THIS_AND_FOLLOWING); null stops repeating.",
    )
    visibility: EventVisibilityEnum | None = strawberry.field(
        default=UNSET, description="Who sees its details."
    )
    show_as: ShowAsEnum | None = strawberry.field(
        default=UNSET, description="How it counts in free/busy."
    )
    color: str | None = strawberry.field(default=UNSET, description="`#rrggbb`; null clears it.")
    reminder_minutes: list[int] | None = strawberry.field(
        default=UNSET, description="Reminders, minutes before (at most 5)."
    )
    guests_can_invite: bool | None = strawberry.field(
        default=UNSET, description="Attendees may invite others."
    )
    guests_can_see_guests: bool | None = strawberry.field(
        default=UNSET, description="Attendees may see the guest list."
    )
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="Drive files attached (replaces the list; at most 25)."
    )
    attendees_add: list[AttendeeInput] = strawberry.field(
        default_factory=list,
        description="Invite these too (ALL or THIS_AND_FOLLOWING; attendees may when the "
        "organizer lets guests invite).",
    )
    attendees_remove: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Attendees (`EventAttendee.id`) to uninvite."
    )

    def patch(self) -> EventPatch:
        p = EventPatch()
        for name, key in (
            ("all_day", "all_day"),
            ("start_at", "start"),
            ("end_at", "end"),
            ("start_date", "start_date"),
            ("end_date", "end_date"),
            ("time_zone", "time_zone"),
        ):
            value = getattr(self, name)
            if value is not UNSET:
                p.times[key] = value
        if p.times.get("all_day") is None:
            p.times.pop("all_day", None)
        if "time_zone" in p.times and p.times["time_zone"] is None:
            p.times.pop("time_zone")
        if self.recurrence is not UNSET:
            r = self.recurrence or RecurrenceInput()
            p.times.update(rrule=r.rrule, rdates=list(r.rdates), exdates=list(r.exdates))
        for name in (
            "title",
            "description",
            "location",
            "guests_can_invite",
            "guests_can_see_guests",
            "reminder_minutes",
        ):
            value = getattr(self, name)
            if value is not UNSET and value is not None:
                p.details[name] = value
        if self.color is not UNSET:
            p.details["color"] = self.color
        if self.visibility not in (UNSET, None):
            p.details["visibility"] = EventVisibility[self.visibility.name]
        if self.show_as not in (UNSET, None):
            p.details["show_as"] = ShowAs[self.show_as.name]
        if self.attachment_ids not in (UNSET, None):
            p.details["attachment_file_ids"] = [
                require_id(a, "File", f"attachmentIds.{i}")
                for i, a in enumerate(self.attachment_ids)
            ]
        p.attendees_add = [a.spec(f"attendeesAdd.{i}") for i, a in enumerate(self.attendees_add)]
        p.attendees_remove = [
            require_id(a, "EventAttendee", f"attendeesRemove.{i}")
            for i, a in enumerate(self.attendees_remove)
        ]
        return p


@strawberry.enum(description="Why `eventUpdate` failed.")
class EventUpdateErrorCode(Enum):
    CONFLICT = CONFLICT
    INVALID_TIME_RANGE = INVALID_TIME_RANGE
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    INVALID_RECURRENCE = INVALID_RECURRENCE
    NO_OCCURRENCES = NO_OCCURRENCES
    NOT_AN_OCCURRENCE = NOT_AN_OCCURRENCE
    NOT_RECURRING = NOT_RECURRING
    TOO_MANY_ATTENDEES = TOO_MANY_ATTENDEES
    INVALID_EMAIL = INVALID_EMAIL
    INVALID_COLOR = INVALID_COLOR
    INVALID_REMINDER = INVALID_REMINDER
    ROOM_NOT_BOOKABLE = ROOM_NOT_BOOKABLE
    GUESTS_CANNOT_INVITE = error_code(
        CalendarErrorCode.GUESTS_CANNOT_INVITE,
        "You attend but the organizer does not let guests invite others.",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = FORBIDDEN
    NOT_FOUND = NOT_FOUND


@strawberry.type(description="A reason why `eventUpdate` failed.")
class EventUpdateError(MutationError):
    code: EventUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `eventUpdate`.")
class EventUpdatePayload:
    event: Event | None = strawberry.field(
        default=None,
        description="The series (or event) as it is now: for THIS_AND_FOLLOWING the new "
        "series; on a CONFLICT the current event.",
    )
    errors: list[EventUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="What to delete.")
class EventDeleteInput:
    event_id: strawberry.ID = strawberry.field(
        description="The event or series (an edited occurrence's own id cancels that one)."
    )
    version: int | None = strawberry.field(
        default=None, description="When given, a stale version is a CONFLICT."
    )
    scope: EventScopeEnum = strawberry.field(
        default=EventScopeEnum.ALL,
        description="ALL deletes the event or series; THIS cancels one occurrence; "
        "THIS_AND_FOLLOWING ends the series before it.",
    )
    recurrence_id: datetime | None = strawberry.field(
        default=None, description="The occurrence for THIS and THIS_AND_FOLLOWING."
    )


@strawberry.enum(description="Why `eventDelete` failed.")
class EventDeleteErrorCode(Enum):
    CONFLICT = CONFLICT
    # Ending a series rewrites its RRULE (an UNTIL): checked like any other.
    INVALID_RECURRENCE = INVALID_RECURRENCE
    INVALID_TIME_RANGE = INVALID_TIME_RANGE
    NO_OCCURRENCES = NO_OCCURRENCES
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    NOT_AN_OCCURRENCE = NOT_AN_OCCURRENCE
    NOT_RECURRING = NOT_RECURRING
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = FORBIDDEN
    NOT_FOUND = NOT_FOUND


@strawberry.type(description="A reason why `eventDelete` failed.")
class EventDeleteError(MutationError):
    code: EventDeleteErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `eventDelete`.")
class EventDeletePayload:
    event: Event | None = strawberry.field(
        default=None,
        description="The series as it is now (null once the whole event is deleted); on a "
        "CONFLICT the current event.",
    )
    errors: list[EventDeleteError] = strawberry.field(description="Why nothing changed.")


async def as_seen(info: Info, event: EventModel) -> Event | None:
    found = (await queries.visible_events(info.context, [event.id]))[0]
    return Event.from_model(found) if found is not None else None


async def run(info: Info, payload_cls: Any, error_cls: Any, action: Awaitable[EventModel]) -> Any:
    """``mutate``, with the current event in the payload of a CONFLICT."""
    current: list[EventModel] = []

    async def act() -> Event | None:
        try:
            return await as_seen(info, await action)
        except EventConflict as e:
            current.append(e.current)
            raise

    payload = await mutate(payload_cls, error_cls, act(), lambda ev: {"event": ev})
    if current:
        payload.event = await as_seen(info, current[0])
    return payload


@strawberry.type
class CalendarEventMutations:
    @strawberry.mutation(
        description="Change an event, one occurrence of a series, the series from one "
        "occurrence on, or the whole series. Only the fields given change.",
        directives=needs("calendar:write"),
    )
    async def event_update(
        self, info: Info, input: Annotated[EventUpdateInput, INPUT]
    ) -> EventUpdatePayload:
        action = check_event_update(
            info.context,
            event_id=require_id(input.event_id, "Event", "eventId"),
            version=input.version,
            scope=Scope(input.scope.name),
            recurrence_id=input.recurrence_id,
            patch=input.patch(),
        )
        return await run(info, EventUpdatePayload, EventUpdateError, action)

    @strawberry.mutation(
        description="Delete an event or a series, cancel one occurrence, or end a series "
        "before one occurrence. Its attendees are told.",
        directives=needs("calendar:write"),
    )
    async def event_delete(
        self, info: Info, input: Annotated[EventDeleteInput, INPUT]
    ) -> EventDeletePayload:
        action = check_event_delete(
            info.context,
            event_id=require_id(input.event_id, "Event", "eventId"),
            version=input.version,
            scope=Scope(input.scope.name),
            recurrence_id=input.recurrence_id,
        )
        return await run(info, EventDeletePayload, EventDeleteError, action)
