"""Calendar scenarios: ``freeBusy`` (20 people, 50 weekly series each, one week) and
``findMeetingTimes`` (10 of them, two weeks), each against a plain Starlette endpoint in the same
process that calls the same resolver function (``resolvers.calendar.freebusy.free_busy``,
``resolvers.calendar.scheduling.find_meeting_times``: the same SQL, the same expansion, the
same ranking) and writes the same JSON by hand. That is the honest baseline for what the API
layer costs: a hand-written REST endpoint of this feature would do exactly that work. What the
expansion itself costs shows in the absolute figures (req/s, CPU µs per request).

The data: the seeded organization's first 20 members, in Berlin and New York by turns, each
organizing 50 weekly series (30 or 60 minutes, 07:00 to 19:00 in their zone, a colleague of
the 20 invited to each), written straight to the database by ``/bench/calendar/seed`` (made
once per stack; a thousand ``eventCreate`` calls would only slow the run down).

The week view: the viewer (a reader of the 20 calendars, granted by the seed) opens one week of
all of them with ``events``, against a plain endpoint calling ``resolvers.calendar.window.
window_events`` (the same SQL, expansion and privacy) and writing the same JSON by hand."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PEOPLE = 20
SERIES = 50
FIND_PEOPLE = 10
WEEK = ("2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z")
TWO_WEEKS = ("2026-06-01T00:00:00Z", "2026-06-15T00:00:00Z")
ZONES = ("Europe/Berlin", "America/New_York")

FREE_BUSY = """query FreeBusy($u: [ID!], $from: DateTime!, $to: DateTime!) {
  freeBusy(userIds: $u, from: $from, to: $to) {
    people { id busy { start end status } } rooms { id busy { start end status } } } }"""
WEEK_VIEW = """query WeekView($c: [ID!]!, $from: DateTime!, $to: DateTime!) {
  events(calendarIds: $c, from: $from, to: $to) {
    id startAt endAt title hasDetails showAs event { id } } }"""
FIND_TIMES = """query FindTimes($i: FindMeetingTimesInput!) { findMeetingTimes(input: $i) {
  candidates
  suggestions { start end score freeAttendeeIds busyAttendeeIds }
  dropped { reason attendeeId roomId count examples } } }"""


@dataclass(frozen=True)
class Screen:
    name: str
    body: dict[str, Any]
    plain: str
    """The baseline's path."""
    size: Callable[[Any], int]
    """How many items the answer holds (checked to be non-trivial)."""


def screens(people: list[str], calendars: list[str]) -> list[Screen]:
    return [
        Screen(
            f"freeBusy, {PEOPLE} people x {SERIES} weekly series, one week",
            {
                "query": FREE_BUSY,
                "variables": {"u": people[:PEOPLE], "from": WEEK[0], "to": WEEK[1]},
                "operationName": "FreeBusy",
            },
            "/bench/plain/freebusy",
            lambda d: sum(len(p["busy"]) for p in d["freeBusy"]["people"]),
        ),
        Screen(
            f"findMeetingTimes, {FIND_PEOPLE} people, two weeks",
            {
                "query": FIND_TIMES,
                "variables": {
                    "i": {
                        "attendeeIds": people[:FIND_PEOPLE],
                        "durationMinutes": 30,
                        "granularityMinutes": 30,
                        "from": TWO_WEEKS[0],
                        "to": TWO_WEEKS[1],
                    }
                },
                "operationName": "FindTimes",
            },
            "/bench/plain/findtimes",
            lambda d: d["findMeetingTimes"]["candidates"],
        ),
        Screen(
            f"events week view, {PEOPLE} calendars x {SERIES} weekly series",
            {
                "query": WEEK_VIEW,
                "variables": {"c": calendars, "from": WEEK[0], "to": WEEK[1]},
                "operationName": "WeekView",
            },
            "/bench/plain/weekview",
            lambda d: len(d["events"]),
        ),
    ]


# --- the server side (mounted by bench.baseline with HELLO_BENCH_BASELINE=1) -----------------


