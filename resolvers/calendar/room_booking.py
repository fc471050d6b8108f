"""Room bookings: a room is booked by being a ROOM attendee of an event, and answers at once,
inside the write's transaction (the ``rooms`` save hook):

- someone who may not book it (``bookableBy``), or a disabled room: the whole write fails
  with ROOM_NOT_BOOKABLE (nothing is kept);
- an occurrence overlapping another booking (accepted or pending) of the room: DECLINED, with a
  note saying when;
- free and ``requiresApproval``: NEEDS_ACTION (pending), and the room's admin is told;
- free: ACCEPTED.

Rooms answer again, for all of an event's rooms, whenever its times change.

**No double booking.** Every decision first raises ``Room.version`` with one ``UPDATE … SET
version = version + 1``: on PostgreSQL that takes the room's row lock until commit, on SQLite
the database's write lock, so two writes booking the same room (in any process) decide one
after the other, and the second reads the first's committed booking.

A series that never ends is checked over ``HORIZON_DAYS`` from now (its first occurrence if
later); its note says so when the room is booked. Past occurrences are not checked."""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q

from models.calendar import AttendeeKind, AttendeeResponse, Event, EventAttendee, Room
from models.drive import GranteeKind
from models.identity import Role, User
from resolvers.calendar import expand
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.fields import check_text
from resolvers.calendar.hooks import EventSaved, on_event_saved
from resolvers.calendar.live import CalendarEventKind, EventChange, RoomBookingChanged
from resolvers.calendar.publish import do_publish_event_change
from resolvers.calendar.rooms import TAKEN, is_org_admin
from resolvers.core.channels import user_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.drive.access import grantees_for_user

HORIZON_DAYS = 366
"""How far ahead a series that never ends (or ends later) is checked for overlaps."""


async def lock_room(room_id: int) -> Room:
    """Raise the room's version (the lock, see the module docstring), then read it."""
    await Room.filter(id=room_id).update(version=F("version") + 1)
    return await Room.get(id=room_id)


async def may_book(user_id: int, room: Room) -> bool:
    """Anyone in the organization when ``bookableBy`` is empty; otherwise the people, the
    members of the departments (and those below) and groups it names; always its admin and
    the organization's owner and admins."""
    if not room.bookable_by or room.admin_id == user_id:
        return True
    user = await User.filter(id=user_id, organization_id=room.organization_id).first()
    if user is None:
        return False
    if user.role in (Role.OWNER, Role.ADMIN):
        return True
    grantees = await grantees_for_user(user_id)
    return any(
        grantees.matches(GranteeKind(str(e.get("kind"))), int(str(e.get("id"))))
        for e in room.bookable_by
    )


def window_of(master: Event) -> tuple[datetime, datetime, bool]:
    """The window to check a master's occurrences in, and whether the series was cut short."""
    if not (master.rrule or master.rdates):
        return master.start_at, master.end_at, False
    start = max(master.start_at, now())
    horizon = start + timedelta(days=HORIZON_DAYS)
    if master.series_end_at is not None and master.series_end_at <= horizon:
        return start, max(master.series_end_at, start + timedelta(seconds=1)), False
    return start, horizon, True


async def first_clash(room_id: int, master: Event) -> tuple[datetime, datetime] | None:
    """The first occurrence of ``master`` that overlaps another booking of the room (an
    accepted or pending one of another event), as that occurrence's (start, end)."""
    window_from, window_to, _ = window_of(master)
    mine = await expand.instances(Q(id=master.id), window_from, window_to)
    if not mine:
        return None
    other_ids: list[Any] = (
        await EventAttendee.filter(room_id=room_id, response__in=list(TAKEN))
        .exclude(event_id=master.id)
        .values_list("event_id", flat=True)
    )
    if not other_ids:
        return None
    others = await expand.instances(Q(id__in=[int(i) for i in other_ids]), window_from, window_to)
    others = [o for o in others if o.end > o.start]
    starts = [o.start for o in others]
    reach: list[datetime] = []  # the latest end among others[0..k]
    for o in others:
        reach.append(max(reach[-1], o.end) if reach else o.end)
    for occ in mine:
        # Others starting before this occurrence ends overlap it iff one ends after it starts.
        k = bisect_left(starts, occ.end)
        if k and reach[k - 1] > occ.start and occ.end > occ.start:
            return occ.start, occ.end
    return None


