"""freeBusy: merged busy stretches of people and rooms, recurrence and exceptions expanded,
declined (also one occurrence) and FREE events not blocking, nothing about what fills them;
tenancy and bad input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graphql_schema.core.node import global_id
from models.calendar import (
    AttendeeResponse,
    Building,
    Event,
    EventAttendee,
    OccurrenceResponse,
    Room,
)
from models.identity import Role, User
from tests.calendar.helpers import event_ok, pk
from tests.client import Account, Api, count_queries

FREE_BUSY = """query($u: [ID!], $r: [ID!], $from: DateTime!, $to: DateTime!) {
  freeBusy(userIds: $u, roomIds: $r, from: $from, to: $to) {
    people { id busy { start end status } } rooms { id busy { start end status } } } }"""
MONDAY = "2026-03-02"


async def free_busy(
    api: Api, who: Account, users: list[str], start: str, end: str, rooms: list[str] | None = None
) -> dict[str, Any]:
    r = await api.post(
        FREE_BUSY, {"u": users, "r": rooms or [], "from": start, "to": end}, token=who.access_token
    )
    return dict(r.json())


def spans(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(b["start"][11:16], b["end"][11:16], b["status"]) for b in entry["busy"]]


async def test_merged_busy_without_titles(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    # Bob's own events: two overlapping, one touching, a tentative one, a FREE one.
    for start, end, show in [
        ("09:00", "10:00", "BUSY"),
        ("09:30", "10:30", "BUSY"),
        ("10:30", "11:00", "TENTATIVE"),
        ("13:00", "14:00", "FREE"),
        ("15:00", "16:00", "OUT_OF_OFFICE"),
    ]:
        await event_ok(
            api,
            bob,
            title="Secret plan",
            startAt=f"{MONDAY}T{start}:00Z",
            endAt=f"{MONDAY}T{end}:00Z",
            showAs=show,
        )
    body = await free_busy(api, ada, [bob.user_id], f"{MONDAY}T00:00:00Z", f"{MONDAY}T23:00:00Z")
    assert "errors" not in body, body
    (entry,) = body["data"]["freeBusy"]["people"]
    assert entry["id"] == bob.user_id
    assert spans(entry) == [
        ("09:00", "10:30", "BUSY"),
        ("10:30", "11:00", "TENTATIVE"),
        ("15:00", "16:00", "OUT_OF_OFFICE"),
    ]
    assert "Secret" not in str(body)


async def test_series_invitations_and_declines(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    # Ada's weekly standup in New York, Bob invited; one occurrence moved, one cancelled.
    series = await event_ok(
        api,
        ada,
        title="Standup",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T14:30:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=6"},
        attendees=[{"userId": bob.user_id}],
    )
    master = await Event.get(id=pk(series["id"]))
    # DST begins in New York on March 8th: 09:00 local is 13:00Z from then on.
    await Event.create(
        organization_id=master.organization_id,
        calendar_id=master.calendar_id,
        organizer_id=master.organizer_id,
        ical_uid=master.ical_uid,
        instance_key="20260316T130000Z",
        series_id=master.id,
        recurrence_id=datetime.fromisoformat("2026-03-16T13:00:00+00:00"),
        start_at=datetime.fromisoformat("2026-03-16T18:00:00+00:00"),
        end_at=datetime.fromisoformat("2026-03-16T18:30:00+00:00"),
        time_zone="America/New_York",
        title="Moved",
    )
    await Event.create(
        organization_id=master.organization_id,
        calendar_id=master.calendar_id,
        organizer_id=master.organizer_id,
        ical_uid=master.ical_uid,
        instance_key="20260323T130000Z",
        series_id=master.id,
        recurrence_id=datetime.fromisoformat("2026-03-23T13:00:00+00:00"),
        start_at=datetime.fromisoformat("2026-03-23T13:00:00+00:00"),
        end_at=datetime.fromisoformat("2026-03-23T13:30:00+00:00"),
        time_zone="America/New_York",
        cancelled=True,
    )
    # Bob declines the occurrence of April 6th only.
    invite = await EventAttendee.get(event_id=master.id, user_id=pk(bob.user_id))
    await OccurrenceResponse.create(
        attendee_id=invite.id,
        recurrence_id=datetime.fromisoformat("2026-04-06T13:00:00+00:00"),
        response=AttendeeResponse.DECLINED,
    )
    body = await free_busy(
        api, ada, [bob.user_id, ada.user_id], "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z"
    )
    bob_entry, ada_entry = body["data"]["freeBusy"]["people"]
    bob_busy = [b["start"] for b in bob_entry["busy"]]
    assert bob_busy == [
        "2026-03-02T14:00:00+00:00",
        "2026-03-09T13:00:00+00:00",
        "2026-03-16T18:00:00+00:00",
        "2026-03-30T13:00:00+00:00",
    ]
    # Ada organizes: every occurrence but the cancelled one blocks her, April 6th included.
    assert [b["start"][:10] for b in ada_entry["busy"]] == [
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
        "2026-03-30",
        "2026-04-06",
    ]
    # Declining the whole series frees Bob entirely.
    invite.response = AttendeeResponse.DECLINED
    await invite.save()
    body = await free_busy(api, ada, [bob.user_id], "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z")
    assert body["data"]["freeBusy"]["people"][0]["busy"] == []


async def test_rooms_and_constant_sql(api: Api) -> None:
    ada = await api.sign_up()
    people = [await api.add_member(ada, name=f"P{i}") for i in range(6)]
    org = pk(ada.organization_id)
    building = await Building.create(organization_id=org, name="HQ")
    room = await Room.create(organization_id=org, building_id=building.id, name="Blue")
    for i, who in enumerate(people):
        await event_ok(
            api,
            who,
            startAt=f"{MONDAY}T1{i}:00:00Z",
            endAt=f"{MONDAY}T1{i}:30:00Z",
            recurrence={"rrule": "FREQ=DAILY;COUNT=5"},
        )
    booked = await event_ok(
        api, ada, startAt=f"{MONDAY}T08:00:00Z", endAt=f"{MONDAY}T09:00:00Z",
        attendees=[{"roomId": global_id("Room", room.id)}],
    )  # fmt: skip
    await EventAttendee.filter(event_id=pk(booked["id"]), room_id=room.id).update(
        response=AttendeeResponse.ACCEPTED
    )
    window = (f"{MONDAY}T00:00:00Z", "2026-03-09T00:00:00Z")
    counts = []
    for n in (2, 6):
        with count_queries() as statements:
            body = await free_busy(
                api, ada, [p.user_id for p in people[:n]], *window,
                rooms=[global_id("Room", room.id)],
            )  # fmt: skip
        counts.append(len(statements))
        assert [len(e["busy"]) for e in body["data"]["freeBusy"]["people"]] == [5] * n
    assert counts[0] == counts[1], counts
    assert spans(body["data"]["freeBusy"]["rooms"][0]) == [("08:00", "09:00", "BUSY")]


async def test_tenancy_guests_and_bad_input(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Other")
    guest = await api.add_member(ada, name="Gus")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    other_building = await Building.create(organization_id=pk(eve.organization_id), name="X")
    other_room = await Room.create(
        organization_id=pk(eve.organization_id), building_id=other_building.id, name="Red"
    )
    window = ("2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z")

    def error(body: dict[str, Any]) -> tuple[str, str | None]:
        assert body.get("data") is None or body["data"].get("freeBusy") is None, body
        e = body["errors"][0]
        return e["extensions"]["code"], e["extensions"].get("field")

    # Another organization's person or room, and a guest asking about a colleague.
    assert error(await free_busy(api, ada, [bob.user_id, eve.user_id], *window)) == (
        "NOT_FOUND",
        "userIds.1",
    )
    assert error(await free_busy(api, eve, [bob.user_id], *window))[0] == "NOT_FOUND"
    assert error(
        await free_busy(api, ada, [], *window, rooms=[global_id("Room", other_room.id)])
    ) == ("NOT_FOUND", "roomIds.0")
    guest = await api.sign_in(guest.email)
    assert error(await free_busy(api, guest, [bob.user_id], *window))[0] == "NOT_FOUND"
    # A window backwards, too long, too many ids.
    assert error(await free_busy(api, ada, [bob.user_id], window[1], window[0]))[0] == (
        "INVALID_TIME_RANGE"
    )
    assert error(
        await free_busy(api, ada, [bob.user_id], "2026-01-01T00:00:00Z", "2027-01-03T00:00:00Z")
    )[0] == ("WINDOW_TOO_LARGE")
    assert error(await free_busy(api, ada, [bob.user_id] * 101, *window))[0] == "BAD_USER_INPUT"
