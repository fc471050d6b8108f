"""Calendars themselves: create, update with a version, soft delete (not the primary one), and
subscriptions to colleagues' calendars with one's own color and hidden flag."""

from __future__ import annotations

from typing import Any

from models.calendar import Calendar, CalendarSubscription, Event
from tests.calendar.helpers import calendars, event_ok, pk, primary
from tests.client import Account, Api

FIELDS = (
    "id name description color timeZone isPrimary viewerRole organizationRole version hidden "
    "listColor"
)
CREATE = (
    "mutation($i: CalendarCreateInput!) { calendarCreate(input: $i) { calendar { "
    + FIELDS
    + " } errors { code field message } } }"
)
UPDATE = (
    "mutation($i: CalendarUpdateInput!) { calendarUpdate(input: $i) { calendar { "
    + FIELDS
    + " } errors { code field } } }"
)
DELETE = (
    "mutation($i: CalendarDeleteInput!) { calendarDelete(input: $i) { calendarId "
    "errors { code field } } }"
)
SUBSCRIBE = (
    "mutation($i: CalendarSubscribeInput!) { calendarSubscribe(input: $i) { calendar { "
    + FIELDS
    + " } errors { code field } } }"
)
SUB_UPDATE = (
    "mutation($i: CalendarSubscriptionUpdateInput!) { calendarSubscriptionUpdate(input: $i) "
    "{ calendar { " + FIELDS + " } errors { code field } } }"
)
UNSUBSCRIBE = (
    "mutation($i: CalendarUnsubscribeInput!) { calendarUnsubscribe(input: $i) { calendarId "
    "errors { code field } } }"
)
LIST = "query { calendars { " + FIELDS + " } }"


async def run(api: Api, who: Account, query: str, **i: Any) -> dict[str, Any]:
    data = await api.gql(query, {"i": i}, token=who.access_token)
    return next(iter(data.values()))


async def make(api: Api, who: Account, **i: Any) -> dict[str, Any]:
    p = await run(api, who, CREATE, **i)
    assert p["errors"] == [], p
    return p["calendar"]


async def test_create_update_delete(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    team = await make(
        api, ada, name="Team", color="#AABBCC", timeZone="Europe/Berlin", organizationRole="READER"
    )
    assert team["color"] == "#aabbcc" and team["viewerRole"] == "OWNER"
    assert not team["isPrimary"] and team["version"] == 1
    assert team["organizationRole"] == "READER"
    row = await Calendar.get(id=pk(team["id"]))
    assert row.organization_role == "READER" and row.owner_id == pk(ada.user_id)
    assert [c["name"] for c in await calendars(api, ada)][1:] == ["Team"]

    p = await run(api, ada, UPDATE, calendarId=team["id"], version=1, name="Team A")
    assert p["errors"] == [] and p["calendar"]["version"] == 2
    assert p["calendar"]["name"] == "Team A"
    cleared = await run(
        api, ada, UPDATE, calendarId=team["id"], version=2, clearOrganizationRole=True
    )
    assert cleared["calendar"]["organizationRole"] is None and cleared["calendar"]["version"] == 3
    stale = await run(api, ada, UPDATE, calendarId=team["id"], version=1, name="Lost")
    assert stale["errors"] == [{"code": "CONFLICT", "field": "version"}]
    stale = await run(api, ada, UPDATE, calendarId=team["id"], version=2, name="Lost")
    assert stale == {"calendar": None, "errors": [{"code": "CONFLICT", "field": "version"}]}
    assert (await Calendar.get(id=pk(team["id"]))).name == "Team A"

    bad = await run(api, ada, UPDATE, calendarId=team["id"], timeZone="Mars/Base", color="red")
    assert bad["errors"][0]["code"] in ("INVALID_COLOR", "UNKNOWN_TIME_ZONE")
    assert (await Calendar.get(id=pk(team["id"]))).version == 3

    event = await event_ok(
        api,
        ada,
        calendarId=team["id"],
        title="Retro",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        attendees=[{"userId": bob.user_id}],
    )
    gone = await run(api, ada, DELETE, calendarId=team["id"], version=3)
    assert gone == {"calendarId": team["id"], "errors": []}
    assert (await Calendar.get(id=pk(team["id"]))).deleted_at is not None
    assert [c["name"] for c in await calendars(api, ada)] == ["Ada"]
    again = await run(api, ada, DELETE, calendarId=team["id"])
    assert again["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]
    # Its events went with it, for their attendees too.
    assert (await Event.get(id=pk(event["id"]))).deleted_at is not None
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": event["id"]}, token=bob.access_token
    )
    assert node == {"node": None}


async def test_typed_errors_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    mine = await primary(api, ada)
    p = await run(api, ada, DELETE, calendarId=mine["id"])
    assert p["errors"] == [{"code": "PRIMARY_CALENDAR", "field": "calendarId"}]
    bad = await run(api, ada, CREATE, name="", color="#123456")
    assert bad["calendar"] is None and bad["errors"][0]["code"] == "BAD_USER_INPUT"
    bad = await run(api, ada, CREATE, name="X", color="blue")
    assert bad["errors"][0]["code"] == "INVALID_COLOR"
    assert await Calendar.filter(owner_id=pk(ada.user_id)).count() == 1
    # A colleague sees the primary calendar's free/busy but may not change it.
    p = await run(api, bob, UPDATE, calendarId=mine["id"], name="Mine now")
    assert p["errors"] == [{"code": "FORBIDDEN", "field": "calendarId"}]
    stranger = await api.sign_up(organization="Other")
    p = await run(api, stranger, UPDATE, calendarId=mine["id"], name="Mine now")
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]
    assert (await Calendar.get(id=pk(mine["id"]))).name == "Ada"


