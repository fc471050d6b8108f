"""Reading an ``.ics`` file for ``calendarImport`` (``ics_import``): its VEVENTs grouped by
UID into items, each checked as ``eventCreate`` checks its times, into the columns Hello
stores. Pure (no database): it runs in a worker thread, since parsing and proving that a
recurrence yields occurrences cost CPU. The rules are in ``ics_import``'s docstring."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from models.calendar import AttendeeResponse, EventVisibility, ShowAs
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.fields import (
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_TITLE,
    CheckedTimes,
    Times,
    check_times,
)
from resolvers.calendar.recurrence import instance_key
from resolvers.core.errors import DomainError

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
