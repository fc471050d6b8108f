"""eventUpdate: only the given fields change, stale versions are CONFLICTs, the three scopes
of a series, who may edit, and typed errors that change nothing."""

from __future__ import annotations

import asyncio

from models.calendar import CalendarRole, Event, EventAttendee
from tests.calendar.event_ops import update, update_ok, window
from tests.calendar.helpers import event_ok, grant, pk, primary
from tests.client import Api

START = "2026-03-02T09:00:00Z"
END = "2026-03-02T09:30:00Z"
MONTH = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")


async def daily(api: Api, who: object, count: int = 5, **extra: object) -> dict:  # type: ignore[type-arg]
    return await event_ok(
        api,
        who,
        title="Daily",
        location="Here",
        startAt=START,
        endAt=END,  # type: ignore[arg-type]
        recurrence={"rrule": f"FREQ=DAILY;COUNT={count}"},
        **extra,
    )


async def test_only_given_fields_change_and_version_rises(api: Api) -> None:
    ada = await api.sign_up()
    event = await event_ok(
        api, ada, title="Plan", location="Room", color="#00ff00", startAt=START, endAt=END
    )
    got = await update_ok(api, ada, eventId=event["id"], version=event["version"], title="Plan B")
    assert (got["title"], got["location"], got["color"]) == ("Plan B", "Room", "#00ff00")
    assert got["version"] == event["version"] + 1
    row = await Event.get(id=pk(event["id"]))
    assert row.sequence == 0  # details only: SEQUENCE stays
    cleared = await update_ok(api, ada, eventId=event["id"], version=got["version"], color=None)
    assert cleared["color"] is None and cleared["title"] == "Plan B"
    moved = await update_ok(
        api,
        ada,
        eventId=event["id"],
        version=cleared["version"],
        startAt="2026-03-02T10:00:00Z",
        endAt="2026-03-02T11:00:00Z",
    )
    assert moved["startAt"] == "2026-03-02T10:00:00+00:00"
    assert (await Event.get(id=pk(event["id"]))).sequence == 1


async def test_a_stale_version_is_a_conflict_with_the_current_event(api: Api) -> None:
    ada = await api.sign_up()
    event = await event_ok(api, ada, title="Plan", startAt=START, endAt=END)
    await update_ok(api, ada, eventId=event["id"], version=1, title="Mine")
    stale = await update(api, ada, eventId=event["id"], version=1, title="Theirs")
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    assert "2" in stale["errors"][0]["message"]
    assert stale["event"]["title"] == "Mine" and stale["event"]["version"] == 2
    assert (await Event.get(id=pk(event["id"]))).title == "Mine"


async def test_concurrent_updates_one_wins_one_conflicts(api: Api) -> None:
    ada = await api.sign_up()
    event = await event_ok(api, ada, title="Plan", startAt=START, endAt=END)
    results = await asyncio.gather(
        *(update(api, ada, eventId=event["id"], version=1, title=f"T{i}") for i in range(4))
    )
    winners = [r for r in results if not r["errors"]]
    losers = [r for r in results if r["errors"]]
    assert len(winners) == 1 and all(r["errors"][0]["code"] == "CONFLICT" for r in losers)
    row = await Event.get(id=pk(event["id"]))
    assert row.version == 2 and row.title == winners[0]["event"]["title"]


async def test_this_edits_one_occurrence(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    series = await daily(api, ada)
    got = await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=1,
        scope="THIS",
        recurrenceId="2026-03-04T09:00:00Z",
        title="Special",
    )
    assert got["id"] == series["id"] and got["version"] == 2
    found = await window(api, ada, [cal["id"]], *MONTH)
    assert [o["title"] for o in found] == ["Daily", "Daily", "Special", "Daily", "Daily"]
    assert found[2]["location"] == "Here"  # unchanged fields come from the series
    # Editing it again updates the same exception row.
    await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=2,
        scope="THIS",
        recurrenceId="2026-03-04T09:00:00Z",
        location="There",
    )
    assert await Event.filter(series_id=pk(series["id"])).count() == 1
    found = await window(api, ada, [cal["id"]], *MONTH)
    assert (found[2]["title"], found[2]["location"]) == ("Special", "There")


