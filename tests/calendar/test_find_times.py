"""findMeetingTimes: people in Berlin and New York (only the overlap of their working hours,
which grows in the weeks between the American and the European DST change), a recurring series,
a declined invitation that does not block, an optional attendee who lowers a slot's rank, the
reasons slots were dropped; tenancy and bad input."""

from __future__ import annotations

from typing import Any

from models.calendar import AttendeeResponse, EventAttendee
from tests.calendar.helpers import event_ok, pk
from tests.client import Account, Api

FIND = """query($i: FindMeetingTimesInput!) { findMeetingTimes(input: $i) {
  candidates
  suggestions { start end score freeAttendeeIds busyAttendeeIds }
  dropped { reason attendeeId roomId count examples } } }"""
SETTINGS = """mutation($i: CalendarSettingsUpdateInput!) {
  calendarSettingsUpdate(input: $i) { errors { code } } }"""


async def find(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    r = await api.post(FIND, {"i": fields}, token=who.access_token)
    return dict(r.json())


async def in_zone(api: Api, who: Account, zone: str) -> None:
    data = await api.gql(SETTINGS, {"i": {"timeZone": zone}}, token=who.access_token)
    assert data["calendarSettingsUpdate"]["errors"] == []


async def test_berlin_and_new_york_across_dst(api: Api) -> None:
    ada = await api.sign_up(name="Ada")  # Berlin
    bob = await api.add_member(ada, name="Bob")  # New York
    cy = await api.add_member(ada, name="Cy")  # invites Ada
    dee = await api.add_member(ada, name="Dee")  # optional, UTC
    await in_zone(api, ada, "Europe/Berlin")
    await in_zone(api, bob, "America/New_York")
    # Bob's daily 09:00 New York meeting, on weekdays: 14:00Z, then 13:00Z after March 8th.
    await event_ok(
        api,
        bob,
        title="Daily",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
    )
    declined = await event_ok(
        api, cy, startAt="2026-03-03T15:00:00Z", endAt="2026-03-03T16:00:00Z",
        attendees=[{"userId": ada.user_id}],
    )  # fmt: skip
    await EventAttendee.filter(event_id=pk(declined["id"]), user_id=pk(ada.user_id)).update(
        response=AttendeeResponse.DECLINED
    )
    await event_ok(
        api, cy, startAt="2026-03-04T15:00:00Z", endAt="2026-03-04T16:00:00Z",
        attendees=[{"userId": ada.user_id}],
    )  # fmt: skip
    await event_ok(api, dee, startAt="2026-03-02T15:00:00Z", endAt="2026-03-02T16:00:00Z")

    body = await find(
        api,
        ada,
        attendeeIds=[ada.user_id, bob.user_id],
        optionalAttendeeIds=[dee.user_id],
        durationMinutes=60,
        granularityMinutes=60,
        maxResults=100,
        **{"from": "2026-03-02T00:00:00Z", "to": "2026-03-14T00:00:00Z"},
    )
    assert "errors" not in body, body
    found = body["data"]["findMeetingTimes"]
    assert found["candidates"] == 12 * 24
    starts = [s["start"][5:16] for s in found["suggestions"]]
    # Berlin 09-17 (CET) is 08-16Z; New York 09-17 is 14-22Z (EST), 13-21Z (EDT from March 8th).
    # Bob's daily takes the first hour of the overlap; Ada's accepted invitation on the 4th
    # takes 15:00; the one she declined on the 3rd does not; Dee's conflict sends the 2nd last.
    week_two = [f"03-{d:02d}T{h}:00" for d in range(9, 14) for h in (14, 15)]
    assert starts == ["03-03T15:00", "03-05T15:00", "03-06T15:00", *week_two, "03-02T15:00"]
    last = found["suggestions"][-1]
    assert last["busyAttendeeIds"] == [dee.user_id] and last["score"] == 0.5
    assert found["suggestions"][0]["score"] == 1.0
    assert set(found["suggestions"][0]["freeAttendeeIds"]) == {
        ada.user_id,
        bob.user_id,
        dee.user_id,
    }
    drops = {(d["reason"], d["attendeeId"]): d for d in found["dropped"]}
    assert drops[("ATTENDEE_BUSY", bob.user_id)]["count"] == 10
    assert drops[("ATTENDEE_BUSY", ada.user_id)]["examples"] == ["2026-03-04T15:00:00+00:00"]
    assert drops[("OUTSIDE_WORKING_HOURS", bob.user_id)]["count"] > 0
    assert drops[("OUTSIDE_WORKING_HOURS", ada.user_id)]["count"] > 0

    # Without working hours, only busy time drops a slot.
    anytime = await find(
        api,
        ada,
        attendeeIds=[bob.user_id],
        durationMinutes=30,
        workingHoursOnly=False,
        **{"from": "2026-03-02T13:30:00Z", "to": "2026-03-02T15:30:00Z"},
    )
    got = anytime["data"]["findMeetingTimes"]
    assert [s["start"][11:16] for s in got["suggestions"]] == ["13:30", "15:00"]


async def test_tenancy_and_bad_input(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Other")
    window = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z"}

    def error(body: dict[str, Any]) -> tuple[str, str | None]:
        e = body["errors"][0]
        return e["extensions"]["code"], e["extensions"].get("field")

    assert error(
        await find(api, ada, attendeeIds=[bob.user_id, eve.user_id], durationMinutes=30, **window)
    ) == ("NOT_FOUND", "attendeeIds.1")
    assert error(
        await find(
            api, ada, attendeeIds=[bob.user_id], optionalAttendeeIds=[eve.user_id],
            durationMinutes=30, **window,
        )
    ) == ("NOT_FOUND", "optionalAttendeeIds.0")  # fmt: skip
    assert error(await find(api, eve, attendeeIds=[bob.user_id], durationMinutes=30, **window))[
        0
    ] == ("NOT_FOUND")
    for minutes in (0, -5, 7 * 24 * 60 + 1):
        assert error(
            await find(api, ada, attendeeIds=[bob.user_id], durationMinutes=minutes, **window)
        ) == (
            "INVALID_DURATION",
            "durationMinutes",
        )
    assert error(
        await find(
            api, ada, attendeeIds=[bob.user_id], durationMinutes=30,
            **{"from": "2026-03-02T00:00:00Z", "to": "2026-05-04T00:00:00Z"},
        )
    ) == ("WINDOW_TOO_LARGE", "to")  # fmt: skip
    assert error(
        await find(
            api, ada, attendeeIds=[bob.user_id], durationMinutes=30,
            **{"from": "2026-03-09T00:00:00Z", "to": "2026-03-02T00:00:00Z"},
        )
    ) == ("INVALID_TIME_RANGE", "to")  # fmt: skip
    assert error(
        await find(
            api, ada, attendeeIds=[bob.user_id], durationMinutes=30, granularityMinutes=1, **window
        )
    ) == ("BAD_USER_INPUT", "granularityMinutes")
    assert error(await find(api, ada, attendeeIds=[], durationMinutes=30, **window))[0] == (
        "BAD_USER_INPUT"
    )


async def test_own_working_hours(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    hours = [
        {"weekday": 2, "start": "10:00", "end": "11:00"},
        {"weekday": 2, "start": "11:00", "end": "12:30"},
    ]
    data = await api.gql(SETTINGS, {"i": {"workingHours": hours}}, token=bob.access_token)
    assert data["calendarSettingsUpdate"]["errors"] == []
    week = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z"}
    body = await find(
        api, ada, attendeeIds=[bob.user_id], durationMinutes=60, granularityMinutes=30, **week
    )
    found = body["data"]["findMeetingTimes"]
    # Two touching blocks count as one stretch: 10:00 to 12:30 on Tuesday.
    assert [s["start"][5:16] for s in found["suggestions"]] == [
        "03-03T10:00",
        "03-03T10:30",
        "03-03T11:00",
        "03-03T11:30",
    ]
    # No working hours at all: nothing, and why.
    data = await api.gql(SETTINGS, {"i": {"workingHours": []}}, token=bob.access_token)
    body = await find(
        api, ada, attendeeIds=[bob.user_id], durationMinutes=60, granularityMinutes=60, **week
    )
    found = body["data"]["findMeetingTimes"]
    assert found["suggestions"] == []
    assert [(d["reason"], d["attendeeId"], d["count"]) for d in found["dropped"]] == [
        ("OUTSIDE_WORKING_HOURS", bob.user_id, 7 * 24)
    ]
