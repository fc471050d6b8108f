"""Reminders: delivered at ``start - minutes`` on each attendee's ``viewerEvents`` with their own
minutes or the event's; a series queues only its next one; a job made stale (the attendee's
reminders changed) does nothing; ``eventReminderSet``'s typed errors change nothing; jobs are
durable across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from models.calendar import EventAttendee
from models.jobs import BackgroundJob, JobState
from resolvers.calendar.reminders import REMINDER_JOB
from resolvers.core.channels import user_channel
from tests.calendar.helpers import event_ok, pk
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.timing import eventually

VIEWER = """subscription { viewerEvents { __typename
  ... on EventReminder { eventId occurrenceId recurrenceId title startAt minutesBefore } } }"""
SET = """mutation($i: EventReminderSetInput!) { eventReminderSet(input: $i) {
  event { id } errors { code field } } }"""


def soon(minutes: int, seconds: float) -> str:
    """An instant ``minutes`` and ``seconds`` from now (so a ``minutes`` reminder is due in
    ``seconds``)."""
    at = datetime.now(UTC) + timedelta(minutes=minutes, seconds=seconds)
    return at.replace(microsecond=0).isoformat()


@asynccontextmanager
async def stream(server: str, who: Account) -> AsyncIterator[WSClient]:
    ws = await WSClient.connect(server)
    try:
        assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
            "connection_ack"
        )
        await ws.subscribe(VIEWER)
        await wait_subscribed(user_channel(pk(who.user_id)))
        yield ws
    finally:
        await ws.close()


async def next_reminder(ws: WSClient, timeout: float = 20) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg["type"] == "next", msg
    event = msg["payload"]["data"]["viewerEvents"]
    assert event["__typename"] == "EventReminder", event
    return event  # type: ignore[no-any-return]


async def jobs_of(attendee_id: int) -> list[BackgroundJob]:
    return list(
        await BackgroundJob.filter(name=REMINDER_JOB, key__startswith=f"{attendee_id}:").order_by(
            "id"
        )
    )


async def test_a_reminder_reaches_each_attendee_with_their_minutes(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    start = soon(10, 3)
    event = await event_ok(
        api,
        ada,
        title="Review",
        startAt=start,
        endAt=soon(40, 0),
        reminderMinutes=[10, 1440],
        attendees=[{"userId": bob.user_id}],
    )
    bobs = await EventAttendee.get(event_id=pk(event["id"]), user_id=pk(bob.user_id))
    # The day-before reminder has passed already: only the ten-minute one is queued.
    [job] = await jobs_of(bobs.id)
    assert job.args["minutes"] == 10 and job.run_at == datetime.fromisoformat(start) - timedelta(
        minutes=10
    )
    async with stream(server, bob) as ws:
        got = await next_reminder(ws)
    assert got["eventId"] == event["id"] and got["title"] == "Review"
    assert got["minutesBefore"] == 10
    assert datetime.fromisoformat(got["startAt"]) == datetime.fromisoformat(start)
    # Nothing more is due for a single event.
    await eventually(
        lambda: _state(job.id, JobState.SUCCEEDED), timeout=20, what="the reminder job done"
    )
    assert len(await jobs_of(bobs.id)) == 1


async def _state(job_id: int, state: JobState) -> bool:
    return (await BackgroundJob.get(id=job_id)).state == state


async def test_a_series_queues_only_the_next_reminder(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    event = await event_ok(
        api,
        ada,
        startAt="2030-03-04T14:00:00Z",
        endAt="2030-03-04T15:00:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO"},
        reminderMinutes=[15],
        attendees=[{"userId": bob.user_id}],
    )
    bobs = await EventAttendee.get(event_id=pk(event["id"]), user_id=pk(bob.user_id))
    [job] = await jobs_of(bobs.id)
    assert job.run_at == datetime(2030, 3, 4, 13, 45, tzinfo=UTC)
    # Bob's own reminders replace the event's: a new job, the old one stale.
    changed = await api.gql(
        SET, {"i": {"eventId": event["id"], "minutes": [60, 5]}}, token=bob.access_token
    )
    assert changed["eventReminderSet"]["errors"] == []
    jobs = await jobs_of(bobs.id)
    assert len(jobs) == 2 and jobs[1].args["minutes"] == 60
    assert jobs[1].run_at == datetime(2030, 3, 4, 13, 0, tzinfo=UTC)
    assert (await EventAttendee.get(id=bobs.id)).reminder_minutes == [60, 5]


async def test_a_stale_reminder_does_nothing(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    event = await event_ok(
        api,
        ada,
        title="Sync",
        startAt=soon(10, 3),
        endAt=soon(30, 0),
        reminderMinutes=[10],
        attendees=[{"userId": bob.user_id}],
    )
    bobs = await EventAttendee.get(event_id=pk(event["id"]), user_id=pk(bob.user_id))
    [job] = await jobs_of(bobs.id)
    # Bob wants no reminders: the queued one stays, and does nothing when it runs.
    off = await api.gql(SET, {"i": {"eventId": event["id"], "minutes": []}}, token=bob.access_token)
    assert off["eventReminderSet"]["errors"] == []
    async with stream(server, bob) as bob_ws, stream(server, ada) as ada_ws:
        assert (await next_reminder(ada_ws))["title"] == "Sync"  # Ada keeps the event's
        await eventually(
            lambda: _state(job.id, JobState.SUCCEEDED), timeout=20, what="the stale job run"
        )
        try:
            got = await bob_ws.receive(timeout=0.5)
        except TimeoutError:
            got = None
    assert got is None
    assert len(await jobs_of(bobs.id)) == 1


async def test_reminder_set_errors_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    event = await event_ok(
        api,
        ada,
        startAt="2030-03-04T14:00:00Z",
        endAt="2030-03-04T15:00:00Z",
        attendees=[{"userId": bob.user_id}],
    )
    eve = await api.sign_up(organization="Other")

    async def errors(who: Account, minutes: list[int] | None) -> list[dict[str, Any]]:
        data = await api.gql(
            SET, {"i": {"eventId": event["id"], "minutes": minutes}}, token=who.access_token
        )
        return list(data["eventReminderSet"]["errors"])

    assert await errors(bob, [1, 2, 3, 4, 5, 6]) == [
        {"code": "INVALID_REMINDER", "field": "minutes"}
    ]
    assert await errors(bob, [-1]) == [{"code": "INVALID_REMINDER", "field": "minutes.0"}]
    # Cy sees the event as busy on Ada's calendar, but does not attend it.
    assert await errors(cy, [5]) == [{"code": "NOT_AN_ATTENDEE", "field": "eventId"}]
    assert await errors(eve, [5]) == [{"code": "NOT_FOUND", "field": "eventId"}]
    rows = await EventAttendee.filter(event_id=pk(event["id"])).values_list(
        "reminder_minutes", flat=True
    )
    assert list(rows) == [None, None]


async def test_reminders_survive_a_restart(tmp_path: Path) -> None:
    """A deployment of its own: the reminder is queued by one server, which stops before it is
    due; a fresh server started afterwards delivers it."""
    from tests.jobs.procs import deployment, stop

    async with deployment(tmp_path) as d:
        first = await d.serve()
        url = _url_of(d, first)
        async with Api(url) as api:
            ada = await api.sign_up()
            start = soon(10, 15)
            await event_ok(
                api, ada, title="Later", startAt=start, endAt=soon(20, 0), reminderMinutes=[10]
            )
        stop(first)
        due = datetime.fromisoformat(start) - timedelta(minutes=10)
        assert datetime.now(UTC) < due, "the machine was too slow to stop the server in time"
        second = await d.serve()
        ws = await WSClient.connect(_url_of(d, second))
        try:
            await ws.init({"authorization": f"Bearer {ada.access_token}"})
            await ws.subscribe(VIEWER)
            got = await next_reminder(ws, timeout=40)
        finally:
            await ws.close()
        assert got["title"] == "Later" and got["minutesBefore"] == 10


def _url_of(d: Any, proc: Any) -> str:
    args = proc.args
    return f"http://127.0.0.1:{args[args.index('--port') + 1]}"


async def test_a_delivered_reminder_queues_the_next_occurrences(api: Api, server: str) -> None:
    ada = await api.sign_up()
    start = soon(5, 3)
    event = await event_ok(
        api,
        ada,
        title="Daily",
        startAt=start,
        endAt=soon(20, 0),
        recurrence={"rrule": "FREQ=DAILY;COUNT=3"},
        reminderMinutes=[5],
    )
    organizer = await EventAttendee.get(event_id=pk(event["id"]), user_id=pk(ada.user_id))
    [first] = await jobs_of(organizer.id)
    async with stream(server, ada) as ws:
        got = await next_reminder(ws)
    assert got["minutesBefore"] == 5 and got["title"] == "Daily"
    await eventually(
        lambda: _state(first.id, JobState.SUCCEEDED), timeout=20, what="the first reminder done"
    )
    jobs = await jobs_of(organizer.id)
    assert len(jobs) == 2
    assert jobs[1].run_at == first.run_at + timedelta(days=1)
    assert jobs[1].state == JobState.QUEUED