async def test_all_moves_the_series_and_its_untouched_exceptions(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    series = await daily(api, ada)
    await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=1,
        scope="THIS",
        recurrenceId="2026-03-03T09:00:00Z",
        title="Renamed",
    )
    await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=2,
        scope="THIS",
        recurrenceId="2026-03-05T09:00:00Z",
        startAt="2026-03-05T17:00:00Z",
        endAt="2026-03-05T17:30:00Z",
    )
    moved = await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=3,
        startAt="2026-03-02T10:00:00Z",
        endAt="2026-03-02T10:30:00Z",
    )
    assert moved["startAt"] == "2026-03-02T10:00:00+00:00"
    found = await window(api, ada, [cal["id"]], *MONTH)
    assert [(o["startAt"][11:16], o["title"]) for o in found] == [
        ("10:00", "Daily"),
        ("10:00", "Renamed"),  # followed the series: its times were the occurrence's
        ("10:00", "Daily"),
        ("17:00", "Daily"),  # its own times stay
        ("10:00", "Daily"),
    ]
    # A new rule that ends on the 4th keeps the 3rd's exception and drops the 5th's.
    await update_ok(
        api, ada, eventId=series["id"], version=4, recurrence={"rrule": "FREQ=DAILY;COUNT=3"}
    )
    left = await Event.filter(series_id=pk(series["id"]), deleted_at=None).values_list(
        "instance_key", flat=True
    )
    assert left == ["20260303T100000Z"]


async def test_this_and_following_splits_the_series(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cal = await primary(api, ada)
    series = await daily(api, ada, count=6, attendees=[{"userId": bob.user_id}])
    await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=1,
        scope="THIS",
        recurrenceId="2026-03-06T09:00:00Z",
        title="Late exception",
    )
    new = await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=2,
        scope="THIS_AND_FOLLOWING",
        recurrenceId="2026-03-04T09:00:00Z",
        title="Renamed",
    )
    assert new["id"] != series["id"] and new["recurrence"]["rrule"] == "FREQ=DAILY;COUNT=4"
    assert [a["user"]["id"] for a in new["attendees"]] == [ada.user_id, bob.user_id]
    old = await Event.get(id=pk(series["id"]))
    assert old.rrule == "FREQ=DAILY;UNTIL=20260304T085959Z"
    row = await Event.get(id=pk(new["id"]))
    assert row.split_from_id == old.id and row.ical_uid != old.ical_uid
    found = await window(api, ada, [cal["id"]], *MONTH)
    assert [o["title"] for o in found] == [
        "Daily",
        "Daily",
        "Renamed",
        "Renamed",
        "Late exception",
        "Renamed",
    ]
    assert found[4]["event"]["id"] == new["id"]


