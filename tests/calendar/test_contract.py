"""The calendar contract: a primary calendar on first use, eventCreate for single events and
series with attendees, its typed errors, tenancy and idempotency."""

from __future__ import annotations

from models.admin import Group, GroupMember
from models.calendar import Event, EventAttendee
from tests.calendar.helpers import calendars, event_ok, pk, primary, refused
from tests.client import Api

START = "2026-03-02T14:00:00Z"
END = "2026-03-02T15:00:00Z"


async def test_every_user_has_one_primary_calendar(api: Api) -> None:
    ada = await api.sign_up()
    first = await calendars(api, ada)
    assert [c["isPrimary"] for c in first] == [True]
    assert first[0]["viewerRole"] == "OWNER" and first[0]["owner"]["id"] == ada.user_id
    assert await calendars(api, ada) == first  # made once


async def test_a_weekly_series_with_attendees(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cal = await primary(api, ada)
    event = await event_ok(
        api,
        ada,
        title="Standup",
        startAt=START,
        endAt=END,
        timeZone="America/New_York",
        recurrence={"rrule": "RRULE:freq=weekly;byday=MO;count=10"},
        attendees=[{"userId": bob.user_id}, {"email": "Guest@Example.com", "optional": True}],
    )
    assert event["recurrence"] == {
        "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        "rdates": [],
        "exdates": [],
    }
    assert event["calendar"]["id"] == cal["id"]
    people = [(a["kind"], a["isOrganizer"], a["response"]) for a in event["attendees"]]
    assert people == [
        ("USER", True, "ACCEPTED"),
        ("USER", False, "NEEDS_ACTION"),
        ("EXTERNAL", False, "NEEDS_ACTION"),
    ]
    assert event["attendees"][2]["email"] == "guest@example.com"
    row = await Event.get(id=pk(event["id"]))
    # Ten Mondays at 09:00 New York time: the last is May 4th, 13:00Z (EDT).
    assert (
        row.series_end_at is not None
        and row.series_end_at.isoformat() == "2026-05-04T14:00:00+00:00"
    )


async def test_a_group_invites_each_member(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    group = await Group.create(organization_id=pk(ada.organization_id), name="Team")
    for who in (ada, bob, cy):
        await GroupMember.create(group_id=group.id, user_id=pk(who.user_id))
    from graphql_schema.core.node import global_id

    event = await event_ok(
        api,
        ada,
        title="All hands",
        startAt=START,
        endAt=END,
        attendees=[{"groupId": global_id("Group", group.id)}],
    )
    rows = await EventAttendee.filter(event_id=pk(event["id"])).order_by("id")
    assert [r.user_id for r in rows] == [pk(ada.user_id), pk(bob.user_id), pk(cy.user_id)]
    assert [r.via_group_id for r in rows] == [None, group.id, group.id]


async def test_typed_errors_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    before = await Event.all().count()
    assert (await refused(api, ada, startAt=END, endAt=START))["code"] == "INVALID_TIME_RANGE"
    assert (await refused(api, ada, startAt=START, endAt=END, timeZone="Mars/Olympus"))[
        "code"
    ] == "UNKNOWN_TIME_ZONE"
    bad = await refused(api, ada, startAt=START, endAt=END, recurrence={"rrule": "FREQ=SOMETIMES"})
    assert bad["code"] == "INVALID_RECURRENCE" and bad["field"] == "recurrence.rrule"
    never = await refused(
        api,
        ada,
        startAt=START,
        endAt=END,
        recurrence={"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
    )
    assert never["code"] == "NO_OCCURRENCES"
    assert (await refused(api, ada, allDay=True, startAt=START, endAt=END))[
        "code"
    ] == "INVALID_TIME_RANGE"
    assert (await refused(api, ada, startAt=START, endAt=END, attendees=[{"email": "nope"}]))[
        "code"
    ] == "INVALID_EMAIL"
    assert await Event.all().count() == before


async def test_another_organizations_calendar_is_not_found(api: Api) -> None:
    ada = await api.sign_up()
    eve = await api.sign_up(organization="Other")
    bob = await api.add_member(ada, name="Bob")
    theirs = await primary(api, eve)
    error = await refused(api, ada, calendarId=theirs["id"], startAt=START, endAt=END)
    assert error == {"code": "NOT_FOUND", "field": "calendarId", "message": "No such object."}
    # A colleague's primary calendar is free/busy to Bob: visible, so FORBIDDEN to write.
    adas = await primary(api, ada)
    assert (await refused(api, bob, calendarId=adas["id"], startAt=START, endAt=END))[
        "code"
    ] == "FORBIDDEN"
    # An attendee of another organization is not found either.
    error = await refused(api, ada, startAt=START, endAt=END, attendees=[{"userId": eve.user_id}])
    assert error["code"] == "NOT_FOUND" and error["field"] == "attendees.0.userId"


async def test_a_retried_create_makes_one_event(api: Api) -> None:
    ada = await api.sign_up()
    first = await event_ok(api, ada, title="Once", startAt=START, endAt=END, idempotencyKey="k1")
    again = await event_ok(api, ada, title="Once", startAt=START, endAt=END, idempotencyKey="k1")
    assert again["id"] == first["id"]
    reused = await refused(api, ada, title="Other", startAt=START, endAt=END, idempotencyKey="k1")
    assert reused["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_expand_applies_exceptions(api: Api) -> None:
    """``expand``: a cancelled occurrence is gone, a moved one is where it moved to, also when
    it moved into the window from outside it."""
    from datetime import UTC, datetime, timedelta

    from tortoise.expressions import Q

    from resolvers.calendar.expand import instances

    ada = await api.sign_up()
    event = await event_ok(
        api,
        ada,
        title="Daily",
        startAt="2026-03-02T09:00:00Z",
        endAt="2026-03-02T09:30:00Z",
        recurrence={"rrule": "FREQ=DAILY;COUNT=10"},
    )
    master = await Event.get(id=pk(event["id"]))

    def at(day: int, hour: int = 9) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=UTC)

    common = {
        "organization_id": master.organization_id,
        "calendar_id": master.calendar_id,
        "organizer_id": master.organizer_id,
        "ical_uid": master.ical_uid,
        "series_id": master.id,
    }
    await Event.create(
        **common,
        instance_key="a",
        recurrence_id=at(3),
        cancelled=True,
        start_at=at(3),
        end_at=at(3) + timedelta(minutes=30),
    )
    await Event.create(
        **common,
        instance_key="b",
        recurrence_id=at(4),
        title="Moved",
        start_at=at(4, 15),
        end_at=at(4, 16),
    )
    await Event.create(
        **common,
        instance_key="c",
        recurrence_id=at(9),
        title="Pulled in",
        start_at=at(5, 12),
        end_at=at(5, 13),
    )
    found = await instances(Q(id=master.id), at(2), at(6))
    assert [(i.start, i.row.title) for i in found] == [
        (at(2), "Daily"),
        (at(4, 15), "Moved"),
        (at(5), "Daily"),
        (at(5, 12), "Pulled in"),
    ]
    assert [i.recurrence_id for i in found] == [at(2), at(4), at(5), at(9)]


def test_two_zones_at_one_instant_keep_their_own_wall_clock() -> None:
    """Parsed rules are cached per process, and aware datetimes of different zones are equal
    when they name the same instant: 08:00Z on 5 January is 09:00 in Berlin, 08:00 in London
    and 03:00 in New York. Each series keeps its own local time across its own DST change (New
    York's comes three weeks before Europe's, so a rule shared by mistake shows 04:00 there)."""
    from datetime import UTC, datetime

    from resolvers.calendar.recurrence import Series, occurrences, zone

    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    seen = {}
    for name in ("Europe/Berlin", "Europe/London", "America/New_York"):
        tz = zone(name)
        series = Series(start=start, end=start.replace(hour=9), tz=tz, rrule="FREQ=WEEKLY")
        window = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC))
        seen[name] = {
            o.start.astimezone(tz).strftime("%H:%M") for o in occurrences(series, *window)
        }
    assert seen == {
        "Europe/Berlin": {"09:00"},
        "Europe/London": {"08:00"},
        "America/New_York": {"03:00"},
    }
