"""Personal access tokens: created from one's own sign-in, shown once, listed without their
value, scoped, revoked at once (on every process, sockets closed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.apps.helpers import bot_token, create_app
from tests.client import Account, Api, WSClient
from tests.messenger.test_multiprocess import two_servers

CREATE = """mutation($input: PersonalAccessTokenCreateInput!) {
  personalAccessTokenCreate(input: $input) {
    personalAccessToken { id name scopes createdAt expiresAt }
    token
    errors { code field message }
  } }"""
REVOKE = """mutation($id: ID!) {
  personalAccessTokenRevoke(input: {personalAccessTokenId: $id}) {
    personalAccessToken { id name }
    errors { code field }
  } }"""
LIST = """{ viewerPersonalAccessTokens(first: 100) { nodes { id name scopes expiresAt } } }"""
VIEWER = "{ viewer { id displayName } }"


async def create(
    api: Api,
    token: str,
    *,
    name: str = "deploy script",
    scopes: list[str] | None = None,
    **more: Any,
) -> dict[str, Any]:
    variables = {"input": {"name": name, "scopes": scopes or ["profile:read"], **more}}
    r = await api.post(CREATE, variables, token=token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["personalAccessTokenCreate"]


async def listed(api: Api, account: Account) -> list[dict[str, Any]]:
    data = await api.gql(LIST, token=account.access_token)
    return data["viewerPersonalAccessTokens"]["nodes"]


async def test_a_token_is_shown_once_and_acts_as_its_owner_within_its_scopes(api: Api) -> None:
    # Given a member
    ada = await api.sign_up(name="Ada")
    # When she creates a token for a script that reads her profile, for 7 days
    made = await create(api, ada.access_token, scopes=["profile:read"], expiresInDays=7)
    # Then its value is an hlp_ token, and the token itself carries no value
    assert made["errors"] == []
    assert made["token"].startswith("hlp_")
    pat = made["personalAccessToken"]
    assert pat["name"] == "deploy script"
    assert pat["scopes"] == ["profile:read"]
    expires = datetime.fromisoformat(pat["expiresAt"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    # And the token signs in as Ada
    body = (await api.post(VIEWER, token=made["token"])).json()
    assert body["data"]["viewer"] == {"id": ada.user_id, "displayName": "Ada"}
    # And the list shows it, never its value
    r = await api.post(LIST, token=ada.access_token)
    assert [t["id"] for t in r.json()["data"]["viewerPersonalAccessTokens"]["nodes"]] == [pat["id"]]
    assert made["token"] not in r.text and "hlp_" not in r.text
    # And node(id:) finds it for her alone
    node = "query($id: ID!) { node(id: $id) { ... on PersonalAccessToken { name } } }"
    mine = await api.gql(node, {"id": pat["id"]}, token=ada.access_token)
    assert mine["node"] == {"name": "deploy script"}
    bob = await api.sign_up(name="Bob")
    theirs = await api.gql(node, {"id": pat["id"]}, token=bob.access_token)
    assert theirs["node"] is None


async def test_the_default_lifetime_is_thirty_days(api: Api) -> None:
    ada = await api.sign_up()
    made = await create(api, ada.access_token)
    expires = datetime.fromisoformat(made["personalAccessToken"]["expiresAt"])
    assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)


async def test_bad_input_is_a_typed_error_and_makes_nothing(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    cases = [
        (member, {"expiresInDays": 0}, "INVALID_EXPIRY", "expiresInDays"),
        (member, {"expiresInDays": 366}, "INVALID_EXPIRY", "expiresInDays"),
        (member, {"scopes": ["messenger:read", "mail:send"]}, "INVALID_SCOPE", "scopes"),
        (member, {"scopes": []}, "INVALID_SCOPE", "scopes"),
        (member, {"scopes": ["admin:write"]}, "SCOPE_NOT_ALLOWED", "scopes"),
        (member, {"name": "  "}, "INVALID_NAME", "name"),
    ]
    for who, change, code, field in cases:
        variables = {"input": {"name": "x", "scopes": ["profile:read"], **change}}
        body = (await api.post(CREATE, variables, token=who.access_token)).json()
        payload = body["data"]["personalAccessTokenCreate"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], change
        assert payload["token"] is None
    assert await listed(api, member) == []
    # An owner may ask for admin scopes
    made = await create(api, owner.access_token, scopes=["admin:read"])
    assert made["errors"] == []


async def test_a_token_may_not_create_tokens(api: Api) -> None:
    # Given a personal token with every scope a member has, and an app's bot token
    owner = await api.sign_up()
    pat = (await create(api, owner.access_token, scopes=["profile:read", "profile:write"]))["token"]
    app = await create_app(owner, scopes=["profile:read", "profile:write"])
    bot = await bot_token(app)
    for token in (pat, bot):
        # When the token asks for a new token
        made = await create(api, token)
        # Then it is refused in the payload, and nothing was made
        assert [e["code"] for e in made["errors"]] == ["FORBIDDEN"]
        assert made["token"] is None
    assert len(await listed(api, owner)) == 1


async def test_a_retry_with_the_same_key_returns_the_same_token(api: Api) -> None:
    ada = await api.sign_up()
    first = await create(api, ada.access_token, idempotencyKey="k-1")
    again = await create(api, ada.access_token, idempotencyKey="k-1")
    assert again == first
    other = await create(api, ada.access_token, name="other", idempotencyKey="k-1")
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(await listed(api, ada)) == 1


async def test_revoking_stops_the_token_at_once_and_hides_it(api: Api) -> None:
    # Given a token that was used (so the server remembers it)
    ada = await api.sign_up()
    made = await create(api, ada.access_token)
    assert (await api.post(VIEWER, token=made["token"])).status_code == 200
    # When Ada revokes it
    out = await api.gql(REVOKE, {"id": made["personalAccessToken"]["id"]}, token=ada.access_token)
    assert out["personalAccessTokenRevoke"]["errors"] == []
    # Then it is refused, and no longer listed
    r = await api.post(VIEWER, token=made["token"])
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await listed(api, ada) == []
    # And revoking it again is NOT_FOUND
    again = await api.gql(REVOKE, {"id": made["personalAccessToken"]["id"]}, token=ada.access_token)
    assert [e["code"] for e in again["personalAccessTokenRevoke"]["errors"]] == ["NOT_FOUND"]


async def test_someone_elses_token_is_not_found_and_keeps_working(api: Api) -> None:
    ada = await api.sign_up()
    made = await create(api, ada.access_token)
    mallory = await api.add_member(ada, name="Mallory")
    out = await api.gql(
        REVOKE, {"id": made["personalAccessToken"]["id"]}, token=mallory.access_token
    )
    assert [e["code"] for e in out["personalAccessTokenRevoke"]["errors"]] == ["NOT_FOUND"]
    assert (await api.post(VIEWER, token=made["token"])).json()["data"]["viewer"]["id"] == (
        ada.user_id
    )


async def test_a_token_closes_its_sockets_when_revoked(api: Api, server: str) -> None:
    # Given a socket signed in with a personal token
    ada = await api.sign_up()
    made = await create(api, ada.access_token, scopes=["profile:read"])
    ws = await WSClient.connect(server)
    try:
        ack = await ws.init({"authorization": f"Bearer {made['token']}"})
        assert ack["type"] == "connection_ack"
        # When Ada revokes the token
        await api.gql(REVOKE, {"id": made["personalAccessToken"]["id"]}, token=ada.access_token)
        # Then the server closes the socket
        assert await ws.closed_with(timeout=5) is not None
    finally:
        await ws.close()


async def test_a_revoked_token_stops_on_every_process(tmp_path: object) -> None:
    """Two ``hello serve`` on one PostgreSQL and Redis: B has the token in its auth cache when
    A revokes it, and refuses it at once all the same."""
    async with (
        asyncio.timeout(120),
        two_servers(str(tmp_path)) as (url_a, url_b),
        Api(url_a) as api_a,
        Api(url_b) as api_b,
    ):
        ada = await api_a.sign_up()
        made = await create(api_a, ada.access_token)
        token = made["token"]
        assert (await api_b.post(VIEWER, token=token)).json()["data"]["viewer"]["id"] == (
            ada.user_id
        )
        ws = await WSClient.connect(url_b)
        try:
            assert (await ws.init({"authorization": f"Bearer {token}"}))["type"] == (
                "connection_ack"
            )
            out = await api_a.gql(
                REVOKE, {"id": made["personalAccessToken"]["id"]}, token=ada.access_token
            )
            assert out["personalAccessTokenRevoke"]["errors"] == []
            # B's socket closes, and B refuses the token from then on
            assert await ws.closed_with(timeout=10) is not None
            assert (await api_b.post(VIEWER, token=token)).status_code == 401
        finally:
            await ws.close()
