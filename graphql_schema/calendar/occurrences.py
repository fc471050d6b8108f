"""The ``events`` window query and its ``EventOccurrence`` type: each occurrence of the asked
calendars' events between two instants, expanded in the event's own zone, exceptions applied,
as the viewer may see it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.calendar.types import (
    BUSY_TITLE,
    AttendeeResponseEnum,
    Calendar,
    Event,
    ShowAsEnum,
)
from graphql_schema.core.node import decode_id
from graphql_schema.core.scopes import needs
from models import calendar as m
from resolvers.calendar import recurrence
from resolvers.calendar.window import SeenOccurrence, visible_occurrences, window_events


@strawberry.type(
    name="EventOccurrence",
    description="One occurrence of an event in a window: a single event, or one occurrence of "
    "a series (edited ones with their own title, place and times). Without the right to see "
    'its details, `title` is "Busy" and `location` empty.',
)
class EventOccurrence(relay.Node):
    id: relay.NodeID[str] = strawberry.field(
        description="Stable: the series (or event) and the occurrence's original start; "
        "`node(id:)` finds it again."
    )
    recurrence_id: datetime = strawberry.field(
        description="The occurrence's original start (RFC 5545 RECURRENCE-ID), whatever an "
        "edit made of it; for a single event, its start. Pass it to `eventUpdate`, "
        "`eventDelete` and `eventRespond`."
    )
    start_at: datetime = strawberry.field(description="When it starts.")
    end_at: datetime = strawberry.field(description="When it ends.")
    all_day: bool = strawberry.field(description="An all-day occurrence (see the dates).")
    start_date: date | None = strawberry.field(description="An all-day occurrence's first day.")
    end_date: date | None = strawberry.field(
        description="The day after an all-day occurrence's last day (exclusive)."
    )
    has_details: bool = strawberry.field(
        description="False when you see only when it is (a busy block)."
    )
    title: str = strawberry.field(description='Its title, or "Busy" without details.')
    location: str = strawberry.field(description="Its place; empty without details.")
    show_as: ShowAsEnum = strawberry.field(description="How it counts in free/busy.")
    color: str | None = strawberry.field(description="`#rrggbb`, or null for the calendar's.")
    cancelled: bool = strawberry.field(description="Always false: cancelled ones are left out.")
    viewer_response: AttendeeResponseEnum | None = strawberry.field(
        description="Your answer for this occurrence (else your answer for the series); null "
        "when you are not invited."
    )
    event: Event = strawberry.field(description="The series (or the single event) as you see it.")
    calendar: Calendar | None = strawberry.field(
        description="The calendar it is on; null if you see the event only as its attendee."
    )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[EventOccurrence | None]:
        keys: list[tuple[int, datetime] | None] = []
        for n in node_ids:
            event_id, _, key = str(n).partition("_")
            rid = recurrence.parse_instance_key(key)
            ok = event_id.isascii() and event_id.isdigit() and 0 < len(event_id) <= 18
            keys.append((int(event_id), rid) if ok and rid is not None else None)
        found = iter(await visible_occurrences(info.context, [k for k in keys if k is not None]))
        out: list[EventOccurrence | None] = []
        for k in keys:
            seen = next(found) if k is not None else None
            out.append(cls.from_seen(seen) if seen is not None else None)
        return out

    @classmethod
    def from_seen(cls, o: SeenOccurrence) -> EventOccurrence:
        inst, details = o.instance, o.details
        row = inst.row
        all_day = row.all_day
        start_date = end_date = None
        if all_day:
            tz = recurrence.zone(row.time_zone)
            start_date = inst.start.astimezone(tz).date()
            end_date = max(start_date + timedelta(days=1), inst.end.astimezone(tz).date())
        return cls(
            id=f"{inst.master.id}_{recurrence.instance_key(inst.recurrence_id)}",
            recurrence_id=inst.recurrence_id,
            start_at=inst.start,
            end_at=inst.end,
            all_day=all_day,
            start_date=start_date,
            end_date=end_date,
            has_details=details,
            title=row.title if details else BUSY_TITLE,
            location=row.location if details else "",
            show_as=ShowAsEnum[m.ShowAs(row.show_as).value],
            color=row.color if details else None,
            cancelled=False,
            viewer_response=(
                AttendeeResponseEnum[o.viewer_response.value]
                if o.viewer_response is not None
                else None
            ),
            event=Event.from_model(o.seen),
            calendar=(
                Calendar.from_model((o.calendar, o.role))
                if o.calendar is not None and o.role is not None
                else None
            ),
        )


@strawberry.type
class CalendarOccurrencesQuery:
    @strawberry.field(
        description="The occurrences of events on these calendars that overlap [`from`, `to`), "
        "in time order: series expanded in their own time zone, edited occurrences moved, "
        "cancelled ones left out. At most 366 days (WINDOW_TOO_LARGE) and `to` after `from` "
        "(INVALID_TIME_RANGE), as top-level errors; a calendar you cannot see is NOT_FOUND.",
        directives=needs("calendar:read"),
    )
    async def events(
        self,
        info: Info,
        calendar_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Calendars (at most 100).")
        ],
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="The window's start.")
        ],
        to: Annotated[datetime, strawberry.argument(description="The window's end (excluded).")],
    ) -> list[EventOccurrence]:
        ids = [decode_id(c, "Calendar") for c in calendar_ids]
        found = await window_events(info.context, ids, from_, to)
        return [EventOccurrence.from_seen(o) for o in found]
