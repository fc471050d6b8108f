"""iCalendar export: a calendar's and an event's ``.ics`` as the viewer sees it, with
recurrence, changed and cancelled occurrences, attendees, zones; free/busy readers get busy
blocks only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import icalendar

from models.calendar import CalendarRole, Event, EventVisibility
from tests.calendar.helpers import event_ok, grant, pk, primary
from tests.client import Account, Api

EXPORT = "query($id: ID!) { calendarExport(calendarId: $id) }"
EVENT_EXPORT = "query($id: ID!) { eventExport(eventId: $id) }"


async def export(api: Api, who: Account, calendar_id: str) -> icalendar.Calendar:
    text = (await api.gql(EXPORT, {"id": calendar_id}, token=who.access_token))["calendarExport"]
    assert text is not None
    return icalendar.Calendar.from_ical(text)


async def add_exceptions(master_id: str) -> None:
    """A moved and a cancelled occurrence, written directly (eventUpdate is another
    helper's work)."""
    m = await Event.get(id=pk(master_id))
    common: dict[str, Any] = {
        "organization_id": m.organization_id,
        "calendar_id": m.calendar_id,
        "organizer_id": m.organizer_id,
        "ical_uid": m.ical_uid,
        "series_id": m.id,
        "time_zone": m.time_zone,
        "title": "Standup (moved)",
    }
    await Event.create(
        **common,
        instance_key="20260309T130000Z",
        recurrence_id=datetime(2026, 3, 9, 13, tzinfo=UTC),
        start_at=datetime(2026, 3, 10, 15, tzinfo=UTC),
        end_at=datetime(2026, 3, 10, 16, tzinfo=UTC),
        series_end_at=datetime(2026, 3, 10, 16, tzinfo=UTC),
    )
    await Event.create(
        **common,
        instance_key="20260316T130000Z",
        recurrence_id=datetime(2026, 3, 16, 13, tzinfo=UTC),
        start_at=datetime(2026, 3, 16, 13, tzinfo=UTC),
        end_at=datetime(2026, 3, 16, 14, tzinfo=UTC),
        cancelled=True,
    )


async def series(api: Api, ada: Account, bob: Account) -> dict[str, Any]:
    event = await event_ok(
        api,
        ada,
        title="Standup",
        location="Room 1",
        description="Daily; short",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=6"},
        attendees=[{"userId": bob.user_id}, {"email": "guest@example.com", "optional": True}],
    )
    await add_exceptions(event["id"])
    return event


async def test_export_a_series_with_exceptions_attendees_and_zones(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    event = await series(api, ada, bob)
    await event_ok(
        api,
        ada,
        title="Offsite",
        allDay=True,
        startDate="2026-04-01",
        endDate="2026-04-03",
        timeZone="Asia/Tokyo",
    )
    cal = await export(api, ada, (await primary(api, ada))["id"])
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"America/New_York"}
    vevents = cal.walk("VEVENT")
    master = next(v for v in vevents if v.get("RRULE") and v.get("RECURRENCE-ID") is None)
    assert str(master["UID"]) == event["icalUid"]
    assert master["DTSTART"].params["TZID"] == "America/New_York"
    assert master.decoded("DTSTART") == datetime(
        2026, 3, 2, 9, tzinfo=master.decoded("DTSTART").tzinfo
    )
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6;BYDAY=MO"
    # The cancelled occurrence is an EXDATE of the series.
    assert [d.dt.astimezone(UTC) for d in master["EXDATE"].dts] == [
        datetime(2026, 3, 16, 13, tzinfo=UTC)
    ]
    assert str(master["SUMMARY"]) == "Standup" and str(master["DESCRIPTION"]) == "Daily; short"
    people = {str(a): dict(a.params) for a in master["ATTENDEE"]}
    assert people[f"mailto:{ada.email}"]["ROLE"] == "CHAIR"
    assert people[f"mailto:{ada.email}"]["PARTSTAT"] == "ACCEPTED"
    assert people[f"mailto:{bob.email}"]["ROLE"] == "REQ-PARTICIPANT"
    assert people["mailto:guest@example.com"]["ROLE"] == "OPT-PARTICIPANT"
    assert people["mailto:guest@example.com"]["PARTSTAT"] == "NEEDS-ACTION"
    assert str(master["ORGANIZER"]) == f"mailto:{ada.email}"
    moved = next(v for v in vevents if v.get("RECURRENCE-ID") is not None)
    assert str(moved["UID"]) == event["icalUid"]
    assert moved.decoded("RECURRENCE-ID").astimezone(UTC) == datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert moved.decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 10, 15, tzinfo=UTC)
    allday = next(v for v in vevents if str(v.get("SUMMARY")) == "Offsite")
    assert allday.decoded("DTSTART") == date(2026, 4, 1) and allday.decoded("DTEND") == date(
        2026, 4, 3
    )


async def test_event_export_and_free_busy_readers_get_busy_blocks(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cy = await api.add_member(ada, name="Cy")
    event = await series(api, ada, bob)
    text = (await api.gql(EVENT_EXPORT, {"id": event["id"]}, token=bob.access_token))["eventExport"]
    assert len(icalendar.Calendar.from_ical(text).walk("VEVENT")) == 2  # master + moved
    # Cy sees Ada's primary calendar as free/busy only (the organization's role).
    cal = await export(api, cy, (await primary(api, ada))["id"])
    for v in cal.walk("VEVENT"):
        for name in ("SUMMARY", "LOCATION", "DESCRIPTION", "ATTENDEE", "ORGANIZER"):
            assert v.get(name) is None, name
        assert event["icalUid"] not in str(v["UID"])
    assert len(cal.walk("VEVENT")) == 2 and cal.walk("VEVENT")[0].get("RRULE") is not None
    # A reader sees a private event as busy, and the rest in full.
    private = await event_ok(
        api,
        ada,
        title="Doctor",
        visibility="PRIVATE",
        startAt="2026-05-01T10:00:00Z",
        endAt="2026-05-01T11:00:00Z",
    )
    assert (await Event.get(id=pk(private["id"]))).visibility == EventVisibility.PRIVATE
    await grant((await primary(api, ada))["id"], cy, CalendarRole.READER)
    cal = await export(api, cy, (await primary(api, ada))["id"])
    titles = sorted(str(v.get("SUMMARY", "")) for v in cal.walk("VEVENT"))
    assert titles == ["", "Standup", "Standup (moved)"]


async def test_strangers_get_null(api: Api) -> None:
    ada = await api.sign_up()
    stranger = await api.sign_up(organization="Other")
    event = await event_ok(
        api, ada, title="X", startAt="2026-03-02T14:00:00Z", endAt="2026-03-02T15:00:00Z"
    )
    cal_id = (await primary(api, ada))["id"]
    got = await api.gql(EXPORT, {"id": cal_id}, token=stranger.access_token)
    assert got == {"calendarExport": None}
    got = await api.gql(EVENT_EXPORT, {"id": event["id"]}, token=stranger.access_token)
    assert got == {"eventExport": None}
