"""People administration end to end: creating, changing, deactivating and reactivating users,
password resets and ownership transfer; the permission matrix, tenancy, the audit log, and the
directory listing."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.admin import AuditEntry, Department, DepartmentMember
from models.identity import AuthSession, Organization, Role, User
from tests.client import PASSWORD, Account, Api, WSClient, count_queries, unique_email
from tests.errors import refusal, refusal_at

USER_FIELDS = "id email displayName role isActive timeZone locale manager { id } departments { id }"
CREATE = f"""mutation($input: UserCreateInput!) {{ userCreate(input: $input) {{
  user {{ {USER_FIELDS} }} temporaryPassword errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($input: UserUpdateInput!) {{ userUpdate(input: $input) {{
  user {{ {USER_FIELDS} }} errors {{ code field }} }} }}"""
DEACTIVATE = """mutation($id: ID!) { userDeactivate(input: {userId: $id}) {
  user { id isActive } errors { code field } } }"""
REACTIVATE = """mutation($id: ID!) { userReactivate(input: {userId: $id}) {
  user { id isActive } errors { code field } } }"""
RESET = """mutation($input: PasswordResetInput!) { passwordReset(input: $input) {
  user { id mustChangePassword } temporaryPassword errors { code field } } }"""
TRANSFER = """mutation($id: ID!) { ownershipTransfer(input: {userId: $id}) {
  user { id role } errors { code field } } }"""
USERS = """query($first: Int, $after: String, $search: String, $departmentId: ID, $role: Role,
  $includeDeactivated: Boolean! = false) {
  users(first: $first, after: $after, search: $search, departmentId: $departmentId, role: $role,
        includeDeactivated: $includeDeactivated) {
    edges { node { id displayName manager { id displayName } departments { id name } } }
    pageInfo { hasNextPage endCursor } } }"""
USER = "query($id: ID!) { user(id: $id) { id displayName } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
VIEWER = "{ viewer { id mustChangePassword } }"
SIGN_IN = """mutation($email: String!, $password: String!) {
  signIn(input: {email: $email, password: $password}) {
    accessToken mustChangePassword viewer { id } errors { code } } }"""
PASSWORD_CHANGE = """mutation($input: PasswordChangeInput!) { passwordChange(input: $input) {
  viewer { id mustChangePassword } errors { code field } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


def gid(type_name: str, id_: int) -> str:
    return str(GlobalID(type_name, str(id_)))


async def audits(account: Account) -> list[AuditEntry]:
    return list(await AuditEntry.filter(organization_id=pk(account.organization_id)).order_by("id"))


async def make_admin(api: Api, owner: Account, name: str = "Adam Admin") -> Account:
    admin = await api.add_member(owner, name=name)
    await User.filter(id=pk(admin.user_id)).update(role=Role.ADMIN)
    return admin


async def department(account: Account, name: str) -> Department:
    return await Department.create(organization_id=pk(account.organization_id), name=name)


def top_error(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def test_user_create_generates_a_password_shown_once(api: Api) -> None:
    owner = await api.sign_up(name="Olga Owner")
    admin = await make_admin(api, owner)
    await Organization.filter(id=pk(owner.organization_id)).update(
        default_time_zone="Europe/Berlin"
    )
    eng = await department(owner, "Engineering")
    email = unique_email("new")
    data = await api.gql(
        CREATE,
        {
            "input": {
                "email": email.upper(),
                "displayName": "Nina New",
                "departmentIds": [gid("Department", eng.id)],
                "managerId": owner.user_id,
            }
        },
        token=admin.access_token,
    )
    p = data["userCreate"]
    assert p["errors"] == []
    user = p["user"]
    assert user["email"] == email and user["role"] == "MEMBER" and user["isActive"] is True
    assert user["timeZone"] == "Europe/Berlin"
    assert user["manager"] == {"id": owner.user_id}
    assert user["departments"] == [{"id": gid("Department", eng.id)}]
    temporary = p["temporaryPassword"]
    assert temporary and len(temporary) >= 10
    row = await User.get(id=pk(user["id"]))
    assert row.must_change_password is True and temporary not in row.password_hash

    [entry] = await audits(owner)
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id) == (
        "user.create",
        pk(admin.user_id),
        "user",
        row.id,
    )
    assert entry.before is None
    assert entry.after == {
        "email": email,
        "display_name": "Nina New",
        "role": "MEMBER",
        "manager_id": pk(owner.user_id),
        "time_zone": "Europe/Berlin",
        "locale": "en",
        "department_ids": [eng.id],
        "must_change_password": True,
    }

    # The temporary password signs in, but only passwordChange works until it is changed.
    signed = (await api.gql(SIGN_IN, {"email": email, "password": temporary}))["signIn"]
    assert signed["errors"] == [] and signed["mustChangePassword"] is True
    token = signed["accessToken"]
    assert (await api.gql(VIEWER, token=token))["viewer"]["mustChangePassword"] is True
    blocked = (await api.post(USERS, token=token)).json()
    assert top_error(blocked) == "PASSWORD_CHANGE_REQUIRED"
    # Every other read is closed too, node() included, and viewer in the same document
    # does not open it.
    node = "query($id: ID!) { viewer { id } node(id: $id) { id } }"
    blocked = (await api.post(node, {"id": owner.user_id}, token=token)).json()
    assert top_error(blocked) == "PASSWORD_CHANGE_REQUIRED" and blocked["data"] is None
    changed = await api.gql(
        PASSWORD_CHANGE,
        {"input": {"currentPassword": temporary, "newPassword": "a brand new secret"}},
        token=token,
    )
    assert changed["passwordChange"] == {
        "viewer": {"id": user["id"], "mustChangePassword": False},
        "errors": [],
    }
    assert (await api.gql(USERS, token=token))["users"]["edges"]
    # Self-service wrote nothing to the audit log.
    assert len(await audits(owner)) == 1


async def test_user_create_retry_with_the_same_key_returns_the_first_user(api: Api) -> None:
    owner = await api.sign_up()
    email = unique_email("idem")
    variables = {"input": {"email": email, "displayName": "Ida", "idempotencyKey": "k-1"}}
    first = (await api.gql(CREATE, variables, token=owner.access_token))["userCreate"]
    again = (await api.gql(CREATE, variables, token=owner.access_token))["userCreate"]
    assert first["errors"] == [] and again["errors"] == []
    assert again["user"]["id"] == first["user"]["id"]
    assert first["temporaryPassword"] and again["temporaryPassword"] is None
    assert await User.filter(email=email).count() == 1
    assert [e.action for e in await audits(owner)] == ["user.create"]


async def test_user_create_is_refused_and_changes_nothing(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    users_before = await User.filter(organization_id=pk(owner.organization_id)).count()
    email = unique_email("nope")
    r = await api.post(
        CREATE, {"input": {"email": email, "displayName": "X"}}, token=member.access_token
    )
    assert refusal(CREATE, r.json()) == "FORBIDDEN"
    bad = (
        await api.gql(
            CREATE,
            {"input": {"email": email, "displayName": "X", "role": "OWNER", "password": "short"}},
            token=owner.access_token,
        )
    )["userCreate"]
    assert {(e["code"], e["field"]) for e in bad["errors"]} == {
        ("ROLE_NOT_ALLOWED", "role"),
        ("WEAK_PASSWORD", "password"),
    }
    taken = (
        await api.gql(
            CREATE, {"input": {"email": member.email, "displayName": "X"}}, token=owner.access_token
        )
    )["userCreate"]
    assert [e["code"] for e in taken["errors"]] == ["EMAIL_TAKEN"]
    assert await User.filter(organization_id=pk(owner.organization_id)).count() == users_before
    assert await audits(owner) == []


async def test_user_update_changes_fields_and_audits_only_the_changes(api: Api) -> None:
    owner = await api.sign_up(name="Olga Owner")
    admin = await make_admin(api, owner)
    member = await api.add_member(owner, name="Mia")
    sales, eng = await department(owner, "Sales"), await department(owner, "Engineering")
    await DepartmentMember.create(department_id=sales.id, user_id=pk(member.user_id))
    data = await api.gql(
        UPDATE,
        {
            "input": {
                "userId": member.user_id,
                "displayName": "Mia Moss",
                "role": "ADMIN",
                "departmentIds": [gid("Department", eng.id)],
                "managerId": admin.user_id,
                "timeZone": "Asia/Shanghai",
                "locale": "zh-CN",
            }
        },
        token=admin.access_token,
    )
    u = data["userUpdate"]
    assert u["errors"] == []
    assert u["user"]["displayName"] == "Mia Moss" and u["user"]["role"] == "ADMIN"
    assert u["user"]["departments"] == [{"id": gid("Department", eng.id)}]
    assert u["user"]["manager"] == {"id": admin.user_id}
    [entry] = await audits(owner)
    assert (entry.action, entry.actor_id, entry.target_id) == (
        "user.update",
        pk(admin.user_id),
        pk(member.user_id),
    )
    assert entry.before == {
        "display_name": "Mia",
        "role": "MEMBER",
        "manager_id": None,
        "time_zone": "UTC",
        "locale": "en",
        "department_ids": [sales.id],
    }
    assert entry.after == {
        "display_name": "Mia Moss",
        "role": "ADMIN",
        "manager_id": pk(admin.user_id),
        "time_zone": "Asia/Shanghai",
        "locale": "zh-CN",
        "department_ids": [eng.id],
    }
    # Null clears the manager; only that change is recorded.
    cleared = await api.gql(
        UPDATE, {"input": {"userId": member.user_id, "managerId": None}}, token=owner.access_token
    )
    assert cleared["userUpdate"]["user"]["manager"] is None
    last = (await audits(owner))[-1]
    assert (last.before, last.after) == ({"manager_id": pk(admin.user_id)}, {"manager_id": None})


async def test_user_update_rejects_bad_values_and_manager_loops(api: Api) -> None:
    owner = await api.sign_up()
    a = await api.add_member(owner, name="A")
    b = await api.add_member(owner, name="B")
    await User.filter(id=pk(b.user_id)).update(manager_id=pk(a.user_id))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"userId": a.user_id, "timeZone": "Mars/Olympus"}, "INVALID_TIME_ZONE"),
        ({"userId": a.user_id, "locale": "not a locale"}, "INVALID_LOCALE"),
        ({"userId": a.user_id, "displayName": "  "}, "INVALID_NAME"),
        ({"userId": a.user_id, "managerId": b.user_id}, "MANAGER_CYCLE"),
        ({"userId": a.user_id, "managerId": a.user_id}, "MANAGER_CYCLE"),
        ({"userId": a.user_id, "role": "OWNER"}, "ROLE_NOT_ALLOWED"),
    ]
    for variables, code in cases:
        p = (await api.gql(UPDATE, {"input": variables}, token=owner.access_token))["userUpdate"]
        assert [e["code"] for e in p["errors"]] == [code], variables
        assert p["user"] is None
    row = await User.get(id=pk(a.user_id))
    assert (row.time_zone, row.locale, row.display_name, row.manager_id, row.role) == (
        "UTC",
        "en",
        "A",
        None,
        Role.MEMBER,
    )
    assert await audits(owner) == []


async def test_owner_is_protected_and_the_last_admin_stays(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    admin = await make_admin(api, owner)
    member = await api.add_member(owner)
    for variables in ({"displayName": "Hacked"}, {"role": "MEMBER"}):
        p = (
            await api.gql(
                UPDATE, {"input": {"userId": owner.user_id, **variables}}, token=admin.access_token
            )
        )["userUpdate"]
        assert [e["code"] for e in p["errors"]] == ["OWNER_PROTECTED"]
    # The owner cannot demote themselves either: ownership moves only by transfer.
    p = (
        await api.gql(
            UPDATE, {"input": {"userId": owner.user_id, "role": "ADMIN"}}, token=owner.access_token
        )
    )["userUpdate"]
    assert [e["code"] for e in p["errors"]] == ["OWNER_PROTECTED"]
    row = await User.get(id=pk(owner.user_id))
    assert (row.display_name, row.role) == ("Olga", Role.OWNER)
    # Members change nobody.
    r = await api.post(
        UPDATE, {"input": {"userId": admin.user_id, "role": "GUEST"}}, token=member.access_token
    )
    assert refusal(UPDATE, r.json()) == "FORBIDDEN"
    assert (await User.get(id=pk(admin.user_id))).role == Role.ADMIN
    # With the owner gone (a data repair), the only active admin cannot demote themselves.
    await User.filter(id=pk(owner.user_id)).update(is_active=False)
    p = (
        await api.gql(
            UPDATE, {"input": {"userId": admin.user_id, "role": "MEMBER"}}, token=admin.access_token
        )
    )["userUpdate"]
    assert [e["code"] for e in p["errors"]] == ["LAST_ADMIN"]
    assert (await User.get(id=pk(admin.user_id))).role == Role.ADMIN
    assert await audits(owner) == []


async def test_deactivation_closes_live_sockets_at_once(server: str, api: Api) -> None:
    owner = await api.sign_up()
    admin = await make_admin(api, owner)
    member = await api.add_member(owner, name="Leaving")
    ws = await WSClient.connect(server)
    ack = await ws.init({"authorization": f"Bearer {member.access_token}"})
    assert ack["type"] == "connection_ack"
    try:
        p = (await api.gql(DEACTIVATE, {"id": member.user_id}, token=admin.access_token))[
            "userDeactivate"
        ]
        assert p == {"user": {"id": member.user_id, "isActive": False}, "errors": []}
        assert await ws.closed_with(timeout=5) == 4403
    finally:
        await ws.close()
    assert (await api.post(VIEWER, token=member.access_token)).status_code == 401
    signed = (await api.gql(SIGN_IN, {"email": member.email, "password": PASSWORD}))["signIn"]
    assert [e["code"] for e in signed["errors"]] == ["ACCOUNT_DISABLED"]
    assert not await AuthSession.filter(
        user_id=pk(member.user_id), revoked_at__isnull=True
    ).exists()
    row = await User.get(id=pk(member.user_id))
    assert row.deactivated_at is not None
    [entry] = await audits(owner)
    assert (entry.action, entry.actor_id, entry.target_id) == (
        "user.deactivate",
        pk(admin.user_id),
        row.id,
    )
    assert entry.before == {"is_active": True, "deactivated_at": None}
    assert entry.after == {"is_active": False, "deactivated_at": row.deactivated_at.isoformat()}

    # Members no longer see them; admins do, with includeDeactivated.
    plain = (await api.gql(USERS, token=admin.access_token))["users"]["edges"]
    assert member.user_id not in [e["node"]["id"] for e in plain]
    every = (await api.gql(USERS, {"includeDeactivated": True}, token=admin.access_token))["users"]
    assert member.user_id in [e["node"]["id"] for e in every["edges"]]

    back = (await api.gql(REACTIVATE, {"id": member.user_id}, token=admin.access_token))[
        "userReactivate"
    ]
    assert back == {"user": {"id": member.user_id, "isActive": True}, "errors": []}
    await api.sign_in(member.email)
    entry = (await audits(owner))[-1]
    assert (entry.action, entry.before, entry.after) == (
        "user.reactivate",
        {"is_active": False, "deactivated_at": row.deactivated_at.isoformat()},
        {"is_active": True, "deactivated_at": None},
    )


async def test_deactivation_is_refused_for_owner_self_and_members(api: Api) -> None:
    owner = await api.sign_up()
    admin = await make_admin(api, owner)
    member = await api.add_member(owner)
    for target, code in ((owner.user_id, "OWNER_PROTECTED"), (admin.user_id, "SELF")):
        p = (await api.gql(DEACTIVATE, {"id": target}, token=admin.access_token))["userDeactivate"]
        assert [e["code"] for e in p["errors"]] == [code]
    r = await api.post(DEACTIVATE, {"id": admin.user_id}, token=member.access_token)
    assert refusal(DEACTIVATE, r.json()) == "FORBIDDEN"
    assert (
        await User.filter(organization_id=pk(owner.organization_id), is_active=False).count() == 0
    )
    assert (await api.post(VIEWER, token=admin.access_token)).status_code == 200
    assert await audits(owner) == []


async def test_password_reset_ends_sessions_and_forces_a_change(api: Api) -> None:
    owner = await api.sign_up()
    admin = await make_admin(api, owner)
    member = await api.add_member(owner)
    p = (
        await api.gql(
            RESET,
            {"input": {"userId": member.user_id, "newPassword": "reset by the admin"}},
            token=admin.access_token,
        )
    )["passwordReset"]
    assert p == {
        "user": {"id": member.user_id, "mustChangePassword": True},
        "temporaryPassword": None,
        "errors": [],
    }
    assert (await api.post(VIEWER, token=member.access_token)).status_code == 401
    again = await api.sign_in(member.email, "reset by the admin")
    r = (await api.post(USERS, token=again.access_token)).json()
    assert top_error(r) == "PASSWORD_CHANGE_REQUIRED"
    [entry] = await audits(owner)
    assert (entry.action, entry.actor_id, entry.target_id, entry.before, entry.after) == (
        "user.password_reset",
        pk(admin.user_id),
        pk(member.user_id),
        {"must_change_password": False},
        {"must_change_password": True},
    )
    # A generated one is returned once; the owner's password is the owner's business.
    gen = (await api.gql(RESET, {"input": {"userId": member.user_id}}, token=owner.access_token))[
        "passwordReset"
    ]
    assert gen["errors"] == [] and len(gen["temporaryPassword"]) >= 10
    fresh = await api.sign_in(member.email, gen["temporaryPassword"])
    hash_before = (await User.get(id=pk(owner.user_id))).password_hash
    denied = (await api.gql(RESET, {"input": {"userId": owner.user_id}}, token=admin.access_token))[
        "passwordReset"
    ]
    assert [e["code"] for e in denied["errors"]] == ["OWNER_PROTECTED"]
    weak = (
        await api.gql(
            RESET,
            {"input": {"userId": member.user_id, "newPassword": "x"}},
            token=admin.access_token,
        )
    )["passwordReset"]
    assert [(e["code"], e["field"]) for e in weak["errors"]] == [("WEAK_PASSWORD", "newPassword")]
    r = await api.post(RESET, {"input": {"userId": admin.user_id}}, token=fresh.access_token)
    assert top_error(r.json()) == "PASSWORD_CHANGE_REQUIRED"
    bystander = await api.add_member(owner)
    r = await api.post(RESET, {"input": {"userId": admin.user_id}}, token=bystander.access_token)
    assert refusal(RESET, r.json()) == "FORBIDDEN"
    assert not (await User.get(id=pk(admin.user_id))).must_change_password
    owner_row = await User.get(id=pk(owner.user_id))
    assert owner_row.password_hash == hash_before and not owner_row.must_change_password
    assert len(await audits(owner)) == 2


async def test_ownership_transfer(api: Api) -> None:
    owner = await api.sign_up()
    admin = await make_admin(api, owner)
    member = await api.add_member(owner)
    r = await api.post(TRANSFER, {"id": admin.user_id}, token=admin.access_token)
    assert refusal(TRANSFER, r.json()) == "FORBIDDEN"
    assert (await User.get(id=pk(admin.user_id))).role == Role.ADMIN
    assert await audits(owner) == []
    self_p = (await api.gql(TRANSFER, {"id": owner.user_id}, token=owner.access_token))[
        "ownershipTransfer"
    ]
    assert [e["code"] for e in self_p["errors"]] == ["ALREADY_OWNER"]

    p = (await api.gql(TRANSFER, {"id": member.user_id}, token=owner.access_token))[
        "ownershipTransfer"
    ]
    assert p == {"user": {"id": member.user_id, "role": "OWNER"}, "errors": []}
    org = pk(owner.organization_id)
    owners = await User.filter(organization_id=org, role=Role.OWNER).values_list("id", flat=True)
    assert owners == [pk(member.user_id)]
    assert (await User.get(id=pk(owner.user_id))).role == Role.ADMIN
    [entry] = await audits(owner)
    assert (entry.action, entry.actor_id, entry.target_id, entry.before, entry.after) == (
        "user.ownership_transfer",
        pk(owner.user_id),
        pk(member.user_id),
        {"owner_id": pk(owner.user_id), "role": "MEMBER"},
        {"owner_id": pk(member.user_id), "role": "OWNER"},
    )
    # The former owner is an admin now and cannot take it back.
    r = await api.post(TRANSFER, {"id": owner.user_id}, token=owner.access_token)
    assert refusal(TRANSFER, r.json()) == "FORBIDDEN"


async def test_another_organization_sees_and_changes_nothing(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    a_member = await api.add_member(a, name="Alpha Member")
    b = await api.sign_up(organization="Beta")
    target = a_member.user_id
    mutations: list[tuple[str, dict[str, Any]]] = [
        (UPDATE, {"input": {"userId": target, "displayName": "Stolen"}}),
        (DEACTIVATE, {"id": target}),
        (REACTIVATE, {"id": target}),
        (RESET, {"input": {"userId": target}}),
        (TRANSFER, {"id": target}),
        (UPDATE, {"input": {"userId": b.user_id, "managerId": target}}),
        (CREATE, {"input": {"email": unique_email(), "displayName": "X", "managerId": target}}),
        (UPDATE, {"input": {"userId": "garbage", "displayName": "X"}}),
    ]
    for query, variables in mutations:
        r = await api.post(query, variables, token=b.access_token)
        assert refusal(query, r.json()) == "NOT_FOUND", (query, variables)
    for query in (USER, NODE):
        data = await api.gql(query, {"id": target}, token=b.access_token)
        assert list(data.values()) == [None]
    listed = (await api.gql(USERS, {"search": "Alpha"}, token=b.access_token))["users"]
    assert listed["edges"] == []
    row = await User.get(id=pk(target))
    assert (row.display_name, row.is_active, row.must_change_password, row.manager_id) == (
        "Alpha Member",
        True,
        False,
        None,
    )
    assert (await User.get(id=pk(b.user_id))).manager_id is None
    assert await audits(a) == [] and await audits(b) == []


async def test_a_malformed_id_is_not_found_only_after_the_permission_checks(api: Api) -> None:
    # Given an owner and a member, and IDs that are malformed or of another type
    owner = await api.sign_up()
    member = await api.add_member(owner, name="Mia Member")
    for bad in ("garbage", gid("Department", 1)):
        cases: list[tuple[str, dict[str, Any], str]] = [
            (UPDATE, {"input": {"userId": bad, "displayName": "X"}}, "userId"),
            (UPDATE, {"input": {"userId": member.user_id, "managerId": bad}}, "managerId"),
            (
                CREATE,
                {"input": {"email": unique_email(), "displayName": "X", "managerId": bad}},
                "managerId",
            ),
            (
                CREATE,
                {"input": {"email": unique_email(), "displayName": "X", "departmentIds": [bad]}},
                "departmentIds",
            ),
            (DEACTIVATE, {"id": bad}, "userId"),
            (REACTIVATE, {"id": bad}, "userId"),
            (RESET, {"input": {"userId": bad}}, "userId"),
            (TRANSFER, {"id": bad}, "userId"),
        ]
        for query, variables, field in cases:
            # When a member sends it, the role is refused first, as for any existing user
            r = await api.post(query, variables, token=member.access_token)
            assert refusal(query, r.json()) == "FORBIDDEN", (bad, variables)
            # And the owner, who may act, learns that no such object exists, for that input
            r = await api.post(query, variables, token=owner.access_token)
            assert refusal_at(query, r.json()) == ("NOT_FOUND", field), (bad, variables)
    assert await audits(owner) == []


async def test_users_lists_filters_and_searches(api: Api) -> None:
    owner = await api.sign_up(name="Olga Owner")
    ann = await api.add_member(owner, name="Ann Lee")
    await api.add_member(owner, name="Bo Annis")
    await api.add_member(owner, name="Carl Smith")
    guest = await api.add_member(owner, name="Gus Guest")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    eng = await department(owner, "Engineering")
    await DepartmentMember.create(department_id=eng.id, user_id=pk(ann.user_id))

    async def names(token: str, **variables: Any) -> list[str]:
        conn = (await api.gql(USERS, variables, token=token))["users"]
        return [e["node"]["displayName"] for e in conn["edges"]]

    t = owner.access_token
    assert await names(t) == ["Ann Lee", "Bo Annis", "Carl Smith", "Gus Guest", "Olga Owner"]
    assert await names(t, search="ann") == ["Ann Lee", "Bo Annis"]
    assert await names(t, search="SMI") == ["Carl Smith"]
    # "member-" plus 7 random hex digits: a prefix of this email only.
    assert await names(t, search=ann.email[:14].upper()) == ["Ann Lee"]
    assert await names(t, search="%") == []
    assert await names(t, departmentId=gid("Department", eng.id)) == ["Ann Lee"]
    assert await names(t, role="GUEST") == ["Gus Guest"]
    page = (await api.gql(USERS, {"first": 2}, token=t))["users"]
    rest = await names(t, after=page["pageInfo"]["endCursor"])
    assert rest == ["Carl Smith", "Gus Guest", "Olga Owner"]

    # Guests may not list the directory; members may not ask for deactivated users.
    assert top_error((await api.post(USERS, token=guest.access_token)).json()) == "FORBIDDEN"
    r = await api.post(USERS, {"includeDeactivated": True}, token=ann.access_token)
    assert top_error(r.json()) == "FORBIDDEN"
    assert (await api.gql(USER, {"id": ann.user_id}, token=guest.access_token))["user"] is None
    assert (await api.gql(USER, {"id": guest.user_id}, token=guest.access_token))["user"] == {
        "id": guest.user_id,
        "displayName": "Gus Guest",
    }
    # Another organization's department is NOT_FOUND.
    other = await api.sign_up()
    r = await api.post(USERS, {"departmentId": gid("Department", eng.id)}, token=other.access_token)
    assert top_error(r.json()) == "NOT_FOUND"


async def test_users_query_count_does_not_grow_with_the_page(api: Api) -> None:
    owner = await api.sign_up(name="Aaron Owner")
    dept = await department(owner, "Ops")
    for i in range(8):
        m = await api.add_member(owner, name=f"Member {i}")
        await User.filter(id=pk(m.user_id)).update(manager_id=pk(owner.user_id))
        await DepartmentMember.create(department_id=dept.id, user_id=pk(m.user_id))
    query = """query($first: Int) { users(first: $first) { edges { node {
      id manager { id displayName } departments { name } mustChangePassword
      sessions { id } organization { id } } } } }"""
    counts = []
    for first in (2, 9):
        with count_queries() as statements:
            data = await api.gql(query, {"first": first}, token=owner.access_token)
        assert len(data["users"]["edges"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
