"""A person's calendar settings: working hours (in their own zone, ``User.time_zone``), default
reminders, and the zone itself.

Working hours are up to a few blocks per ISO weekday (Monday 1 … Sunday 7), ``HH:MM`` to
``HH:MM`` on the same day (``24:00`` ends a block at midnight); blocks of one day may not
overlap. Nobody has stored any until they set some: ``DEFAULT_WORKING_HOURS`` (Monday to Friday,
09:00 to 17:00) holds until then, and an empty list set on purpose means "no working hours"
(``findMeetingTimes`` then finds no time for them when it keeps to working hours)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.calendar import CalendarSettings
from models.identity import User
from resolvers.calendar import recurrence
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.fields import check_reminders
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction

MAX_BLOCKS = 7 * 4
"""At most four blocks a day."""
_HHMM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


@dataclass(frozen=True, slots=True)
class WorkingBlock:
    weekday: int
    """ISO: Monday 1 … Sunday 7."""
    start: str
    end: str

    def as_json(self) -> dict[str, object]:
        return {"weekday": self.weekday, "start": self.start, "end": self.end}


DEFAULT_WORKING_HOURS = tuple(WorkingBlock(d, "09:00", "17:00") for d in range(1, 6))


@dataclass(frozen=True, slots=True)
class Settings:
    user_id: int
    time_zone: str
    working_hours: tuple[WorkingBlock, ...]
    default_reminder_minutes: list[int]
    customized: bool
    """False while the person has not set working hours (the defaults apply)."""


def _minutes(value: str, field_name: str) -> int:
    found = _HHMM.match(value)
    minutes = int(found.group(1)) * 60 + int(found.group(2)) if found else -1
    if not found or minutes > 24 * 60:
        raise DomainError(
            f"{value!r} is not a time of day as HH:MM (00:00 to 24:00).",
            field=field_name,
            code=CalendarErrorCode.INVALID_WORKING_HOURS,
        )
    return minutes


def check_working_hours(
    blocks: list[WorkingBlock], prefix: str = "workingHours"
) -> list[WorkingBlock]:
    """The blocks in weekday and start order; INVALID_WORKING_HOURS for a bad weekday or time,
    an end not after its start, or two blocks of one day that overlap."""
    if len(blocks) > MAX_BLOCKS:
        raise ValidationFailed(f"At most {MAX_BLOCKS} blocks.", field=prefix)
    spans: list[tuple[int, int, int, int]] = []
    for i, b in enumerate(blocks):
        where = f"{prefix}.{i}"
        if not 1 <= b.weekday <= 7:
            raise DomainError(
                "A weekday is 1 (Monday) to 7 (Sunday).",
                field=f"{where}.weekday",
                code=CalendarErrorCode.INVALID_WORKING_HOURS,
            )
        start = _minutes(b.start, f"{where}.start")
        end = _minutes(b.end, f"{where}.end")
        if end <= start:
            raise DomainError(
                "A block ends after it starts (on the same day).",
                field=f"{where}.end",
                code=CalendarErrorCode.INVALID_WORKING_HOURS,
            )
        spans.append((b.weekday, start, end, i))
    spans.sort()
    for (day_a, _, end_a, _), (day_b, start_b, _, i) in itertools.pairwise(spans):
        if day_a == day_b and start_b < end_a:
            raise DomainError(
                "Two blocks of the same day overlap.",
                field=f"{prefix}.{i}",
                code=CalendarErrorCode.INVALID_WORKING_HOURS,
            )
    return [
        WorkingBlock(day, f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}")
        for day, s, e, _ in spans
    ]


def _blocks(stored: list[dict[str, Any]]) -> tuple[WorkingBlock, ...]:
    return tuple(WorkingBlock(int(b["weekday"]), str(b["start"]), str(b["end"])) for b in stored)


def _settings(user: User, row: CalendarSettings | None) -> Settings:
    return Settings(
        user_id=user.id,
        time_zone=user.time_zone or "UTC",
        working_hours=_blocks(row.working_hours) if row is not None else DEFAULT_WORKING_HOURS,
        default_reminder_minutes=list(row.default_reminder_minutes) if row is not None else [],
        customized=row is not None,
    )


async def settings_of(users: list[User]) -> dict[int, Settings]:
    """Each user's settings, in one query."""
    rows = {r.user_id: r for r in await CalendarSettings.filter(user_id__in=[u.id for u in users])}
    return {u.id: _settings(u, rows.get(u.id)) for u in users}


