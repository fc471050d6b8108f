"""Apps through GraphQL: creating one with its bot and a secret shown once, listing, reading
by ID with tenancy, changing, rotating the secret, disabling, and what people authorized."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.apps import App
from models.identity import AuthSession, Role
from tests.apps.helpers import app_global_id, bot_token, create_app, user_pk
from tests.apps.oauth_flow import REDIRECT_URI, authorize_url, browser, consent, oauth_client
from tests.client import Account, Api, unique_email
from tests.members import add_member

APP_FIELDS = """id name description scopes redirectUris clientId createdAt updatedAt disabledAt
  botUser { id displayName isBot }"""
CREATE = f"""mutation($input: AppCreateInput!) {{ appCreate(input: $input) {{
  app {{ {APP_FIELDS} }} clientSecret errors {{ code field message }} }} }}"""
UPDATE = """mutation($input: AppUpdateInput!) { appUpdate(input: $input) {
  app { id name scopes redirectUris } errors { code field } } }"""
ROTATE = """mutation($input: AppSecretRotateInput!) { appSecretRotate(input: $input) {
  app { id } clientSecret errors { code } } }"""
DISABLE = """mutation($input: AppDisableInput!) { appDisable(input: $input) {
  app { id disabledAt } errors { code } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on App { id name clientId } } }"
APPS = "{ apps(first: 10) { edges { node { id name } } } }"
VIEWER = "{ viewer { id } }"


def _input(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Standup bot",
        "description": "Posts the daily standup.",
        "scopes": ["messenger:write", "messenger:read"],
        "redirectUris": [REDIRECT_URI],
    }
    base.update(overrides)
    return {"input": base}


async def _app_count(account: Account) -> int:
    org = int(GlobalID.from_id(account.organization_id).node_id)
    return await App.filter(organization_id=org).count()


