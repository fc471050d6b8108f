"""Issue 10, item 3: an access token alone cannot set the account's password.

``passwordReset`` of your own account needed no current password and ended the other sessions,
so a stolen 15-minute token of an owner or admin became the account for good. Now a reset is
for others only (SELF: your own goes through ``passwordChange``), and every reset is audited
and tells the account on its own live stream before its sessions end. There is no mail yet.
"""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.identity import AuthSession, Role, User
from server.sockets import REVOKED_CLOSE_CODE
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.drive.sharing_helpers import with_role

RESET = """mutation($i: PasswordResetInput!) { passwordReset(input: $i) {
  user { id } temporaryPassword errors { code field message } } }"""
STREAM = """subscription { viewerEvents { __typename
  ... on PasswordResetByAdmin { at resetBy { id } } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def account_state(who: Account) -> tuple[Any, ...]:
    user = await User.get(id=pk(who.user_id))
    live = await AuthSession.filter(user_id=user.id, revoked_at__isnull=True).count()
    audits = await AuditEntry.filter(target_id=user.id, action="user.password_reset").count()
    return user.password_hash, user.must_change_password, live, audits


async def test_nobody_resets_their_own_password(api: Api) -> None:
    # Given an owner and an admin, each signed in on two devices
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN, "Ann")
    for who in (owner, admin):
        await api.sign_in(who.email)  # the other device, which a takeover would end
        before = await account_state(who)
        # When they reset their own password with nothing but an access token
        for new_password in ("taken over for good", None):
            p = (
                await api.gql(
                    RESET,
                    {"i": {"userId": who.user_id, "newPassword": new_password}},
                    token=who.access_token,
                )
            )["passwordReset"]
            # Then it is refused, pointing at passwordChange
            assert [(e["code"], e["field"]) for e in p["errors"]] == [("SELF", "userId")]
            assert "passwordChange" in p["errors"][0]["message"]
            assert p["temporaryPassword"] is None
        # and nothing changed: same password, every session alive, nothing audited
        assert await account_state(who) == before
        await api.sign_in(who.email)


async def test_a_reset_is_audited_and_told_to_the_account_before_its_sessions_end(
    server: str, api: Api
) -> None:
    # Given Bob listening to his own stream
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN, "Ann")
    bob = await api.add_member(owner, name="Bob")
    ws = await WSClient.connect(server)
    try:
        ack = await ws.init({"authorization": f"Bearer {bob.access_token}"})
        assert ack["type"] == "connection_ack"
        await ws.subscribe(STREAM)
        await wait_subscribed(f"user:{pk(bob.user_id)}")

        # When an admin resets his password
        p = (await api.gql(RESET, {"i": {"userId": bob.user_id}}, token=admin.access_token))[
            "passwordReset"
        ]
        assert p["errors"] == [] and p["temporaryPassword"]
        # (his token is dead at once; only the open socket waits for the notice to arrive)
        assert (await api.post("{ viewer { id } }", token=bob.access_token)).status_code == 401

        # Then his stream hears it, naming the admin, and then his socket is closed
        msg = await ws.receive(timeout=5)
        assert msg["type"] == "next", msg
        event = msg["payload"]["data"]["viewerEvents"]
        assert event["__typename"] == "PasswordResetByAdmin"
        assert event["resetBy"] == {"id": admin.user_id} and event["at"]
        assert await ws.closed_with() == REVOKED_CLOSE_CODE
    finally:
        await ws.close()
    # and the audit log has it, by the admin, on Bob
    entry = await AuditEntry.get(action="user.password_reset", target_id=pk(bob.user_id))
    assert entry.actor_id == pk(admin.user_id)
