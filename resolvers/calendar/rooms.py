"""Buildings and meeting rooms: organization owners and admins manage them, everyone in the
organization reads them (guests included: a room is a place, not a person of the directory).

Another organization's buildings and rooms are NOT_FOUND, exactly like ids that do not exist.
A room is never deleted (its bookings are history): it is disabled, and a disabled room cannot
be booked. A building is deleted only while no room is in it.

``free_rooms`` answers "which of these rooms is free in this window", expanding recurring
bookings (``expand.instances``): a room is taken by an ACCEPTED or pending (NEEDS_ACTION)
booking of any occurrence overlapping the window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.admin import Department, Group
from models.calendar import AttendeeResponse, Building, EventAttendee, Room
from models.identity import Role, User
from resolvers.calendar import expand, recurrence
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.fields import check_text
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import Principal, require_principal
from resolvers.core.tx import transaction

MAX_FLOORS = 200
MAX_EQUIPMENT = 20
MAX_BOOKABLE_BY = 100
MAX_CAPACITY = 100_000
TAKEN = (AttendeeResponse.ACCEPTED, AttendeeResponse.NEEDS_ACTION)
"""Answers of a room that hold its time: booked, or awaiting approval."""


def is_org_admin(principal: Principal) -> bool:
    return principal.user.role in (Role.OWNER, Role.ADMIN)


def require_room_manager(ctx: Context) -> Principal:
    """Organization owners and admins manage buildings and rooms."""
    principal = require_principal(ctx)
    if not is_org_admin(principal):
        raise Forbidden("Only the organization's owner and admins manage buildings and rooms.")
    return principal


# --- reads ---------------------------------------------------------------------------------


async def visible_buildings(ctx: Context, ids: list[int]) -> list[Building | None]:
    principal = require_principal(ctx)
    rows = {
        b.id: b
        for b in await Building.filter(id__in=ids, organization_id=principal.organization_id)
    }
    return [rows.get(i) for i in ids]


async def visible_rooms(ctx: Context, ids: list[int]) -> list[Room | None]:
    principal = require_principal(ctx)
    rows = {
        r.id: r for r in await Room.filter(id__in=ids, organization_id=principal.organization_id)
    }
    return [rows.get(i) for i in ids]


async def access_building(ctx: Context, building_id: int, field: str = "buildingId") -> Building:
    found = (await visible_buildings(ctx, [building_id]))[0]
    if found is None:
        raise NotFound(field=field)
    return found


async def access_room(ctx: Context, room_id: int, field: str = "roomId") -> Room:
    found = (await visible_rooms(ctx, [room_id]))[0]
    if found is None:
        raise NotFound(field=field)
    return found


async def building_list(ctx: Context) -> list[Building]:
    principal = require_principal(ctx)
    return list(
        await Building.filter(organization_id=principal.organization_id).order_by("name", "id")
    )


async def room_list(
    ctx: Context,
    *,
    building_id: int | None,
    min_capacity: int | None,
    equipment: list[str],
    available_from: datetime | None,
    available_to: datetime | None,
    include_disabled: bool = False,
) -> list[Room]:
    """Rooms by building and name; with a window, only those free in all of it."""
    principal = require_principal(ctx)
    if (available_from is None) != (available_to is None):
        raise ValidationFailed(
            "Give both availableFrom and availableTo, or neither.", field="availableTo"
        )
    if available_from is not None and available_to is not None:
        recurrence.check_window(available_from, available_to, "availableTo")
    where = Q(organization_id=principal.organization_id)
    if building_id is not None:
        await access_building(ctx, building_id)
        where &= Q(building_id=building_id)
    if min_capacity is not None:
        where &= Q(capacity__gte=min_capacity)
    if not include_disabled:
        where &= Q(disabled_at__isnull=True)
    rooms = list(await Room.filter(where).order_by("building_id", "name", "id"))
    tags = {t.strip().lower() for t in equipment}
    rooms = [r for r in rooms if tags <= set(r.equipment)]
    if available_from is not None and available_to is not None and rooms:
        busy = await busy_rooms([r.id for r in rooms], available_from, available_to)
        rooms = [r for r in rooms if r.id not in busy]
    return rooms


async def busy_rooms(room_ids: list[int], window_from: datetime, window_to: datetime) -> set[int]:
    """The rooms among ``room_ids`` with a booking (accepted or pending) of an occurrence that
    overlaps the window."""
    rows: list[Any] = await EventAttendee.filter(
        room_id__in=room_ids, response__in=list(TAKEN)
    ).values_list("event_id", "room_id")
    rooms_of: dict[int, set[int]] = {}
    for event_id, room_id in rows:
        rooms_of.setdefault(int(event_id), set()).add(int(room_id))
    if not rooms_of:
        return set()
    found = await expand.instances(Q(id__in=list(rooms_of)), window_from, window_to)
    busy: set[int] = set()
    for instance in found:
        if instance.start < window_to and instance.end > window_from:
            busy |= rooms_of[instance.master.id]
    return busy


# --- buildings -----------------------------------------------------------------------------


def _name(value: str, field_name: str = "name") -> str:
    value = value.strip()
    if not 1 <= len(value) <= 100:
        raise ValidationFailed("A name has 1 to 100 characters.", field=field_name)
    return check_text(value, 100, field_name)


def _floors(values: list[str]) -> list[str]:
    if len(values) > MAX_FLOORS:
        raise ValidationFailed(f"At most {MAX_FLOORS} floors.", field="floors")
    out: list[str] = []
    for i, v in enumerate(values):
        v = check_text(v.strip(), 50, f"floors.{i}")
        if not v or v in out:
            raise ValidationFailed(
                "Floor names are 1 to 50 characters, each once.", field=f"floors.{i}"
            )
        out.append(v)
    return out


def _name_taken(what: str) -> DomainError:
    return DomainError(
        f"The organization has a {what} of this name already.",
        field="name",
        code=CalendarErrorCode.NAME_TAKEN,
    )


@dataclass(slots=True)
class BuildingFields:
    name: str | None = None
    address: str | None = None
    floors: list[str] | None = None
    time_zone: str | None = None


def _check_building_fields(f: BuildingFields) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if f.name is not None:
        out["name"] = _name(f.name)
    if f.address is not None:
        out["address"] = check_text(f.address.strip(), 500, "address")
    if f.floors is not None:
        out["floors"] = _floors(f.floors)
    if f.time_zone is not None:
        recurrence.zone(f.time_zone)
        out["time_zone"] = f.time_zone
    return out


async def _building_name_free(organization_id: int, name: str, but: int | None = None) -> None:
    found = Building.filter(organization_id=organization_id, name__iexact=name)
    if but is not None:
        found = found.exclude(id=but)
    if await found.exists():
        raise _name_taken("building")


async def check_building_create(
    ctx: Context, f: BuildingFields, idempotency_key: str | None
) -> Building:
    principal = require_room_manager(ctx)
    if f.name is None:
        raise ValidationFailed("A building needs a name.", field="name")
    columns = _check_building_fields(f)

    async def create() -> Building:
        # Checked here, not before ``once``: a retry finds the name taken by its own first try.
        await _building_name_free(principal.organization_id, columns["name"])
        return await do_building_create(principal.organization_id, columns)

    async def load(pk: int) -> Building | None:
        return await Building.filter(id=pk, organization_id=principal.organization_id).first()

    return await once(
        principal.user_id, "buildingCreate", idempotency_key, create, load, input=columns
    )


async def do_building_create(organization_id: int, columns: dict[str, Any]) -> Building:
    try:
        async with transaction():
            return await Building.create(organization_id=organization_id, **columns)
    except IntegrityError:
        raise _name_taken("building") from None


async def check_building_update(ctx: Context, building_id: int, f: BuildingFields) -> Building:
    require_room_manager(ctx)
    building = await access_building(ctx, building_id)
    columns = _check_building_fields(f)
    if "name" in columns:
        await _building_name_free(building.organization_id, columns["name"], but=building.id)
    if "floors" in columns:
        used: list[Any] = (
            await Room.filter(building_id=building.id)
            .exclude(floor="")
            .values_list("floor", flat=True)
        )
        gone = sorted({str(u) for u in used} - set(columns["floors"]))
        if gone:
            raise DomainError(
                f"Rooms are on floor {gone[0]!r}: move them before removing it.",
                field="floors",
                code=CalendarErrorCode.UNKNOWN_FLOOR,
            )
    return await do_building_update(building, columns)


async def do_building_update(building: Building, columns: dict[str, Any]) -> Building:
    if not columns:
        return building
    try:
        async with transaction():
            building.update_from_dict(columns)
            await building.save(update_fields=[*columns, "updated_at"])
    except IntegrityError:
        raise _name_taken("building") from None
    return building


async def check_building_delete(ctx: Context, building_id: int) -> Building:
    require_room_manager(ctx)
    building = await access_building(ctx, building_id)
    if await Room.filter(building_id=building.id).exists():
        raise DomainError(
            "The building has rooms (disabled ones included): it cannot be deleted.",
            field="buildingId",
            code=CalendarErrorCode.BUILDING_NOT_EMPTY,
        )
    return await do_building_delete(building)


async def do_building_delete(building: Building) -> Building:
    async with transaction():
        await Building.filter(id=building.id).delete()
    return building


# --- rooms ---------------------------------------------------------------------------------


@dataclass(slots=True)
class BookableBy:
    """One entry of a room's ``bookableBy``: exactly one of the three."""

    user_id: int | None = None
    department_id: int | None = None
    group_id: int | None = None


