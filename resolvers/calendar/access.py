"""Who may do what with a calendar and its events.

A person's role on a calendar is the strongest of:

- OWNER if they own it;
- each grant on it to them, to a department they sit in (or one above it) or to a group they
  are in (``CalendarGrant``);
- the calendar's ``organization_role`` (a primary calendar's free/busy is visible to every
  colleague by default), for members, admins and owners of the organization: a guest sees
  only what was shared with them, as the directory shows a guest only the people they meet.

Calendars of another organization, deleted ones and ones nobody gave you are all NOT_FOUND,
exactly like ids that do not exist. Organization admins get no access to other people's
calendars by being admins.

What a role shows of an event (``sees_details``): FREE_BUSY sees busy blocks only (no title,
place, people or description) unless the event is PUBLIC; READER sees events, but a PRIVATE one
only as busy; WRITER and OWNER see everything. The organizer and the attendees of an event
always see its details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError

from models.calendar import (
    CALENDAR_ROLE_RANK,
    Calendar,
    CalendarGrant,
    CalendarGranteeKind,
    CalendarRole,
    Event,
    EventVisibility,
)
from models.drive import GranteeKind
from models.identity import Role, User
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden, NotFound
from resolvers.core.principal import require_principal
from resolvers.drive.access import Grantees, grantees_for_user


def stronger(a: CalendarRole | None, b: CalendarRole | None) -> CalendarRole | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if CALENDAR_ROLE_RANK[a] >= CALENDAR_ROLE_RANK[b] else b


def at_least(role: CalendarRole | None, need: CalendarRole) -> bool:
    return role is not None and CALENDAR_ROLE_RANK[role] >= CALENDAR_ROLE_RANK[need]


async def calendar_grantees(ctx: Context) -> Grantees:
    """The viewer's grantees (themselves, their departments and those above, their groups),
    once per request or per WebSocket event (``ctx.cache``; a subscription pops it)."""
    principal = require_principal(ctx)
    cached = ctx.cache.get("calendar.grantees")
    if isinstance(cached, Grantees):
        return cached
    grantees = await grantees_for_user(principal.user_id)
    ctx.cache["calendar.grantees"] = grantees
    return grantees


def _matches(grantees: Grantees, kind: str, grantee_id: int) -> bool:
    return grantees.matches(GranteeKind(CalendarGranteeKind(kind).value), grantee_id)


async def roles_for(ctx: Context, calendars: Sequence[Calendar]) -> list[CalendarRole | None]:
    """The viewer's role on each calendar (None: none), in at most two queries."""
    principal = require_principal(ctx)
    mine = [
        c
        for c in calendars
        if c.organization_id == principal.organization_id and c.deleted_at is None
    ]
    roles: dict[int, CalendarRole | None] = {}
    others = []
    for c in mine:
        if c.owner_id == principal.user_id:
            roles[c.id] = CalendarRole.OWNER
        else:
            org_wide = c.organization_role if principal.user.role != Role.GUEST else None
            roles[c.id] = CalendarRole(org_wide) if org_wide else None
            others.append(c.id)
    if others:
        grantees = await calendar_grantees(ctx)
        rows: list[Any] = await CalendarGrant.filter(calendar_id__in=others).values_list(
            "calendar_id", "grantee_kind", "grantee_id", "role"
        )
        for calendar_id, kind, grantee_id, role in rows:
            if _matches(grantees, kind, int(grantee_id)):
                roles[int(calendar_id)] = stronger(roles.get(int(calendar_id)), CalendarRole(role))
    return [roles.get(c.id) for c in calendars]


async def role_on(ctx: Context, calendar: Calendar) -> CalendarRole | None:
    return (await roles_for(ctx, [calendar]))[0]


async def access_calendar(
    ctx: Context, calendar_id: int, need: CalendarRole, field: str = "calendarId"
) -> tuple[Calendar, CalendarRole]:
    """The calendar and the viewer's role on it, which must be at least ``need``.

    NOT_FOUND when it does not exist, is deleted, is another organization's or the viewer has
    no role on it; FORBIDDEN when they have a weaker role than ``need``."""
    principal = require_principal(ctx)
    calendar = await Calendar.filter(
        id=calendar_id, organization_id=principal.organization_id, deleted_at=None
    ).first()
    if calendar is None:
        raise NotFound(field=field)
    role = await role_on(ctx, calendar)
    if role is None:
        raise NotFound(field=field)
    if not at_least(role, need):
        raise Forbidden(
            f"This needs the {need.value} role on the calendar; you have {role.value}.",
            field=field,
        )
    return calendar, role


def sees_details(role: CalendarRole | None, event: Event, *, is_party: bool) -> bool:
    """Whether someone with ``role`` on the event's calendar sees its title, place,
    description and people, or only a busy block. ``is_party``: they organize or attend it."""
    if is_party:
        return True
    visibility = EventVisibility(event.visibility)
    if visibility == EventVisibility.PUBLIC:
        return role is not None
    if visibility == EventVisibility.PRIVATE:
        return at_least(role, CalendarRole.WRITER)
    return at_least(role, CalendarRole.READER)


async def do_primary_calendar(user: User) -> Calendar:
    """The user's primary calendar, made on first use (named after them, in their zone, its
    free/busy visible to the organization). Two first uses at once make one: the second
    insert fails on ``primary_of`` and reads the first's. Call it outside a transaction (on
    PostgreSQL a failed insert spoils the transaction it is in)."""
    found = await Calendar.filter(primary_of_id=user.id).first()
    if found is not None:
        return found
    try:
        return await Calendar.create(
            organization_id=user.organization_id,
            owner_id=user.id,
            primary_of_id=user.id,
            name=user.display_name[:100] or user.email,
            time_zone=user.time_zone or "UTC",
            organization_role=CalendarRole.FREE_BUSY,
        )
    except IntegrityError:
        return await Calendar.get(primary_of_id=user.id)
