"""The ``events`` window query: occurrences expanded in the event's zone, exceptions applied,
privacy per viewer, typed errors, tenancy and a constant number of SQL queries."""

from __future__ import annotations

from models.calendar import CalendarRole
from tests.calendar.event_ops import update_ok, window, window_error
from tests.calendar.helpers import event_ok, grant, primary
from tests.client import Api, count_queries

WEEK_FROM = "2026-03-02T00:00:00Z"
WEEK_TO = "2026-03-09T00:00:00Z"


async def test_a_weekly_series_stays_at_nine_local_across_dst(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    await event_ok(
        api,
        ada,
        title="Standup",
        startAt="2026-03-02T14:00:00Z",  # 09:00 EST
        endAt="2026-03-02T14:30:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3"},
    )
    found = await window(api, ada, [cal["id"]], "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    # DST starts on March 8th: 09:00 EDT is 13:00Z.
    assert [o["startAt"] for o in found] == [
        "2026-03-02T14:00:00+00:00",
        "2026-03-09T13:00:00+00:00",
        "2026-03-16T13:00:00+00:00",
    ]
    assert all(o["title"] == "Standup" and o["hasDetails"] for o in found)
    assert found[0]["viewerResponse"] == "ACCEPTED"  # the organizer attends
    assert len({o["id"] for o in found}) == 3
    again = await window(api, ada, [cal["id"]], "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert [o["id"] for o in again] == [o["id"] for o in found]  # stable ids


async def test_single_and_all_day_events_in_time_order(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    await event_ok(
        api, ada, title="Late", startAt="2026-03-04T15:00:00Z", endAt="2026-03-04T16:00:00Z"
    )
    await event_ok(
        api, ada, title="Early", startAt="2026-03-03T08:00:00Z", endAt="2026-03-03T09:00:00Z"
    )
    await event_ok(
        api,
        ada,
        title="Offsite",
        allDay=True,
        startDate="2026-03-05",
        endDate="2026-03-07",
        timeZone="UTC",
    )
    await event_ok(
        api, ada, title="Outside", startAt="2026-04-04T15:00:00Z", endAt="2026-04-04T16:00:00Z"
    )
    found = await window(api, ada, [cal["id"]], WEEK_FROM, WEEK_TO)
    assert [o["title"] for o in found] == ["Early", "Late", "Offsite"]
    offsite = found[2]
    assert (offsite["allDay"], offsite["startDate"], offsite["endDate"]) == (
        True,
        "2026-03-05",
        "2026-03-07",
    )


async def test_a_free_busy_reader_sees_busy_blocks_only(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cal = await primary(api, ada)
    await event_ok(
        api,
        ada,
        title="Secret plan",
        location="Room 1",
        color="#ff0000",
        startAt="2026-03-03T08:00:00Z",
        endAt="2026-03-03T09:00:00Z",
    )
    # Bob has the organization's FREE_BUSY on Ada's primary calendar.
    found = await window(api, bob, [cal["id"]], WEEK_FROM, WEEK_TO)
    assert len(found) == 1
    o = found[0]
    assert (o["title"], o["location"], o["color"], o["hasDetails"]) == ("Busy", "", None, False)
    assert o["event"]["title"] == "Busy" and o["event"]["hasDetails"] is False
    assert o["viewerResponse"] is None
    await grant(cal["id"], bob, CalendarRole.READER)
    found = await window(api, bob, [cal["id"]], WEEK_FROM, WEEK_TO)
    assert found[0]["title"] == "Secret plan"


async def test_an_edited_occurrence_shows_its_own_details(api: Api) -> None:
    ada = await api.sign_up()
    cal = await primary(api, ada)
    series = await event_ok(
        api,
        ada,
        title="Daily",
        startAt="2026-03-02T09:00:00Z",
        endAt="2026-03-02T09:30:00Z",
        recurrence={"rrule": "FREQ=DAILY;COUNT=5"},
    )
    await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=series["version"],
        scope="THIS",
        recurrenceId="2026-03-03T09:00:00Z",
        title="Moved",
        startAt="2026-03-03T15:00:00Z",
        endAt="2026-03-03T16:00:00Z",
    )
    found = await window(api, ada, [cal["id"]], WEEK_FROM, WEEK_TO)
    assert [(o["title"], o["startAt"], o["recurrenceId"]) for o in found][:3] == [
        ("Daily", "2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00+00:00"),
        ("Moved", "2026-03-03T15:00:00+00:00", "2026-03-03T09:00:00+00:00"),
        ("Daily", "2026-03-04T09:00:00+00:00", "2026-03-04T09:00:00+00:00"),
    ]
    assert found[1]["event"]["id"] == series["id"]


async def test_bad_windows_and_unseen_calendars_are_typed(api: Api) -> None:
    ada = await api.sign_up()
    eve = await api.sign_up(organization="Other")
    cal = await primary(api, ada)
    theirs = await primary(api, eve)
    too_long = await window_error(
        api, ada, [cal["id"]], "2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z"
    )
    assert too_long["extensions"]["code"] == "WINDOW_TOO_LARGE"
    backwards = await window_error(api, ada, [cal["id"]], WEEK_TO, WEEK_FROM)
    assert backwards["extensions"]["code"] == "INVALID_TIME_RANGE"
    other = await window_error(api, ada, [cal["id"], theirs["id"]], WEEK_FROM, WEEK_TO)
    assert other["extensions"]["code"] == "NOT_FOUND"
    bogus = await window_error(api, ada, ["nope"], WEEK_FROM, WEEK_TO)
    assert bogus["extensions"]["code"] == "NOT_FOUND"


async def test_queries_do_not_grow_with_events(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cal = await primary(api, ada)
    await grant(cal["id"], bob, CalendarRole.READER)

    async def count() -> int:
        with count_queries() as statements:
            await window(api, bob, [cal["id"]], "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
        return len(statements)

    await event_ok(
        api,
        ada,
        title="Daily",
        startAt="2026-01-01T09:00:00Z",
        endAt="2026-01-01T09:15:00Z",
        recurrence={"rrule": "FREQ=DAILY"},
        attendees=[{"userId": bob.user_id}],
    )
    few = await count()
    for i in range(5):
        await event_ok(
            api,
            ada,
            title=f"E{i}",
            startAt=f"2026-02-0{i + 1}T09:00:00Z",
            endAt=f"2026-02-0{i + 1}T10:00:00Z",
            attendees=[{"userId": bob.user_id}],
        )
        await event_ok(
            api,
            ada,
            title=f"W{i}",
            startAt=f"2026-02-0{i + 1}T12:00:00Z",
            endAt=f"2026-02-0{i + 1}T13:00:00Z",
            recurrence={"rrule": "FREQ=WEEKLY"},
        )
    many = await count()
    assert many == few
    found = await window(api, bob, [cal["id"]], "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert len(found) >= 365


NODE = (
    "query($id: ID!) { node(id: $id) { ... on EventOccurrence { id startAt title hasDetails "
    "recurrenceId event { id } calendar { id } } } }"
)


async def test_an_occurrence_resolves_by_node_id(api: Api) -> None:
    from tests.calendar.event_ops import delete

    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Other")
    cal = await primary(api, ada)
    series = await event_ok(
        api,
        ada,
        title="Daily",
        startAt="2026-03-02T09:00:00Z",
        endAt="2026-03-02T09:30:00Z",
        recurrence={"rrule": "FREQ=DAILY;COUNT=5"},
    )
    await update_ok(
        api,
        ada,
        eventId=series["id"],
        version=1,
        scope="THIS",
        recurrenceId="2026-03-03T09:00:00Z",
        title="Moved",
        startAt="2026-03-03T15:00:00Z",
        endAt="2026-03-03T16:00:00Z",
    )
    found = await window(api, ada, [cal["id"]], WEEK_FROM, WEEK_TO)

    async def node(who: object, gid: str) -> dict | None:  # type: ignore[type-arg]
        return (await api.gql(NODE, {"id": gid}, token=who.access_token))["node"]  # type: ignore[attr-defined,no-any-return]

    for o in found[:2]:
        got = await node(ada, o["id"])
        assert got is not None
        assert (got["id"], got["startAt"], got["title"]) == (o["id"], o["startAt"], o["title"])
    busy = await node(bob, found[1]["id"])
    assert busy is not None and (busy["title"], busy["hasDetails"]) == ("Busy", False)
    assert await node(eve, found[1]["id"]) is None
    await delete(
        api, ada, eventId=series["id"], scope="THIS", recurrenceId=found[2]["recurrenceId"]
    )
    assert await node(ada, found[2]["id"]) is None  # cancelled
    # A made-up start is no occurrence.
    made_up = found[0]["id"]
    from strawberry.relay import GlobalID

    gid = GlobalID.from_id(made_up)
    assert await node(ada, str(GlobalID("EventOccurrence", gid.node_id[:-3] + "01Z"))) is None


async def test_a_window_selecting_each_events_people_and_calendar_costs_the_same_sql(
    api: Api,
) -> None:
    """``Event.calendar``, ``series``, ``attendees`` and ``responseTally`` read through per-request
    DataLoaders: more events in the window cost no more statements."""
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cal = await primary(api, ada)
    rich = (
        "query($c: [ID!]!, $f: DateTime!, $t: DateTime!) { events(calendarIds: $c, from: $f, "
        "to: $t) { id event { calendar { id } series { id } attendees { displayName response } "
        "responseTally { accepted needsAction } } } }"
    )
    variables = {"c": [cal["id"]], "f": "2026-02-01T00:00:00Z", "t": "2026-03-01T00:00:00Z"}

    async def count() -> tuple[int, int]:
        with count_queries() as statements:
            found = (await api.gql(rich, variables, token=ada.access_token))["events"]
        return len(statements), len(found)

    # A series from the start: the window reads exceptions once there is one (its second query).
    await event_ok(
        api,
        ada,
        title="E",
        startAt="2026-02-02T09:00:00Z",
        endAt="2026-02-02T10:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
        attendees=[{"userId": bob.user_id}],
    )
    few, one = await count()
    for i in range(4):
        await event_ok(
            api,
            ada,
            title=f"W{i}",
            startAt=f"2026-02-0{i + 3}T12:00:00Z",
            endAt=f"2026-02-0{i + 3}T13:00:00Z",
            recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
            attendees=[{"userId": bob.user_id}],
        )
    many, lots = await count()
    assert (one, lots) == (3, 15)
    assert many == few
    found = (await api.gql(rich, variables, token=ada.access_token))["events"]
    assert found[0]["event"]["responseTally"] == {"accepted": 1, "needsAction": 1}
    assert [a["displayName"] for a in found[0]["event"]["attendees"]] == ["Ada", "Bob"]
