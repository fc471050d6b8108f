"""iCalendar import (``calendarImport``): the VEVENTs of an ``.ics`` file (Google's, Outlook's,
Hello's own) into a calendar the viewer may write, read by the ``icalendar`` library.

- An item is one UID: its master (or single event) and its changed occurrences
  (RECURRENCE-ID; STATUS:CANCELLED ones cancel their occurrence). A UID already in the calendar
  is updated in place, not duplicated; an item whose content is what the last import of it
  wrote (``ical_extra["digest"]``) is skipped, so importing one file twice changes nothing.
  A deleted event of that UID comes back.
- Times: DTSTART with a TZID is read in that zone: an IANA name as it is, a Windows name
  (Outlook's "Pacific Standard Time") mapped to IANA (icalendar's table), any other custom
  VTIMEZONE through its own rules (the instants stay exact; the series is then expanded in the
  file's X-WR-TIMEZONE or UTC). A floating time is in the calendar's zone. VALUE=DATE is an
  all-day event; DURATION stands in for DTEND; EXDATE and RDATE may be lists or repeated.
- People: the file's ORGANIZER is kept (``ical_extra``) unless it is the importer, who
  organizes the imported event in Hello. ATTENDEEs become colleagues (USER) when their address
  is a colleague's, rooms by the room's address, else EXTERNAL; PARTSTAT and ROLE
  (OPT-PARTICIPANT) are kept.
- X- properties of a VEVENT are kept verbatim (``ical_extra``) and written back on export.
- Failure: a file over ``MAX_ICS_BYTES`` is ICALENDAR_TOO_LARGE; one that does not parse or
  holds no VEVENT is INVALID_ICALENDAR, and nothing changes. An item that is wrong on its own
  (an RRULE that does not parse, an end before its start) is skipped and reported in the
  result's ``errors``; the others are imported. Everything is written in one transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

from models.calendar import (
    AttendeeKind,
    AttendeeResponse,
    Calendar,
    CalendarImport,
    CalendarRole,
    Event,
    EventAttendee,
    Room,
)
from models.identity import User
from resolvers.calendar.access import access_calendar
from resolvers.calendar.attendees import (
    MAX_ATTENDEES,
    AttendeeSpec,
    Invitee,
    do_add_attendees,
    resolve_attendees,
)
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.ics import EXTRA_ORGANIZER, EXTRA_PROPERTIES, room_address
from resolvers.calendar.ics_read import Item, ItemError, read_items
from resolvers.calendar.live import EventChange
from resolvers.calendar.publish import do_publish_event_change
from resolvers.calendar.recurrence import instance_key
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction

MAX_ICS_BYTES = 5 * 1024 * 1024


# -- the mutation ---------------------------------------------------------------------------------


async def check_calendar_import(
    ctx: Context, calendar_id: int | None, ics: str, idempotency_key: str | None
) -> CalendarImport:
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, _ = await access_calendar(ctx, calendar_id, CalendarRole.WRITER)
    raw = ics.encode()
    if len(raw) > MAX_ICS_BYTES:
        raise DomainError(
            f"An .ics file has at most {MAX_ICS_BYTES // (1024 * 1024)} MB.",
            field="ics",
            code=CalendarErrorCode.ICALENDAR_TOO_LARGE,
        )
    items, errors = await asyncio.to_thread(read_items, ics, calendar.time_zone)
    people = await _resolve_people(principal.organization_id, principal.user, items)

    async def create() -> CalendarImport:
        return await do_calendar_import(principal.user, calendar, items, people, errors)

    async def load(pk: int) -> CalendarImport | None:
        return await CalendarImport.filter(
            id=pk, calendar_id=calendar.id, user_id=principal.user_id
        ).first()

    digest = hashlib.sha256(raw).hexdigest()
    return await once(
        principal.user_id,
        "calendarImport",
        idempotency_key,
        create,
        load,
        input={"calendarId": calendar.id, "ics": digest},
    )


@dataclass(slots=True)
class Invited:
    """An item's attendees as Hello invitees, with the answers the file gave them."""

    invitees: list[Invitee]
    responses: dict[tuple[str, int | str], AttendeeResponse]


async def _resolve_people(
    organization_id: int, importer: User, items: list[Item]
) -> dict[str, Invited]:
    """Each item's people: colleagues by address, rooms by address, else external. An address
    that cannot be invited (not an address, a deactivated colleague) is left out."""
    rooms: dict[str, int] = {}
    if any(i.people for i in items):
        for room in await Room.filter(organization_id=organization_id):
            rooms[room_address(room).lower()] = room.id
    out: dict[str, Invited] = {}
    for item in items:
        invitees: dict[tuple[str, int | str], Invitee] = {}
        responses: dict[tuple[str, int | str], AttendeeResponse] = {}
        for p in item.people:
            if p.email == importer.email.lower():
                continue
            room_id = rooms.get(p.email)
            spec = (
                AttendeeSpec(room_id=room_id)
                if room_id is not None
                else AttendeeSpec(email=p.email, optional=p.optional)
            )
            try:
                found = await resolve_attendees(organization_id, [spec])
            except DomainError:
                continue
            for invitee in found:
                if invitee.kind == AttendeeKind.EXTERNAL:
                    invitee.display_name = p.name
                if invitee.key not in invitees and len(invitees) < MAX_ATTENDEES:
                    invitees[invitee.key] = invitee
                    if invitee.kind != AttendeeKind.ROOM:
                        responses[invitee.key] = p.response
        out[item.uid] = Invited(list(invitees.values()), responses)
    return out