async def viewer_settings(ctx: Context) -> Settings:
    principal = require_principal(ctx)
    # Read afresh: the principal's user may come from the token cache, older than a zone change.
    user = await User.get(id=principal.user_id)
    return (await settings_of([user]))[user.id]


def working_intervals(
    settings: Settings, window_from: datetime, window_to: datetime
) -> list[tuple[datetime, datetime]]:
    """The person's working hours in ``[window_from, window_to)`` as UTC instants, in time
    order: each block on each local date of the window, read in their zone (so 09:00 in
    Berlin and 09:00 in New York are six hours apart, five in the weeks between the two DST
    changes)."""
    tz = ZoneInfo(settings.time_zone) if settings.time_zone else ZoneInfo("UTC")
    by_day: dict[int, list[WorkingBlock]] = {}
    for b in settings.working_hours:
        by_day.setdefault(b.weekday, []).append(b)
    day = window_from.astimezone(tz).date() - timedelta(days=1)
    last = window_to.astimezone(tz).date() + timedelta(days=1)
    out: list[tuple[datetime, datetime]] = []
    while day <= last:
        for b in by_day.get(day.isoweekday(), []):
            start = _local(day, b.start, tz)
            end = _local(day, b.end, tz)
            if start < window_to and end > window_from and end > start:
                out.append((start, end))
        day += timedelta(days=1)
    return out


def _local(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    hours, minutes = int(hhmm[:2]), int(hhmm[3:])
    if hours == 24:
        return recurrence.midnight(day + timedelta(days=1), tz)
    return datetime.combine(day, time(hours, minutes), tzinfo=tz).astimezone(ZoneInfo("UTC"))


async def check_calendar_settings_update(
    ctx: Context,
    *,
    working_hours: list[WorkingBlock] | None,
    default_reminder_minutes: list[int] | None,
    time_zone: str | None,
) -> Settings:
    """Validate what was given (omitted parts stay), then ``do_calendar_settings_update``."""
    principal = require_principal(ctx)
    hours = check_working_hours(working_hours) if working_hours is not None else None
    reminders = (
        check_reminders(default_reminder_minutes, "defaultReminderMinutes")
        if default_reminder_minutes is not None
        else None
    )
    if time_zone is not None:
        recurrence.zone(time_zone, "timeZone")
    return await do_calendar_settings_update(
        principal.user_id, working_hours=hours, reminders=reminders, time_zone=time_zone
    )


async def do_calendar_settings_update(
    user_id: int,
    *,
    working_hours: list[WorkingBlock] | None,
    reminders: list[int] | None,
    time_zone: str | None,
) -> Settings:
    async with transaction():
        user = await User.select_for_update().get(id=user_id)
        row = await CalendarSettings.filter(user_id=user_id).first()
        if row is None:
            row = await CalendarSettings.create(
                user_id=user_id,
                working_hours=[b.as_json() for b in DEFAULT_WORKING_HOURS],
                default_reminder_minutes=[],
            )
        if working_hours is not None:
            row.working_hours = [b.as_json() for b in working_hours]
        if reminders is not None:
            row.default_reminder_minutes = reminders
        await row.save()
        if time_zone is not None and time_zone != user.time_zone:
            user.time_zone = time_zone
            await user.save(update_fields=["time_zone"])
    return _settings(user, row)
