"""The OAuth 2.1 server end to end, with authlib's httpx client on the other side: discovery,
the authorization code grant with PKCE S256 through the consent page, refresh rotation and
reuse, client credentials, revocation and introspection."""

from __future__ import annotations

from typing import Any

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from models.identity import AuthSession, SessionKind
from resolvers.apps.apps import CreatedApp
from tests.apps.helpers import create_app, user_pk
from tests.apps.oauth_flow import (
    REDIRECT_URI,
    authorize_url,
    browser,
    consent,
    oauth_client,
    redirect_params,
)
from tests.client import Account, Api

VIEWER = "{ viewer { id displayName isBot } }"
SCOPES = ["messenger:read", "messenger:write", "admin:read"]


async def viewer(api: Api, token: str) -> dict[str, Any] | None:
    body = (await api.post(VIEWER, token=token)).json()
    return (body.get("data") or {}).get("viewer")


async def test_discovery_document_is_valid_rfc8414_metadata(api: Api, server: str) -> None:
    r = await api.http.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    meta = AuthorizationServerMetadata(r.json())
    meta.validate()
    assert meta["issuer"] == server
    assert meta["token_endpoint"] == server + "/oauth/token"
    assert meta["authorization_endpoint"] == server + "/oauth/authorize"
    assert meta["revocation_endpoint"] == server + "/oauth/revoke"
    assert meta["introspection_endpoint"] == server + "/oauth/introspect"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert "messenger:read" in meta["scopes_supported"]


async def test_authorization_code_with_pkce_gives_a_member_a_scoped_token(
    api: Api, server: str
) -> None:
    # Given an app asking for a member scope and an admin one, and a member of its organization
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner, scopes=SCOPES, redirect_uris=[REDIRECT_URI])
    client = oauth_client(server, created, scope="messenger:read admin:read")
    url, state, verifier = authorize_url(server, client)
    # When the member allows it on the consent page and the app exchanges the code
    async with browser(server) as b:
        page = await b.get(url)
        assert page.status_code == 200
        assert created.app.name in page.text and "Read chats and messages" in page.text
        redirect = await consent(b, url, member.email, member.password)
    params = redirect_params(redirect)
    assert params["state"] == state
    async with client:
        token = await client.fetch_token(
            "/oauth/token",
            authorization_response=redirect.headers["location"],
            code_verifier=verifier,
        )
    # Then the token acts as the member, with the member scope only, and can be refreshed
    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == "messenger:read"
    assert token["refresh_token"]
    me = await viewer(api, token["access_token"])
    assert me is not None and me["id"] == member.user_id and me["isBot"] is False
    session = await AuthSession.get(user_id=user_pk(member), kind=SessionKind.OAUTH)
    assert session.app_id == created.app.id and session.scopes == ["messenger:read"]


async def test_client_credentials_gives_the_bot_a_token_without_refresh(
    api: Api, server: str
) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner, name="Deploy bot", scopes=SCOPES)
    for method in ("client_secret_basic", "client_secret_post"):
        async with oauth_client(server, created, token_endpoint_auth_method=method) as client:
            token = await client.fetch_token(
                "/oauth/token", grant_type="client_credentials", scope="messenger:read admin:write"
            )
        assert "refresh_token" not in token
        assert token["scope"] == "messenger:read"
        me = await viewer(api, token["access_token"])
        assert me is not None and me["displayName"] == "Deploy bot" and me["isBot"] is True


async def _member_token(
    api: Api, server: str, scopes: list[str] | None = None
) -> tuple[CreatedApp, dict[str, Any], Account, Account]:
    """(app, token, member, owner): a member's token from the full PKCE flow."""
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner, scopes=scopes or SCOPES, redirect_uris=[REDIRECT_URI])
    client = oauth_client(server, created, scope="messenger:read")
    url, _, verifier = authorize_url(server, client)
    async with browser(server) as b:
        redirect = await consent(b, url, member.email, member.password)
    async with client:
        token = await client.fetch_token(
            "/oauth/token",
            authorization_response=redirect.headers["location"],
            code_verifier=verifier,
        )
    return created, dict(token), member, owner


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_grant(
    api: Api, server: str
) -> None:
    # Given a member's token pair from the authorization code grant
    created, first, _, _ = await _member_token(api, server)
    # When the app refreshes it
    async with oauth_client(server, created) as client:
        second = await client.refresh_token("/oauth/token", refresh_token=first["refresh_token"])
    # Then it gets a new pair, and both access tokens work
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "messenger:read"
    assert await viewer(api, second["access_token"]) is not None
    # When the first refresh token is presented again (it leaked)
    async with oauth_client(server, created) as client:
        with pytest.raises(OAuthError) as reused:
            await client.refresh_token("/oauth/token", refresh_token=first["refresh_token"])
    # Then it is refused and the whole grant is revoked: the new pair stops working too
    assert reused.value.error == "invalid_grant"
    assert await viewer(api, second["access_token"]) is None
    async with oauth_client(server, created) as client:
        with pytest.raises(OAuthError) as after:
            await client.refresh_token("/oauth/token", refresh_token=second["refresh_token"])
    assert after.value.error == "invalid_grant"


