"""Free/busy: when people and rooms are busy in a window, without a word of what they do.

A person is busy during the occurrences (``expand``: recurrence and exceptions applied) of

- the events on their primary calendar, and
- the events anywhere that they attend,

unless they DECLINED (their answer for that occurrence, ``OccurrenceResponse``, overrides the
one for the series) or the occurrence shows as FREE. Status, strongest first: OUT_OF_OFFICE
(shown so), BUSY, TENTATIVE (shown so, or their own answer is TENTATIVE). An unanswered
invitation blocks time as BUSY, as in the big calendars: the slot is asked for.

A room is busy during its bookings: ACCEPTED is BUSY, NEEDS_ACTION (awaiting approval) is
TENTATIVE; a DECLINED booking does not hold it.

Who may ask: a person's free/busy is visible to whoever has any role on their primary calendar
(every colleague by default, not guests: ``access.roles_for``); a person nobody made a primary
calendar for yet has the default one's (colleagues see it). A room's bookings are visible to
every member of its organization (guests see no rooms). Anything else is NOT_FOUND for that id:
the whole query fails with the id's position in ``field`` (``userIds.2``), so a client never
mistakes "hidden" for "free".

The SQL is constant in the number of people and rooms: users, primary calendars, grants, the
events of the window (two queries), attendee rows and per-occurrence answers."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery

from models.calendar import (
    AttendeeResponse,
    Calendar,
    EventAttendee,
    OccurrenceResponse,
    Room,
    ShowAs,
)
from models.identity import Role, User
from resolvers.calendar import expand, recurrence
from resolvers.calendar.access import roles_for
from resolvers.calendar.expand import Instance
from resolvers.core.context import Context
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.principal import require_principal

MAX_IDS = 100


class BusyStatus(StrEnum):
    TENTATIVE = "TENTATIVE"
    BUSY = "BUSY"
    OUT_OF_OFFICE = "OUT_OF_OFFICE"


_RANK = {BusyStatus.TENTATIVE: 1, BusyStatus.BUSY: 2, BusyStatus.OUT_OF_OFFICE: 3}


@dataclass(frozen=True, slots=True)
class Busy:
    start: datetime
    end: datetime
    status: BusyStatus


@dataclass(slots=True)
class Schedules:
    """Busy intervals (merged, in time order) per user id and per room id, and what went into
    them (for ``findMeetingTimes`` and conflicts)."""

    users: dict[int, list[Busy]] = field(default_factory=dict)
    rooms: dict[int, list[Busy]] = field(default_factory=dict)
    people: dict[int, User] = field(default_factory=dict)


def merge(intervals: Iterable[Busy]) -> list[Busy]:
    """Overlapping and touching intervals as one, each stretch with the strongest status that
    covers it; in time order."""
    points: set[datetime] = set()
    items = [b for b in intervals if b.end > b.start]
    for b in items:
        points.add(b.start)
        points.add(b.end)
    if not items:
        return []
    edges = sorted(points)
    # Sweep: the strongest status over each elementary stretch.
    starts: dict[datetime, list[Busy]] = defaultdict(list)
    for b in items:
        starts[b.start].append(b)
    active: list[Busy] = []
    out: list[Busy] = []
    for lo, hi in itertools.pairwise(edges):
        active = [x for x in active if x.end > lo] + starts.get(lo, [])
        if not active:
            continue
        status = max((x.status for x in active), key=lambda s: _RANK[s])
        if out and out[-1].end == lo and out[-1].status == status:
            out[-1] = Busy(out[-1].start, hi, status)
        else:
            out.append(Busy(lo, hi, status))
    return out


def check_ids(ids: list[int], field_name: str) -> None:
    if len(ids) > MAX_IDS:
        raise ValidationFailed(f"At most {MAX_IDS} ids.", field=field_name)


async def access_people(ctx: Context, user_ids: list[int], field_name: str) -> dict[int, User]:
    """The people whose free/busy the viewer may see, by id; NOT_FOUND (with the position) for
    the first one they may not. Three queries, whatever their number."""
    principal = require_principal(ctx)
    wanted = list(dict.fromkeys(user_ids))
    users = {
        u.id: u for u in await User.filter(id__in=wanted, organization_id=principal.organization_id)
    }
    primaries = {
        c.primary_of_id: c
        for c in await Calendar.filter(primary_of_id__in=list(users), deleted_at=None)
    }
    listed = list(primaries.values())
    roles = dict(zip([c.id for c in listed], await roles_for(ctx, listed), strict=True))
    is_guest = principal.user.role == Role.GUEST
    for i, uid in enumerate(user_ids):
        user = users.get(uid)
        calendar = primaries.get(uid)
        if user is None:
            raise NotFound(field=f"{field_name}.{i}")
        if calendar is not None:
            seen = roles.get(calendar.id) is not None
        else:
            # Not made yet: the default primary calendar shows free/busy to colleagues.
            seen = uid == principal.user_id or not is_guest
        if not seen:
            raise NotFound(field=f"{field_name}.{i}")
    return users


async def access_rooms(ctx: Context, room_ids: list[int], field_name: str) -> None:
    principal = require_principal(ctx)
    found = set(
        await Room.filter(
            id__in=list(set(room_ids)), organization_id=principal.organization_id
        ).values_list("id", flat=True)
    )
    for i, rid in enumerate(room_ids):
        if rid not in found or principal.user.role == Role.GUEST:
            raise NotFound(field=f"{field_name}.{i}")


@dataclass(slots=True)
class Blocks:
    """Each person's and room's busy occurrences (not merged), with their status."""

    users: dict[int, list[tuple[Instance, BusyStatus]]]
    rooms: dict[int, list[tuple[Instance, BusyStatus]]]


async def busy_blocks(
    user_ids: list[int], room_ids: list[int], window_from: datetime, window_to: datetime
) -> Blocks:
    """The occurrences that make each person and room busy in the window (see the module
    docstring), in time order; five queries whatever their number."""
    per_user: dict[int, list[tuple[Instance, BusyStatus]]] = defaultdict(list)
    per_room: dict[int, list[tuple[Instance, BusyStatus]]] = defaultdict(list)
    if not user_ids and not room_ids:
        return Blocks(per_user, per_room)
    calendars: dict[int, int] = {
        int(cid): int(uid)
        for cid, uid in await Calendar.filter(
            primary_of_id__in=user_ids, deleted_at=None
        ).values_list("id", "primary_of_id")
    }
    attending = Subquery(
        EventAttendee.filter(Q(user_id__in=user_ids) | Q(room_id__in=room_ids)).values("event_id")
    )
    where = Q(id__in=attending)
    if calendars:
        where = Q(calendar_id__in=list(calendars)) | where
    found = await expand.instances(where, window_from, window_to)
    masters = {i.master.id for i in found}
    rows: list[Any] = []
    if masters:
        rows = await EventAttendee.filter(
            Q(user_id__in=user_ids) | Q(room_id__in=room_ids), event_id__in=list(masters)
        ).values_list("id", "event_id", "user_id", "room_id", "response")
    by_event: dict[int, list[tuple[int, int | None, int | None, str]]] = defaultdict(list)
    for aid, eid, uid, rid, response in rows:
        by_event[int(eid)].append((int(aid), uid, rid, response))
    answers: dict[tuple[int, datetime], str] = {}
    series = {i.master.id for i in found if i.is_recurring}
    recurring = [int(r[0]) for r in rows if int(r[1]) in series]
    if recurring:
        for aid, rid_at, response in await OccurrenceResponse.filter(
            attendee_id__in=recurring
        ).values_list("attendee_id", "recurrence_id", "response"):
            answers[(int(aid), rid_at)] = response
    for inst in found:
        show_as = ShowAs(inst.row.show_as)
        counted: set[int] = set()
        for aid, uid, rid, response in by_event.get(inst.master.id, []):
            answer = AttendeeResponse(answers.get((aid, inst.recurrence_id), response))
            if rid is not None:
                if answer == AttendeeResponse.ACCEPTED:
                    per_room[int(rid)].append((inst, BusyStatus.BUSY))
                elif answer == AttendeeResponse.NEEDS_ACTION:
                    per_room[int(rid)].append((inst, BusyStatus.TENTATIVE))
                continue
            if uid is None:
                continue
            counted.add(int(uid))
            if answer != AttendeeResponse.DECLINED and show_as != ShowAs.FREE:
                per_user[int(uid)].append((inst, _status(show_as, answer)))
        owner = calendars.get(inst.master.calendar_id)
        if owner is not None and owner not in counted and show_as != ShowAs.FREE:
            per_user[owner].append((inst, _status(show_as, None)))
    return Blocks(per_user, per_room)


async def schedules(
    people: dict[int, User], room_ids: list[int], window_from: datetime, window_to: datetime
) -> Schedules:
    """Merged busy intervals of authorized people and rooms (see the module docstring)."""
    user_ids = list(people)
    rooms = list(dict.fromkeys(room_ids))
    blocks = await busy_blocks(user_ids, rooms, window_from, window_to)
    return Schedules(
        users={
            u: merge(Busy(i.start, i.end, s) for i, s in blocks.users.get(u, [])) for u in user_ids
        },
        rooms={
            r: merge(Busy(i.start, i.end, s) for i, s in blocks.rooms.get(r, [])) for r in rooms
        },
        people=dict(people),
    )


def _status(show_as: ShowAs, answer: AttendeeResponse | None) -> BusyStatus:
    if show_as == ShowAs.OUT_OF_OFFICE:
        return BusyStatus.OUT_OF_OFFICE
    if show_as == ShowAs.TENTATIVE or answer == AttendeeResponse.TENTATIVE:
        return BusyStatus.TENTATIVE
    return BusyStatus.BUSY


async def free_busy(
    ctx: Context,
    user_ids: list[int],
    room_ids: list[int],
    window_from: datetime,
    window_to: datetime,
) -> Schedules:
    """``freeBusy``: the window checked, each id authorized, then ``schedules``."""
    recurrence.check_window(window_from, window_to)
    check_ids(user_ids, "userIds")
    check_ids(room_ids, "roomIds")
    people = await access_people(ctx, user_ids, "userIds")
    await access_rooms(ctx, room_ids, "roomIds")
    return await schedules(people, room_ids, window_from, window_to)