def _pk(global_id: str) -> int:
    from strawberry.relay import GlobalID

    return int(GlobalID.from_id(global_id).node_id)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def seed(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """The calendars of the scenario (once per stack): see the module docstring."""
    from bench.baseline import gid
    from models.calendar import (
        AttendeeKind,
        AttendeeResponse,
        CalendarGrant,
        CalendarGranteeKind,
        CalendarRole,
        Event,
        EventAttendee,
    )
    from models.identity import User
    from resolvers.calendar.access import do_primary_calendar
    from resolvers.calendar.recurrence import zone

    ids = [_pk(i) for i in variables["userIds"]]
    users = {
        u.id: u
        for u in await User.filter(id__in=ids, organization_id=ctx.principal.organization_id)
    }
    calendars = [await do_primary_calendar(users[uid]) for uid in ids]
    calendar_ids = [gid("Calendar", c.id) for c in calendars]
    if await Event.filter(ical_uid__startswith="bench-cal-", organizer_id__in=ids).exists():
        return {"events": 0, "calendarIds": calendar_ids}
    # The viewer reads the 20 calendars (a week view of details, not busy blocks).
    for c in calendars:
        await CalendarGrant.get_or_create(
            calendar_id=c.id,
            grantee_kind=CalendarGranteeKind.USER,
            grantee_id=ctx.principal.user_id,
            defaults={"role": CalendarRole.READER},
        )
    rng = random.Random(16)
    made = 0
    for n, uid in enumerate(ids):
        user = users[uid]
        user.time_zone = ZONES[n % len(ZONES)]
        await user.save(update_fields=["time_zone"])
        calendar = await do_primary_calendar(user)
        tz = zone(user.time_zone)
        for s in range(SERIES):
            day = rng.randrange(5)  # Monday to Friday of the first week of 2026
            local = datetime(2026, 1, 5 + day, rng.randrange(7, 19), rng.choice((0, 30)), tzinfo=tz)
            start = local.astimezone(zone("UTC"))
            event = await Event.create(
                organization_id=user.organization_id,
                calendar_id=calendar.id,
                organizer_id=uid,
                ical_uid=f"bench-cal-{uid}-{s}",
                title=f"Series {s}",
                start_at=start,
                end_at=start + timedelta(minutes=rng.choice((30, 60))),
                time_zone=user.time_zone,
                rrule="FREQ=WEEKLY",
                series_end_at=None,
            )
            guest = ids[(n + 1 + s % (len(ids) - 1)) % len(ids)]
            await EventAttendee.bulk_create(
                [
                    EventAttendee(
                        event_id=event.id, kind=AttendeeKind.USER, user_id=uid,
                        is_organizer=True, response=AttendeeResponse.ACCEPTED,
                    ),
                    EventAttendee(
                        event_id=event.id, kind=AttendeeKind.USER, user_id=guest,
                        response=AttendeeResponse.ACCEPTED,
                    ),
                ]
            )  # fmt: skip
            made += 1
    return {"events": made, "calendarIds": calendar_ids}


def _iso(value: datetime) -> str:
    return value.isoformat()


async def plain_free_busy(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """``freeBusy`` by hand: the same resolver function, JSON written directly."""
    from bench.baseline import gid
    from resolvers.calendar.freebusy import free_busy

    users = [_pk(i) for i in variables.get("u") or []]
    found = await free_busy(ctx, users, [], _when(variables["from"]), _when(variables["to"]))
    return {
        "freeBusy": {
            "people": [
                {
                    "id": gid("User", u),
                    "busy": [
                        {"start": _iso(b.start), "end": _iso(b.end), "status": b.status.value}
                        for b in found.users[u]
                    ],
                }
                for u in dict.fromkeys(users)
            ],
            "rooms": [],
        }
    }


async def plain_find_times(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """``findMeetingTimes`` by hand: the same resolver function, JSON written directly."""
    from bench.baseline import gid
    from resolvers.calendar.scheduling import Request, find_meeting_times

    i = variables["i"]
    found = await find_meeting_times(
        ctx,
        Request(
            attendee_ids=[_pk(x) for x in i["attendeeIds"]],
            optional_ids=[_pk(x) for x in i.get("optionalAttendeeIds") or []],
            room_ids=[],
            duration_minutes=i["durationMinutes"],
            window_from=_when(i["from"]),
            window_to=_when(i["to"]),
            working_hours_only=i.get("workingHoursOnly", True),
            granularity_minutes=i.get("granularityMinutes", 15),
            max_results=i.get("maxResults", 20),
        ),
    )
    return {
        "findMeetingTimes": {
            "candidates": found.candidates,
            "suggestions": [
                {
                    "start": _iso(s.start),
                    "end": _iso(s.end),
                    "score": s.score,
                    "freeAttendeeIds": [gid("User", u) for u in s.free],
                    "busyAttendeeIds": [gid("User", u) for u in s.busy],
                }
                for s in found.suggestions
            ],
            "dropped": [
                {
                    "reason": d.reason.value,
                    "attendeeId": gid("User", d.user_id) if d.user_id is not None else None,
                    "roomId": gid("Room", d.room_id) if d.room_id is not None else None,
                    "count": d.count,
                    "examples": [_iso(x) for x in d.examples],
                }
                for d in found.dropped
            ],
        }
    }


async def plain_week_view(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """``events`` by hand: the same resolver function, JSON written directly."""
    from strawberry.relay import GlobalID

    from bench.baseline import gid
    from resolvers.calendar.recurrence import instance_key
    from resolvers.calendar.window import window_events

    found = await window_events(
        ctx, [_pk(c) for c in variables["c"]], _when(variables["from"]), _when(variables["to"])
    )
    out = []
    for o in found:
        inst = o.instance
        row = inst.row
        key = instance_key(inst.recurrence_id)
        out.append(
            {
                "id": str(GlobalID("EventOccurrence", f"{inst.master.id}_{key}")),
                "startAt": _iso(inst.start),
                "endAt": _iso(inst.end),
                "title": row.title if o.details else "Busy",
                "hasDetails": o.details,
                "showAs": str(row.show_as),
                "event": {"id": gid("Event", inst.master.id)},
            }
        )
    return {"events": out}
