"""Buildings and rooms: admins manage them, everyone reads them; typed errors change nothing;
another organization's are NOT_FOUND; ``rooms`` filters by capacity, equipment and free time
(recurring bookings expanded)."""

from __future__ import annotations

from models.calendar import Building, Room
from tests.calendar.helpers import event_ok, pk
from tests.calendar.rooms_helpers import building, building_ok, room, room_ok
from tests.client import Api

ROOMS = (
    "query($b: ID, $c: Int, $e: [String!], $f: DateTime, $t: DateTime) { rooms(buildingId: $b, "
    "minCapacity: $c, equipment: $e, availableFrom: $f, availableTo: $t) { name } }"
)


async def test_admins_manage_buildings_and_rooms(api: Api) -> None:
    ada = await api.sign_up()
    hq = await building_ok(
        api, ada, name="HQ", address="1 Main St", floors=["G", "1"], timeZone="Europe/Paris"
    )
    assert hq["floors"] == ["G", "1"] and hq["timeZone"] == "Europe/Paris"
    blue = await room_ok(
        api,
        ada,
        buildingId=hq["id"],
        name="Blue",
        floor="1",
        capacity=8,
        equipment=["Projector", "video", "video"],
        requiresApproval=True,
        adminId=ada.user_id,
    )
    assert blue["equipment"] == ["projector", "video"]
    assert blue["building"]["id"] == hq["id"] and blue["admin"]["id"] == ada.user_id
    assert blue["viewerCanBook"] is True and blue["disabled"] is False

    changed = await api.gql(
        "mutation($i: RoomUpdateInput!) { roomUpdate(input: $i) { room { name capacity admin "
        "{ id } } errors { code } } }",
        {"i": {"roomId": blue["id"], "name": "Azure", "capacity": 10, "clearAdmin": True}},
        token=ada.access_token,
    )
    assert changed["roomUpdate"] == {
        "room": {"name": "Azure", "capacity": 10, "admin": None},
        "errors": [],
    }
    disabled = await api.gql(
        "mutation($i: RoomDisableInput!) { roomDisable(input: $i) { room { disabled } "
        "errors { code } } }",
        {"i": {"roomId": blue["id"]}},
        token=ada.access_token,
    )
    assert disabled["roomDisable"]["room"] == {"disabled": True}
    # A disabled room is not listed (it cannot be booked), but its building still shows it.
    listed = await api.gql(ROOMS, token=ada.access_token)
    assert listed["rooms"] == []
    renamed = await api.gql(
        "mutation($i: BuildingUpdateInput!) { buildingUpdate(input: $i) { building { name } "
        "errors { code } } }",
        {"i": {"buildingId": hq["id"], "name": "Head office"}},
        token=ada.access_token,
    )
    assert renamed["buildingUpdate"]["building"] == {"name": "Head office"}

    # Everyone in the organization reads them, node(id:) included.
    bob = await api.add_member(ada)
    seen = await api.gql(
        "query($id: ID!) { buildings { name rooms { name } } node(id: $id) { ... on Room "
        "{ name building { name } } } }",
        {"id": blue["id"]},
        token=bob.access_token,
    )
    assert seen["buildings"] == [{"name": "Head office", "rooms": [{"name": "Azure"}]}]
    assert seen["node"] == {"name": "Azure", "building": {"name": "Head office"}}