async def test_an_admin_creates_an_app_with_its_bot_and_a_secret_shown_once(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    data = await api.gql(CREATE, _input(), token=owner.access_token)
    p = data["appCreate"]
    assert p["errors"] == []
    app = p["app"]
    assert p["clientSecret"].startswith("hls_")
    assert app["clientId"].startswith("hlc_")
    assert app["scopes"] == ["messenger:read", "messenger:write"]
    assert app["redirectUris"] == [REDIRECT_URI]
    assert app["disabledAt"] is None
    assert app["botUser"]["isBot"] is True and app["botUser"]["displayName"] == "Standup bot"
    # The secret is nowhere to be read again, and the app is in the list
    listed = await api.gql(APPS, token=owner.access_token)
    assert [e["node"]["id"] for e in listed["apps"]["edges"]] == [app["id"]]
    row = await App.get(client_id=app["clientId"])
    assert p["clientSecret"] not in (row.client_secret_hash, str(row.__dict__))
    # The act is audited, without the secret
    entry = await AuditEntry.get(target_type="app", target_id=row.id)
    assert entry.action == "app.create" and entry.actor_id == user_pk(owner)
    assert entry.after is not None and entry.after["client_id"] == app["clientId"]
    assert p["clientSecret"] not in str(entry.after)


async def test_a_retry_with_the_same_key_answers_the_same_app_without_its_secret(
    api: Api,
) -> None:
    owner = await api.sign_up(name="Olga")
    variables = _input(idempotencyKey="k1")
    first = (await api.gql(CREATE, variables, token=owner.access_token))["appCreate"]
    again = (await api.gql(CREATE, variables, token=owner.access_token))["appCreate"]
    assert again["errors"] == []
    assert again["app"]["id"] == first["app"]["id"]
    assert first["clientSecret"] and again["clientSecret"] is None
    assert await _app_count(owner) == 1
    other = (
        await api.gql(CREATE, _input(idempotencyKey="k1", name="Other"), token=owner.access_token)
    )["appCreate"]
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await _app_count(owner) == 1


async def test_bad_input_and_members_create_nothing(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    cases = [
        (owner, _input(scopes=["messenger:read", "teleport:write"]), "INVALID_SCOPE", "scopes"),
        (
            owner,
            _input(redirectUris=["http://example.com/cb"]),
            "INVALID_REDIRECT_URI",
            "redirectUris.0",
        ),
        (
            owner,
            _input(redirectUris=["https://example.com/cb#x"]),
            "INVALID_REDIRECT_URI",
            "redirectUris.0",
        ),
        (owner, _input(name=" "), "INVALID_NAME", "name"),
        (owner, _input(description="x" * 501), "INVALID_DESCRIPTION", "description"),
        (member, _input(), "FORBIDDEN", None),
    ]
    for account, variables, code, field in cases:
        p = (await api.gql(CREATE, variables, token=account.access_token))["appCreate"]
        assert p["app"] is None and p["clientSecret"] is None
        assert [(e["code"], e["field"]) for e in p["errors"]] == [(code, field)], variables
    assert await _app_count(owner) == 0
    denied = await api.post(APPS, token=member.access_token)
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_node_follows_tenancy_and_roles(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner)
    gid = app_global_id(created)
    org = int(GlobalID.from_id(owner.organization_id).node_id)
    guest_email = unique_email("guest")
    await add_member(
        org, email=guest_email, password=owner.password, display_name="Gil", role=Role.GUEST
    )
    guest = await api.sign_in(guest_email)
    stranger = await api.sign_up(name="Sam", organization="Other")
    for account, visible in ((owner, True), (member, True), (guest, False), (stranger, False)):
        node = (await api.gql(NODE, {"id": gid}, token=account.access_token))["node"]
        assert (node is not None) == visible, account.email
    # Another organization's app is NOT_FOUND to change, and stays as it was
    for mutation, extra in ((UPDATE, {"name": "Mine now"}), (ROTATE, {}), (DISABLE, {})):
        data = await api.gql(
            mutation, {"input": {"appId": gid, **extra}}, token=stranger.access_token
        )
        payload = next(iter(data.values()))
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    row = await App.get(id=created.app.id)
    assert row.name == created.app.name and row.disabled_at is None
    assert row.client_secret_hash == created.app.client_secret_hash


async def test_update_narrows_the_scopes_of_live_tokens(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner, scopes=["messenger:read", "messenger:write"])
    token = await bot_token(created)
    data = await api.gql(
        UPDATE,
        {
            "input": {
                "appId": app_global_id(created),
                "name": "Renamed",
                "scopes": ["messenger:read"],
            }
        },
        token=owner.access_token,
    )
    assert data["appUpdate"]["errors"] == []
    assert data["appUpdate"]["app"]["scopes"] == ["messenger:read"]
    session = await AuthSession.get(app_id=created.app.id)
    assert session.scopes == ["messenger:read"]
    me = await api.gql("{ viewer { displayName } }", token=token)
    assert me["viewer"]["displayName"] == "Renamed"


async def test_rotating_the_secret_refuses_the_old_one_at_once(api: Api, server: str) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner)
    data = await api.gql(
        ROTATE, {"input": {"appId": app_global_id(created)}}, token=owner.access_token
    )
    new_secret = data["appSecretRotate"]["clientSecret"]
    assert new_secret.startswith("hls_") and new_secret != created.client_secret
    old = await api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.app.client_id, created.client_secret),
    )
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    new = await api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.app.client_id, new_secret),
    )
    assert new.status_code == 200


async def test_disabling_revokes_every_token_and_refuses_grants(api: Api, server: str) -> None:
    # Given an app with a tenant token and a member's token
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner, redirect_uris=[REDIRECT_URI])
    tenant = await bot_token(created)
    client = oauth_client(server, created, scope="messenger:read")
    url, _, verifier = authorize_url(server, client)
    async with browser(server) as b:
        redirect = await consent(b, url, member.email, member.password)
    async with client:
        token = await client.fetch_token(
            "/oauth/token",
            code_verifier=verifier,
            authorization_response=redirect.headers["location"],
        )
    # When an admin disables it
    gid = app_global_id(created)
    data = await api.gql(DISABLE, {"input": {"appId": gid}}, token=owner.access_token)
    assert data["appDisable"]["app"]["disabledAt"] is not None
    audited = await AuditEntry.filter(target_type="app", target_id=created.app.id)
    assert [e.action for e in audited] == ["app.disable"]
    # Then its tokens stop working at once, and every grant is refused
    for t in (tenant, token["access_token"]):
        r = await api.post(VIEWER, token=t)
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.app.client_id, created.client_secret),
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert "APP_DISABLED" in r.json()["error_description"]
    r = await api.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(created.app.client_id, created.client_secret),
    )
    assert r.status_code == 401
    async with browser(server) as b:
        page = await b.get(url)
    assert page.status_code in (400, 401) and "APP_DISABLED" in page.text
    # And it no longer changes
    data = await api.gql(
        UPDATE, {"input": {"appId": gid, "name": "Back"}}, token=owner.access_token
    )
    assert [e["code"] for e in data["appUpdate"]["errors"]] == ["APP_DISABLED"]
    data = await api.gql(ROTATE, {"input": {"appId": gid}}, token=owner.access_token)
    assert [e["code"] for e in data["appSecretRotate"]["errors"]] == ["APP_DISABLED"]
    assert data["appSecretRotate"]["clientSecret"] is None