async def test_who_may_edit(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    dee = await api.add_member(ada, name="Dee")
    eve = await api.sign_up(organization="Other")
    event = await event_ok(
        api, ada, title="Plan", startAt=START, endAt=END, attendees=[{"userId": bob.user_id}]
    )
    # An attendee may not change the event, nor invite while guests may not.
    assert (await update(api, bob, eventId=event["id"], version=1, title="X"))["errors"][0][
        "code"
    ] == "FORBIDDEN"
    no = await update(
        api, bob, eventId=event["id"], version=1, attendeesAdd=[{"userId": cy.user_id}]
    )
    assert no["errors"][0]["code"] == "GUESTS_CANNOT_INVITE"
    # A free/busy colleague sees it (busy) but may not edit; another organization: NOT_FOUND.
    assert (await update(api, cy, eventId=event["id"], version=1, title="X"))["errors"][0][
        "code"
    ] == "FORBIDDEN"
    theirs = await update(api, eve, eventId=event["id"], version=1, title="X")
    assert theirs["errors"][0]["code"] == "NOT_FOUND" and theirs["event"] is None
    assert (await Event.get(id=pk(event["id"]))).title == "Plan"
    assert await EventAttendee.filter(event_id=pk(event["id"])).count() == 2
    # Guests may invite once the organizer allows it; a writer may edit.
    opened = await update_ok(api, ada, eventId=event["id"], version=1, guestsCanInvite=True)
    await update_ok(
        api,
        bob,
        eventId=event["id"],
        version=opened["version"],
        attendeesAdd=[{"userId": cy.user_id}],
    )
    cal = await primary(api, ada)
    await grant(cal["id"], dee, CalendarRole.WRITER)
    got = await update_ok(api, dee, eventId=event["id"], version=3, title="By Dee")
    assert got["title"] == "By Dee"


async def test_attendees_added_and_removed(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    event = await event_ok(
        api, ada, title="Plan", startAt=START, endAt=END, attendees=[{"userId": bob.user_id}]
    )
    bob_row = await EventAttendee.get(event_id=pk(event["id"]), user_id=pk(bob.user_id))
    from graphql_schema.core.node import global_id

    got = await update_ok(
        api,
        ada,
        eventId=event["id"],
        version=1,
        attendeesAdd=[{"userId": cy.user_id}],
        attendeesRemove=[global_id("EventAttendee", bob_row.id)],
    )
    assert [a["user"]["id"] for a in got["attendees"]] == [ada.user_id, cy.user_id]
    organizer = await EventAttendee.get(event_id=pk(event["id"]), is_organizer=True)
    bad = await update(
        api,
        ada,
        eventId=event["id"],
        version=2,
        attendeesRemove=[global_id("EventAttendee", organizer.id)],
    )
    assert bad["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_bad_input_is_typed_and_changes_nothing(api: Api) -> None:
    ada = await api.sign_up()
    series = await daily(api, ada)
    single = await event_ok(api, ada, title="One", startAt=START, endAt=END)
    before = await Event.all().count()
    cases = [
        ({"eventId": single["id"], "startAt": END, "endAt": START}, "INVALID_TIME_RANGE"),
        ({"eventId": single["id"], "timeZone": "Mars/Olympus"}, "UNKNOWN_TIME_ZONE"),
        (
            {
                "eventId": series["id"],
                "recurrence": {"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
            },
            "NO_OCCURRENCES",
        ),
        ({"eventId": single["id"], "scope": "THIS", "recurrenceId": START}, "NOT_RECURRING"),
        (
            {"eventId": series["id"], "scope": "THIS", "recurrenceId": "2026-03-02T09:05:00Z"},
            "NOT_AN_OCCURRENCE",
        ),
        ({"eventId": single["id"], "color": "red"}, "INVALID_COLOR"),
    ]
    for fields, code in cases:
        got = await update(api, ada, version=1, **fields)
        assert [e["code"] for e in got["errors"]] == [code], (fields, got)
    assert await Event.all().count() == before
    assert {e.version for e in await Event.filter(id__in=[pk(series["id"]), pk(single["id"])])} == {
        1
    }


async def test_a_timed_event_becomes_all_day(api: Api) -> None:
    ada = await api.sign_up()
    event = await event_ok(api, ada, title="Plan", startAt=START, endAt=END, timeZone="UTC")
    got = await update_ok(
        api,
        ada,
        eventId=event["id"],
        version=1,
        allDay=True,
        startDate="2026-03-02",
        endDate="2026-03-03",
    )
    assert (got["allDay"], got["startDate"], got["endDate"], got["startAt"]) == (
        True,
        "2026-03-02",
        "2026-03-03",
        "2026-03-02T00:00:00+00:00",
    )
    half = await update(api, ada, eventId=event["id"], version=2, allDay=False)
    assert half["errors"][0]["code"] == "INVALID_TIME_RANGE"
    back = await update_ok(
        api, ada, eventId=event["id"], version=2, allDay=False, startAt=START, endAt=END
    )
    assert (back["allDay"], back["startDate"]) == (False, None)


async def test_a_split_counts_excluded_dates_like_the_rule(api: Api) -> None:
    ada = await api.sign_up()
    s = await event_ok(
        api,
        ada,
        title="Daily",
        startAt=START,
        endAt=END,
        recurrence={"rrule": "FREQ=DAILY;COUNT=6", "exdates": ["2026-03-03T09:00:00Z"]},
    )
    new = await update_ok(
        api,
        ada,
        eventId=s["id"],
        version=1,
        scope="THIS_AND_FOLLOWING",
        recurrenceId="2026-03-05T09:00:00Z",
        title="Later",
    )
    # March 2nd to 4th came before (the 3rd excluded, yet counted): 3 of 6 remain.
    assert new["recurrence"]["rrule"] == "FREQ=DAILY;COUNT=3"
