"""Calendar in ``viewerEvents``: an event you see was created, changed, cancelled or deleted
(``CalendarEventChanged``), or an attendee answered (``EventRsvpChanged``). The bus payload
goes only to the people who saw the event's details when it was published
(``resolvers.calendar.publish``); each subscriber gets the event as they see it when the event
arrives (details re-checked then: a grant taken away meanwhile shows a busy block or null)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.types import AttendeeResponseEnum, Event
from graphql_schema.core.node import global_id
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import User, visible_user
from resolvers.calendar import queries
from resolvers.calendar.live import CalendarEvent, CalendarEventKind
from resolvers.calendar.recurrence import parse_instance_key


@strawberry.enum(name="CalendarEventChange", description="What happened to an event.")
class CalendarEventChangeEnum(Enum):
    CREATED = strawberry.enum_value("CREATED", description="Created (or a series split off).")
    UPDATED = strawberry.enum_value(
        "UPDATED", description="Changed: times, details, attendees or one occurrence."
    )
    CANCELLED = strawberry.enum_value("CANCELLED", description="One occurrence was cancelled.")
    DELETED = strawberry.enum_value(
        "DELETED", description="Deleted, or you were removed from it (`event` is then null)."
    )


# Selecting any field of Calendar's stream members needs calendar:read (an app whose token lacks
# it is refused before execution, like a root field), whatever viewerEvents itself needs.
READ = needs("calendar:read")


async def _seen_event(info: Info, organization_id: int, event_id: int) -> Event | None:
    ctx = info.context
    if ctx.principal is None or ctx.principal.organization_id != organization_id:
        return None
    # A WebSocket context outlives events: roles are worked out afresh for each one.
    ctx.cache.pop("calendar.grantees", None)
    found = (await queries.visible_events(ctx, [event_id]))[0]
    return Event.from_model(found) if found is not None else None


@strawberry.type(description="An event you see was created, changed, cancelled or deleted.")
class CalendarEventChanged:
    change: CalendarEventChangeEnum = strawberry.field(
        directives=READ, description="What happened."
    )
    event_id: strawberry.ID = strawberry.field(
        directives=READ,
        description="The event's (or edited occurrence's) global ID, also when `event` is null.",
    )
    series_id: strawberry.ID | None = strawberry.field(
        directives=READ, description="For an occurrence: its series' global ID."
    )
    recurrence_id: datetime | None = strawberry.field(
        directives=READ, description="For an occurrence: its original start."
    )
    pk: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    actor_id: strawberry.Private[int]

    @strawberry.field(
        directives=READ,
        description="The event as you see it now; null once deleted or out of your sight.",
    )
    async def event(self, info: Info) -> Event | None:
        return await _seen_event(info, self.organization_id, self.pk)

    @strawberry.field(directives=READ, description="Who did it; null if not visible to you.")
    async def actor(self, info: Info) -> User | None:
        return await visible_user(info, self.actor_id)


@strawberry.type(description="An attendee answered an event you see.")
class EventRsvpChanged:
    event_id: strawberry.ID = strawberry.field(
        directives=READ, description="The event's global ID."
    )
    recurrence_id: datetime | None = strawberry.field(
        directives=READ, description="The occurrence answered for; null for the whole series."
    )
    response: AttendeeResponseEnum = strawberry.field(directives=READ, description="Their answer.")
    pk: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    user_id: strawberry.Private[int | None]
    note_text: strawberry.Private[str]

    @strawberry.field(
        directives=READ, description="The event as you see it now; null if you no longer can."
    )
    async def event(self, info: Info) -> Event | None:
        return await _seen_event(info, self.organization_id, self.pk)

    @strawberry.field(
        directives=READ, description="What they wrote; empty unless you see the event's details."
    )
    async def note(self, info: Info) -> str:
        seen = await _seen_event(info, self.organization_id, self.pk)
        return self.note_text if seen is not None and seen.has_details else ""

    @strawberry.field(directives=READ, description="Who answered; null if not visible to you.")
    async def user(self, info: Info) -> User | None:
        seen = await _seen_event(info, self.organization_id, self.pk)
        if seen is None or not seen.has_details or self.user_id is None:
            return None
        return await visible_user(info, self.user_id)


def to_calendar_event(event: CalendarEvent) -> CalendarEventChanged | EventRsvpChanged | None:
    """The ``viewerEvents`` member for a Calendar bus payload (others are not streamed yet)."""
    if event["type"] == CalendarEventKind.EVENT_CHANGED:
        snap = event["event"]
        rid = snap["recurrenceId"]
        return CalendarEventChanged(
            change=CalendarEventChangeEnum[event["change"]],
            event_id=global_id("Event", int(snap["id"])),
            series_id=global_id("Event", int(snap["seriesId"])) if snap["seriesId"] else None,
            recurrence_id=parse_instance_key(rid) if rid else None,
            pk=int(snap["id"]),
            organization_id=int(snap["organizationId"]),
            actor_id=int(event["actorId"]),
        )
    if event["type"] == CalendarEventKind.RSVP_CHANGED:
        rid = event["recurrenceId"]
        return EventRsvpChanged(
            event_id=global_id("Event", int(event["eventId"])),
            recurrence_id=parse_instance_key(rid) if rid else None,
            response=AttendeeResponseEnum[event["response"]],
            pk=int(event["eventId"]),
            organization_id=int(event["organizationId"]),
            user_id=event["userId"],
            note_text=event["note"],
        )
    return None
