"""Event.viewerConflicts: the viewer's other busy occurrences overlapping an event (a single
event, or a series' next 30 days), with titles as the viewer sees them; declined and FREE events
and the event's own occurrences do not conflict."""

from __future__ import annotations

from typing import Any

from models.calendar import AttendeeResponse, EventAttendee
from tests.calendar.helpers import event_ok, pk
from tests.client import Account, Api, count_queries

CREATE = """mutation($i: EventCreateInput!) { eventCreate(input: $i) {
  event { id viewerConflicts { occurrenceStart start end title recurrenceId event { id } } }
  errors { code } } }"""
# A Monday well after the test machine's clock, so a series' next 30 days start there.
DAY = "2027-01-04"


async def create(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, {"i": fields}, token=who.access_token)
    payload = data["eventCreate"]
    assert payload["errors"] == [], payload
    return dict(payload["event"])


async def test_conflicts_when_creating(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    weekly = await event_ok(
        api, ada, title="1:1", startAt=f"{DAY}T10:00:00Z", endAt=f"{DAY}T11:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=10"},
    )  # fmt: skip
    await event_ok(api, ada, title="Lunch", startAt=f"{DAY}T12:00:00Z", endAt=f"{DAY}T13:00:00Z")
    await event_ok(
        api, ada, title="Focus", showAs="FREE", startAt=f"{DAY}T10:00:00Z",
        endAt=f"{DAY}T11:00:00Z",
    )  # fmt: skip
    invited = await event_ok(
        api, bob, title="Bob's review", startAt="2027-01-11T10:30:00Z",
        endAt="2027-01-11T11:30:00Z", attendees=[{"userId": ada.user_id}],
    )  # fmt: skip
    declined = await event_ok(
        api, bob, title="Bob's other", startAt=f"{DAY}T10:15:00Z", endAt=f"{DAY}T10:45:00Z",
        attendees=[{"userId": ada.user_id}],
    )  # fmt: skip
    await EventAttendee.filter(event_id=pk(declined["id"]), user_id=pk(ada.user_id)).update(
        response=AttendeeResponse.DECLINED
    )
    # A single event over the 1:1 and lunch.
    single = await create(
        api, ada, title="Sync", startAt=f"{DAY}T10:30:00Z", endAt=f"{DAY}T12:30:00Z"
    )
    got = [(c["title"], c["start"][11:16], c["event"]["id"]) for c in single["viewerConflicts"]]
    assert got == [("1:1", "10:00", weekly["id"]), ("Lunch", "12:00", got[1][2])]
    assert single["viewerConflicts"][0]["recurrenceId"] == f"{DAY}T10:00:00+00:00"
    # A weekly series at 10:30: each week's 1:1 (30 days of it), the single Sync, Bob's review.
    series = await create(
        api, ada, title="Weekly sync", startAt=f"{DAY}T10:30:00Z", endAt=f"{DAY}T11:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY"},
    )  # fmt: skip
    got = [(c["occurrenceStart"][:10], c["title"]) for c in series["viewerConflicts"]]
    assert got == [
        ("2027-01-04", "1:1"),
        ("2027-01-04", "Sync"),
        ("2027-01-11", "1:1"),
        ("2027-01-11", "Bob's review"),
        ("2027-01-18", "1:1"),
        ("2027-01-25", "1:1"),
        ("2027-02-01", "1:1"),
    ]
    assert invited["id"] in {c["event"]["id"] for c in series["viewerConflicts"]}
    # Bob sees only his own busy time: his event that Ada declined, none of Ada's.
    mine = await create(api, bob, startAt=f"{DAY}T10:00:00Z", endAt=f"{DAY}T11:00:00Z")
    assert [c["title"] for c in mine["viewerConflicts"]] == ["Bob's other"]


async def test_a_list_of_events_costs_the_sql_of_one(api: Api) -> None:
    ada = await api.sign_up()
    await event_ok(api, ada, title="Block", startAt=f"{DAY}T00:00:00Z", endAt=f"{DAY}T23:00:00Z")
    ids = [
        (await event_ok(api, ada, startAt=f"{DAY}T{h:02d}:00:00Z", endAt=f"{DAY}T{h:02d}:30:00Z"))[
            "id"
        ]
        for h in range(1, 7)
    ]
    query = (
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event { viewerConflicts { title } } } }"
    )
    counts = []
    for n in (2, 6):
        with count_queries() as statements:
            data = await api.gql(query, {"ids": ids[:n]}, token=ada.access_token)
        counts.append(len(statements))
        # The half hours do not overlap one another, only the day-long block.
        assert [[c["title"] for c in e["viewerConflicts"]] for e in data["nodes"]] == [
            ["Block"]
        ] * n
    assert counts[0] == counts[1], counts