async def room_admins(room: Room) -> set[int]:
    """Who answers a room's pending bookings: its admin, else the organization's admins."""
    if room.admin_id is not None:
        return {room.admin_id}
    rows: list[Any] = await User.filter(
        organization_id=room.organization_id,
        role__in=[Role.OWNER, Role.ADMIN],
        is_active=True,
    ).values_list("id", flat=True)
    return {int(r) for r in rows}


async def publish_booking(
    tx: Transaction, room: Room, master: Event, attendee: EventAttendee
) -> None:
    payload: RoomBookingChanged = {
        "type": CalendarEventKind.ROOM_BOOKING_CHANGED,
        "roomId": room.id,
        "eventId": master.id,
        "organizationId": master.organization_id,
        "attendeeId": attendee.id,
        "response": AttendeeResponse(attendee.response).value,
    }
    for user_id in {master.organizer_id} | await room_admins(room):
        tx.publish(user_channel(user_id), payload)


async def decide(
    tx: Transaction, attendee: EventAttendee, master: Event, room: Room, *, approving: bool = False
) -> None:
    """Answer for the room (its lock taken): declined when taken, else pending or booked."""
    clash = await first_clash(room.id, master)
    if clash is not None:
        attendee.response = AttendeeResponse.DECLINED
        attendee.note = (
            f"{room.name} is already booked from {clash[0].isoformat()} to {clash[1].isoformat()}."
        )
    elif room.requires_approval and not approving:
        attendee.response = AttendeeResponse.NEEDS_ACTION
        attendee.note = f"Awaiting the approval of {room.name}'s admin."
    else:
        attendee.response = AttendeeResponse.ACCEPTED
        _, until, cut = window_of(master)
        attendee.note = (
            f"Booked; occurrences were checked up to {until.date().isoformat()}." if cut else ""
        )
    attendee.responded_at = now()
    await attendee.save(update_fields=["response", "note", "responded_at", "updated_at"])
    await publish_booking(tx, room, master, attendee)


def not_bookable(room: Room, why: str) -> DomainError:
    return DomainError(
        f"{room.name} cannot be booked: {why}.",
        field="attendees",
        code=CalendarErrorCode.ROOM_NOT_BOOKABLE,
    )


@on_event_saved("rooms")
async def book_rooms(tx: Transaction, saved: EventSaved) -> None:
    event = saved.event
    if event.deleted_at is not None or event.cancelled:
        return  # rooms only free up
    master = event
    if event.series_id is not None:
        master = await Event.get(id=event.series_id)
        if master.deleted_at is not None:
            return
    rooms = EventAttendee.filter(event_id=master.id, kind=AttendeeKind.ROOM)
    if not saved.times_changed:
        if not saved.attendees_added:
            return
        rooms = rooms.filter(id__in=saved.attendees_added)
    added = set(saved.attendees_added)
    # In room id order, so that two writes booking the same rooms lock them in one order.
    for attendee in await rooms.order_by("room_id"):
        assert attendee.room_id is not None
        room = await lock_room(attendee.room_id)
        if room.disabled_at is not None:
            if attendee.id in added:
                raise not_bookable(room, "it is disabled")
            # Booked before it was disabled: moving the event gives the room up, not the event.
            attendee.response = AttendeeResponse.DECLINED
            attendee.note = f"{room.name} is disabled."
            attendee.responded_at = now()
            await attendee.save(update_fields=["response", "note", "responded_at", "updated_at"])
            await publish_booking(tx, room, master, attendee)
            continue
        if attendee.id in added and not await may_book(saved.actor_id, room):
            raise not_bookable(room, "you may not book it")
        await decide(tx, attendee, master, room)


# --- approval ------------------------------------------------------------------------------