async def test_a_replayed_code_is_refused_and_revokes_the_tokens_of_its_first_use(
    api: Api, server: str
) -> None:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner, scopes=SCOPES, redirect_uris=[REDIRECT_URI])
    client = oauth_client(server, created, scope="messenger:read")
    url, _, verifier = authorize_url(server, client)
    async with browser(server) as b:
        redirect = await consent(b, url, member.email, member.password)
    location = redirect.headers["location"]
    async with client:
        token = await client.fetch_token(
            "/oauth/token", authorization_response=location, code_verifier=verifier
        )
    assert await viewer(api, token["access_token"]) is not None
    # When the same code is exchanged again
    async with oauth_client(server, created) as again:
        with pytest.raises(OAuthError) as replay:
            await again.fetch_token(
                "/oauth/token", authorization_response=location, code_verifier=verifier
            )
    # Then it is invalid_grant, and what the first exchange issued is revoked
    assert replay.value.error == "invalid_grant"
    assert await viewer(api, token["access_token"]) is None


async def test_revocation_ends_the_grant_and_introspection_sees_it(api: Api, server: str) -> None:
    created, token, member, owner = await _member_token(api, server)
    # Introspection by the app: active, with the RFC 7662 fields
    async with oauth_client(server, created) as client:
        r = await client.introspect_token("/oauth/introspect", token=token["access_token"])
    info = r.json()
    assert r.status_code == 200
    assert info["active"] is True
    assert info["scope"] == "messenger:read"
    assert info["client_id"] == created.app.client_id
    assert info["sub"] == str(user_pk(member))
    assert info["token_type"] == "Bearer"
    assert info["exp"] > info["iat"] > 0
    # Another app of the organization may not introspect it
    other = await create_app(owner, name="Other app", redirect_uris=[REDIRECT_URI])
    async with oauth_client(server, other) as stranger:
        r = await stranger.introspect_token("/oauth/introspect", token=token["access_token"])
    assert r.json() == {"active": False}
    # Nor a person's own sign-in token, which no app was issued
    async with oauth_client(server, created) as client:
        r = await client.introspect_token("/oauth/introspect", token=owner.access_token)
    assert r.json() == {"active": False}
    # Another app's revocation of it answers 200 and changes nothing (RFC 7009 §2.2)
    async with oauth_client(server, other) as stranger:
        r = await stranger.revoke_token("/oauth/revoke", token=token["access_token"])
    assert r.status_code == 200
    assert await viewer(api, token["access_token"]) is not None
    # When the app revokes the access token
    async with oauth_client(server, created) as client:
        r = await client.revoke_token("/oauth/revoke", token=token["access_token"])
    assert r.status_code == 200
    # Then it stops working, its refresh token too, and introspection says inactive
    assert await viewer(api, token["access_token"]) is None
    async with oauth_client(server, created) as client:
        r = await client.introspect_token("/oauth/introspect", token=token["access_token"])
        assert r.json() == {"active": False}
        with pytest.raises(OAuthError):
            await client.refresh_token("/oauth/token", refresh_token=token["refresh_token"])


async def test_token_responses_are_not_cached_and_errors_are_oauth_json(
    api: Api, server: str
) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner, scopes=SCOPES)
    ok = await api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.app.client_id, created.client_secret),
    )
    assert ok.status_code == 200
    assert ok.headers["cache-control"] == "no-store"
    # A wrong secret is invalid_client (401 with Basic), and no token is issued
    before = await AuthSession.filter(app_id=created.app.id).count()
    bad = await api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.app.client_id, "hls_wrong"),
    )
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    assert bad.headers["cache-control"] == "no-store"
    assert await AuthSession.filter(app_id=created.app.id).count() == before
    # An unknown grant type and an unknown scope are OAuth's errors too
    r = await api.http.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "x", "password": "y"},
        auth=(created.app.client_id, created.client_secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = await api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "calendar:read"},
        auth=(created.app.client_id, created.client_secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    assert await AuthSession.filter(app_id=created.app.id).count() == before


async def test_the_issuer_is_the_public_url_when_one_is_set(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.settings import get_settings

    monkeypatch.setattr(get_settings(), "public_url", "https://hello.example.com")
    meta = (await api.http.get("/.well-known/oauth-authorization-server")).json()
    AuthorizationServerMetadata(meta).validate()
    assert meta["issuer"] == "https://hello.example.com"
    assert meta["token_endpoint"] == "https://hello.example.com/oauth/token"


async def test_an_oversized_or_foreign_body_is_refused_before_parsing(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner, scopes=SCOPES)
    auth = (created.app.client_id, created.client_secret)
    big = await api.http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "pad": "x" * 20_000}, auth=auth
    )
    assert big.status_code == 400 and big.json()["error"] == "invalid_request"
    assert big.headers["cache-control"] == "no-store"
    as_json = await api.http.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=auth
    )
    assert as_json.status_code == 400 and as_json.json()["error"] == "unsupported_grant_type"
    assert await AuthSession.filter(app_id=created.app.id).count() == 0
