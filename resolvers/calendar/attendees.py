"""Who an event invites: people, whole groups or departments (expanded into one row per person,
each answering for themselves), rooms, and email addresses outside the organization.

``resolve_attendees`` checks what a client named and turns it into ``Invitee``s (no writes);
``do_add_attendees`` writes them for an event. The organizer is always an attendee (ACCEPTED,
``is_organizer``). A person invited twice (by name and through a group) is one attendee: the
direct invitation wins, so removing the group later keeps them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from models.admin import Department, DepartmentMember, Group, GroupMember
from models.calendar import AttendeeKind, AttendeeResponse, Event, EventAttendee, Room
from models.identity import User
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.core.clock import now
from resolvers.core.errors import DomainError, NotFound, ValidationFailed

MAX_ATTENDEES = 1000
"""People, rooms and addresses of one event, after expanding groups and departments."""
MAX_NAMED = 100
"""Entries of one input list (each may be a group of hundreds)."""
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s]+$")


@dataclass(slots=True)
class AttendeeSpec:
    """One entry of an input list: exactly one of the ids or ``email``."""

    user_id: int | None = None
    group_id: int | None = None
    department_id: int | None = None
    room_id: int | None = None
    email: str | None = None
    optional: bool = False


@dataclass(slots=True)
class Invitee:
    kind: AttendeeKind
    user_id: int | None = None
    room_id: int | None = None
    email: str | None = None
    display_name: str = ""
    optional: bool = False
    via_group_id: int | None = None
    via_department_id: int | None = None

    @property
    def key(self) -> tuple[str, int | str]:
        if self.kind == AttendeeKind.USER:
            return ("user", self.user_id or 0)
        if self.kind == AttendeeKind.ROOM:
            return ("room", self.room_id or 0)
        return ("email", self.email or "")


def _too_many(field_name: str) -> DomainError:
    return DomainError(
        f"An event has at most {MAX_ATTENDEES} attendees (groups and departments count each "
        "person in them).",
        field=field_name,
        code=CalendarErrorCode.TOO_MANY_ATTENDEES,
    )


async def resolve_attendees(
    organization_id: int, specs: list[AttendeeSpec], field_name: str = "attendees"
) -> list[Invitee]:
    """The invitees ``specs`` name, in the organization: NOT_FOUND for an id of another
    organization or that does not exist, INVALID_EMAIL for an address that is not one (or
    that belongs to a person of the organization: they are invited as themselves)."""
    if len(specs) > MAX_NAMED:
        raise ValidationFailed(f"At most {MAX_NAMED} entries.", field=field_name)
    found: dict[tuple[str, int | str], Invitee] = {}
    for i, spec in enumerate(specs):
        where = f"{field_name}.{i}"
        given = [
            v is not None
            for v in (spec.user_id, spec.group_id, spec.department_id, spec.room_id, spec.email)
        ]
        if sum(given) != 1:
            raise ValidationFailed(
                "Give exactly one of userId, groupId, departmentId, roomId and email.", field=where
            )
        for invitee in await _expand(organization_id, spec, where):
            known = found.get(invitee.key)
            # A direct invitation wins over one through a group; the first of two wins else.
            if known is None or (
                (known.via_group_id or known.via_department_id)
                and not (invitee.via_group_id or invitee.via_department_id)
            ):
                found[invitee.key] = invitee
        if len(found) > MAX_ATTENDEES:
            raise _too_many(where)
    return list(found.values())


async def _expand(organization_id: int, spec: AttendeeSpec, where: str) -> list[Invitee]:
    if spec.user_id is not None:
        user = await User.filter(
            id=spec.user_id, organization_id=organization_id, is_active=True
        ).first()
        if user is None:
            raise NotFound(field=where + ".userId")
        return [
            Invitee(
                AttendeeKind.USER,
                user_id=user.id,
                display_name=user.display_name,
                optional=spec.optional,
            )
        ]
    if spec.room_id is not None:
        room = await Room.filter(id=spec.room_id, organization_id=organization_id).first()
        if room is None:
            raise NotFound(field=where + ".roomId")
        return [Invitee(AttendeeKind.ROOM, room_id=room.id, display_name=room.name)]
    if spec.email is not None:
        email = spec.email.strip().lower()
        if len(email) > 254 or not _EMAIL.match(email):
            raise DomainError(
                f"{spec.email!r} is not an email address.",
                field=where + ".email",
                code=CalendarErrorCode.INVALID_EMAIL,
            )
        member = await User.filter(email=email, organization_id=organization_id).first()
        if member is not None:
            if not member.is_active:
                raise NotFound(field=where + ".email")
            return [
                Invitee(
                    AttendeeKind.USER,
                    user_id=member.id,
                    display_name=member.display_name,
                    optional=spec.optional,
                )
            ]
        return [Invitee(AttendeeKind.EXTERNAL, email=email, optional=spec.optional)]
    user_ids: list[Any]
    if spec.group_id is not None:
        if not await Group.filter(id=spec.group_id, organization_id=organization_id).exists():
            raise NotFound(field=where + ".groupId")
        user_ids = await GroupMember.filter(group_id=spec.group_id).values_list(
            "user_id", flat=True
        )
        via = {"via_group_id": spec.group_id}
    else:
        department = await Department.filter(
            id=spec.department_id, organization_id=organization_id
        ).first()
        if department is None:
            raise NotFound(field=where + ".departmentId")
        # The department and every department below it (one organization's tree is small).
        pairs: list[Any] = await Department.filter(organization_id=organization_id).values_list(
            "id", "parent_id"
        )
        children: dict[int, list[int]] = {}
        for child, parent in pairs:
            if parent is not None:
                children.setdefault(int(parent), []).append(int(child))
        below, queue = [department.id], [department.id]
        while queue:
            for child in children.get(queue.pop(), []):
                below.append(child)
                queue.append(child)
        user_ids = await DepartmentMember.filter(department_id__in=below).values_list(
            "user_id", flat=True
        )
        via = {"via_department_id": department.id}
    if len(set(user_ids)) > MAX_ATTENDEES:
        raise _too_many(where)
    people = await User.filter(
        id__in=list(set(user_ids)), organization_id=organization_id, is_active=True
    ).order_by("id")
    return [
        Invitee(
            AttendeeKind.USER,
            user_id=p.id,
            display_name=p.display_name,
            optional=spec.optional,
            **via,  # type: ignore[arg-type]
        )
        for p in people
    ]


async def do_add_attendees(
    event: Event, invitees: list[Invitee], *, added_by: int, organizer: User
) -> list[EventAttendee]:
    """Write the attendees of a new event (in the caller's transaction), the organizer first.
    Rooms start NEEDS_ACTION: the booking hook (``resolvers.calendar.rooms``) answers for
    them before commit."""
    rows = [
        EventAttendee(
            event_id=event.id,
            kind=AttendeeKind.USER,
            user_id=organizer.id,
            display_name=organizer.display_name,
            is_organizer=True,
            response=AttendeeResponse.ACCEPTED,
            responded_at=now(),
            added_by_id=added_by,
        )
    ]
    for invitee in invitees:
        if invitee.kind == AttendeeKind.USER and invitee.user_id == organizer.id:
            continue
        rows.append(
            EventAttendee(
                event_id=event.id,
                kind=invitee.kind,
                user_id=invitee.user_id,
                room_id=invitee.room_id,
                email=invitee.email,
                display_name=invitee.display_name,
                optional=invitee.optional,
                via_group_id=invitee.via_group_id,
                via_department_id=invitee.via_department_id,
                added_by_id=added_by,
            )
        )
    if len(rows) > MAX_ATTENDEES + 1:
        raise _too_many("attendees")
    await EventAttendee.bulk_create(rows)
    return list(await EventAttendee.filter(event_id=event.id).order_by("id"))
