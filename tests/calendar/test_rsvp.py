"""eventRespond: answers for a series and for one occurrence, the organizer's tally, the guest
list's privacy, and RSVP_CHANGED / EVENT_CHANGED in viewerEvents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from models.calendar import EventAttendee, OccurrenceResponse
from resolvers.core.channels import user_channel
from tests.calendar.event_ops import respond, update_ok, window
from tests.calendar.helpers import event_ok, pk, primary
from tests.client import Account, Api, WSClient, wait_subscribed

START = "2026-03-02T09:00:00Z"
END = "2026-03-02T09:30:00Z"
MONTH = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
VIEWER = """subscription { viewerEvents { __typename
  ... on CalendarEventChanged { change eventId event { title hasDetails } actor { id } }
  ... on EventRsvpChanged { eventId recurrenceId response note user { id } } } }"""


async def test_answers_for_the_series_and_for_one_occurrence(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    s = await event_ok(
        api,
        ada,
        title="Daily",
        startAt=START,
        endAt=END,
        recurrence={"rrule": "FREQ=DAILY;COUNT=3"},
        attendees=[{"userId": bob.user_id}],
    )
    got = await respond(api, bob, eventId=s["id"], response="ACCEPTED", note="Sure")
    assert got["errors"] == []
    got = await respond(
        api, bob, eventId=s["id"], recurrenceId="2026-03-03T09:00:00Z", response="DECLINED"
    )
    assert got["errors"] == []
    bob_cal = await primary(api, bob)
    assert bob_cal  # Bob sees the occurrences through being invited, on Ada's calendar:
    ada_cal = await primary(api, ada)
    # (Bob has free/busy on Ada's calendar, and details as an attendee.)
    found = await window(api, bob, [ada_cal["id"]], *MONTH)
    assert [o["viewerResponse"] for o in found] == ["ACCEPTED", "DECLINED", "ACCEPTED"]
    assert found[0]["title"] == "Daily"
    # The organizer's tally counts series answers; Bob does not get it.
    tally = (await respond(api, ada, eventId=s["id"], response="ACCEPTED"))["event"]
    assert tally["responseTally"] == {
        "accepted": 2,
        "declined": 0,
        "tentative": 0,
        "needsAction": 0,
    }
    assert got["event"]["responseTally"] is None
    # Someone not invited cannot answer; nothing is written.
    no = await respond(api, cy, eventId=s["id"], response="ACCEPTED")
    assert no["errors"][0]["code"] == "NOT_AN_ATTENDEE"
    assert await EventAttendee.filter(user_id=pk(cy.user_id)).count() == 0
    bad = await respond(
        api, bob, eventId=s["id"], recurrenceId="2026-03-03T10:00:00Z", response="ACCEPTED"
    )
    assert bad["errors"][0]["code"] == "NOT_AN_OCCURRENCE"
    assert await OccurrenceResponse.filter(attendee__event_id=pk(s["id"])).count() == 1


async def test_the_guest_list_can_be_hidden(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    e = await event_ok(
        api,
        ada,
        title="Interviews",
        startAt=START,
        endAt=END,
        guestsCanSeeGuests=False,
        attendees=[{"userId": bob.user_id}, {"userId": cy.user_id}],
    )
    seen = (await respond(api, bob, eventId=e["id"], response="TENTATIVE"))["event"]
    assert [a["user"]["id"] for a in seen["attendees"]] == [ada.user_id, bob.user_id]
    mine = await update_ok(api, ada, eventId=e["id"], version=1, guestsCanSeeGuests=True)
    assert len(mine["attendees"]) == 3


@asynccontextmanager
async def stream(server: str, who: Account) -> AsyncIterator[WSClient]:
    ws = await WSClient.connect(server)
    try:
        ack = await ws.init({"authorization": f"Bearer {who.access_token}"})
        assert ack["type"] == "connection_ack"
        await ws.subscribe(VIEWER)
        await wait_subscribed(user_channel(pk(who.user_id)))
        yield ws
    finally:
        await ws.close()


async def next_event(ws: WSClient) -> dict[str, Any]:
    msg = await ws.receive(timeout=5)
    assert msg["type"] == "next", msg
    return msg["payload"]["data"]["viewerEvents"]  # type: ignore[no-any-return]


async def quiet(ws: WSClient, seconds: float = 0.3) -> bool:
    try:
        await ws.receive(timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_changes_and_answers_reach_the_viewer_stream(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    async with (
        stream(server, ada) as ada_ws,
        stream(server, bob) as bob_ws,
        stream(server, cy) as cy_ws,
    ):
        e = await event_ok(
            api, ada, title="Plan", startAt=START, endAt=END, attendees=[{"userId": bob.user_id}]
        )
        for ws in (ada_ws, bob_ws):
            got = await next_event(ws)
            assert got == {
                "__typename": "CalendarEventChanged",
                "change": "CREATED",
                "eventId": e["id"],
                "event": {"title": "Plan", "hasDetails": True},
                "actor": {"id": ada.user_id},
            }
        await respond(api, bob, eventId=e["id"], response="DECLINED", note="Away")
        for ws in (ada_ws, bob_ws):
            got = await next_event(ws)
            assert got == {
                "__typename": "EventRsvpChanged",
                "eventId": e["id"],
                "recurrenceId": None,
                "response": "DECLINED",
                "note": "Away",
                "user": {"id": bob.user_id},
            }
        # Cy (free/busy on Ada's calendar) hears nothing of it.
        assert await quiet(cy_ws)
        # Removing Bob tells him (DELETED-like UPDATED), with the event out of his sight.
        row = await EventAttendee.get(event_id=pk(e["id"]), user_id=pk(bob.user_id))
        from graphql_schema.core.node import global_id

        await update_ok(
            api,
            ada,
            eventId=e["id"],
            version=1,
            attendeesRemove=[global_id("EventAttendee", row.id)],
        )
        got = await next_event(bob_ws)
        assert got["change"] == "UPDATED" and got["event"] == {"title": "Busy", "hasDetails": False}
        assert (await next_event(ada_ws))["event"]["title"] == "Plan"
