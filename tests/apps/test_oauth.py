"""The OAuth 2.1 server end to end, with authlib's httpx client on the other side: discovery,
the authorization code grant with PKCE S256 through the consent page, refresh rotation and
reuse, client credentials, revocation and introspection."""

from __future__ import annotations

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from models.identity import AuthSession, SessionKind
from tests.apps.helpers import create_app, user_pk
from tests.apps.oauth_flow import (
    REDIRECT_URI,
    authorize_url,
    browser,
    consent,
    oauth_client,
    redirect_params,
)
from tests.client import Api

VIEWER = "{ viewer { id displayName isBot } }"
SCOPES = ["messenger:read", "messenger:write", "admin:read"]


async def viewer(api: Api, token: str) -> dict | None:
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
