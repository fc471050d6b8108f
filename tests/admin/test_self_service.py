"""Self-service end to end: your own profile, password and sessions, and who may read whose
sessions. None of it writes to the audit log."""

from __future__ import annotations

from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.identity import AuthSession, Role, User
from resolvers.identity.passwords import verify_password
from tests.client import PASSWORD, Account, Api, WSClient
from tests.errors import refusal

VIEWER_UPDATE = """mutation($input: ViewerUpdateInput!) { viewerUpdate(input: $input) {
  viewer { id displayName timeZone locale } errors { code field } } }"""
PASSWORD_CHANGE = """mutation($input: PasswordChangeInput!) { passwordChange(input: $input) {
  viewer { id mustChangePassword } errors { code field } } }"""
SESSIONS = "{ viewer { sessions { id createdAt userAgent ip current revokedAt } } }"
USER_SESSIONS = "query($id: ID!) { user(id: $id) { sessions { id current } } }"
REVOKE = """mutation($id: ID!) { sessionRevoke(input: {sessionId: $id}) {
  session { id revokedAt current } errors { code field } } }"""
VIEWER = "{ viewer { id } }"


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def no_audit(account: Account) -> bool:
    return not await AuditEntry.filter(organization_id=pk(account.organization_id)).exists()


async def test_viewer_update_changes_only_yourself(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner, name="Mo")
    data = await api.gql(
        VIEWER_UPDATE,
        {"input": {"displayName": " Mo Salah ", "timeZone": "America/New_York", "locale": "ar"}},
        token=member.access_token,
    )
    assert data["viewerUpdate"] == {
        "viewer": {
            "id": member.user_id,
            "displayName": "Mo Salah",
            "timeZone": "America/New_York",
            "locale": "ar",
        },
        "errors": [],
    }
    bad = (
        await api.gql(
            VIEWER_UPDATE,
            {"input": {"timeZone": "Nowhere/Land", "locale": "??", "displayName": ""}},
            token=member.access_token,
        )
    )["viewerUpdate"]
    assert {(e["code"], e["field"]) for e in bad["errors"]} == {
        ("INVALID_TIME_ZONE", "timeZone"),
        ("INVALID_LOCALE", "locale"),
        ("INVALID_NAME", "displayName"),
    }
    row = await User.get(id=pk(member.user_id))
    assert (row.display_name, row.time_zone, row.locale) == ("Mo Salah", "America/New_York", "ar")
    assert await no_audit(owner)
    anonymous = (await api.post(VIEWER_UPDATE, {"input": {"displayName": "X"}})).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_password_change_keeps_this_session_and_ends_the_others(api: Api) -> None:
    account = await api.sign_up()
    other = await api.sign_in(account.email)
    wrong = (
        await api.gql(
            PASSWORD_CHANGE,
            {"input": {"currentPassword": "not it at all", "newPassword": "new secret 123"}},
            token=account.access_token,
        )
    )["passwordChange"]
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [
        ("WRONG_PASSWORD", "currentPassword")
    ]
    for new, code in (("short", "WEAK_PASSWORD"), (PASSWORD, "SAME_PASSWORD")):
        p = (
            await api.gql(
                PASSWORD_CHANGE,
                {"input": {"currentPassword": PASSWORD, "newPassword": new}},
                token=account.access_token,
            )
        )["passwordChange"]
        assert [(e["code"], e["field"]) for e in p["errors"]] == [(code, "newPassword")]
    user = await User.get(id=pk(account.user_id))
    assert await verify_password(user.password_hash, PASSWORD)
    assert (await api.post(VIEWER, token=other.access_token)).status_code == 200

    ok = (
        await api.gql(
            PASSWORD_CHANGE,
            {"input": {"currentPassword": PASSWORD, "newPassword": "new secret 123"}},
            token=account.access_token,
        )
    )["passwordChange"]
    assert ok == {"viewer": {"id": account.user_id, "mustChangePassword": False}, "errors": []}
    assert (await api.post(VIEWER, token=account.access_token)).status_code == 200
    assert (await api.post(VIEWER, token=other.access_token)).status_code == 401
    await api.sign_in(account.email, "new secret 123")
    assert await no_audit(account)


