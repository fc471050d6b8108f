"""eventDelete: a whole event or series, one occurrence (a cancelled exception), or the rest of
a series; who may, and conflicts."""

from __future__ import annotations

from models.calendar import Event
from tests.calendar.event_ops import delete, update_ok, window
from tests.calendar.helpers import event_ok, pk, primary
from tests.client import Api

START = "2026-03-02T09:00:00Z"
END = "2026-03-02T09:30:00Z"
MONTH = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")


async def series(api: Api, who: object) -> dict:  # type: ignore[type-arg]
    return await event_ok(
        api,
        who,
        title="Daily",
        startAt=START,
        endAt=END,  # type: ignore[arg-type]
        recurrence={"rrule": "FREQ=DAILY;COUNT=5"},
    )


async def test_this_cancels_one_occurrence(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    s = await series(api, ada)
    got = await delete(api, ada, eventId=s["id"], scope="THIS", recurrenceId="2026-03-03T09:00:00Z")
    assert got["errors"] == [] and got["event"]["id"] == s["id"]
    found = await window(api, ada, [cal["id"]], *MONTH)
    assert [o["startAt"][:10] for o in found] == [
        "2026-03-02",
        "2026-03-04",
        "2026-03-05",
        "2026-03-06",
    ]
    row = await Event.get(series_id=pk(s["id"]))
    assert row.cancelled and row.instance_key == "20260303T090000Z"


async def test_this_and_following_ends_the_series(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    s = await series(api, ada)
    await update_ok(
        api,
        ada,
        eventId=s["id"],
        version=1,
        scope="THIS",
        recurrenceId="2026-03-05T09:00:00Z",
        title="Later",
    )
    got = await delete(
        api, ada, eventId=s["id"], scope="THIS_AND_FOLLOWING", recurrenceId="2026-03-04T09:00:00Z"
    )
    assert got["errors"] == []
    found = await window(api, ada, [cal["id"]], *MONTH)
    assert [o["startAt"][:10] for o in found] == ["2026-03-02", "2026-03-03"]
    row = await Event.get(id=pk(s["id"]))
    assert row.series_end_at is not None and row.series_end_at.isoformat().startswith("2026-03-03")


async def test_all_deletes_the_series_and_a_stale_version_conflicts(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Other")
    cal = await primary(api, ada)
    s = await series(api, ada)
    await update_ok(api, ada, eventId=s["id"], version=1, title="v2")
    stale = await delete(api, ada, eventId=s["id"], version=1)
    assert stale["errors"][0]["code"] == "CONFLICT" and stale["event"]["version"] == 2
    assert (await delete(api, bob, eventId=s["id"]))["errors"][0]["code"] == "FORBIDDEN"
    assert (await delete(api, eve, eventId=s["id"]))["errors"][0]["code"] == "NOT_FOUND"
    assert (await Event.get(id=pk(s["id"]))).deleted_at is None
    got = await delete(api, ada, eventId=s["id"], version=2)
    assert got["errors"] == [] and got["event"] is None
    assert await window(api, ada, [cal["id"]], *MONTH) == []
    again = await delete(api, ada, eventId=s["id"])
    assert again["errors"][0]["code"] == "NOT_FOUND"


async def test_a_single_event_has_no_occurrences_to_cancel(api: Api) -> None:
    ada = await api.sign_up()
    one = await event_ok(api, ada, title="One", startAt=START, endAt=END)
    got = await delete(api, ada, eventId=one["id"], scope="THIS", recurrenceId=START)
    assert got["errors"][0]["code"] == "NOT_RECURRING"
    s = await series(api, ada)
    got = await delete(api, ada, eventId=s["id"], scope="THIS", recurrenceId="2026-03-02T10:00:00Z")
    assert got["errors"][0]["code"] == "NOT_AN_OCCURRENCE"
    assert await Event.filter(series_id=pk(s["id"])).count() == 0
