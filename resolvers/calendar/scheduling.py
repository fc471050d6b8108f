"""Find a time: candidate slots in a window, checked against everyone's free/busy and working
hours, ranked, with counts of why the others were dropped.

Candidates start at every multiple of ``granularity`` minutes (counted from the Unix epoch in
UTC, so 15 minutes means :00, :15, :30, :45 in every zone whose offset is whole quarter hours)
from ``from`` while they end by ``to``. A candidate is dropped when a required attendee is busy
(any status: tentative time is not offered as free), outside their working hours (when
``workingHoursOnly``: the whole slot inside one block of their hours, in their own zone), or
when a room is busy (every room given is required). Optional attendees who are busy or
outside their hours do not drop a slot: they lower its rank.

Ranking: fewer optional conflicts first, then earlier; ``score`` is 1.0 for a slot where
everyone is free, minus an equal share for each optional attendee in conflict.

The window is at most ``MAX_WINDOW_DAYS`` (62): two months is as far as anyone plans a
meeting, and it bounds the candidates to 17,856 at a five-minute granularity."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.freebusy import (
    Busy,
    access_people,
    access_rooms,
    check_ids,
    schedules,
)
from resolvers.calendar.settings import settings_of, working_intervals
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, ValidationFailed

MAX_WINDOW_DAYS = 62
MAX_RESULTS = 100
MAX_EXAMPLES = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DropReason(StrEnum):
    ATTENDEE_BUSY = "ATTENDEE_BUSY"
    OUTSIDE_WORKING_HOURS = "OUTSIDE_WORKING_HOURS"
    ROOM_BUSY = "ROOM_BUSY"


@dataclass(frozen=True, slots=True)
class Suggestion:
    start: datetime
    end: datetime
    score: float
    free: list[int]
    """User ids (required and optional) free and within their hours."""
    busy: list[int]
    """Optional attendees who are busy or outside their hours."""


@dataclass(slots=True)
class Dropped:
    reason: DropReason
    user_id: int | None
    room_id: int | None
    count: int = 0
    examples: list[datetime] = field(default_factory=list)


@dataclass(slots=True)
class MeetingTimes:
    suggestions: list[Suggestion]
    dropped: list[Dropped]
    candidates: int


@dataclass(frozen=True, slots=True)
class Request:
    attendee_ids: list[int]
    optional_ids: list[int]
    room_ids: list[int]
    duration_minutes: int
    window_from: datetime
    window_to: datetime
    working_hours_only: bool = True
    granularity_minutes: int = 15
    max_results: int = 20


class _Timeline:
    """Sorted, non-overlapping intervals with an overlap test in O(log n)."""

    def __init__(self, intervals: list[tuple[datetime, datetime]]) -> None:
        self.starts = [a for a, _ in intervals]
        self.ends = [b for _, b in intervals]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.starts, start) - 1
        if i >= 0 and self.ends[i] > start:
            return True
        j = i + 1
        return j < len(self.starts) and self.starts[j] < end

    def covers(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.ends[i] >= end


def _joined(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Blocks that touch (09:00-12:00 and 12:00-17:00) as one, so a slot may span them."""
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _busy_line(busy: list[Busy]) -> _Timeline:
    return _Timeline([(b.start, b.end) for b in busy])


def _check(req: Request) -> None:
    if req.window_to <= req.window_from:
        raise DomainError(
            "`to` must be after `from`.", field="to", code=CalendarErrorCode.INVALID_TIME_RANGE
        )
    if req.window_to - req.window_from > timedelta(days=MAX_WINDOW_DAYS):
        raise DomainError(
            f"findMeetingTimes looks at most {MAX_WINDOW_DAYS} days ahead.",
            field="to",
            code=CalendarErrorCode.WINDOW_TOO_LARGE,
        )
    duration = timedelta(minutes=req.duration_minutes)
    if req.duration_minutes <= 0 or duration > req.window_to - req.window_from:
        raise DomainError(
            "A meeting lasts at least a minute and fits in the window.",
            field="durationMinutes",
            code=CalendarErrorCode.INVALID_DURATION,
        )
    if not 5 <= req.granularity_minutes <= 24 * 60:
        raise ValidationFailed("5 to 1,440 minutes.", field="granularityMinutes")
    if not 1 <= req.max_results <= MAX_RESULTS:
        raise ValidationFailed(f"1 to {MAX_RESULTS}.", field="maxResults")
    if not req.attendee_ids:
        raise ValidationFailed("Name at least one attendee.", field="attendeeIds")
    check_ids(req.attendee_ids, "attendeeIds")
    check_ids(req.optional_ids, "optionalAttendeeIds")
    check_ids(req.room_ids, "roomIds")


