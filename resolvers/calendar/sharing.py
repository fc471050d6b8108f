"""Sharing a calendar: ``calendarShare`` gives a user, a department (and those below it, as
``access.roles_for`` reads it) or a group a role on it; sharing again changes the role;
``calendarUnshare`` takes it away. Only owners share. The owner's own role cannot be granted or
taken away (CANNOT_CHANGE_OWNER). Guests cannot share (they may be shared with)."""

from __future__ import annotations

from models.calendar import Calendar, CalendarGrant, CalendarGranteeKind, CalendarRole
from models.identity import Role
from resolvers.calendar.access import access_calendar
from resolvers.calendar.calendars import notify_calendar_change
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.live import CalendarChange
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, Forbidden, NotFound
from resolvers.core.grantees import check_grantee
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction


async def _grantee(
    principal: Principal, user_id: int | None, department_id: int | None, group_id: int | None
) -> tuple[CalendarGranteeKind, int]:
    kind, pk = await check_grantee(
        principal, user_id, department_id, group_id, invalid=CalendarErrorCode.INVALID_GRANTEE
    )
    return CalendarGranteeKind(kind), pk


async def _owned(ctx: Context, calendar_id: int | None) -> Calendar:
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    if principal.user.role == Role.GUEST:
        # Before any lookup, so a guest learns nothing about which ids exist.
        await access_calendar(ctx, calendar_id, CalendarRole.FREE_BUSY)
        raise Forbidden("Guests cannot share calendars.", field="calendarId")
    calendar, _ = await access_calendar(ctx, calendar_id, CalendarRole.OWNER)
    return calendar


def _not_owner(calendar: Calendar, kind: CalendarGranteeKind, grantee_id: int) -> None:
    if kind == CalendarGranteeKind.USER and grantee_id == calendar.owner_id:
        raise DomainError(
            "The owner always owns the calendar; their role cannot be changed.",
            field="userId",
            code=CalendarErrorCode.CANNOT_CHANGE_OWNER,
        )


async def check_calendar_share(
    ctx: Context,
    *,
    calendar_id: int | None,
    user_id: int | None,
    department_id: int | None,
    group_id: int | None,
    role: CalendarRole,
) -> tuple[Calendar, CalendarGrant]:
    principal = require_principal(ctx)
    calendar = await _owned(ctx, calendar_id)
    kind, grantee_id = await _grantee(principal, user_id, department_id, group_id)
    _not_owner(calendar, kind, grantee_id)
    grant = await do_calendar_share(calendar, kind, grantee_id, role, principal.user_id)
    return calendar, grant


async def do_calendar_share(
    calendar: Calendar,
    kind: CalendarGranteeKind,
    grantee_id: int,
    role: CalendarRole,
    actor_id: int,
) -> CalendarGrant:
    async with transaction() as tx:
        grant, created = await CalendarGrant.get_or_create(
            calendar_id=calendar.id,
            grantee_kind=kind,
            grantee_id=grantee_id,
            defaults={"role": role, "granted_by_id": actor_id},
        )
        if not created and grant.role != role:
            grant.role = role
            grant.granted_by_id = actor_id
            await grant.save(update_fields=["role", "granted_by_id"])
        await notify_calendar_change(tx, calendar, CalendarChange.SHARED, actor_id)
    return grant


async def check_calendar_unshare(
    ctx: Context,
    *,
    calendar_id: int | None,
    user_id: int | None,
    department_id: int | None,
    group_id: int | None,
) -> Calendar:
    principal = require_principal(ctx)
    calendar = await _owned(ctx, calendar_id)
    kind, grantee_id = await _grantee(principal, user_id, department_id, group_id)
    _not_owner(calendar, kind, grantee_id)
    grant = await CalendarGrant.filter(
        calendar_id=calendar.id, grantee_kind=kind, grantee_id=grantee_id
    ).first()
    if grant is None:
        raise NotFound("There is no such grant on this calendar.", field="userId")
    await do_calendar_unshare(calendar, grant, principal.user_id)
    return calendar


async def do_calendar_unshare(calendar: Calendar, grant: CalendarGrant, actor_id: int) -> None:
    # A user who loses the grant is told too (they may still see it through a department).
    lost = {grant.grantee_id} if grant.grantee_kind == CalendarGranteeKind.USER else set()
    async with transaction() as tx:
        await grant.delete()
        await notify_calendar_change(tx, calendar, CalendarChange.UNSHARED, actor_id, also=lost)


async def grants_of(calendar_ids: list[int]) -> dict[int, list[CalendarGrant]]:
    """The grants of each calendar (oldest first), in one query."""
    out: dict[int, list[CalendarGrant]] = {i: [] for i in calendar_ids}
    for g in await CalendarGrant.filter(calendar_id__in=calendar_ids).order_by("id"):
        out[g.calendar_id].append(g)
    return out
