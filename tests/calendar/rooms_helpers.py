"""Shared steps of the room tests: buildings and rooms made through the API, and the room's
answer on an event."""

from __future__ import annotations

from typing import Any

from tests.client import Account, Api

ROOM_FIELDS = (
    "id name floor capacity equipment requiresApproval email disabled viewerCanBook "
    "bookableBy { kind granteeId } building { id name } admin { id }"
)


async def building(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "HQ")
    fields.setdefault("floors", ["1", "2"])
    data = await api.gql(
        "mutation($i: BuildingCreateInput!) { buildingCreate(input: $i) { "
        "building { id name address floors timeZone } errors { code field message } } }",
        {"i": fields},
        token=who.access_token,
    )
    return dict(data["buildingCreate"])


async def building_ok(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    payload = await building(api, who, **fields)
    assert payload["errors"] == [], payload
    return dict(payload["building"])


async def room(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "Blue")
    data = await api.gql(
        "mutation($i: RoomCreateInput!) { roomCreate(input: $i) { room { "
        + ROOM_FIELDS
        + " } errors { code field message } } }",
        {"i": fields},
        token=who.access_token,
    )
    return dict(data["roomCreate"])


async def room_ok(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    if "buildingId" not in fields:
        fields["buildingId"] = (await building_ok(api, who))["id"]
    payload = await room(api, who, **fields)
    assert payload["errors"] == [], payload
    return dict(payload["room"])


def room_answer(event: dict[str, Any]) -> tuple[str, str]:
    """The (response, note) of the one room on an event."""
    [found] = [a for a in event["attendees"] if a["kind"] == "ROOM"]
    return found["response"], found["note"]


async def answer_booking(api: Api, who: Account, verb: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(
        "mutation($i: RoomBookingAnswerInput!) { roomBooking"
        + verb
        + "(input: $i) { booking { attendee { id response note } startAt event { id } } "
        "errors { code field message } } }",
        {"i": fields},
        token=who.access_token,
    )
    return dict(data["roomBooking" + verb])


async def bookings(api: Api, who: Account, room_id: str, status: str | None = None) -> Any:
    data = await api.post(
        "query($r: ID!, $s: RoomBookingStatus) { roomBookings(roomId: $r, status: $s) { "
        "attendee { id response note } startAt endAt rrule event { id title } } }",
        {"r": room_id, "s": status},
        token=who.access_token,
    )
    return data.json()