async def test_a_member_cannot_manage_apps(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner)
    gid = app_global_id(created)
    for mutation in (UPDATE, ROTATE, DISABLE):
        data = await api.gql(mutation, {"input": {"appId": gid}}, token=member.access_token)
        payload = next(iter(data.values()))
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    row = await App.get(id=created.app.id)
    assert row.disabled_at is None and row.client_secret_hash == created.app.client_secret_hash


async def test_the_scopes_query_lists_every_scope_with_its_description(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    data = await api.gql("{ scopes { name description adminOnly } }", token=owner.access_token)
    by_name = {s["name"]: s for s in data["scopes"]}
    assert by_name["messenger:read"]["description"]
    assert by_name["admin:write"]["adminOnly"] is True
    assert by_name["drive:read"]["adminOnly"] is False


async def test_a_person_lists_and_revokes_the_apps_they_authorized(api: Api, server: str) -> None:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner, redirect_uris=[REDIRECT_URI])
    client = oauth_client(server, created, scope="messenger:read")
    url, _, verifier = authorize_url(server, client)
    async with browser(server) as b:
        redirect = await consent(b, url, member.email, member.password)
    async with client:
        token = await client.fetch_token(
            "/oauth/token",
            code_verifier=verifier,
            authorization_response=redirect.headers["location"],
        )
    listing = "{ viewerAppAuthorizations { app { id name } scopes sessionCount } }"
    data = await api.gql(listing, token=member.access_token)
    assert data["viewerAppAuthorizations"] == [
        {
            "app": {"id": app_global_id(created), "name": created.app.name},
            "scopes": ["messenger:read"],
            "sessionCount": 1,
        }
    ]
    assert (await api.gql(listing, token=owner.access_token))["viewerAppAuthorizations"] == []
    revoke = """mutation($input: AppAuthorizationRevokeInput!) {
      appAuthorizationRevoke(input: $input) { app { id } errors { code } } }"""
    data = await api.gql(
        revoke, {"input": {"appId": app_global_id(created)}}, token=member.access_token
    )
    assert data["appAuthorizationRevoke"]["errors"] == []
    r = await api.post(VIEWER, token=token["access_token"])
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.gql(listing, token=member.access_token))["viewerAppAuthorizations"] == []


async def test_the_bot_joins_chats_as_a_bot_and_cannot_sign_in(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner, name="Standup bot")
    bot_id = app_global_id(created)
    bot_user = (
        await api.gql(
            "query($id: ID!) { node(id: $id) { ... on App { botUser { id email } } } }",
            {"id": bot_id},
            token=owner.access_token,
        )
    )["node"]["botUser"]
    data = await api.gql(
        """mutation($input: ChatCreateInput!) { chatCreate(input: $input) {
          chat { members { edges { node { user { displayName isBot } } } } }
          errors { code } } }""",
        {"input": {"kind": "GROUP", "name": "Standup", "memberIds": [bot_user["id"]]}},
        token=owner.access_token,
    )
    assert data["chatCreate"]["errors"] == []
    members = [e["node"]["user"] for e in data["chatCreate"]["chat"]["members"]["edges"]]
    assert {"displayName": "Standup bot", "isBot": True} in members
    assert {"displayName": "Olga", "isBot": False} in members
    # No password signs the bot in
    signin = await api.post(
        """mutation($input: SignInInput!) { signIn(input: $input) {
          accessToken errors { code } } }""",
        {"input": {"email": bot_user["email"], "password": "!"}},
    )
    p = signin.json()["data"]["signIn"]
    assert p["accessToken"] is None
    assert [e["code"] for e in p["errors"]] == ["INVALID_CREDENTIALS"]
