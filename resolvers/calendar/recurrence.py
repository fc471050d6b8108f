"""RFC 5545 recurrence, expanded with python-dateutil's ``rrule`` in the event's own time zone.

Why it stays at 09:00 local across DST: a timed series is expanded from an aware DTSTART in its
``zoneinfo`` zone. dateutil builds each occurrence from wall-clock fields with that zone, so the
weekly 09:00 is 09:00 in March and in November, and its UTC instant moves by the offset. A
wall-clock time that falls in a DST gap (02:30 on the spring-forward day in New York) is read
with the offset before the gap, as RFC 5545 3.3.5 says (PEP 495's ``fold=0``: 07:30Z, which is
03:30 EDT); one in an overlap is its first occurrence (the earlier instant). Durations are exact
(a one-hour meeting lasts an hour, also across a transition); all-day events last whole days.

DTSTART counts as an occurrence only if the rule yields it (dateutil and the RFC's own examples
agree); RDATE adds starts, EXDATE removes them, both compared as UTC instants (dates for all-day
events). UNTIL may be given in UTC (``Z``) or, for an all-day series, as a date.

Nothing here touches the database: ``Series`` is what a row (or an imported VEVENT) says, and
``occurrences`` is a pure function of it and a window."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from dateutil.rrule import (
    DAILY,
    HOURLY,
    MINUTELY,
    MONTHLY,
    SECONDLY,
    WEEKLY,
    YEARLY,
    rrule,
    rrulestr,
)

from resolvers.calendar.errors import CalendarErrorCode
from resolvers.core.errors import DomainError

MAX_WINDOW_DAYS = 366
"""The longest window ``events`` and ``freeBusy`` expand."""
MAX_RRULE = 1000
MAX_DATES = 1000
MAX_WALK = 100_000
"""``last_end`` walks at most this many occurrences of a bounded series."""
"""RDATE and EXDATE lists hold at most this many."""
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _impossible_days(parts: dict[str, str]) -> bool:
    """A rule whose months and days of the month never meet (the 30th of February): dateutil
    would walk its periods up to the year 9999 to find that out (seconds of CPU). Other rules
    that yield nothing (a BYSETPOS beyond every set) still take that walk, bounded by
    dateutil at the year 9999: ``check_series`` runs in a worker thread for that reason."""
    if "BYMONTHDAY" not in parts or "BYMONTH" not in parts:
        return False
    try:
        days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
        months = [int(m) for m in parts["BYMONTH"].split(",")]
    except ValueError:
        return False
    if any(d < 0 for d in days):
        return False
    return all(not 1 <= m <= 12 or d > _MONTH_DAYS[m - 1] for m in months for d in days)


_PART = re.compile(r"^[A-Z]+=[A-Za-z0-9,+\-:]+$")


def zone(name: str, field_name: str = "timeZone") -> ZoneInfo:
    """The IANA zone ``name``, or UNKNOWN_TIME_ZONE."""
    try:
        if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DomainError(
            f"{name!r} is not an IANA time zone name (like Europe/Berlin).",
            field=field_name,
            code=CalendarErrorCode.UNKNOWN_TIME_ZONE,
        ) from None


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(message, field=field_name, code=CalendarErrorCode.INVALID_RECURRENCE)


def instance_key(recurrence_id: datetime) -> str:
    """An occurrence's original start as ``YYYYMMDDTHHMMSSZ``: ``Event.instance_key`` of an
    exception, and the second half of a stable occurrence id."""
    return recurrence_id.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_instance_key(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Occurrence:
    recurrence_id: datetime
    """The original start (UTC), whatever an exception later made of it."""
    start: datetime
    end: datetime


@dataclass(slots=True)
class Series:
    """What expansion needs of an event. ``start``/``end`` are its first DTSTART/DTEND as UTC
    instants (for all-day events, midnights in ``tz``); ``all_day`` events also give their
    dates. ``rdates``/``exdates`` are ISO strings as stored on ``Event``."""

    start: datetime
    end: datetime
    tz: ZoneInfo
    rrule: str | None = None
    rdates: list[str] = field(default_factory=list)
    exdates: list[str] = field(default_factory=list)
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    wall_start: datetime | None = None
    """The DTSTART's local wall-clock time (naive), when it is not the one ``start`` reads as
    in ``tz``: a DTSTART in a DST gap (02:30 on spring-forward day, an ``.ics`` with TZID) is
    stored as the instant with the offset before the gap (03:30 local), but its later
    occurrences are at 02:30. None: ``start`` in ``tz``."""

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> int:
        if self.start_date is not None and self.end_date is not None:
            return max(1, (self.end_date - self.start_date).days)
        return 1


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC (midnight itself, or just after a gap)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def normalize_rrule(value: str, field_name: str = "recurrence.rrule") -> str:
    """The RRULE value, upper-cased, without an ``RRULE:`` prefix and with its parts checked
    for shape (dateutil checks their meaning in ``rule_of``)."""
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > MAX_RRULE or "\n" in text or "\r" in text:
        raise _invalid(f"An RRULE is 1 to {MAX_RRULE} characters on one line.", field_name)
    parts = [p.strip() for p in text.split(";") if p.strip()]
    names: set[str] = set()
    for part in parts:
        if not _PART.match(part.upper()):
            raise _invalid(f"{part!r} is not a NAME=value part of an RRULE.", field_name)
        name = part.split("=", 1)[0].upper()
        if name in names:
            raise _invalid(f"{name} is given twice.", field_name)
        names.add(name)
    if "FREQ" not in names:
        raise _invalid("An RRULE needs FREQ.", field_name)
    if "COUNT" in names and "UNTIL" in names:
        raise _invalid("COUNT and UNTIL cannot both be given (RFC 5545).", field_name)
    return ";".join(p.upper() for p in parts)


def _rule_parts(value: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in value.split(";"))


def _parsed(text: str, dtstart: datetime) -> Any:
    """dateutil's rule for an RRULE value and DTSTART, parsed once per process: every read of a
    window parses the rules of every series in it, and the same series come back request after
    request. Sharing is safe: a rule without its own cache keeps no state between iterations
    (``fast_forward`` makes a new one).

    The cache key is the DTSTART's wall-clock fields and zone name, not the DTSTART itself:
    aware datetimes of different zones are equal (and hash alike) when they name the same
    instant, and 09:00 in Berlin must not get the rule of 08:00 in London."""
    tz = dtstart.tzinfo
    key = getattr(tz, "key", None) if tz is not None else None
    if tz is not None and key is None:
        return rrulestr("RRULE:" + text, dtstart=dtstart)  # not a zoneinfo zone: no caching
    return _parsed_wall(text, dtstart.replace(tzinfo=None), dtstart.fold, key)


@lru_cache(maxsize=8192)
def _parsed_wall(text: str, wall: datetime, fold: int, zone_key: str | None) -> Any:
    dtstart = wall.replace(tzinfo=ZoneInfo(zone_key), fold=fold) if zone_key else wall
    return rrulestr("RRULE:" + text, dtstart=dtstart)


def rule_of(series: Series, field_name: str = "recurrence.rrule") -> rrule | None:
    """dateutil's rule for the series, anchored at its DTSTART in its zone (naive dates for an
    all-day series); INVALID_RECURRENCE if dateutil refuses it."""
    if not series.rrule:
        return None
    text = normalize_rrule(series.rrule, field_name)
    if series.all_day:
        # An all-day series counts in dates: UNTIL=20261231 or 20261231T235959Z both mean
        # "up to that day".
        parts = _rule_parts(text)
        if "UNTIL" in parts:
            parts["UNTIL"] = parts["UNTIL"][:8]
            text = ";".join(f"{k}={v}" for k, v in parts.items())
        assert series.start_date is not None
        dtstart: datetime = datetime.combine(series.start_date, time(0))
    else:
        dtstart = (
            series.wall_start.replace(tzinfo=series.tz, fold=0)
            if series.wall_start is not None
            else series.start.astimezone(series.tz)
        )
        parts = _rule_parts(text)
        if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
            # A floating or date UNTIL on a zoned DTSTART: RFC 5545 asks for UTC; read it in
            # the event's zone rather than refuse what other calendars write.
            until = parts["UNTIL"]
            try:
                local = (
                    datetime.strptime(until, "%Y%m%dT%H%M%S")
                    if "T" in until
                    else datetime.combine(
                        datetime.strptime(until, "%Y%m%d").date(), time(23, 59, 59)
                    )
                )
            except ValueError:
                raise _invalid(f"UNTIL={until} is not a date or date-time.", field_name) from None
            parts["UNTIL"] = instance_key(local.replace(tzinfo=series.tz))
            text = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rule = _parsed(text, dtstart)
    except (ValueError, TypeError, OverflowError) as e:
        raise _invalid(f"The RRULE does not parse: {e}.", field_name) from None
    if not isinstance(rule, rrule):
        raise _invalid("One RRULE, without RDATE or EXDATE lines.", field_name)
    return rule


def parse_dates(values: list[str], all_day: bool, tz: ZoneInfo, field_name: str) -> list[datetime]:
    """RDATE/EXDATE values as UTC instants: ISO instants for timed events (an offset is
    required), ``YYYY-MM-DD`` for all-day ones (their midnight in ``tz``)."""
    if len(values) > MAX_DATES:
        raise _invalid(f"At most {MAX_DATES} dates.", field_name)
    out: list[datetime] = []
    for i, value in enumerate(values):
        try:
            if all_day:
                out.append(midnight(date.fromisoformat(value[:10]), tz))
            else:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError("no offset")
                out.append(moment.astimezone(UTC))
        except (ValueError, TypeError):
            kind = "a date (YYYY-MM-DD)" if all_day else "an ISO 8601 instant with an offset"
            raise _invalid(f"{value!r} is not {kind}.", f"{field_name}.{i}") from None
    return out


def _as_utc(moment: datetime, series: Series) -> datetime:
    """A generated start as a UTC instant (naive ones are all-day dates)."""
    if moment.tzinfo is None:
        return midnight(moment.date(), series.tz)
    return moment.astimezone(UTC)


def as_utc(moment: datetime, series: Series) -> datetime:
    """A start the series' dateutil rule yields, as a UTC instant."""
    return _as_utc(moment, series)


