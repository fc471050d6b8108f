"""Invitations end to end: create (admins only), accept (single use, within seven days), revoke,
the domain rule, idempotent retries, tenancy, and the audit entries they write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry.relay import GlobalID

from models.admin import AuditEntry, Department, DepartmentMember, Invitation
from models.identity import Organization, Role, User
from resolvers.identity.tokens import token_hash
from tests.client import PASSWORD, Account, Api, unique_email
from tests.errors import refusal

CREATE = """mutation($input: InvitationCreateInput!) { invitationCreate(input: $input) {
  invitation { id email role status expiresAt createdAt invitedBy { id } departments { id name } }
  token errors { code field message } } }"""
REVOKE = """mutation($id: ID!) { invitationRevoke(input: {invitationId: $id}) {
  invitation { id status } errors { code field } } }"""
ACCEPT = """mutation($input: InvitationAcceptInput!) { invitationAccept(input: $input) {
  accessToken refreshToken viewer { id email role displayName departments { id } }
  organization { id } errors { code field } } }"""
LIST = """query($status: InvitationStatus, $first: Int, $after: String) {
  invitations(status: $status, first: $first, after: $after) {
    edges { node { id email status } } pageInfo { hasNextPage endCursor } } }"""
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Invitation { email } } }"


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


async def with_role(api: Api, owner: Account, role: Role, name: str = "Someone") -> Account:
    account = await api.add_member(owner, name=name)
    await User.filter(id=pk(account.user_id)).update(role=role)
    return account


async def invite(api: Api, admin: Account, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"email": unique_email("invitee"), "role": "MEMBER"}
    values.update(fields)
    return (await api.gql(CREATE, {"input": values}, token=admin.access_token))["invitationCreate"]


async def accept(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    values = {"token": token, "displayName": "Newcomer", "password": PASSWORD}
    values.update(fields)
    return (await api.gql(ACCEPT, {"input": values}))["invitationAccept"]


async def entries(org_gid: str) -> list[AuditEntry]:
    return await AuditEntry.filter(organization_id=pk(org_gid)).order_by("id")


async def test_admin_invites_and_the_invitee_joins_signed_in(api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    admin = await with_role(api, owner, Role.ADMIN, "Admin")
    dept = await Department.create(organization_id=pk(owner.organization_id), name="Sales")
    dept_gid = str(GlobalID("Department", str(dept.id)))
    await Organization.filter(id=pk(owner.organization_id)).update(default_time_zone="Asia/Tokyo")
    email = unique_email("invitee")

    created = await invite(api, admin, email=email.upper(), role="ADMIN", departmentIds=[dept_gid])

    assert created["errors"] == []
    inv = created["invitation"]
    assert inv["email"] == email and inv["role"] == "ADMIN" and inv["status"] == "PENDING"
    assert inv["invitedBy"] == {"id": admin.user_id}
    assert inv["departments"] == [{"id": dept_gid, "name": "Sales"}]
    expires = datetime.fromisoformat(inv["expiresAt"])
    assert abs(expires - datetime.now(UTC) - timedelta(days=7)) < timedelta(minutes=1)
    token = created["token"]
    assert token.startswith("hli_")
    stored = await Invitation.get(id=pk(inv["id"]))
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash

    joined = await accept(api, token, displayName="  Grace  ")

    assert joined["errors"] == []
    assert joined["organization"] == {"id": owner.organization_id}
    viewer = joined["viewer"]
    assert viewer["email"] == email and viewer["role"] == "ADMIN"
    assert viewer["displayName"] == "Grace"
    me = await api.gql("{ viewer { id departments { id } } }", token=joined["accessToken"])
    assert me["viewer"] == {"id": viewer["id"], "departments": [{"id": dept_gid}]}
    user = await User.get(id=pk(viewer["id"]))
    assert user.time_zone == "Asia/Tokyo" and user.is_active
    stored = await Invitation.get(id=pk(inv["id"]))
    assert stored.accepted_at is not None and stored.accepted_user_id == user.id
    listed = await api.gql(LIST, {"status": "ACCEPTED"}, token=owner.access_token)
    assert [e["node"]["id"] for e in listed["invitations"]["edges"]] == [inv["id"]]

    log = await entries(owner.organization_id)
    assert [(e.action, e.actor_id, e.target_type, e.target_id) for e in log] == [
        ("invitation.create", pk(admin.user_id), "invitation", stored.id),
        ("invitation.accept", user.id, "invitation", stored.id),
    ]
    assert log[0].before is None
    assert log[0].after is not None
    assert {k: v for k, v in log[0].after.items() if k != "expires_at"} == {
        "email": email,
        "role": "ADMIN",
        "department_ids": [dept.id],
    }
    assert log[1].before == {"accepted_at": None}
    assert log[1].after == {
        "accepted_user_id": user.id,
        "email": email,
        "role": "ADMIN",
        "department_ids": [dept.id],
    }


async def test_an_invitation_works_once(api: Api) -> None:
    owner = await api.sign_up()
    created = await invite(api, owner)
    assert (await accept(api, created["token"]))["errors"] == []
    again = await accept(api, created["token"], password="another long password")
    assert again["errors"] == [{"code": "INVITATION_USED", "field": "token"}]
    assert again["accessToken"] is None
    assert await User.filter(email=created["invitation"]["email"]).count() == 1


async def test_two_concurrent_accepts_create_one_user(api: Api) -> None:
    owner = await api.sign_up()
    created = await invite(api, owner)
    results = await asyncio.gather(*(accept(api, created["token"]) for _ in range(4)))
    codes = sorted(e["code"] for r in results for e in r["errors"])
    assert sum(1 for r in results if r["errors"] == []) == 1
    assert set(codes) <= {"INVITATION_USED", "EMAIL_TAKEN"} and len(codes) == 3
    assert await User.filter(email=created["invitation"]["email"]).count() == 1
    accepts = [e for e in await entries(owner.organization_id) if e.action == "invitation.accept"]
    assert len(accepts) == 1


async def test_an_expired_invitation_is_useless(api: Api) -> None:
    owner = await api.sign_up()
    created = await invite(api, owner)
    inv_pk = pk(created["invitation"]["id"])
    await Invitation.filter(id=inv_pk).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    result = await accept(api, created["token"])

    assert result["errors"] == [{"code": "INVITATION_EXPIRED", "field": "token"}]
    assert not await User.filter(email=created["invitation"]["email"]).exists()
    assert (await Invitation.get(id=inv_pk)).accepted_at is None
    assert [e.action for e in await entries(owner.organization_id)] == ["invitation.create"]
    expired = await api.gql(LIST, {"status": "EXPIRED"}, token=owner.access_token)
    assert [e["node"]["status"] for e in expired["invitations"]["edges"]] == ["EXPIRED"]
    pending = await api.gql(LIST, {"status": "PENDING"}, token=owner.access_token)
    assert pending["invitations"]["edges"] == []


async def test_a_revoked_invitation_is_useless(api: Api) -> None:
    owner = await api.sign_up()
    created = await invite(api, owner)
    inv_id = created["invitation"]["id"]

    revoked = (await api.gql(REVOKE, {"id": inv_id}, token=owner.access_token))["invitationRevoke"]

    assert revoked == {"invitation": {"id": inv_id, "status": "REVOKED"}, "errors": []}
    result = await accept(api, created["token"])
    assert result["errors"] == [{"code": "INVITATION_REVOKED", "field": "token"}]
    assert not await User.filter(email=created["invitation"]["email"]).exists()
    # Revoking again changes nothing and records nothing.
    again = (await api.gql(REVOKE, {"id": inv_id}, token=owner.access_token))["invitationRevoke"]
    assert again["invitation"]["status"] == "REVOKED"
    log = await entries(owner.organization_id)
    assert [(e.action, e.actor_id, e.target_id) for e in log] == [
        ("invitation.create", pk(owner.user_id), pk(inv_id)),
        ("invitation.revoke", pk(owner.user_id), pk(inv_id)),
    ]
    assert log[1].before == {"revoked_at": None}
    assert log[1].after is not None and log[1].after["revoked_at"] is not None


async def test_an_accepted_invitation_cannot_be_revoked(api: Api) -> None:
    owner = await api.sign_up()
    created = await invite(api, owner)
    await accept(api, created["token"])
    inv_id = created["invitation"]["id"]
    result = (await api.gql(REVOKE, {"id": inv_id}, token=owner.access_token))["invitationRevoke"]
    assert result == {
        "invitation": None,
        "errors": [{"code": "ALREADY_ACCEPTED", "field": "invitationId"}],
    }
    assert (await Invitation.get(id=pk(inv_id))).revoked_at is None


async def test_bad_tokens_and_bad_passwords(api: Api) -> None:
    owner = await api.sign_up()
    created = await invite(api, owner)
    for token in ("hli_unknown", "nonsense", "hli_" + "x" * 500):
        assert (await accept(api, token))["errors"] == [
            {"code": "INVALID_INVITATION", "field": "token"}
        ]
    weak = await accept(api, created["token"], password="short", displayName="")
    assert sorted(e["code"] for e in weak["errors"]) == ["INVALID_NAME", "WEAK_PASSWORD"]
    same = await accept(api, created["token"], password=created["invitation"]["email"])
    assert same["errors"] == [{"code": "WEAK_PASSWORD", "field": "password"}]
    # Nothing was used up: the invitation still works.
    assert (await accept(api, created["token"]))["errors"] == []


async def test_create_validation(api: Api) -> None:
    owner = await api.sign_up()
    taken = await invite(api, owner, email=owner.email)
    assert taken["errors"] == [
        {"code": "EMAIL_TAKEN", "field": "email", "message": taken["errors"][0]["message"]}
    ]
    as_owner = await invite(api, owner, role="OWNER")
    assert [e["code"] for e in as_owner["errors"]] == ["INVALID_ROLE"]
    bad = await invite(api, owner, email="not an email")
    assert [e["code"] for e in bad["errors"]] == ["INVALID_EMAIL"]
    assert taken["invitation"] is None and taken["token"] is None
    assert not await Invitation.filter(organization_id=pk(owner.organization_id)).exists()
    assert await entries(owner.organization_id) == []


async def test_allowed_email_domains(api: Api) -> None:
    owner = await api.sign_up()
    await Organization.filter(id=pk(owner.organization_id)).update(
        allowed_email_domains=["acme.test", "Example.Test"]
    )
    refused = await invite(api, owner, email="someone@elsewhere.test")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("DOMAIN_NOT_ALLOWED", "email")]
    sub = await invite(api, owner, email="someone@sub.acme.test")
    assert [e["code"] for e in sub["errors"]] == ["DOMAIN_NOT_ALLOWED"]
    assert not await Invitation.filter(organization_id=pk(owner.organization_id)).exists()
    ok = await invite(api, owner, email=unique_email("fine"))  # @example.test, any case
    assert ok["errors"] == []


async def test_a_retry_with_the_same_key_returns_the_first_invitation(api: Api) -> None:
    owner = await api.sign_up()
    email = unique_email("retry")
    first = await invite(api, owner, email=email, idempotencyKey="k-1")
    second = await invite(api, owner, email=email, idempotencyKey="k-1")
    assert first["errors"] == second["errors"] == []
    assert second["invitation"]["id"] == first["invitation"]["id"]
    assert second["token"] == first["token"]
    assert await Invitation.filter(organization_id=pk(owner.organization_id)).count() == 1
    assert len(await entries(owner.organization_id)) == 1
    # Even after the invitation was used, the retry answers with it rather than EMAIL_TAKEN.
    assert (await accept(api, first["token"]))["errors"] == []
    third = await invite(api, owner, email=email, idempotencyKey="k-1")
    assert third["errors"] == [] and third["invitation"]["status"] == "ACCEPTED"
    other = await invite(api, owner, idempotencyKey="k-2")
    assert other["token"] != first["token"]


async def test_members_and_guests_may_not_manage_invitations(api: Api) -> None:
    owner = await api.sign_up()
    existing = await invite(api, owner)
    inv_id = existing["invitation"]["id"]
    before = await Invitation.filter(organization_id=pk(owner.organization_id)).count()
    log_before = len(await entries(owner.organization_id))
    member = await with_role(api, owner, Role.MEMBER, "Member")
    guest = await with_role(api, owner, Role.GUEST, "Guest")
    for who in (member, guest, None):
        token = who.access_token if who else None
        code = "FORBIDDEN" if who else "UNAUTHENTICATED"
        variables = {"input": {"email": unique_email("x"), "role": "MEMBER"}}
        for query, v in ((CREATE, variables), (REVOKE, {"id": inv_id}), (LIST, {})):
            body = (await api.post(query, v, token=token)).json()
            assert refusal(query, body) == code, (query, body)
        node = await api.gql(NODE, {"id": inv_id}, token=token)
        assert node["node"] is None
    assert await Invitation.filter(organization_id=pk(owner.organization_id)).count() == before
    assert (await Invitation.get(id=pk(inv_id))).revoked_at is None
    assert len(await entries(owner.organization_id)) == log_before


async def test_another_organization_sees_and_changes_nothing(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    b = await api.sign_up(organization="Beta")
    created = await invite(api, a)
    inv_id = created["invitation"]["id"]
    dept_a = await Department.create(organization_id=pk(a.organization_id), name="A-only")

    assert (await api.gql(NODE, {"id": inv_id}, token=b.access_token))["node"] is None
    listed = await api.gql(LIST, {}, token=b.access_token)
    assert listed["invitations"]["edges"] == []
    body = (await api.post(REVOKE, {"id": inv_id}, token=b.access_token)).json()
    assert refusal(REVOKE, body) == "NOT_FOUND"
    foreign_dept = str(GlobalID("Department", str(dept_a.id)))
    for dept_ids in ([foreign_dept], ["garbage"], [str(GlobalID("User", "1"))]):
        body = (
            await api.post(
                CREATE,
                {"input": {"email": unique_email(), "role": "MEMBER", "departmentIds": dept_ids}},
                token=b.access_token,
            )
        ).json()
        assert refusal(CREATE, body) == "NOT_FOUND", body
    for bad_id in ("garbage", str(GlobalID("User", str(pk(inv_id))))):
        body = (await api.post(REVOKE, {"id": bad_id}, token=a.access_token)).json()
        assert refusal(REVOKE, body) == "NOT_FOUND"

    assert (await Invitation.get(id=pk(inv_id))).revoked_at is None
    assert not await Invitation.filter(organization_id=pk(b.organization_id)).exists()
    assert await entries(b.organization_id) == []
    assert [e.action for e in await entries(a.organization_id)] == ["invitation.create"]
    # The owner of A sees it.
    assert (await api.gql(NODE, {"id": inv_id}, token=a.access_token))["node"]["id"] == inv_id


async def test_invitations_page_newest_first_and_filter_by_status(api: Api) -> None:
    owner = await api.sign_up()
    ids = [(await invite(api, owner))["invitation"]["id"] for _ in range(5)]
    await api.gql(REVOKE, {"id": ids[0]}, token=owner.access_token)
    seen: list[str] = []
    after = None
    while True:
        page = (await api.gql(LIST, {"first": 2, "after": after}, token=owner.access_token))[
            "invitations"
        ]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids[::-1]
    pending = await api.gql(LIST, {"status": "PENDING"}, token=owner.access_token)
    assert [e["node"]["id"] for e in pending["invitations"]["edges"]] == ids[:0:-1]
    revoked = await api.gql(LIST, {"status": "REVOKED"}, token=owner.access_token)
    assert [e["node"]["id"] for e in revoked["invitations"]["edges"]] == [ids[0]]


async def test_departments_of_the_invitation_are_kept_on_accept(api: Api) -> None:
    owner = await api.sign_up()
    keep = await Department.create(organization_id=pk(owner.organization_id), name="Keep")
    gone = await Department.create(organization_id=pk(owner.organization_id), name="Gone")
    created = await invite(
        api,
        owner,
        departmentIds=[str(GlobalID("Department", str(d.id))) for d in (keep, gone)],
    )
    await gone.delete()
    joined = await accept(api, created["token"])
    assert joined["errors"] == []
    user_pk = pk(joined["viewer"]["id"])
    assert [m.department_id for m in await DepartmentMember.filter(user_id=user_pk)] == [keep.id]