@dataclass(slots=True)
class RoomFields:
    name: str | None = None
    floor: str | None = None
    capacity: int | None = None
    equipment: list[str] | None = None
    bookable_by: list[BookableBy] | None = None
    requires_approval: bool | None = None
    admin_id: int | None = None
    clear_admin: bool = False
    email: str | None = None


async def _check_bookable_by(
    organization_id: int, entries: list[BookableBy]
) -> list[dict[str, Any]]:
    if len(entries) > MAX_BOOKABLE_BY:
        raise ValidationFailed(f"At most {MAX_BOOKABLE_BY} entries.", field="bookableBy")
    out: list[dict[str, Any]] = []
    for i, e in enumerate(entries):
        where = f"bookableBy.{i}"
        given = [v for v in (e.user_id, e.department_id, e.group_id) if v is not None]
        if len(given) != 1:
            raise ValidationFailed(
                "Give exactly one of userId, departmentId and groupId.", field=where
            )
        if e.user_id is not None:
            ok = await User.filter(id=e.user_id, organization_id=organization_id).exists()
            entry = {"kind": "USER", "id": e.user_id}
            sub = "userId"
        elif e.department_id is not None:
            ok = await Department.filter(
                id=e.department_id, organization_id=organization_id
            ).exists()
            entry = {"kind": "DEPARTMENT", "id": e.department_id}
            sub = "departmentId"
        else:
            ok = await Group.filter(id=e.group_id, organization_id=organization_id).exists()
            entry = {"kind": "GROUP", "id": e.group_id}
            sub = "groupId"
        if not ok:
            raise NotFound(field=f"{where}.{sub}")
        if entry not in out:
            out.append(entry)
    return out


