"""iCalendar import: Google's and Outlook's shapes, re-import by UID, typed failures that change
nothing, per-item errors, and the round trip import -> export -> import."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from adapters.settings import get_settings
from models.calendar import (
    AttendeeKind,
    AttendeeResponse,
    CalendarImport,
    Event,
    EventAttendee,
    EventVisibility,
    ShowAs,
)
from tests.calendar.helpers import pk, primary
from tests.calendar.ics_fixtures import BAD_RULE, OUTLOOK, google
from tests.client import Account, Api

IMPORT = (
    "mutation($i: CalendarImportInput!) { calendarImport(input: $i) { result { created "
    "updated skipped errors { uid code message } } errors { code field } } }"
)
EXPORT = "query($id: ID!) { calendarExport(calendarId: $id) }"
GOOGLE_UID = "7kq2abc123def456@google.com"


async def run_import(
    api: Api, who: Account, calendar_id: str, ics: str, **more: Any
) -> dict[str, Any]:
    data = await api.gql(
        IMPORT, {"i": {"calendarId": calendar_id, "ics": ics, **more}}, token=who.access_token
    )
    return data["calendarImport"]


async def rows(calendar_id: str) -> list[Event]:
    return list(
        await Event.filter(calendar_id=pk(calendar_id)).order_by("ical_uid", "instance_key")
    )


async def people(event: Event) -> list[tuple[str, str | None, int | None, str, bool]]:
    found = await EventAttendee.filter(event_id=event.id).order_by("id")
    return [(a.kind, a.email, a.user_id, a.response, a.optional) for a in found]


async def test_google_export_imports_series_exception_all_day_and_people(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cal = (await primary(api, ada))["id"]
    p = await run_import(api, ada, cal, google(ada.email, bob.email))
    assert p["errors"] == [] and p["result"] == {
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "errors": [],
    }
    master, moved, holiday = await rows(cal)
    assert master.ical_uid == GOOGLE_UID and master.time_zone == "Europe/Berlin"
    assert (
        master.rrule is not None
        and "BYDAY=MO" in master.rrule
        and "UNTIL=20260330T075959Z" in master.rrule
    )
    assert master.start_at == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert master.exdates == ["2026-03-16T08:00:00+00:00"]
    assert master.title == "Weekly sync" and master.location == "Berlin office"
    assert master.description.startswith("Agenda in the team doc, bring numbers. This line")
    assert master.sequence == 2 and master.organizer_id == pk(ada.user_id)
    assert master.ical_extra["properties"] == [
        {
            "name": "X-GOOGLE-CONFERENCE",
            "params": {},
            "value": "https://meet.google.com/abc-defg-hij",
        }
    ]
    assert "ORGANIZER" not in master.ical_extra  # the importer organizes it
    assert moved.series_id == master.id and moved.recurrence_id == datetime(
        2026, 3, 9, 8, tzinfo=UTC
    )
    assert (
        moved.start_at == datetime(2026, 3, 9, 9, tzinfo=UTC)
        and moved.title == "Weekly sync (later)"
    )
    assert await people(master) == [
        (AttendeeKind.USER, None, pk(ada.user_id), AttendeeResponse.ACCEPTED, False),
        (AttendeeKind.USER, None, pk(bob.user_id), AttendeeResponse.ACCEPTED, False),
        (AttendeeKind.EXTERNAL, "zed@outside.example", None, AttendeeResponse.TENTATIVE, True),
    ]
    zed = await EventAttendee.get(event_id=master.id, email="zed@outside.example")
    assert zed.display_name == "Zed Outside"
    assert (
        holiday.all_day
        and str(holiday.start_date) == "2026-04-01"
        and str(holiday.end_date) == "2026-04-03"
    )
    assert holiday.show_as == ShowAs.FREE and holiday.time_zone == "Europe/Berlin"

    # Importing the same file again changes nothing; a changed one updates in place.
    again = await run_import(api, ada, cal, google(ada.email, bob.email))
    assert again["result"] == {"created": 0, "updated": 0, "skipped": 2, "errors": []}
    assert [e.id for e in await rows(cal)] == [master.id, moved.id, holiday.id]
    changed = await run_import(
        api, ada, cal, google(ada.email, bob.email, summary="Weekly sync v2")
    )
    assert changed["result"] == {"created": 0, "updated": 1, "skipped": 1, "errors": []}
    fresh = await Event.get(id=master.id)
    assert fresh.title == "Weekly sync v2" and fresh.version == master.version + 1
    assert len(await rows(cal)) == 3 and len(await people(fresh)) == 3


async def test_outlook_windows_zone_duration_exdate_list_and_x_properties(api: Api) -> None:
    ada = await api.sign_up()
    cal = (await primary(api, ada))["id"]
    p = await run_import(api, ada, cal, OUTLOOK)
    assert p["result"]["created"] == 1, p
    (event,) = await rows(cal)
    assert event.time_zone == "America/Los_Angeles"
    assert event.start_at == datetime(2026, 3, 2, 16, tzinfo=UTC)  # 08:00 PST
    assert event.end_at == datetime(2026, 3, 2, 18, tzinfo=UTC)  # DURATION:PT2H
    assert event.exdates == ["2026-03-03T16:00:00+00:00", "2026-03-04T16:00:00+00:00"]
    assert event.rrule == "FREQ=DAILY;COUNT=5;INTERVAL=1"
    assert event.visibility == EventVisibility.PRIVATE and event.show_as == ShowAs.OUT_OF_OFFICE
    names = [x["name"] for x in event.ical_extra["properties"]]
    assert "X-MICROSOFT-CDO-BUSYSTATUS" in names and "X-MICROSOFT-DISALLOW-COUNTER" in names
    assert len(event.ical_uid) > 75  # the folded UID is whole


async def test_failures_are_typed_and_change_nothing(api: Api, monkeypatch: Any) -> None:
    # The request body limit (1 MB by default) comes first; an operator who wants 5 MB files
    # raises it, and then the file's own limit answers.
    monkeypatch.setattr(get_settings(), "max_body_bytes", 6 * 1024 * 1024)
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cal = (await primary(api, ada))["id"]
    for ics, code in (
        ("not a calendar", "INVALID_ICALENDAR"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "INVALID_ICALENDAR"),
        (
            "BEGIN:VCALENDAR\r\n" + "X-PAD:" + "x" * (5 * 1024 * 1024) + "\r\nEND:VCALENDAR\r\n",
            "ICALENDAR_TOO_LARGE",
        ),
    ):
        p = await run_import(api, ada, cal, ics)
        assert p == {"result": None, "errors": [{"code": code, "field": "ics"}]}
    # A colleague with free/busy only may not import into Ada's calendar.
    p = await run_import(api, bob, cal, OUTLOOK)
    assert p["errors"] == [{"code": "FORBIDDEN", "field": "calendarId"}]
    stranger = await api.sign_up(organization="Other")
    p = await run_import(api, stranger, cal, OUTLOOK)
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]
    assert await rows(cal) == [] and await CalendarImport.filter(calendar_id=pk(cal)).count() == 0


async def test_a_wrong_item_is_reported_and_the_rest_imported(api: Api) -> None:
    ada = await api.sign_up()
    cal = (await primary(api, ada))["id"]
    p = await run_import(api, ada, cal, BAD_RULE, idempotencyKey="imp-1")
    result = p["result"]
    assert result["created"] == 1 and result["skipped"] == 1
    assert [(e["uid"], e["code"]) for e in result["errors"]] == [
        ("bad@example.com", "INVALID_RECURRENCE")
    ]
    assert [e.ical_uid for e in await rows(cal)] == ["good@example.com"]
    # A retry with the key answers the first result.
    again = await run_import(api, ada, cal, BAD_RULE, idempotencyKey="imp-1")
    assert again["result"] == result


def _shape(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (
            e.ical_uid,
            e.instance_key,
            e.title,
            e.description,
            e.location,
            e.all_day,
            e.start_at,
            e.end_at,
            e.start_date,
            e.end_date,
            e.time_zone,
            e.rrule,
            e.exdates,
            e.rdates,
            e.cancelled,
            e.recurrence_id,
            e.visibility,
            e.show_as,
            e.sequence,
            (e.ical_extra or {}).get("properties"),
        )
        for e in events
    ]


async def test_round_trip_loses_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cal = (await primary(api, ada))["id"]
    await run_import(api, ada, cal, google(ada.email, bob.email))
    await run_import(api, ada, cal, OUTLOOK)
    first = await rows(cal)
    text = (await api.gql(EXPORT, {"id": cal}, token=ada.access_token))["calendarExport"]
    # Into a second calendar of Ada's: everything again, the same.
    made = await api.gql(
        'mutation { calendarCreate(input: {name: "Copy"}) { calendar { id } errors { code } } }',
        token=ada.access_token,
    )
    copy = made["calendarCreate"]["calendar"]["id"]
    p = await run_import(api, ada, copy, text)
    assert p["result"] == {"created": 3, "updated": 0, "skipped": 0, "errors": []}
    second = await rows(copy)
    assert _shape(second) == _shape(first)
    for a, b in zip(first, second, strict=True):
        if a.series_id is None:
            assert await people(a) == await people(b)
    # And exporting the copy gives the same file but for the calendar's name.
    again = (await api.gql(EXPORT, {"id": copy}, token=ada.access_token))["calendarExport"]

    def same(ics: str) -> str:  # but for when the rows were written (DTSTAMP)
        return re.sub(r"DTSTAMP:\S+", "", ics).replace("X-WR-CALNAME:Copy", "X-WR-CALNAME:Ada")

    assert same(again) == same(text)