async def access_booking(
    ctx: Context, attendee_id: int | None, event_id: int | None, room_id: int | None
) -> tuple[EventAttendee, Event, Room]:
    """A booking (a ROOM attendee) the viewer answers for: the room's admin or an organization
    owner or admin. Another organization's, or one the viewer does not manage, is NOT_FOUND
    (bookings are not readable by others)."""
    principal = require_principal(ctx)
    if attendee_id is not None and (event_id is not None or room_id is not None):
        raise ValidationFailed("Give attendeeId, or eventId and roomId.", field="attendeeId")
    if attendee_id is not None:
        attendee = await EventAttendee.filter(id=attendee_id, kind=AttendeeKind.ROOM).first()
        field = "attendeeId"
    elif event_id is not None and room_id is not None:
        attendee = await EventAttendee.filter(event_id=event_id, room_id=room_id).first()
        field = "eventId"
    else:
        raise ValidationFailed("Give attendeeId, or eventId and roomId.", field="attendeeId")
    room = None
    if attendee is not None and attendee.room_id is not None:
        room = await Room.filter(
            id=attendee.room_id, organization_id=principal.organization_id
        ).first()
    if attendee is None or room is None:
        raise NotFound(field=field)
    if not (is_org_admin(principal) or room.admin_id == principal.user_id):
        raise NotFound(field=field)
    master = await Event.get(id=attendee.event_id)
    if master.deleted_at is not None:
        raise NotFound(field=field)
    return attendee, master, room


async def check_booking_answer(
    ctx: Context,
    *,
    approve: bool,
    attendee_id: int | None,
    event_id: int | None,
    room_id: int | None,
    note: str,
) -> EventAttendee:
    principal = require_principal(ctx)
    note = check_text(note.strip(), 500, "note")
    attendee, master, room = await access_booking(ctx, attendee_id, event_id, room_id)
    if attendee.response != AttendeeResponse.NEEDS_ACTION:
        raise DomainError(
            f"This booking was answered already ({AttendeeResponse(attendee.response).value}).",
            field="attendeeId",
            code=CalendarErrorCode.NOT_PENDING,
        )
    return await do_booking_answer(principal.user_id, attendee, master, room, approve, note)


async def do_booking_answer(
    actor_id: int,
    attendee: EventAttendee,
    master: Event,
    room: Room,
    approve: bool,
    note: str,
) -> EventAttendee:
    """Approving re-checks overlaps under the room's lock: a booking taken meanwhile (say,
    approved by another admin) makes this one DECLINED, with the note saying when."""
    async with transaction() as tx:
        room = await lock_room(room.id)
        fresh = await EventAttendee.get(id=attendee.id)
        if fresh.response != AttendeeResponse.NEEDS_ACTION:
            raise DomainError(
                "This booking was answered already.",
                field="attendeeId",
                code=CalendarErrorCode.NOT_PENDING,
            )
        if approve:
            await decide(tx, fresh, master, room, approving=True)
            if note and fresh.response == AttendeeResponse.ACCEPTED:
                fresh.note = note
                await fresh.save(update_fields=["note", "updated_at"])
        else:
            fresh.response = AttendeeResponse.DECLINED
            fresh.note = note or f"Declined by {room.name}'s admin."
            fresh.responded_at = now()
            await fresh.save(update_fields=["response", "note", "responded_at", "updated_at"])
            await publish_booking(tx, room, master, fresh)
        await do_publish_event_change(tx, EventChange.UPDATED, master, actor_id)
    return fresh


async def room_bookings(
    ctx: Context, room_id: int, status: AttendeeResponse | None, limit: int
) -> list[tuple[EventAttendee, Event]]:
    """A room's bookings of events not over yet, soonest first, for its admin or the
    organization's admins (NOT_FOUND for others, like another organization's room)."""
    principal = require_principal(ctx)
    room = await Room.filter(id=room_id, organization_id=principal.organization_id).first()
    if room is None or not (is_org_admin(principal) or room.admin_id == principal.user_id):
        raise NotFound(field="roomId")
    where = Q(room_id=room.id, event__deleted_at=None) & (
        Q(event__series_end_at__isnull=True) | Q(event__series_end_at__gt=now())
    )
    if status is not None:
        where &= Q(response=status)
    rows = (
        await EventAttendee.filter(where)
        .select_related("event")
        .order_by("event__start_at", "id")
        .limit(limit)
    )
    return [(a, a.event) for a in rows]