async def test_wrong_current_passwords_are_throttled(api: Api) -> None:
    account = await api.sign_up()
    codes = []
    for i in range(6):
        p = (
            await api.gql(
                PASSWORD_CHANGE,
                {"input": {"currentPassword": f"guess number {i}", "newPassword": "x" * 12}},
                token=account.access_token,
            )
        )["passwordChange"]
        codes.append(p["errors"][0]["code"])
    assert codes == ["WRONG_PASSWORD"] * 5 + ["THROTTLED"]


async def test_sessions_are_listed_for_yourself_and_by_the_matrix(api: Api) -> None:
    owner = await api.sign_up()
    second = await api.sign_in(owner.email)
    admin = await api.add_member(owner, name="Admin")
    await User.filter(id=pk(admin.user_id)).update(role=Role.ADMIN)
    member = await api.add_member(owner, name="Member")

    mine = (await api.gql(SESSIONS, token=owner.access_token))["viewer"]["sessions"]
    assert len(mine) == 2
    assert [s["current"] for s in mine] == [False, True]  # newest first: `second` signed in last
    assert mine[0]["ip"] == "127.0.0.1" and mine[0]["revokedAt"] is None
    assert "python-httpx" in mine[0]["userAgent"]

    def seen(data: dict[str, object]) -> object:
        user = data["user"]
        assert isinstance(user, dict)
        return user["sessions"]

    # Members read only their own; admins everyone's but the owner's; the owner everyone's.
    assert (
        seen(await api.gql(USER_SESSIONS, {"id": admin.user_id}, token=member.access_token)) is None
    )
    assert (
        seen(await api.gql(USER_SESSIONS, {"id": owner.user_id}, token=admin.access_token)) is None
    )
    member_sessions = seen(
        await api.gql(USER_SESSIONS, {"id": member.user_id}, token=admin.access_token)
    )
    assert isinstance(member_sessions, list) and len(member_sessions) == 1
    assert seen(await api.gql(USER_SESSIONS, {"id": admin.user_id}, token=owner.access_token))
    # node() follows the same rule.
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await api.gql(node, {"id": mine[0]["id"]}, token=admin.access_token))["node"] is None
    assert (await api.gql(node, {"id": mine[0]["id"]}, token=second.access_token))["node"] == {
        "id": mine[0]["id"]
    }
    other_org = await api.sign_up()
    assert (await api.gql(node, {"id": mine[0]["id"]}, token=other_org.access_token))[
        "node"
    ] is None


async def test_session_revoke_ends_one_of_your_sessions(server: str, api: Api) -> None:
    account = await api.sign_up()
    phone = await api.sign_in(account.email)
    stranger = await api.add_member(account)
    mine = (await api.gql(SESSIONS, token=account.access_token))["viewer"]["sessions"]
    phone_session = next(s["id"] for s in mine if not s["current"])

    # Nobody else can end it, not even the owner's admin: NOT_FOUND, nothing changes.
    r = (await api.post(REVOKE, {"id": phone_session}, token=stranger.access_token)).json()
    assert refusal(REVOKE, r) == "NOT_FOUND"
    assert not await AuthSession.filter(id=pk(phone_session), revoked_at__isnull=False).exists()

    ws = await WSClient.connect(server)
    assert (await ws.init({"authorization": f"Bearer {phone.access_token}"}))["type"] == (
        "connection_ack"
    )
    try:
        p = (await api.gql(REVOKE, {"id": phone_session}, token=account.access_token))[
            "sessionRevoke"
        ]
        assert p["errors"] == [] and p["session"]["id"] == phone_session
        assert p["session"]["revokedAt"] is not None and p["session"]["current"] is False
        assert await ws.closed_with(timeout=5) == 4403
    finally:
        await ws.close()
    assert (await api.post(VIEWER, token=phone.access_token)).status_code == 401
    assert (await api.post(VIEWER, token=account.access_token)).status_code == 200
    again = (await api.gql(REVOKE, {"id": phone_session}, token=account.access_token))[
        "sessionRevoke"
    ]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_REVOKED"]
    assert await no_audit(account)
