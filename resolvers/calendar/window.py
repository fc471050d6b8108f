"""The ``events`` window: the occurrences of some calendars' events between two instants, as the
viewer sees them, in time order.

A constant number of queries whatever the number of events: the calendars and the viewer's
roles (``visible_calendars``), the rows of the window (``expand.load_window``: masters, then
exceptions), the viewer's party to those events and their answers (their ``EventAttendee``
rows, then their ``OccurrenceResponse`` rows in the window). Expansion itself is pure.

Privacy: an occurrence shows details when the viewer sees its series' details
(``access.sees_details`` with the viewer's role on the calendar and whether they organize or
attend it); an edited occurrence is judged by its own visibility. A free/busy reader gets a busy
block and nothing else: times, show-as, and the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from models.calendar import (
    AttendeeResponse,
    Calendar,
    CalendarRole,
    Event,
    EventAttendee,
    OccurrenceResponse,
)
from resolvers.calendar import recurrence
from resolvers.calendar.access import sees_details
from resolvers.calendar.expand import Instance, expand, load_window, series_of
from resolvers.calendar.queries import SeenEvent, visible_calendars, visible_events
from resolvers.core.context import Context
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.principal import require_principal

MAX_CALENDARS = 100


@dataclass(slots=True)
class SeenOccurrence:
    """One occurrence as the viewer sees it. ``seen`` is its series (or single event) as the
    viewer sees it; ``details`` whether this occurrence's own details show."""

    instance: Instance
    seen: SeenEvent
    details: bool
    calendar: Calendar | None
    """None when the viewer sees the event only as a party to it (no role on its calendar)."""
    role: CalendarRole | None
    viewer_response: AttendeeResponse | None


async def window_events(
    ctx: Context, calendar_ids: list[int | None], window_from: datetime, window_to: datetime
) -> list[SeenOccurrence]:
    """The occurrences of the calendars' events in ``[window_from, window_to)``.

    INVALID_TIME_RANGE / WINDOW_TOO_LARGE for a bad window, NOT_FOUND (``calendarIds.i``) for a
    calendar the viewer cannot see (another organization's included)."""
    require_principal(ctx)
    # A time without an offset is read as UTC (the API speaks UTC).
    if window_from.tzinfo is None:
        window_from = window_from.replace(tzinfo=UTC)
    if window_to.tzinfo is None:
        window_to = window_to.replace(tzinfo=UTC)
    recurrence.check_window(window_from, window_to)
    if len(calendar_ids) > MAX_CALENDARS:
        raise ValidationFailed(f"At most {MAX_CALENDARS} calendars.", field="calendarIds")
    for i, cid in enumerate(calendar_ids):
        if cid is None:
            raise NotFound(field=f"calendarIds.{i}")
    ids = list(dict.fromkeys(int(c) for c in calendar_ids if c is not None))
    found = await visible_calendars(ctx, ids)
    for i, f in enumerate(found):
        if f is None:
            raise NotFound(field=f"calendarIds.{calendar_ids.index(ids[i])}")
    calendars: dict[int, tuple[Calendar, CalendarRole | None]] = {
        c.id: (c, role) for c, role in (f for f in found if f is not None)
    }
    if not calendars:
        return []
    masters, exceptions = await load_window(
        Q(calendar_id__in=list(calendars)), window_from, window_to
    )
    instances = expand(masters, exceptions, window_from, window_to)
    return await _seen(ctx, instances, masters, calendars)


async def _seen(
    ctx: Context,
    instances: list[Instance],
    masters: list[Event],
    calendars: dict[int, tuple[Calendar, CalendarRole | None]],
) -> list[SeenOccurrence]:
    """``instances`` as the viewer sees them (in two queries: their attendee rows, their
    answers to single occurrences); those they may not see at all are left out."""
    principal = require_principal(ctx)
    master_ids = [m.id for m in masters]
    mine: dict[int, EventAttendee] = {}
    if master_ids:
        for a in await EventAttendee.filter(event_id__in=master_ids, user_id=principal.user_id):
            mine[a.event_id] = a
    answers: dict[tuple[int, datetime], AttendeeResponse] = {}
    if mine:
        rows: list[Any] = await OccurrenceResponse.filter(
            attendee_id__in=[a.id for a in mine.values()]
        ).values_list("attendee_id", "recurrence_id", "response")
        for attendee_id, rid, answer in rows:
            answers[(int(attendee_id), rid)] = AttendeeResponse(answer)
    seen_by_master: dict[int, SeenEvent] = {}
    out: list[SeenOccurrence] = []
    for inst in instances:
        master = inst.master
        calendar, role = calendars.get(master.calendar_id, (None, None))
        attendee = mine.get(master.id)
        party = master.organizer_id == principal.user_id or attendee is not None
        if role is None and not party:
            continue
        seen = seen_by_master.get(master.id)
        if seen is None:
            seen = SeenEvent(master, role, sees_details(role, master, is_party=party))
            seen_by_master[master.id] = seen
        details = sees_details(role, inst.row, is_party=party)
        response: AttendeeResponse | None = None
        if attendee is not None:
            response = answers.get((attendee.id, inst.recurrence_id)) or AttendeeResponse(
                attendee.response
            )
        out.append(SeenOccurrence(inst, seen, details, calendar, role, response))
    return out


async def visible_occurrences(
    ctx: Context, keys: list[tuple[int, datetime]]
) -> list[SeenOccurrence | None]:
    """Occurrences by (series or event id, original start), as the viewer sees them, None
    where there is no such occurrence (cancelled included) or the viewer cannot see it
    (``node(id:)`` of an ``EventOccurrence``)."""
    require_principal(ctx)
    if not keys:
        return []
    found = await visible_events(ctx, list(dict.fromkeys(k[0] for k in keys)))
    masters = {s.event.id: s.event for s in found if s is not None and s.event.series_id is None}
    exceptions: dict[tuple[int, str], Event] = {}
    if masters:
        for e in await Event.filter(
            series_id__in=list(masters),
            instance_key__in=[recurrence.instance_key(k[1]) for k in keys],
            deleted_at=None,
        ):
            exceptions[(e.series_id or 0, e.instance_key)] = e
    calendar_rows = await visible_calendars(ctx, list({m.calendar_id for m in masters.values()}))
    calendars: dict[int, tuple[Calendar, CalendarRole | None]] = {
        c.id: (c, role) for c, role in (x for x in calendar_rows if x is not None)
    }
    out: list[SeenOccurrence | None] = []
    for event_id, rid in keys:
        master = masters.get(event_id)
        inst = _instance(master, exceptions, rid) if master is not None else None
        if inst is None or master is None:
            out.append(None)
            continue
        seen = await _seen(ctx, [inst], [master], calendars)
        out.append(seen[0] if seen else None)
    return out


def _instance(
    master: Event, exceptions: dict[tuple[int, str], Event], rid: datetime
) -> Instance | None:
    rid = rid.astimezone(UTC)
    exc = exceptions.get((master.id, recurrence.instance_key(rid)))
    if exc is not None:
        return None if exc.cancelled else Instance(master, rid, exc.start_at, exc.end_at, exc)
    if not (master.rrule or master.rdates):
        if master.start_at == rid:
            return Instance(master, rid, master.start_at, master.end_at)
        return None
    hits = recurrence.occurrences(series_of(master), rid, rid + timedelta(seconds=1), limit=50)
    for o in hits:
        if o.recurrence_id == rid:
            return Instance(master, rid, o.start, o.end)
    return None