def _end_of(start: datetime, series: Series) -> datetime:
    if series.all_day:
        local_day = start.astimezone(series.tz).date()
        return midnight(local_day + timedelta(days=series.days), series.tz)
    return start + series.duration


_UNITS = {
    YEARLY: "years",
    MONTHLY: "months",
    WEEKLY: "weeks",
    DAILY: "days",
    HOURLY: "hours",
    MINUTELY: "minutes",
    SECONDLY: "seconds",
}
_SECONDS = {HOURLY: 3600, MINUTELY: 60, SECONDLY: 1}


@lru_cache(maxsize=8192)
def fast_forward(rule: rrule, before: datetime) -> rrule:
    """``rule`` with its DTSTART moved forward by whole periods (a multiple of INTERVAL) to two
    periods before ``before`` (naive local wall-clock time), so that ``between`` does not walk
    a daily series from 2019 to find this week. The occurrences from there on are the same: a
    period-aligned DTSTART keeps every week, month or year the rule picks from, and what
    dateutil would have read off the old DTSTART (its weekday, day of the month, month and time
    of day) is passed explicitly. Not done for COUNT (it counts from the first occurrence).

    Reads dateutil's rule attributes (``_count``, ``_original_rule``…): python-dateutil is
    pinned exactly, and ``tests/calendar`` compares this with plain dateutil for random rules.
    Cached: a rule parsed once (``_parsed``) asked for the same window again (the same week
    view, request after request) is moved once."""
    r: Any = rule
    if r._count is not None:
        return rule
    start: datetime = r._dtstart
    naive = start.replace(tzinfo=None)
    if naive >= before:
        return rule
    freq, interval = r._freq, max(1, r._interval)
    if freq == YEARLY:
        periods = before.year - naive.year
    elif freq == MONTHLY:
        periods = (before.year - naive.year) * 12 + before.month - naive.month
    elif freq == WEEKLY:
        periods = (before - naive).days // 7
    elif freq == DAILY:
        periods = (before - naive).days
    else:
        periods = int((before - naive).total_seconds() // _SECONDS[freq])
    shift = ((periods - 2) // interval) * interval
    if shift <= 0:
        return rule
    original = r._original_rule
    explicit: dict[str, Any] = {}
    if "bymonthday" in original and original["bymonthday"] is None:
        explicit["bymonthday"] = start.day
    if "bymonth" in original and original["bymonth"] is None:
        explicit["bymonth"] = start.month
    if "byweekday" in original and original["byweekday"] is None:
        explicit["byweekday"] = start.weekday()
    if freq < HOURLY and "byhour" not in original:
        explicit["byhour"] = start.hour
    if freq < MINUTELY and "byminute" not in original:
        explicit["byminute"] = start.minute
    if freq < SECONDLY and "bysecond" not in original:
        explicit["bysecond"] = start.second
    moved = naive + relativedelta(**{_UNITS[freq]: shift})
    if freq < HOURLY:
        # The period's first instant: the old DTSTART's day could be missing (the 31st).
        moved = moved.replace(hour=0, minute=0, second=0)
    return r.replace(dtstart=moved.replace(tzinfo=start.tzinfo), **explicit)


def occurrences(
    series: Series, window_from: datetime, window_to: datetime, *, limit: int | None = None
) -> Iterator[Occurrence]:
    """The occurrences that overlap ``[window_from, window_to)``, in time order (at most
    ``limit``). A series without an RRULE or RDATE is its one occurrence."""
    rule = rule_of(series)
    excluded = set(parse_dates(series.exdates, series.all_day, series.tz, "recurrence.exdates"))
    extra = parse_dates(series.rdates, series.all_day, series.tz, "recurrence.rdates")
    # Occurrences that start before the window may still reach into it.
    reach = series.duration if not series.all_day else timedelta(days=series.days + 1)
    starts: list[datetime] = []
    if rule is None:
        if not extra:
            starts.append(series.start)
    else:
        lower = window_from - reach
        upper = window_to
        if series.all_day:
            # Naive local dates: compare with the window's dates in the zone, one day wider.
            lo = lower.astimezone(series.tz).replace(tzinfo=None) - timedelta(days=1)
            hi = upper.astimezone(series.tz).replace(tzinfo=None) + timedelta(days=1)
            candidates = fast_forward(rule, lo).between(lo, hi, inc=True)
        else:
            rule = fast_forward(rule, lower.astimezone(series.tz).replace(tzinfo=None))
            candidates = rule.between(lower, upper, inc=True)
        starts.extend(_as_utc(c, series) for c in candidates)
    starts.extend(s for s in extra if window_from - reach <= s < window_to)
    count = 0
    for start in sorted(set(starts)):
        if start in excluded:
            continue
        end = _end_of(start, series)
        # A zero-length event at the window's start still counts.
        if (end <= window_from or start >= window_to) and not start == end == window_from:
            continue
        yield Occurrence(start, start, end)
        count += 1
        if limit is not None and count >= limit:
            return


def first_occurrence(series: Series) -> Occurrence | None:
    """The series' first occurrence; None if there is none (a rule that yields nothing, or every
    date excluded). Can take seconds of CPU for a rule that yields nothing (see
    ``_impossible_days``): call it through ``asyncio.to_thread`` from a request."""
    rule = rule_of(series)
    excluded = set(parse_dates(series.exdates, series.all_day, series.tz, "recurrence.exdates"))
    extra = sorted(parse_dates(series.rdates, series.all_day, series.tz, "recurrence.rdates"))
    if rule is None:
        if extra:
            found = [s for s in extra if s not in excluded]
            return Occurrence(found[0], found[0], _end_of(found[0], series)) if found else None
        return Occurrence(series.start, series.start, series.end)
    if _impossible_days(_rule_parts(normalize_rrule(series.rrule or ""))):
        first = None
    else:
        anchor: datetime = (
            datetime.combine(series.start_date, time(0))
            if series.all_day and series.start_date is not None
            else series.start.astimezone(series.tz)
        )
        first = None
        for candidate in rule.xafter(anchor, count=None, inc=True):
            start = _as_utc(candidate, series)
            if start not in excluded:
                first = start
                break
    earlier = [s for s in extra if s not in excluded and (first is None or s < first)]
    if earlier:
        first = earlier[0]
    if first is None:
        return None
    return Occurrence(first, first, _end_of(first, series))


def check_series(series: Series) -> Occurrence:
    """Validate a series (its RRULE, dates and that it yields something) and return its first
    occurrence; INVALID_RECURRENCE or NO_OCCURRENCES otherwise."""
    found = first_occurrence(series)
    if found is None:
        raise DomainError(
            "The recurrence yields no occurrence.",
            field="recurrence",
            code=CalendarErrorCode.NO_OCCURRENCES,
        )
    return found


def last_end(series: Series) -> datetime | None:
    """The end of the series' last occurrence, or None if it never ends (no COUNT or UNTIL).
    ``Event.series_end_at``, so that window queries skip series that ended."""
    rule = rule_of(series)
    extra = parse_dates(series.rdates, series.all_day, series.tz, "recurrence.rdates")
    if rule is None:
        ends = [_end_of(s, series) for s in extra] or [series.end]
        return max(ends)
    parts = _rule_parts(normalize_rrule(series.rrule or ""))
    if "COUNT" not in parts and "UNTIL" not in parts:
        return None
    last = None
    # Bounded by COUNT or UNTIL; a COUNT of a million is walked once, at write time.
    for n, candidate in enumerate(rule):
        if n >= MAX_WALK:
            return None  # a very long bounded series is read as endless: only slower to query
        last = candidate
    ends = [_end_of(s, series) for s in extra]
    if last is not None:
        ends.append(_end_of(_as_utc(last, series), series))
    return max(ends) if ends else series.end


def check_window(window_from: datetime, window_to: datetime, field_name: str = "to") -> None:
    """A query window: ``from`` before ``to``, at most ``MAX_WINDOW_DAYS`` long."""
    if window_to <= window_from:
        raise DomainError(
            "`to` must be after `from`.",
            field=field_name,
            code=CalendarErrorCode.INVALID_TIME_RANGE,
        )
    if window_to - window_from > timedelta(days=MAX_WINDOW_DAYS):
        raise DomainError(
            f"A window is at most {MAX_WINDOW_DAYS} days.",
            field=field_name,
            code=CalendarErrorCode.WINDOW_TOO_LARGE,
        )
