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
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from models.calendar import (
    AttendeeKind,
    AttendeeResponse,
    Calendar,
    CalendarImport,
    CalendarRole,
    Event,
    EventAttendee,
    EventVisibility,
    Room,
    ShowAs,
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
from resolvers.calendar.fields import (
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_TITLE,
    CheckedTimes,
    Times,
    check_times,
)
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.ics import EXTRA_ORGANIZER, EXTRA_PROPERTIES, room_address
from resolvers.calendar.live import EventChange
from resolvers.calendar.publish import do_publish_event_change
from resolvers.calendar.recurrence import instance_key
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction

MAX_ICS_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 5000
"""UIDs in one file (a decade of a busy calendar); more is INVALID_ICALENDAR."""
_RESPONSES = {
    "NEEDS-ACTION": AttendeeResponse.NEEDS_ACTION,
    "ACCEPTED": AttendeeResponse.ACCEPTED,
    "DECLINED": AttendeeResponse.DECLINED,
    "TENTATIVE": AttendeeResponse.TENTATIVE,
}
_OWN = {"X-HELLO-VISIBILITY", "X-HELLO-TIMEZONE"}
"""Hello's own X- properties (what it models), read, not kept."""


def _invalid(message: str) -> DomainError:
    return DomainError(message, field="ics", code=CalendarErrorCode.INVALID_ICALENDAR)


@dataclass(slots=True)
class Person:
    email: str
    name: str = ""
    optional: bool = False
    response: AttendeeResponse = AttendeeResponse.NEEDS_ACTION
    room: bool = False


@dataclass(slots=True)
class Planned:
    """One VEVENT as Hello columns."""

    times: CheckedTimes
    columns: dict[str, Any]
    sequence: int = 0
    recurrence_id: datetime | None = None
    cancelled: bool = False


@dataclass(slots=True)
class Item:
    uid: str
    master: Planned | None = None
    exceptions: list[Planned] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    organizer: dict[str, str] | None = None
    extra: list[dict[str, Any]] = field(default_factory=list)

    def digest(self) -> str:
        def plain(p: Planned | None) -> Any:
            if p is None:
                return None
            return [
                {k: str(v) for k, v in p.times.columns().items()},
                {k: str(v) for k, v in p.columns.items()},
                p.sequence,
                str(p.recurrence_id),
                p.cancelled,
            ]

        body = [
            plain(self.master),
            [plain(x) for x in self.exceptions],
            [[p.email, p.name, p.optional, p.response.value, p.room] for p in self.people],
            self.organizer,
            self.extra,
        ]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(slots=True)
class ItemError:
    uid: str
    code: str
    message: str


# -- reading the file (in a worker thread: parsing and expanding cost CPU) ----------------------


def _zone_name(prop: Any, fallback: str) -> str:
    """The IANA zone a DTSTART is in (see the module docstring)."""
    value = prop.dt
    if not isinstance(value, datetime) or value.tzinfo is None:
        return fallback
    tzid = prop.params.get("TZID")
    if tzid:
        for name in (str(tzid), WINDOWS_TO_OLSON.get(str(tzid), "")):
            try:
                if name:
                    ZoneInfo(name)
                    return name
            except (ValueError, OSError, KeyError):
                continue
        return fallback
    if isinstance(value.tzinfo, ZoneInfo):
        return value.tzinfo.key
    return "UTC"


def _known_zone(name: str, fallback: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return fallback
    return name


def _aware(value: datetime, zone: str) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))


def _dates(vevent: Any, name: str, all_day: bool, zone: str) -> list[str]:
    found = vevent.get(name)
    if found is None:
        return []
    out: list[str] = []
    for group in found if isinstance(found, list) else [found]:
        for d in group.dts:
            value = d.dt
            if isinstance(value, tuple):  # an RDATE PERIOD: its start
                value = value[0]
            if all_day:
                out.append((value.date() if isinstance(value, datetime) else value).isoformat())
            elif isinstance(value, datetime):
                out.append(_aware(value, zone).astimezone(UTC).isoformat())
            else:
                out.append(datetime.combine(value, datetime.min.time(), ZoneInfo(zone)).isoformat())
    return out


def _text(vevent: Any, name: str, limit: int) -> str:
    value = vevent.get(name)
    return str(value)[:limit] if value is not None else ""


