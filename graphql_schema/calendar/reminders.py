"""Reminders: ``eventReminderSet`` (an attendee's own reminders for an event) and the
``EventReminder`` member of ``viewerEvents``. Importing ``resolvers.calendar.reminders`` here
registers the ``reminders`` save hook and the reminder job."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.types import Event, occurrence_id
from graphql_schema.core.node import global_id, require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from resolvers.calendar import reminders
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.live import CalendarEventKind
from resolvers.calendar.queries import SeenEvent
from resolvers.core.errors import CoreErrorCode


@strawberry.type(description="A reminder of an event you attend is due.")
class EventReminder:
    event_id: strawberry.ID = strawberry.field(description="The event (a series: the series).")
    occurrence_id: strawberry.ID = strawberry.field(
        description="The occurrence's stable ID (the event and its original start)."
    )
    recurrence_id: datetime = strawberry.field(description="The occurrence's original start.")
    title: str = strawberry.field(description="The occurrence's title.")
    start_at: datetime = strawberry.field(description="When the occurrence starts.")
    minutes_before: int = strawberry.field(description="How long before its start this is.")


def to_event_reminder(event: Mapping[str, Any]) -> EventReminder | None:
    """The ``viewerEvents`` member for a ``calendar.reminder`` bus payload."""
    if event.get("type") != CalendarEventKind.REMINDER:
        return None
    recurrence_id = datetime.fromisoformat(str(event["recurrenceId"]))
    return EventReminder(
        event_id=global_id("Event", int(event["eventId"])),
        occurrence_id=occurrence_id(int(event["eventId"]), recurrence_id),
        recurrence_id=recurrence_id,
        title=str(event["title"]),
        start_at=datetime.fromisoformat(str(event["startAt"])),
        minutes_before=int(event["minutesBefore"]),
    )


@strawberry.input(description="Your own reminders for an event you attend.")
class EventReminderSetInput:
    event_id: strawberry.ID = strawberry.field(description="The event (a series: all of it).")
    minutes: list[int] | None = strawberry.field(
        description="Minutes before each occurrence (at most 5, each 0 to 40,320); empty for "
        "none; null to use the event's again."
    )


@strawberry.enum(description="Why `eventReminderSet` failed.")
class EventReminderSetErrorCode(Enum):
    INVALID_REMINDER = error_code(
        CalendarErrorCode.INVALID_REMINDER, "At most 5 reminders, each 0 to 40,320 minutes."
    )
    NOT_AN_ATTENDEE = error_code(
        CalendarErrorCode.NOT_AN_ATTENDEE, "You see the event but do not attend it."
    )
    # Scheduling expands the stored series to find the next reminder.
    INVALID_RECURRENCE = error_code(
        CalendarErrorCode.INVALID_RECURRENCE, "The event's stored recurrence no longer parses."
    )
    UNKNOWN_TIME_ZONE = error_code(
        CalendarErrorCode.UNKNOWN_TIME_ZONE, "The event's stored zone is no longer known."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND, "No such event, or you cannot see it (the two answer alike)."
    )


@strawberry.type(description="A reason why `eventReminderSet` changed nothing.")
class EventReminderSetError(MutationError):
    code: EventReminderSetErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `eventReminderSet`.")
class EventReminderSetPayload:
    event: Event | None = strawberry.field(default=None, description="The event (the series).")
    errors: list[EventReminderSetError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class CalendarRemindersMutation:
    @strawberry.mutation(
        description="Set your own reminders for an event you attend (instead of the event's).",
        directives=needs("calendar:write"),
    )
    async def event_reminder_set(
        self,
        info: Info,
        input: Annotated[EventReminderSetInput, strawberry.argument(description="What to do.")],
    ) -> EventReminderSetPayload:
        async def action() -> Any:
            return await reminders.check_reminder_set(
                info.context,
                require_id(input.event_id, "Event", "eventId"),
                list(input.minutes) if input.minutes is not None else None,
            )

        return await mutate(
            EventReminderSetPayload,
            EventReminderSetError,
            action(),
            lambda e: {"event": Event.from_model(SeenEvent(e, None, True))},
        )