async def test_idempotent_create(api: Api) -> None:
    ada = await api.sign_up()
    first = await make(api, ada, name="Project", idempotencyKey="k1")
    second = await make(api, ada, name="Project", idempotencyKey="k1")
    assert first["id"] == second["id"]
    reused = await run(api, ada, CREATE, name="Other", idempotencyKey="k1")
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await Calendar.filter(owner_id=pk(ada.user_id), primary_of_id=None).count() == 1


async def test_subscribe_with_own_color_and_hidden(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    adas = await primary(api, ada)
    p = await run(api, bob, SUBSCRIBE, calendarId=adas["id"], color="#00FF00", hidden=True)
    assert p["errors"] == [] and p["calendar"]["viewerRole"] == "FREE_BUSY"
    listed = (await api.gql(LIST, token=bob.access_token))["calendars"]
    assert [(c["id"], c["hidden"], c["listColor"]) for c in listed[1:]] == [
        (adas["id"], True, "#00ff00")
    ]
    assert listed[1]["color"] == adas["color"]  # the calendar's own color is unchanged
    again = await run(api, bob, SUBSCRIBE, calendarId=adas["id"])
    assert again["errors"] == [{"code": "ALREADY_SUBSCRIBED", "field": "calendarId"}]
    own = await run(api, ada, SUBSCRIBE, calendarId=adas["id"])
    assert own["errors"] == [{"code": "ALREADY_SUBSCRIBED", "field": "calendarId"}]

    p = await run(api, bob, SUB_UPDATE, calendarId=adas["id"], hidden=False)
    assert p["calendar"]["hidden"] is False and p["calendar"]["listColor"] == "#00ff00"

    assert (await run(api, bob, UNSUBSCRIBE, calendarId=adas["id"]))["errors"] == []
    assert len(await calendars(api, bob)) == 1
    p = await run(api, bob, UNSUBSCRIBE, calendarId=adas["id"])
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]


async def test_subscribing_needs_a_role(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    team = await make(api, ada, name="Secret team")  # no organization role
    p = await run(api, bob, SUBSCRIBE, calendarId=team["id"])
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]
    stranger = await api.sign_up(organization="Other")
    adas = await primary(api, ada)
    p = await run(api, stranger, SUBSCRIBE, calendarId=adas["id"])
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]
    assert (
        await CalendarSubscription.filter(calendar_id__in=[pk(team["id"]), pk(adas["id"])]).count()
        == 0
    )
