"""organizationEvents carries the directory's changes to members over a real WebSocket: members
updated or deactivated, departments changed, settings changed; never to another organization,
never to guests."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from adapters import runtime
from models.admin import Department
from models.identity import Role, User
from resolvers.admin import events
from resolvers.core.tx import transaction
from tests.client import Account, Api, WSClient, org_channel, wait_subscribed

EVENTS = """subscription { organizationEvents { __typename
  ... on MemberJoined { user { id } }
  ... on MemberUpdated { user { id displayName role isActive } }
  ... on MemberDeactivated { user { id isActive } }
  ... on DepartmentChanged { kind department { id name } }
  ... on OrganizationUpdated { organization { id name settings { defaultTimeZone } } }
} }"""


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


async def socket(server: str, who: Account) -> WSClient:
    ws = await WSClient.connect(server)
    assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
        "connection_ack"
    )
    return ws


async def publish(org_gid: str, event: dict[str, Any]) -> None:
    """As the admin mutations do: inside a transaction, sent after commit."""
    async with transaction() as tx:
        tx.publish(events.organization_channel(pk(org_gid)), event)


async def next_event(ws: WSClient, op: str) -> dict[str, Any]:
    msg = await ws.receive()
    assert msg["id"] == op and msg["type"] == "next", msg
    assert "errors" not in msg["payload"], msg
    return msg["payload"]["data"]["organizationEvents"]


async def assert_refused(ws: WSClient, op: str) -> None:
    """A FORBIDDEN error for the operation, then its end."""
    msg = await ws.receive()
    assert msg["id"] == op and msg["type"] == "next", msg
    assert msg["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in msg["payload"]["errors"]] == ["FORBIDDEN"]
    assert await ws.receive() == {"id": op, "type": "complete"}


async def test_member_and_department_events_reach_members(server: str, api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    member = await api.add_member(owner, name="Mia")
    ws = await socket(server, member)
    try:
        op = await ws.subscribe(EVENTS)
        await wait_subscribed(org_channel(owner))
        user = await User.get(id=pk(member.user_id))
        user.display_name = "Mia Renamed"
        await user.save()
        await publish(owner.organization_id, events.member_updated(user))
        assert await next_event(ws, op) == {
            "__typename": "MemberUpdated",
            "user": {
                "id": member.user_id,
                "displayName": "Mia Renamed",
                "role": "MEMBER",
                "isActive": True,
            },
        }

        other = await User.get(id=pk(owner.user_id))
        other.is_active = False  # the event's snapshot; the row itself stays active
        await publish(owner.organization_id, events.member_deactivated(other))
        assert await next_event(ws, op) == {
            "__typename": "MemberDeactivated",
            "user": {"id": owner.user_id, "isActive": False},
        }

        dept = await Department.create(organization_id=pk(owner.organization_id), name="Ops")
        dept_gid = str(GlobalID("Department", str(dept.id)))
        for kind in ("CREATED", "UPDATED", "MOVED", "DELETED"):
            await publish(owner.organization_id, events.department_changed(kind, dept))
            assert await next_event(ws, op) == {
                "__typename": "DepartmentChanged",
                "kind": kind,
                "department": {"id": dept_gid, "name": "Ops"},
            }
    finally:
        await ws.close()


async def test_organization_update_is_announced(server: str, api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    ws = await socket(server, owner)
    try:
        op = await ws.subscribe(EVENTS)
        await wait_subscribed(org_channel(owner))
        await api.gql(
            'mutation { organizationUpdate(input: {defaultTimeZone: "Asia/Tokyo"}) '
            "{ errors { code } } }",
            token=owner.access_token,
        )
        assert await next_event(ws, op) == {
            "__typename": "OrganizationUpdated",
            "organization": {
                "id": owner.organization_id,
                "name": "Alpha",
                "settings": {"defaultTimeZone": "Asia/Tokyo"},
            },
        }
    finally:
        await ws.close()


async def test_invitation_accept_announces_the_new_member(server: str, api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    ws = await socket(server, owner)
    try:
        op = await ws.subscribe(EVENTS)
        await wait_subscribed(org_channel(owner))
        created = await api.gql(
            """mutation { invitationCreate(input: {email: "new@example.test", role: MEMBER})
            { token errors { code } } }""",
            token=owner.access_token,
        )
        token = created["invitationCreate"]["token"]
        joined = await api.gql(
            """mutation($t: String!) { invitationAccept(input: {token: $t, displayName: "New",
            password: "correct horse battery"}) { viewer { id } errors { code } } }""",
            {"t": token},
        )
        event = await next_event(ws, op)
        assert event == {
            "__typename": "MemberJoined",
            "user": {"id": joined["invitationAccept"]["viewer"]["id"]},
        }
    finally:
        await ws.close()


async def test_another_organization_receives_nothing(server: str, api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    b = await api.sign_up(organization="Beta")
    ws_b = await socket(server, b)
    try:
        op = await ws_b.subscribe(EVENTS)
        await wait_subscribed(org_channel(b))
        user_a = await User.get(id=pk(a.user_id))
        dept_a = await Department.create(organization_id=user_a.organization_id, name="A")
        await publish(a.organization_id, events.member_updated(user_a))
        await publish(a.organization_id, events.department_changed("CREATED", dept_a))
        # Even mis-published onto B's channel, A's events are dropped.
        await publish(b.organization_id, events.member_deactivated(user_a))
        # B's first message is B's own later event.
        user_b = await User.get(id=pk(b.user_id))
        await publish(b.organization_id, events.member_updated(user_b))
        event = await next_event(ws_b, op)
        assert event["__typename"] == "MemberUpdated" and event["user"]["id"] == b.user_id
    finally:
        await ws_b.close()


async def test_guests_are_refused(server: str, api: Api) -> None:
    owner = await api.sign_up()
    guest = await api.add_member(owner, name="Guest")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    ws = await socket(server, guest)
    try:
        op = await ws.subscribe(EVENTS)
        await assert_refused(ws, op)
        # Nothing was subscribed on the bus for the guest.
        assert runtime.current().bus.subscriber_count(org_channel(owner)) == 0
    finally:
        await ws.close()


async def test_a_subscriber_who_becomes_a_guest_is_cut_off(server: str, api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner, name="Member")
    ws = await socket(server, member)
    try:
        op = await ws.subscribe(EVENTS)
        await wait_subscribed(org_channel(owner))
        await User.filter(id=pk(member.user_id)).update(role=Role.GUEST)
        demoted = await User.get(id=pk(member.user_id))
        await publish(owner.organization_id, events.member_updated(demoted))
        await assert_refused(ws, op)
        assert runtime.current().bus.subscriber_count(org_channel(owner)) == 0
    finally:
        await ws.close()