async def _check_room_fields(
    organization_id: int, building: Building, f: RoomFields
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if f.name is not None:
        out["name"] = _name(f.name)
    if f.floor is not None:
        floor = f.floor.strip()
        if floor and floor not in building.floors:
            raise DomainError(
                f"The building has no floor {floor!r} (its floors: {', '.join(building.floors)}).",
                field="floor",
                code=CalendarErrorCode.UNKNOWN_FLOOR,
            )
        out["floor"] = floor
    if f.capacity is not None:
        if not 0 <= f.capacity <= MAX_CAPACITY:
            raise ValidationFailed(f"A capacity is 0 to {MAX_CAPACITY}.", field="capacity")
        out["capacity"] = f.capacity
    if f.equipment is not None:
        if len(f.equipment) > MAX_EQUIPMENT:
            raise ValidationFailed(f"At most {MAX_EQUIPMENT} tags.", field="equipment")
        tags: list[str] = []
        for i, t in enumerate(f.equipment):
            t = check_text(t.strip().lower(), 50, f"equipment.{i}")
            if not t:
                raise ValidationFailed("A tag has 1 to 50 characters.", field=f"equipment.{i}")
            if t not in tags:
                tags.append(t)
        out["equipment"] = sorted(tags)
    if f.bookable_by is not None:
        out["bookable_by"] = await _check_bookable_by(organization_id, f.bookable_by)
    if f.requires_approval is not None:
        out["requires_approval"] = f.requires_approval
    if f.clear_admin:
        out["admin_id"] = None
    elif f.admin_id is not None:
        admin = await User.filter(
            id=f.admin_id, organization_id=organization_id, is_active=True
        ).first()
        if admin is None or admin.role == Role.GUEST:
            raise NotFound(field="adminId")
        out["admin_id"] = admin.id
    if f.email is not None:
        email = f.email.strip().lower()
        if email and ("@" not in email or len(email) > 254 or " " in email):
            raise DomainError(
                "Not an email address.", field="email", code=CalendarErrorCode.INVALID_EMAIL
            )
        out["email"] = email or None
    return out


async def _room_name_free(building_id: int, name: str, but: int | None = None) -> None:
    found = Room.filter(building_id=building_id, name__iexact=name)
    if but is not None:
        found = found.exclude(id=but)
    if await found.exists():
        raise DomainError(
            "The building has a room of this name already.",
            field="name",
            code=CalendarErrorCode.NAME_TAKEN,
        )


async def check_room_create(
    ctx: Context, building_id: int, f: RoomFields, idempotency_key: str | None
) -> Room:
    principal = require_room_manager(ctx)
    building = await access_building(ctx, building_id)
    if f.name is None:
        raise ValidationFailed("A room needs a name.", field="name")
    columns = await _check_room_fields(principal.organization_id, building, f)

    async def create() -> Room:
        await _room_name_free(building.id, columns["name"])  # as in check_building_create
        return await do_room_create(building, columns)

    async def load(pk: int) -> Room | None:
        return await Room.filter(id=pk, organization_id=principal.organization_id).first()

    return await once(
        principal.user_id,
        "roomCreate",
        idempotency_key,
        create,
        load,
        input={"buildingId": building.id, **columns},
    )


async def do_room_create(building: Building, columns: dict[str, Any]) -> Room:
    try:
        async with transaction():
            return await Room.create(
                organization_id=building.organization_id, building_id=building.id, **columns
            )
    except IntegrityError:
        raise _name_taken("room") from None


async def check_room_update(ctx: Context, room_id: int, f: RoomFields) -> Room:
    principal = require_room_manager(ctx)
    room = await access_room(ctx, room_id)
    building = await Building.get(id=room.building_id)
    columns = await _check_room_fields(principal.organization_id, building, f)
    if "name" in columns:
        await _room_name_free(building.id, columns["name"], but=room.id)
    return await do_room_update(room, columns)


async def do_room_update(room: Room, columns: dict[str, Any]) -> Room:
    if not columns:
        return room
    try:
        async with transaction():
            room.update_from_dict(columns)
            await room.save(update_fields=[*columns, "updated_at"])
    except IntegrityError:
        raise _name_taken("room") from None
    return room


async def check_room_disable(ctx: Context, room_id: int, disabled: bool) -> Room:
    require_room_manager(ctx)
    room = await access_room(ctx, room_id)
    return await do_room_disable(room, disabled)


async def do_room_disable(room: Room, disabled: bool) -> Room:
    """Disabling keeps its bookings (they were made); it only refuses new ones."""
    if (room.disabled_at is not None) == disabled:
        return room
    async with transaction():
        room.disabled_at = now() if disabled else None
        await room.save(update_fields=["disabled_at", "updated_at"])
    return room
