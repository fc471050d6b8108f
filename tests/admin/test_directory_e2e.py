"""The admin console end to end across its slices: directory changes made through the real
mutations reach members' live streams (and no one else's), and the audit log holds exactly the
entries those mutations wrote."""

from __future__ import annotations

from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.identity import User
from tests.client import Api, WSClient, org_channel, unique_email, wait_subscribed

EVENTS = """subscription { organizationEvents { __typename
  ... on MemberJoined { user { id } }
  ... on MemberUpdated { user { id displayName } }
  ... on MemberDeactivated { user { id isActive } }
  ... on DepartmentChanged { kind department { id name } } } }"""


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


async def next_event(ws: WSClient) -> dict:
    msg = await ws.receive(timeout=5)
    assert msg["type"] == "next", msg
    return msg["payload"]["data"]["organizationEvents"]


async def test_mutations_stream_to_members_of_their_organization_only(
    server: str, api: Api
) -> None:
    owner = await api.sign_up(organization="Streamers")
    member = await api.add_member(owner, name="Watcher")
    stranger = await api.sign_up(organization="Elsewhere")
    ws = await WSClient.connect(server)
    ws_other = await WSClient.connect(server)
    try:
        for socket, account in ((ws, member), (ws_other, stranger)):
            assert (await socket.init({"authorization": f"Bearer {account.access_token}"}))[
                "type"
            ] == "connection_ack"
            await socket.subscribe(EVENTS)
        await wait_subscribed(org_channel(member))
        await wait_subscribed(org_channel(stranger))

        created = await api.gql(
            """mutation($i: UserCreateInput!) { userCreate(input: $i) { user { id } errors { code } } }""",
            {
                "i": {
                    "email": unique_email("e2e"),
                    "displayName": "Newcomer",
                    "password": "correct horse battery",
                }
            },
            token=owner.access_token,
        )
        new_id = created["userCreate"]["user"]["id"]
        assert await next_event(ws) == {"__typename": "MemberJoined", "user": {"id": new_id}}

        await api.gql(
            """mutation($i: UserUpdateInput!) { userUpdate(input: $i) { errors { code } } }""",
            {"i": {"userId": new_id, "displayName": "Renamed"}},
            token=owner.access_token,
        )
        assert await next_event(ws) == {
            "__typename": "MemberUpdated",
            "user": {"id": new_id, "displayName": "Renamed"},
        }

        dept = await api.gql(
            """mutation { departmentCreate(input: {name: "Research"}) { department { id } errors { code } } }""",
            token=owner.access_token,
        )
        dept_id = dept["departmentCreate"]["department"]["id"]
        assert await next_event(ws) == {
            "__typename": "DepartmentChanged",
            "kind": "CREATED",
            "department": {"id": dept_id, "name": "Research"},
        }

        await api.gql(
            """mutation($i: UserDeactivateInput!) { userDeactivate(input: $i) { errors { code } } }""",
            {"i": {"userId": new_id}},
            token=owner.access_token,
        )
        assert await next_event(ws) == {
            "__typename": "MemberDeactivated",
            "user": {"id": new_id, "isActive": False},
        }

        # The other organization heard none of it: its first event is its own.
        joined = await api.add_member(stranger, name="Theirs")
        assert await next_event(ws_other) == {
            "__typename": "MemberJoined",
            "user": {"id": joined.user_id},
        }
    finally:
        await ws.close()
        await ws_other.close()


async def test_a_guest_is_kept_out_of_departments_everywhere(api: Api) -> None:
    owner = await api.sign_up()
    dept = await api.gql(
        """mutation { departmentCreate(input: {name: "Ops"}) { department { id } } }""",
        token=owner.access_token,
    )
    dept_id = dept["departmentCreate"]["department"]["id"]
    email = unique_email("guest")
    created = await api.gql(
        """mutation($i: UserCreateInput!) { userCreate(input: $i) { user { id } errors { code field } } }""",
        {
            "i": {
                "email": email,
                "displayName": "Visitor",
                "role": "GUEST",
                "departmentIds": [dept_id],
            }
        },
        token=owner.access_token,
    )
    assert created["userCreate"] == {
        "user": None,
        "errors": [{"code": "GUEST_NOT_ALLOWED", "field": "departmentIds"}],
    }
    assert not await User.filter(email=email).exists()
    invited = await api.gql(
        """mutation($i: InvitationCreateInput!) { invitationCreate(input: $i) { token errors { code } } }""",
        {"i": {"email": email, "role": "GUEST", "departmentIds": [dept_id]}},
        token=owner.access_token,
    )
    assert invited["invitationCreate"] == {"token": None, "errors": [{"code": "GUEST_NOT_ALLOWED"}]}


async def test_the_audit_log_holds_exactly_what_the_mutations_wrote(api: Api) -> None:
    owner = await api.sign_up(organization="Audited")
    org_pk = pk(owner.organization_id)
    await api.gql(
        """mutation($i: UserCreateInput!) { userCreate(input: $i) { errors { code } } }""",
        {
            "i": {
                "email": unique_email("a"),
                "displayName": "Alpha",
                "password": "correct horse battery",
            }
        },
        token=owner.access_token,
    )
    await api.gql(
        """mutation { departmentCreate(input: {name: "Sales"}) { errors { code } } }""",
        token=owner.access_token,
    )
    await api.gql(
        """mutation { groupCreate(input: {name: "Readers"}) { errors { code } } }""",
        token=owner.access_token,
    )
    await api.gql(
        """mutation($i: InvitationCreateInput!) { invitationCreate(input: $i) { errors { code } } }""",
        {"i": {"email": unique_email("inv"), "role": "MEMBER"}},
        token=owner.access_token,
    )
    await api.gql(
        """mutation { organizationUpdate(input: {defaultTimeZone: "Asia/Tokyo"}) { errors { code } } }""",
        token=owner.access_token,
    )
    # A refused act writes nothing.
    refused = await api.gql(
        """mutation { departmentCreate(input: {name: "Sales"}) { errors { code } } }""",
        token=owner.access_token,
    )
    assert refused["departmentCreate"]["errors"] == [{"code": "NAME_TAKEN"}]

    log = await api.gql(
        "{ auditLog(first: 50) { nodes { action actor { id } } } }", token=owner.access_token
    )
    actions = [e["action"] for e in log["auditLog"]["nodes"]]
    assert actions == [
        "organization.update",
        "invitation.create",
        "group.create",
        "department.create",
        "user.create",
    ]
    assert {e["actor"]["id"] for e in log["auditLog"]["nodes"]} == {owner.user_id}
    assert await AuditEntry.filter(organization_id=org_pk).count() == 5
