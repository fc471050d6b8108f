"""ical.js (the JavaScript iCalendar library of Thunderbird and Nextcloud) reads what Hello
writes: a calendar's export (a series with a moved and a cancelled occurrence in New York, a
daily series in Tokyo, an all-day series) expands in ical.js to the same occurrences as Hello's
own ``expand``; and an iTIP REQUEST to an external attendee parses with its ORGANIZER,
ATTENDEEs, UID and SEQUENCE."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from tortoise.expressions import Q

from models.calendar import InvitationMethod, InvitationStatus, OutboundInvitation
from models.jobs import BackgroundJob
from resolvers.calendar.expand import instances
from tests.calendar.helpers import event_ok, pk, primary
from tests.calendar.test_ics import add_exceptions
from tests.client import Api
from tests.interop.node_apollo_http import node_packages, run_node

EXPORT = "query($id: ID!) { calendarExport(calendarId: $id) }"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))


async def ical_js(tmp_path: Path, text: str) -> list[Any]:
    node_packages("ical.js")
    path = tmp_path / "hello.ics"
    path.write_text(text)
    return await run_node("ics_expand.mjs", str(path), WINDOW[1].isoformat())


async def test_ical_js_expands_hellos_export_like_hello(api: Api, tmp_path: Path) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    ny = await event_ok(
        api,
        ada,
        title="Standup",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=6", "exdates": ["2026-03-23T13:00:00Z"]},
        attendees=[{"userId": bob.user_id}],
    )
    await add_exceptions(ny["id"])
    await event_ok(
        api,
        ada,
        title="Tokyo sync",
        startAt="2026-03-27T00:30:00Z",
        endAt="2026-03-27T01:00:00Z",
        timeZone="Asia/Tokyo",
        recurrence={
            "rrule": "FREQ=DAILY;UNTIL=20260402T000000Z",
            "rdates": ["2026-04-10T00:30:00Z"],
        },
    )
    await event_ok(
        api,
        ada,
        title="Offsite",
        allDay=True,
        startDate="2026-04-01",
        endDate="2026-04-03",
        timeZone="Europe/Berlin",
        recurrence={"rrule": "FREQ=MONTHLY;COUNT=3"},
    )
    cal = (await primary(api, ada))["id"]
    text = (await api.gql(EXPORT, {"id": cal}, token=ada.access_token))["calendarExport"]
    seen = await ical_js(tmp_path, text)
    theirs = sorted(
        (o["uid"], o["start"], o["end"], o["summary"]) for o in seen if o["kind"] == "occurrence"
    )

    def when(moment: datetime, zone: str, all_day: bool) -> str:
        if all_day:
            return moment.astimezone(ZoneInfo(zone)).date().isoformat()
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    ours = sorted(
        (
            i.master.ical_uid,
            when(i.start, i.master.time_zone, i.master.all_day),
            when(i.end, i.master.time_zone, i.master.all_day),
            (i.exception or i.master).title,
        )
        for i in await instances(Q(calendar_id=pk(cal)), *WINDOW)
    )
    assert (
        len(ours) == 4 + 7 + 3
    )  # New York: 6 less an EXDATE and a cancelled one; Tokyo: 6 + RDATE
    assert theirs == ours
    assert ("Standup (moved)" in {o[3] for o in theirs}) and any(len(o[1]) == 10 for o in theirs)


async def test_itip_request_to_an_external_attendee(api: Api, tmp_path: Path) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    event = await event_ok(
        api,
        ada,
        title="Vendor call",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        timeZone="Europe/Paris",
        attendees=[{"userId": bob.user_id}, {"email": "Vera@Vendor.example"}],
    )
    (row,) = await OutboundInvitation.filter(event_id=pk(event["id"]))
    assert row.recipient == "vera@vendor.example" and row.method == InvitationMethod.REQUEST
    assert row.status == InvitationStatus.QUEUED and row.sequence == 0
    job = await BackgroundJob.get(name="calendar.itip_deliver", key=f"itip:{row.id}")
    assert job.args == {"invitationId": row.id}

    parsed = icalendar.Calendar.from_ical(row.ics)
    assert str(parsed["METHOD"]) == "REQUEST"
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["UID"]) == event["icalUid"] and vevent["SEQUENCE"] == 0
    assert str(vevent["ORGANIZER"]) == f"mailto:{ada.email}"
    attendees = {str(a): a.params["PARTSTAT"] for a in vevent["ATTENDEE"]}
    assert attendees == {
        f"mailto:{ada.email}": "ACCEPTED",
        f"mailto:{bob.email}": "NEEDS-ACTION",
        "mailto:vera@vendor.example": "NEEDS-ACTION",
    }

    seen = await ical_js(tmp_path, row.ics)
    assert seen[0] == {"kind": "calendar", "method": "REQUEST"}
    assert seen[1]["uid"] == event["icalUid"] and seen[1]["sequence"] == 0
    assert seen[1]["organizer"] == f"mailto:{ada.email}"
    assert {a["email"]: a["partstat"] for a in seen[1]["attendees"]} == attendees
    assert seen[2]["start"] == "2026-03-02T14:00:00Z"


async def test_no_itip_without_external_attendees(api: Api) -> None:
    ada = await api.sign_up()
    event = await event_ok(
        api, ada, title="Alone", startAt="2026-03-02T14:00:00Z", endAt="2026-03-02T15:00:00Z"
    )
    assert await OutboundInvitation.filter(event_id=pk(event["id"])).count() == 0
