"""No double booking across processes: two ``hello serve`` processes on one PostgreSQL
database, many concurrent ``eventCreate`` for the same room and time, exactly one booked.
Each booking decision raises the room's version first (its row lock until commit), so the
decisions serialize however the requests are spread over processes."""

from __future__ import annotations

import asyncio
import os

from models.calendar import AttendeeResponse, EventAttendee
from tests.calendar.helpers import create_event, pk
from tests.calendar.rooms_helpers import room_answer, room_ok
from tests.client import Api
from tests.drive.processes import hello_serve
from tests.services import missing

START = "2030-03-04T14:00:00Z"
END = "2030-03-04T15:00:00Z"
N = 6


async def test_two_processes_book_a_room_once(api: Api) -> None:
    if not os.environ.get("HELLO_TEST_DATABASE_URL"):
        missing("HELLO_TEST_DATABASE_URL is not set (two processes need PostgreSQL)")
    ada = await api.sign_up()
    blue = await room_ok(api, ada, name="Blue")
    # A weekly series and single events, all wanting the first Monday's hour.
    async with (
        hello_serve() as (url_a, _),
        hello_serve() as (url_b, _),
        Api(url_a) as a,
        Api(url_b) as b,
    ):
        results = await asyncio.gather(
            *(
                create_event(
                    (a, b)[i % 2],
                    ada,
                    title=f"Race {i}",
                    startAt=START,
                    endAt=END,
                    recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"} if i % 3 == 0 else None,
                    attendees=[{"roomId": blue["id"]}],
                )
                for i in range(N)
            )
        )
    assert all(r["errors"] == [] for r in results), results
    answers = sorted(room_answer(r["event"])[0] for r in results)
    assert answers == ["ACCEPTED"] + ["DECLINED"] * (N - 1)
    rows = await EventAttendee.filter(room_id=pk(blue["id"])).values_list("response", flat=True)
    assert sorted(rows) == answers
    assert rows.count(AttendeeResponse.ACCEPTED) == 1
