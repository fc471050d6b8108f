"""The fields of an event as a client gives them, checked once for every path that writes one
(``eventCreate``, ``eventUpdate``, an occurrence's edit, an ``.ics`` import): lengths, colors,
times and zones, recurrence, reminders. ``check_times`` turns what was given into the stored
columns (``start_at``…``series_end_at``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.calendar import EventVisibility, ShowAs
from resolvers.calendar import recurrence
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.core.errors import DomainError, ValidationFailed

MAX_TITLE = 500
MAX_DESCRIPTION = 8000
MAX_LOCATION = 500
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 4 * 7 * 24 * 60
"""Four weeks, as Google Calendar allows."""
MAX_ATTACHMENTS = 25
MAX_EVENT_DAYS = 366 * 5
"""The longest one occurrence may last."""
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_text(value: str, limit: int, field_name: str) -> str:
    if len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters.", field=field_name)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValidationFailed("No control characters.", field=field_name)
    return value


def check_color(value: str | None, field_name: str = "color") -> str | None:
    if value is None:
        return None
    if not _COLOR.match(value):
        raise DomainError(
            "A color is #rrggbb.", field=field_name, code=CalendarErrorCode.INVALID_COLOR
        )
    return value.lower()


def check_reminders(minutes: list[int], field_name: str = "reminderMinutes") -> list[int]:
    if len(minutes) > MAX_REMINDERS:
        raise DomainError(
            f"At most {MAX_REMINDERS} reminders.",
            field=field_name,
            code=CalendarErrorCode.INVALID_REMINDER,
        )
    for i, m in enumerate(minutes):
        if not 0 <= m <= MAX_REMINDER_MINUTES:
            raise DomainError(
                f"A reminder is 0 to {MAX_REMINDER_MINUTES} minutes before.",
                field=f"{field_name}.{i}",
                code=CalendarErrorCode.INVALID_REMINDER,
            )
    return sorted(set(minutes), reverse=True)


def _time_error(message: str, field_name: str) -> DomainError:
    return DomainError(message, field=field_name, code=CalendarErrorCode.INVALID_TIME_RANGE)


@dataclass(slots=True)
class Times:
    """When an event happens, as given: instants for a timed event, dates for an all-day one."""

    all_day: bool = False
    start: datetime | None = None
    end: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    time_zone: str = "UTC"
    rrule: str | None = None
    rdates: list[str] = field(default_factory=list)
    exdates: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CheckedTimes:
    """The stored columns of ``Times``."""

    all_day: bool
    start_at: datetime
    end_at: datetime
    start_date: date | None
    end_date: date | None
    time_zone: str
    rrule: str | None
    rdates: list[str]
    exdates: list[str]
    series_end_at: datetime | None

    def columns(self) -> dict[str, Any]:
        return {
            "all_day": self.all_day,
            "start_at": self.start_at,
            "end_at": self.end_at,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "time_zone": self.time_zone,
            "rrule": self.rrule,
            "rdates": self.rdates,
            "exdates": self.exdates,
            "series_end_at": self.series_end_at,
        }

    def series(self) -> recurrence.Series:
        return recurrence.Series(
            start=self.start_at,
            end=self.end_at,
            tz=recurrence.zone(self.time_zone),
            rrule=self.rrule,
            rdates=self.rdates,
            exdates=self.exdates,
            all_day=self.all_day,
            start_date=self.start_date,
            end_date=self.end_date,
        )


def _iso_dates(values: list[str], all_day: bool, tz: Any, field_name: str) -> list[str]:
    """RDATE/EXDATE values in their stored form (UTC ISO instants, or dates)."""
    parsed = recurrence.parse_dates(values, all_day, tz, field_name)
    if all_day:
        return sorted({v[:10] for v in values})
    return sorted({p.isoformat() for p in parsed})


def check_times(times: Times, *, prefix: str = "") -> CheckedTimes:
    """Validate ``times`` and work out the stored columns. The recurrence must yield at least
    one occurrence (``recurrence.check_series``); that search can take seconds of CPU for a
    rule that yields nothing, so call this through ``asyncio.to_thread`` when it has an RRULE
    (``check_times_async``)."""
    tz = recurrence.zone(times.time_zone, prefix + "timeZone")
    if times.all_day:
        if times.start_date is None or times.end_date is None:
            raise _time_error("An all-day event has startDate and endDate.", prefix + "startDate")
        if times.start is not None or times.end is not None:
            raise _time_error(
                "An all-day event has dates, not startAt and endAt.", prefix + "startAt"
            )
        if times.end_date <= times.start_date:
            raise _time_error(
                "endDate is after startDate (it is exclusive: a one-day event ends the next day).",
                prefix + "endDate",
            )
        if (times.end_date - times.start_date).days > MAX_EVENT_DAYS:
            raise _time_error(f"One occurrence lasts at most {MAX_EVENT_DAYS} days.", "endDate")
        start_at = recurrence.midnight(times.start_date, tz)
        end_at = recurrence.midnight(times.end_date, tz)
    else:
        if times.start is None or times.end is None:
            raise _time_error("A timed event has startAt and endAt.", prefix + "startAt")
        if times.start_date is not None or times.end_date is not None:
            raise _time_error(
                "A timed event has startAt and endAt, not dates.", prefix + "startDate"
            )
        if times.start.tzinfo is None or times.end.tzinfo is None:
            raise _time_error("Times need an offset (ISO 8601 with Z or +hh:mm).", "startAt")
        start_at = times.start.astimezone(UTC)
        end_at = times.end.astimezone(UTC)
        if end_at < start_at:
            raise _time_error("endAt is before startAt.", prefix + "endAt")
        if end_at - start_at > timedelta(days=MAX_EVENT_DAYS):
            raise _time_error(f"One occurrence lasts at most {MAX_EVENT_DAYS} days.", "endAt")
    rrule = (
        recurrence.normalize_rrule(times.rrule, prefix + "recurrence.rrule")
        if times.rrule
        else None
    )
    rdates = _iso_dates(times.rdates, times.all_day, tz, prefix + "recurrence.rdates")
    exdates = _iso_dates(times.exdates, times.all_day, tz, prefix + "recurrence.exdates")
    checked = CheckedTimes(
        all_day=times.all_day,
        start_at=start_at,
        end_at=end_at,
        start_date=times.start_date if times.all_day else None,
        end_date=times.end_date if times.all_day else None,
        time_zone=times.time_zone,
        rrule=rrule,
        rdates=rdates,
        exdates=exdates,
        series_end_at=None,
    )
    series = checked.series()
    if rrule or rdates:
        recurrence.check_series(series)
    checked.series_end_at = recurrence.last_end(series)
    return checked


@dataclass(slots=True)
class Details:
    """What an event says besides its times and people."""

    title: str = ""
    description: str = ""
    location: str = ""
    visibility: EventVisibility = EventVisibility.DEFAULT
    show_as: ShowAs = ShowAs.BUSY
    color: str | None = None
    attachment_file_ids: list[int] = field(default_factory=list)
    chat_id: int | None = None
    doc_id: int | None = None
    reminder_minutes: list[int] = field(default_factory=list)
    guests_can_invite: bool = False
    guests_can_see_guests: bool = True

    def columns(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "location": self.location,
            "visibility": self.visibility,
            "show_as": self.show_as,
            "color": self.color,
            "attachment_file_ids": self.attachment_file_ids,
            "chat_id": self.chat_id,
            "doc_id": self.doc_id,
            "reminder_minutes": self.reminder_minutes,
            "guests_can_invite": self.guests_can_invite,
            "guests_can_see_guests": self.guests_can_see_guests,
        }


def check_details(details: Details) -> Details:
    """Validate what an event says (in place: the color lower-cased, reminders sorted)."""
    check_text(details.title, MAX_TITLE, "title")
    check_text(details.description, MAX_DESCRIPTION, "description")
    check_text(details.location, MAX_LOCATION, "location")
    details.color = check_color(details.color)
    details.reminder_minutes = check_reminders(details.reminder_minutes)
    if len(details.attachment_file_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed(f"At most {MAX_ATTACHMENTS} attachments.", field="attachmentIds")
    return details