def _plan(vevent: Any, default_zone: str) -> Planned:
    start = vevent.get("DTSTART")
    if start is None:
        raise _invalid("A VEVENT without DTSTART.")
    all_day = not isinstance(start.dt, datetime)
    zone = default_zone if all_day else _zone_name(start, default_zone)
    if all_day and (named := vevent.get("X-HELLO-TIMEZONE")) is not None:
        zone = _known_zone(str(named), zone)
    end_prop = vevent.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif vevent.get("DURATION") is not None:
        end = start.dt + vevent.decoded("DURATION")
    else:
        end = start.dt + timedelta(days=1) if all_day else start.dt
    rrule = vevent.get("RRULE")
    if isinstance(rrule, list):
        rrule = rrule[0]
    if all_day:
        end_day = end if not isinstance(end, datetime) else end.date()
        times = Times(all_day=True, start_date=start.dt, end_date=end_day, time_zone=zone)
    else:
        end_at = end if isinstance(end, datetime) else datetime.combine(end, start.dt.time())
        times = Times(start=_aware(start.dt, zone), end=_aware(end_at, zone), time_zone=zone)
    times.rrule = rrule.to_ical().decode() if rrule is not None else None
    times.rdates = _dates(vevent, "RDATE", all_day, zone)
    times.exdates = _dates(vevent, "EXDATE", all_day, zone)
    checked = check_times(times)
    klass = str(vevent.get("CLASS", "")).upper()
    visibility = (
        EventVisibility.PRIVATE
        if klass in ("PRIVATE", "CONFIDENTIAL")
        else EventVisibility.PUBLIC
        if str(vevent.get("X-HELLO-VISIBILITY", "")).upper() == "PUBLIC"
        else EventVisibility.DEFAULT
    )
    show_as = ShowAs.BUSY
    if str(vevent.get("TRANSP", "")).upper() == "TRANSPARENT":
        show_as = ShowAs.FREE
    elif str(vevent.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "OOF":
        show_as = ShowAs.OUT_OF_OFFICE
    elif str(vevent.get("STATUS", "")).upper() == "TENTATIVE":
        show_as = ShowAs.TENTATIVE
    planned = Planned(
        times=checked,
        columns={
            "title": _text(vevent, "SUMMARY", MAX_TITLE),
            "description": _text(vevent, "DESCRIPTION", MAX_DESCRIPTION),
            "location": _text(vevent, "LOCATION", MAX_LOCATION),
            "visibility": visibility,
            "show_as": show_as,
        },
        sequence=int(vevent.get("SEQUENCE", 0) or 0),
        cancelled=str(vevent.get("STATUS", "")).upper() == "CANCELLED",
    )
    rid = vevent.get("RECURRENCE-ID")
    if rid is not None:
        value = rid.dt
        if isinstance(value, datetime):
            planned.recurrence_id = _aware(value, zone).astimezone(UTC)
        else:
            planned.recurrence_id = datetime.combine(
                value, datetime.min.time(), ZoneInfo(zone)
            ).astimezone(UTC)
    return planned


def _email(address: Any) -> str:
    text = str(address)
    return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()


def _people(vevent: Any) -> list[Person]:
    found = vevent.get("ATTENDEE")
    out = []
    for a in found if isinstance(found, list) else [found] if found is not None else []:
        params = a.params
        out.append(
            Person(
                email=_email(a),
                name=str(params.get("CN", ""))[:100],
                optional=str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT",
                response=_RESPONSES.get(
                    str(params.get("PARTSTAT", "")).upper(), AttendeeResponse.NEEDS_ACTION
                ),
                room=str(params.get("CUTYPE", "")).upper() == "ROOM",
            )
        )
    return out


def _extra(vevent: Any) -> list[dict[str, Any]]:
    return [
        {"name": name, "params": dict(prop.params), "value": prop.to_ical().decode()}
        for name, prop in vevent.property_items(recursive=False)
        if name.startswith("X-") and name not in _OWN and not isinstance(prop, bytes)
    ]


def read_items(ics: str, calendar_zone: str) -> tuple[list[Item], list[ItemError]]:
    """The file's items and the problems of those that cannot be imported."""
    try:
        parsed = icalendar.Calendar.from_ical(ics)
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise _invalid(f"The file is not iCalendar: {e}") from None
    zone = calendar_zone
    wr = parsed.get("X-WR-TIMEZONE")
    if wr is not None:
        try:
            ZoneInfo(str(wr))
            zone = str(wr)
        except (ValueError, OSError, KeyError):
            pass
    by_uid: dict[str, list[Any]] = {}
    for vevent in parsed.walk("VEVENT"):
        uid = str(vevent.get("UID", "")).strip()
        if not uid:
            uid = hashlib.sha256(vevent.to_ical()).hexdigest()[:32] + "@import.hello"
        by_uid.setdefault(uid, []).append(vevent)
    if not by_uid:
        raise _invalid("The file holds no event (VEVENT).")
    if len(by_uid) > MAX_ITEMS:
        raise _invalid(f"At most {MAX_ITEMS} events per file.")
    items, errors = [], []
    for uid, vevents in by_uid.items():
        try:
            if len(uid) > 255:
                raise _invalid("A UID longer than 255 characters.")
            items.append(_item(uid, vevents, zone))
        except DomainError as e:
            errors.append(ItemError(uid[:255], e.code.value, e.message))
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as e:
            errors.append(ItemError(uid[:255], CalendarErrorCode.INVALID_ICALENDAR.value, str(e)))
    return items, errors


def _item(uid: str, vevents: list[Any], zone: str) -> Item:
    item = Item(uid=uid)
    for vevent in vevents:
        if vevent.get("RECURRENCE-ID") is None:
            if item.master is not None:
                raise _invalid("Two VEVENTs with one UID and no RECURRENCE-ID.")
            item.master = _plan(vevent, zone)
            item.people = _people(vevent)
            organizer = vevent.get("ORGANIZER")
            if organizer is not None:
                item.organizer = {
                    "email": _email(organizer),
                    "name": str(organizer.params.get("CN", "")),
                }
            item.extra = _extra(vevent)
    master = item.master
    if master is None:
        raise _invalid("Changed occurrences (RECURRENCE-ID) without their series.")
    for vevent in vevents:
        if vevent.get("RECURRENCE-ID") is not None:
            exception = _plan(vevent, master.times.time_zone)
            if exception.times.all_day != master.times.all_day:
                raise _invalid("An occurrence all-day where its series is not (or the reverse).")
            item.exceptions.append(exception)
    keys = [instance_key(x.recurrence_id) for x in item.exceptions if x.recurrence_id]
    if len(set(keys)) != len(keys):
        raise _invalid("Two changes of one occurrence.")
    return item


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
    tx: Any, importer: User, calendar: Calendar, item: Item, invited: Invited
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