def _first_start(window_from: datetime, step: timedelta) -> datetime:
    offset = (window_from - _EPOCH) % step
    return window_from if not offset else window_from + (step - offset)


async def find_meeting_times(ctx: Context, req: Request) -> MeetingTimes:
    """``findMeetingTimes`` (see the module docstring)."""
    _check(req)
    required = list(dict.fromkeys(req.attendee_ids))
    optional = [u for u in dict.fromkeys(req.optional_ids) if u not in required]
    people = await access_people(ctx, req.attendee_ids, "attendeeIds")
    people.update(await access_people(ctx, req.optional_ids, "optionalAttendeeIds"))
    await access_rooms(ctx, req.room_ids, "roomIds")
    found = await schedules(people, req.room_ids, req.window_from, req.window_to)
    busy = {u: _busy_line(found.users.get(u, [])) for u in required + optional}
    rooms = {r: _busy_line(found.rooms.get(r, [])) for r in dict.fromkeys(req.room_ids)}
    hours: dict[int, _Timeline] = {}
    if req.working_hours_only:
        settings = await settings_of(list(people.values()))
        hours = {
            u: _Timeline(_joined(working_intervals(settings[u], req.window_from, req.window_to)))
            for u in required + optional
        }
    step = timedelta(minutes=req.granularity_minutes)
    length = timedelta(minutes=req.duration_minutes)
    drops: dict[tuple[DropReason, int | None, int | None], Dropped] = {}

    def drop(reason: DropReason, at: datetime, user: int | None = None, room: int | None = None):
        key = (reason, user, room)
        entry = drops.setdefault(key, Dropped(reason, user, room))
        entry.count += 1
        if len(entry.examples) < MAX_EXAMPLES:
            entry.examples.append(at)

    ranked: list[tuple[int, datetime, Suggestion]] = []
    candidates = 0
    start = _first_start(req.window_from, step)
    while start + length <= req.window_to:
        end = start + length
        candidates += 1
        ok = True
        for u in required:
            if hours and not hours[u].covers(start, end):
                drop(DropReason.OUTSIDE_WORKING_HOURS, start, user=u)
                ok = False
            if busy[u].overlaps(start, end):
                drop(DropReason.ATTENDEE_BUSY, start, user=u)
                ok = False
        for r, line in rooms.items():
            if line.overlaps(start, end):
                drop(DropReason.ROOM_BUSY, start, room=r)
                ok = False
        if ok:
            conflicts = [
                u
                for u in optional
                if busy[u].overlaps(start, end) or (hours and not hours[u].covers(start, end))
            ]
            free = [u for u in required + optional if u not in conflicts]
            score = 1.0 - len(conflicts) / (len(optional) + 1)
            ranked.append(
                (len(conflicts), start, Suggestion(start, end, round(score, 4), free, conflicts))
            )
        start += step
    ranked.sort(key=lambda r: (r[0], r[1]))
    order = {DropReason.ATTENDEE_BUSY: 0, DropReason.ROOM_BUSY: 1}
    dropped = sorted(
        drops.values(), key=lambda d: (-d.count, order.get(d.reason, 2), d.user_id or 0)
    )
    return MeetingTimes(
        suggestions=[s for _, _, s in ranked[: req.max_results]],
        dropped=dropped,
        candidates=candidates,
    )