async def test_typed_errors_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    hq = await building_ok(api, ada, name="HQ", floors=["1"])
    await room_ok(api, ada, buildingId=hq["id"], name="Blue", floor="1")

    taken = await building(api, ada, name="hq")
    assert [(e["code"], e["field"]) for e in taken["errors"]] == [("NAME_TAKEN", "name")]
    same_room = await room(api, ada, buildingId=hq["id"], name="BLUE")
    assert [e["code"] for e in same_room["errors"]] == ["NAME_TAKEN"]
    floor = await room(api, ada, buildingId=hq["id"], name="Red", floor="9")
    assert [(e["code"], e["field"]) for e in floor["errors"]] == [("UNKNOWN_FLOOR", "floor")]
    zone = await building(api, ada, name="Annex", timeZone="Mars/Olympus")
    assert [e["code"] for e in zone["errors"]] == ["UNKNOWN_TIME_ZONE"]
    capacity = await room(api, ada, buildingId=hq["id"], name="Red", capacity=-1)
    assert [(e["code"], e["field"]) for e in capacity["errors"]] == [("BAD_USER_INPUT", "capacity")]
    bookable = await room(api, ada, buildingId=hq["id"], name="Red", bookableBy=[{"userId": None}])
    assert [e["code"] for e in bookable["errors"]] == ["BAD_USER_INPUT"]
    # Removing a floor a room is on, and deleting a building with rooms.
    floors = await api.gql(
        "mutation($i: BuildingUpdateInput!) { buildingUpdate(input: $i) { errors { code } } }",
        {"i": {"buildingId": hq["id"], "floors": ["2"]}},
        token=ada.access_token,
    )
    assert floors["buildingUpdate"]["errors"] == [{"code": "UNKNOWN_FLOOR"}]
    delete = await api.gql(
        "mutation($i: BuildingDeleteInput!) { buildingDelete(input: $i) { errors { code } } }",
        {"i": {"buildingId": hq["id"]}},
        token=ada.access_token,
    )
    assert delete["buildingDelete"]["errors"] == [{"code": "BUILDING_NOT_EMPTY"}]

    # A member may not manage them.
    bob = await api.add_member(ada)
    denied = await building(api, bob, name="Shed")
    assert [e["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    denied_room = await room(api, bob, buildingId=hq["id"], name="Green")
    assert [e["code"] for e in denied_room["errors"]] == ["FORBIDDEN"]

    org = pk(ada.organization_id)
    assert await Building.filter(organization_id=org).count() == 1
    rooms = await Room.filter(organization_id=org).values_list("name", "floor")
    assert rooms == [("Blue", "1")]
    assert (await Building.get(organization_id=org)).floors == ["1"]


async def test_another_organizations_rooms_are_not_found(api: Api) -> None:
    ada = await api.sign_up()
    blue = await room_ok(api, ada, name="Blue")
    eve = await api.sign_up(organization="Other")
    seen = await api.gql(
        "query($id: ID!) { node(id: $id) { id } buildings { id } }",
        {"id": blue["id"]},
        token=eve.access_token,
    )
    assert seen == {"node": None, "buildings": []}
    update = await api.gql(
        "mutation($i: RoomUpdateInput!) { roomUpdate(input: $i) { errors { code field } } }",
        {"i": {"roomId": blue["id"], "name": "Mine"}},
        token=eve.access_token,
    )
    assert update["roomUpdate"]["errors"] == [{"code": "NOT_FOUND", "field": "roomId"}]
    booked = await api.gql(
        "mutation($i: EventCreateInput!) { eventCreate(input: $i) { event { id } "
        "errors { code field } } }",
        {
            "i": {
                "startAt": "2026-03-02T14:00:00Z",
                "endAt": "2026-03-02T15:00:00Z",
                "attendees": [{"roomId": blue["id"]}],
            }
        },
        token=eve.access_token,
    )
    assert booked["eventCreate"] == {
        "event": None,
        "errors": [{"code": "NOT_FOUND", "field": "attendees.0.roomId"}],
    }
    assert (await Room.get(id=pk(blue["id"]))).name == "Blue"


async def test_rooms_filter_by_capacity_equipment_and_free_time(api: Api) -> None:
    ada = await api.sign_up()
    hq = await building_ok(api, ada)
    small = await room_ok(api, ada, buildingId=hq["id"], name="Small", capacity=4)
    await room_ok(api, ada, buildingId=hq["id"], name="Large", capacity=20, equipment=["video"])
    # Small is booked every Monday 09:00-10:00 New York time, from March 2nd.
    await event_ok(
        api,
        ada,
        title="Weekly",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        timeZone="America/New_York",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO"},
        attendees=[{"roomId": small["id"]}],
    )

    async def names(**v: object) -> list[str]:
        data = await api.gql(ROOMS, v, token=ada.access_token)
        return [r["name"] for r in data["rooms"]]

    assert await names() == ["Large", "Small"]
    assert await names(c=5) == ["Large"]
    assert await names(e=["VIDEO"]) == ["Large"]
    # Months later, after the DST change: 09:00 New York is 13:00Z.
    assert await names(f="2026-06-01T13:30:00Z", t="2026-06-01T13:45:00Z") == ["Large"]
    assert await names(f="2026-06-01T14:00:00Z", t="2026-06-01T15:00:00Z") == [
        "Large",
        "Small",
    ]
    assert await names(f="2026-06-02T13:30:00Z", t="2026-06-02T13:45:00Z") == [
        "Large",
        "Small",
    ]
    too_long = await api.post(
        ROOMS, {"f": "2026-01-01T00:00:00Z", "t": "2028-01-01T00:00:00Z"}, token=ada.access_token
    )
    assert too_long.json()["errors"][0]["extensions"]["code"] == "WINDOW_TOO_LARGE"