async def do_calendar_import(
    importer: User,
    calendar: Calendar,
    items: list[Item],
    people: dict[str, Invited],
    errors: list[ItemError],
) -> CalendarImport:
    created = updated = skipped = 0
    async with transaction() as tx:
        for item in items:
            outcome = await _write_item(tx, importer, calendar, item, people[item.uid])
            created += outcome == "created"
            updated += outcome == "updated"
            skipped += outcome == "skipped"
        return await CalendarImport.create(
            calendar_id=calendar.id,
            user_id=importer.id,
            created=created,
            updated=updated,
            skipped=skipped + len(errors),
            errors=[{"uid": e.uid, "code": e.code, "message": e.message} for e in errors],
        )


async def _write_item(
    tx: Transaction, importer: User, calendar: Calendar, item: Item, invited: Invited
) -> str:
    master = item.master
    assert master is not None
    digest = item.digest()
    extra: dict[str, object] = {"digest": digest}
    if item.extra:
        extra[EXTRA_PROPERTIES] = item.extra
    if item.organizer and item.organizer["email"] != importer.email.lower():
        extra[EXTRA_ORGANIZER] = item.organizer
    columns = {
        **master.times.columns(),
        **master.columns,
        "ical_extra": extra,
        "sequence": master.sequence,
    }
    existing = await Event.filter(
        calendar_id=calendar.id, ical_uid=item.uid, instance_key=""
    ).first()
    if (
        existing is not None
        and existing.deleted_at is None
        and (existing.ical_extra or {}).get("digest") == digest
    ):
        return "skipped"
    if existing is None:
        event = await Event.create(
            organization_id=calendar.organization_id,
            calendar_id=calendar.id,
            organizer_id=importer.id,
            ical_uid=item.uid,
            created_by_id=importer.id,
            **columns,
        )
        rows = await do_add_attendees(
            event, invited.invitees, added_by=importer.id, organizer=importer
        )
        removed: list[int] = []
        change, added = EventChange.CREATED, [r.id for r in rows]
    else:
        event = existing
        columns["sequence"] = max(master.sequence, existing.sequence)
        for key, value in columns.items():
            setattr(event, key, value)
        event.deleted_at = None
        event.version = existing.version + 1
        await event.save()
        added, removed = await _sync_attendees(event, invited, importer)
        await Event.filter(series_id=event.id).delete()
        change = EventChange.UPDATED
    await _answer(event, invited)
    for x in item.exceptions:
        assert x.recurrence_id is not None
        await Event.create(
            organization_id=calendar.organization_id,
            calendar_id=calendar.id,
            organizer_id=event.organizer_id,
            ical_uid=item.uid,
            instance_key=instance_key(x.recurrence_id),
            series_id=event.id,
            recurrence_id=x.recurrence_id,
            cancelled=x.cancelled,
            created_by_id=importer.id,
            sequence=x.sequence,
            **{**x.times.columns(), "rrule": None, "rdates": [], "exdates": []},
            **x.columns,
        )
    await event_saved(
        tx,
        EventSaved(
            event=event,
            change=change,
            actor_id=importer.id,
            attendees_added=added,
            attendees_removed=removed,
        ),
    )
    await do_publish_event_change(tx, change, event, importer.id)
    return "created" if change == EventChange.CREATED else "updated"


async def _sync_attendees(
    event: Event, invited: Invited, importer: User
) -> tuple[list[int], list[int]]:
    """Make the attendees those of the file: add the new, remove the gone (never the
    organizer)."""
    rows = await EventAttendee.filter(event_id=event.id)
    wanted = {i.key: i for i in invited.invitees}
    current = {
        Invitee(
            kind=AttendeeKind(r.kind), user_id=r.user_id, room_id=r.room_id, email=r.email
        ).key: r
        for r in rows
    }
    gone = [r for k, r in current.items() if k not in wanted and not r.is_organizer]
    removed = [r.id for r in gone]
    if gone:
        await EventAttendee.filter(id__in=removed).delete()
    new = [
        i
        for k, i in wanted.items()
        if k not in current
        and not (i.kind == AttendeeKind.USER and i.user_id == event.organizer_id)
    ]
    if not new:
        return [], removed
    await EventAttendee.bulk_create(
        [
            EventAttendee(
                event_id=event.id,
                kind=i.kind,
                user_id=i.user_id,
                room_id=i.room_id,
                email=i.email,
                display_name=i.display_name,
                optional=i.optional,
                added_by_id=importer.id,
            )
            for i in new
        ]
    )
    before = {r.id for r in rows}
    after: list[Any] = await EventAttendee.filter(event_id=event.id).values_list("id", flat=True)
    return [int(a) for a in after if int(a) not in before], removed


async def _answer(event: Event, invited: Invited) -> None:
    """The answers the file gave (not rooms': their booking hook answers for them)."""
    for r in await EventAttendee.filter(event_id=event.id, is_organizer=False):
        key = Invitee(
            kind=AttendeeKind(r.kind), user_id=r.user_id, room_id=r.room_id, email=r.email
        ).key
        response = invited.responses.get(key)
        if response is not None and response != r.response:
            r.response = response
            await r.save(update_fields=["response"])
