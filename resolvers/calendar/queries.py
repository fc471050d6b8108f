"""Reads of calendars and events by id, as the viewer may see them (``node``, payloads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.calendar import Calendar, CalendarRole, CalendarSubscription, Event, EventAttendee
from resolvers.calendar.access import do_primary_calendar, roles_for, sees_details
from resolvers.core.context import Context
from resolvers.core.principal import require_principal


@dataclass(slots=True)
class SeenEvent:
    """An event as one viewer sees it: ``details`` false shows only a busy block."""

    event: Event
    role: CalendarRole | None
    details: bool


async def visible_calendars(
    ctx: Context, ids: list[int]
) -> list[tuple[Calendar, CalendarRole] | None]:
    """Each calendar with the viewer's role, None where they have none."""
    principal = require_principal(ctx)
    rows = {
        c.id: c
        for c in await Calendar.filter(
            id__in=ids, organization_id=principal.organization_id, deleted_at=None
        )
    }
    found = [rows.get(i) for i in ids]
    roles = await roles_for(ctx, [c for c in found if c is not None])
    by_id = {c.id: r for c, r in zip([c for c in found if c is not None], roles, strict=True)}
    return [
        (c, role) if c is not None and (role := by_id.get(c.id)) is not None else None
        for c in found
    ]


async def party_event_ids(user_id: int, event_ids: list[int]) -> set[int]:
    """Of ``event_ids`` (masters or singles), those the user organizes or attends."""
    if not event_ids:
        return set()
    rows: list[Any] = await EventAttendee.filter(
        event_id__in=event_ids, user_id=user_id
    ).values_list("event_id", flat=True)
    return {int(r) for r in rows}


async def seen_events(ctx: Context, events: list[Event]) -> list[SeenEvent | None]:
    """How the viewer sees each event: None if not at all (no role on its calendar and not a
    party to it)."""
    principal = require_principal(ctx)
    mine = [e for e in events if e.organization_id == principal.organization_id]
    calendars = {
        c.id: c
        for c in await Calendar.filter(id__in={e.calendar_id for e in mine}, deleted_at=None)
    }
    listed = list(calendars.values())
    roles = dict(zip([c.id for c in listed], await roles_for(ctx, listed), strict=True))
    parties = await party_event_ids(principal.user_id, [e.series_id or e.id for e in mine])
    out: list[SeenEvent | None] = []
    for e in events:
        if e.organization_id != principal.organization_id or e.deleted_at is not None:
            out.append(None)
            continue
        role = roles.get(e.calendar_id)
        party = e.organizer_id == principal.user_id or (e.series_id or e.id) in parties
        if role is None and not party:
            out.append(None)
            continue
        out.append(SeenEvent(e, role, sees_details(role, e, is_party=party)))
    return out


async def visible_events(ctx: Context, ids: list[int]) -> list[SeenEvent | None]:
    principal = require_principal(ctx)
    rows = {
        e.id: e for e in await Event.filter(id__in=ids, organization_id=principal.organization_id)
    }
    found = [rows.get(i) for i in ids]
    seen = iter(await seen_events(ctx, [e for e in found if e is not None]))
    return [next(seen) if e is not None else None for e in found]


async def viewer_calendars(ctx: Context) -> list[tuple[Calendar, CalendarRole]]:
    """The viewer's calendar list: their own calendars, then those they subscribed to and
    still may see."""
    principal = require_principal(ctx)
    await do_primary_calendar(principal.user)
    own = await Calendar.filter(
        owner_id=principal.user_id, organization_id=principal.organization_id, deleted_at=None
    ).order_by("id")
    sub_ids: list[Any] = (
        await CalendarSubscription.filter(user_id=principal.user_id)
        .order_by("id")
        .values_list("calendar_id", flat=True)
    )
    others = [x for x in await visible_calendars(ctx, [int(i) for i in sub_ids]) if x is not None]
    # The primary first, though it is made on first use (after calendars made before that).
    own = sorted(own, key=lambda c: (c.primary_of_id is None, c.id))
    return [(c, CalendarRole.OWNER) for c in own] + [
        x for x in others if x[0].owner_id != principal.user_id
    ]
