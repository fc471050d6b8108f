"""Booking a room by inviting it to an event: booked when free, declined (with why) when an
occurrence overlaps another booking, pending when it needs approval, refused with
ROOM_NOT_BOOKABLE (nothing kept) for someone who may not book it or a disabled room; the admin
approves or declines; concurrent requests book it once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from adapters import runtime
from models.calendar import Event, EventAttendee
from resolvers.calendar.live import CalendarEventKind
from resolvers.core.channels import user_channel
from tests.calendar.helpers import create_event, event_ok, pk, refused
from tests.calendar.rooms_helpers import answer_booking, bookings, room_answer, room_ok
from tests.client import Api
from tests.timing import eventually

START = "2030-03-04T14:00:00Z"
END = "2030-03-04T15:00:00Z"


async def test_a_free_room_is_booked_and_an_overlap_declined(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    blue = await room_ok(api, ada, name="Blue")
    first = await event_ok(
        api, ada, title="Plan", startAt=START, endAt=END, attendees=[{"roomId": blue["id"]}]
    )
    assert room_answer(first) == ("ACCEPTED", "")
    # Back to back is fine; overlapping by a minute is not.
    after = await event_ok(
        api,
        bob,
        startAt=END,
        endAt="2030-03-04T16:00:00Z",
        attendees=[{"roomId": blue["id"]}],
    )
    assert room_answer(after)[0] == "ACCEPTED"
    clash = await event_ok(
        api,
        bob,
        startAt="2030-03-04T13:00:00Z",
        endAt="2030-03-04T14:01:00Z",
        attendees=[{"roomId": blue["id"]}],
    )
    response, note = room_answer(clash)
    assert response == "DECLINED"
    assert (
        note
        == "Blue is already booked from 2030-03-04T13:00:00+00:00 to 2030-03-04T14:01:00+00:00."
    )


async def test_a_series_is_declined_when_one_occurrence_overlaps(api: Api) -> None:
    ada = await api.sign_up()
    blue = await room_ok(api, ada, name="Blue")
    # A single booking on the third Monday (09:30 New York, EDT since March 8th).
    await event_ok(
        api,
        ada,
        startAt="2030-03-18T13:30:00Z",
        endAt="2030-03-18T14:00:00Z",
        attendees=[{"roomId": blue["id"]}],
    )
    weekly = await event_ok(
        api,
        ada,
        startAt=START,
        endAt=END,
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=5"},
        attendees=[{"roomId": blue["id"]}],
    )
    response, note = room_answer(weekly)
    assert response == "DECLINED"
    assert "2030-03-18T13:00:00+00:00" in note
    # The same series on Tuesdays is free: booked.
    tuesdays = await event_ok(
        api,
        ada,
        startAt="2030-03-05T14:00:00Z",
        endAt="2030-03-05T15:00:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=5"},
        attendees=[{"roomId": blue["id"]}],
    )
    assert room_answer(tuesdays) == ("ACCEPTED", "")
    # A series that never ends is checked a year ahead, and says so.
    forever = await event_ok(
        api,
        ada,
        startAt="2030-03-06T14:00:00Z",
        endAt="2030-03-06T15:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=WE"},
        attendees=[{"roomId": blue["id"]}],
    )
    response, note = room_answer(forever)
    assert response == "ACCEPTED" and note.startswith("Booked; occurrences were checked up to")
    # …and then holds every Wednesday: a single event a year later is declined.
    later = await event_ok(
        api,
        ada,
        startAt="2030-12-04T14:30:00Z",
        endAt="2030-12-04T14:45:00Z",
        attendees=[{"roomId": blue["id"]}],
    )
    assert room_answer(later)[0] == "DECLINED"


async def test_who_may_not_book_changes_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    private = await room_ok(api, ada, name="Board", bookableBy=[{"userId": cy.user_id}])
    assert private["bookableBy"] == [{"kind": "USER", "granteeId": cy.user_id}]
    error = await refused(
        api, bob, title="Mine", startAt=START, endAt=END, attendees=[{"roomId": private["id"]}]
    )
    assert (error["code"], error["field"]) == ("ROOM_NOT_BOOKABLE", "attendees")
    assert "Board" in error["message"]
    assert not await Event.filter(title="Mine", organization_id=pk(ada.organization_id)).exists()
    assert not await EventAttendee.filter(room_id=pk(private["id"])).exists()
    # The person named, and the organization's owner, may.
    assert (
        room_answer(
            await event_ok(api, cy, startAt=START, endAt=END, attendees=[{"roomId": private["id"]}])
        )[0]
        == "ACCEPTED"
    )

    await api.gql(
        "mutation($i: RoomDisableInput!) { roomDisable(input: $i) { errors { code } } }",
        {"i": {"roomId": private["id"]}},
        token=ada.access_token,
    )
    disabled = await refused(
        api,
        ada,
        title="Late",
        startAt=END,
        endAt="2030-03-04T16:00:00Z",
        attendees=[{"roomId": private["id"]}],
    )
    assert disabled["code"] == "ROOM_NOT_BOOKABLE" and "disabled" in disabled["message"]
    assert not await Event.filter(title="Late", organization_id=pk(ada.organization_id)).exists()


async def test_the_admin_approves_or_declines_pending_bookings(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    board = await room_ok(api, ada, name="Board", requiresApproval=True, adminId=cy.user_id)
    first = await event_ok(
        api, bob, title="Review", startAt=START, endAt=END, attendees=[{"roomId": board["id"]}]
    )
    assert room_answer(first) == ("NEEDS_ACTION", "Awaiting the approval of Board's admin.")
    # A pending booking holds the time.
    second = await event_ok(api, ada, startAt=START, endAt=END, attendees=[{"roomId": board["id"]}])
    assert room_answer(second)[0] == "DECLINED"

    pending = await bookings(api, cy, board["id"], "PENDING")
    # The admin sees when, not what (Bob's calendar is free/busy to colleagues).
    assert [
        (b["attendee"]["response"], b["startAt"], b["event"]["title"])
        for b in pending["data"]["roomBookings"]
    ] == [("NEEDS_ACTION", "2030-03-04T14:00:00+00:00", "Busy")]
    attendee_id = pending["data"]["roomBookings"][0]["attendee"]["id"]

    # Bob (the organizer, not the admin) cannot answer: it is not his to see.
    denied = await answer_booking(api, bob, "Approve", attendeeId=attendee_id)
    assert denied["errors"] == [
        {"code": "NOT_FOUND", "field": "attendeeId", "message": "No such object."}
    ]
    not_listed = await bookings(api, bob, board["id"])
    assert not_listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    approved = await answer_booking(api, cy, "Approve", attendeeId=attendee_id, note="Enjoy")
    assert approved["errors"] == []
    assert approved["booking"]["attendee"]["response"] == "ACCEPTED"
    assert approved["booking"]["attendee"]["note"] == "Enjoy"
    again = await answer_booking(api, cy, "Decline", eventId=first["id"], roomId=board["id"])
    assert [e["code"] for e in again["errors"]] == ["NOT_PENDING"]
    row = await EventAttendee.get(room_id=pk(board["id"]), event_id=pk(first["id"]))
    assert row.response == "ACCEPTED" and row.note == "Enjoy"

    # Another request at another time, declined by the organization's owner.
    third = await event_ok(
        api, bob, startAt=END, endAt="2030-03-04T16:00:00Z", attendees=[{"roomId": board["id"]}]
    )
    declined = await answer_booking(
        api, ada, "Decline", eventId=third["id"], roomId=board["id"], note="Closed"
    )
    assert declined["booking"]["attendee"]["response"] == "DECLINED"
    shown = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Event { attendees { kind response note } } } }",
        {"id": third["id"]},
        token=bob.access_token,
    )
    assert ("ROOM", "DECLINED", "Closed") in [
        (a["kind"], a["response"], a["note"]) for a in shown["node"]["attendees"]
    ]


async def test_approving_rechecks_the_time(api: Api) -> None:
    """Two pending requests for one time: approving the second after the first declines it."""
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    board = await room_ok(api, ada, name="Board", requiresApproval=True)
    first = await event_ok(api, bob, startAt=START, endAt=END, attendees=[{"roomId": board["id"]}])
    # Declined at once (the first holds the time); answered, so it cannot be approved.
    second = await event_ok(api, bob, startAt=START, endAt=END, attendees=[{"roomId": board["id"]}])
    assert room_answer(second)[0] == "DECLINED"
    refused_answer = await answer_booking(
        api, ada, "Approve", eventId=second["id"], roomId=board["id"]
    )
    assert [e["code"] for e in refused_answer["errors"]] == ["NOT_PENDING"]
    ok = await answer_booking(api, ada, "Approve", eventId=first["id"], roomId=board["id"])
    assert ok["booking"]["attendee"]["response"] == "ACCEPTED"


async def test_concurrent_bookings_book_the_room_once(api: Api) -> None:
    ada = await api.sign_up()
    blue = await room_ok(api, ada, name="Blue")
    results = await asyncio.gather(
        *(
            create_event(
                api,
                ada,
                title=f"Race {i}",
                startAt=START,
                endAt=END,
                attendees=[{"roomId": blue["id"]}],
            )
            for i in range(8)
        )
    )
    assert all(r["errors"] == [] for r in results), results
    answers = sorted(room_answer(r["event"])[0] for r in results)
    assert answers == ["ACCEPTED"] + ["DECLINED"] * 7
    rows = await EventAttendee.filter(room_id=pk(blue["id"])).values_list("response", flat=True)
    assert sorted(rows) == answers


async def test_the_organizer_and_the_admin_hear_of_a_booking(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    board = await room_ok(api, ada, name="Board", requiresApproval=True, adminId=cy.user_id)
    bus = runtime.current().bus
    heard: dict[str, list[dict[str, Any]]] = {"bob": [], "cy": [], "ada": []}
    marker = {"type": "test.marker", "id": uuid.uuid4().hex}
    who = {"bob": bob, "cy": cy, "ada": ada}
    async with (
        bus.subscribe(user_channel(pk(bob.user_id))) as bob_sub,
        bus.subscribe(user_channel(pk(cy.user_id))) as cy_sub,
        bus.subscribe(user_channel(pk(ada.user_id))) as ada_sub,
    ):

        async def pump(name: str, sub: Any) -> None:
            async for event in sub:
                heard[name].append(event)

        tasks = [
            asyncio.create_task(pump(n, s))
            for n, s in (("bob", bob_sub), ("cy", cy_sub), ("ada", ada_sub))
        ]
        try:
            event = await event_ok(
                api, bob, startAt=START, endAt=END, attendees=[{"roomId": board["id"]}]
            )
            await answer_booking(api, cy, "Approve", eventId=event["id"], roomId=board["id"])
            for name in heard:
                await bus.publish(user_channel(pk(who[name].user_id)), marker)
            await eventually(
                lambda: all(marker in h for h in heard.values()), what="the marker events"
            )
        finally:
            for t in tasks:
                t.cancel()

    def bookings_heard(name: str) -> list[str]:
        return [
            e["response"]
            for e in heard[name]
            if e["type"] == CalendarEventKind.ROOM_BOOKING_CHANGED
        ]

    assert bookings_heard("bob") == ["NEEDS_ACTION", "ACCEPTED"]
    assert bookings_heard("cy") == ["NEEDS_ACTION", "ACCEPTED"]
    assert bookings_heard("ada") == []  # the room has its own admin
    changed = [e["change"] for e in heard["bob"] if e["type"] == CalendarEventKind.EVENT_CHANGED]
    assert changed == ["CREATED", "UPDATED"]
