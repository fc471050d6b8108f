"""The consent page and the authorization request's bad input: each a clear error, and
nothing issued (no code, no session) when the request is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from authlib.integrations.base_client.errors import OAuthError

from models.identity import AuthSession
from models.oauth import AuthorizationCode
from resolvers.apps.apps import CreatedApp
from resolvers.core.clock import now
from tests.apps.helpers import create_app
from tests.apps.oauth_flow import (
    REDIRECT_URI,
    authorize_url,
    browser,
    consent,
    oauth_client,
    open_page,
    redirect_params,
    submit,
)
from tests.client import Account, Api

SCOPES = ["messenger:read", "messenger:write"]
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


async def _app(api: Api) -> tuple[Account, Account, CreatedApp]:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(owner, scopes=SCOPES, redirect_uris=[REDIRECT_URI])
    return owner, member, created


def _raw_url(server: str, created: CreatedApp, **overrides: Any) -> str:
    params = {
        "response_type": "code",
        "client_id": created.app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "messenger:read",
        "state": "s1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return server + "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v})


async def _codes(created: CreatedApp) -> int:
    return await AuthorizationCode.filter(app_id=created.app.id).count()


async def test_the_consent_page_cannot_be_framed_and_sets_a_lax_csrf_cookie(
    api: Api, server: str
) -> None:
    _, _, created = await _app(api)
    async with browser(server) as b:
        page = await open_page(b, _raw_url(server, created))
    r = page.response
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "<script" not in r.text
    assert page.csrf


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "http://127.0.0.1:9/elsewhere"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": ""},
        {"client_id": "hlc_nobody"},
    ],
    ids=["unregistered-path", "foreign-host", "missing", "unknown-client"],
)
async def test_an_unregistered_redirect_uri_or_unknown_client_is_an_error_page(
    api: Api, server: str, overrides: dict[str, str]
) -> None:
    _, member, created = await _app(api)
    url = _raw_url(server, created, **overrides)
    async with browser(server) as b:
        page = await open_page(b, url)
        assert page.response.status_code in (400, 401)
        assert "location" not in page.response.headers
        assert page.csrf is None  # no form to submit
        # Not even a hand-made POST gets a code out of it
        r = await b.post(
            url, data={"email": member.email, "password": member.password, "decision": "allow"}
        )
    assert "location" not in r.headers
    assert await _codes(created) == 0


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"scope": "messenger:read teleport:write"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
    ids=["no-pkce", "plain-pkce", "pkce-without-method", "unknown-scope", "implicit"],
)
async def test_bad_requests_with_a_good_redirect_uri_go_back_with_an_error(
    api: Api, server: str, overrides: dict[str, str], error: str
) -> None:
    _, _, created = await _app(api)
    async with browser(server) as b:
        r = await b.get(_raw_url(server, created, **overrides))
    params = redirect_params(r)
    assert params["error"] == error
    assert params["state"] == "s1"
    assert "code" not in params
    assert await _codes(created) == 0


async def test_deny_goes_back_with_access_denied(api: Api, server: str) -> None:
    _, member, created = await _app(api)
    async with browser(server) as b:
        r = await consent(b, _raw_url(server, created), member.email, member.password, "deny")
    params = redirect_params(r)
    assert params["error"] == "access_denied" and params["state"] == "s1"
    assert "code" not in params
    assert await _codes(created) == 0


@pytest.mark.parametrize("csrf", [None, "0" * 64, "wrong"], ids=["missing", "zeros", "wrong"])
async def test_the_form_needs_its_csrf_token(api: Api, server: str, csrf: str | None) -> None:
    _, member, created = await _app(api)
    async with browser(server) as b:
        page = await open_page(b, _raw_url(server, created))
        r = await submit(b, page, email=member.email, password=member.password, csrf=csrf)
    assert r.status_code == 403
    assert "location" not in r.headers
    assert await _codes(created) == 0


async def test_a_csrf_token_from_another_browser_is_refused(api: Api, server: str) -> None:
    _, member, created = await _app(api)
    url = _raw_url(server, created)
    async with browser(server) as attacker, browser(server) as victim:
        stolen = await open_page(attacker, url)
        page = await open_page(victim, url)
        r = await submit(
            victim, page, email=member.email, password=member.password, csrf=stolen.csrf
        )
    assert r.status_code == 403
    assert await _codes(created) == 0


async def test_a_wrong_password_shows_the_page_again(api: Api, server: str) -> None:
    _, member, created = await _app(api)
    async with browser(server) as b:
        page = await open_page(b, _raw_url(server, created))
        r = await submit(b, page, email=member.email, password="not the password")
    assert r.status_code == 400
    assert "Email or password is wrong" in r.text
    assert "location" not in r.headers
    assert await _codes(created) == 0


async def test_a_person_of_another_organization_gets_no_code(api: Api, server: str) -> None:
    _, _, created = await _app(api)
    stranger = await api.sign_up(name="Sam", organization="Other")
    async with browser(server) as b:
        r = await consent(b, _raw_url(server, created), stranger.email, stranger.password)
    assert r.status_code == 404
    assert "location" not in r.headers
    assert await _codes(created) == 0


async def test_a_pkce_verifier_mismatch_is_invalid_grant(api: Api, server: str) -> None:
    _, member, created = await _app(api)
    client = oauth_client(server, created, scope="messenger:read")
    url, _, verifier = authorize_url(server, client)
    async with browser(server) as b:
        redirect = await consent(b, url, member.email, member.password)
    async with client:
        with pytest.raises(OAuthError) as wrong:
            await client.fetch_token(
                "/oauth/token",
                authorization_response=redirect.headers["location"],
                code_verifier="x" * 43,
            )
        assert wrong.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as missing:
            await client.fetch_token(
                "/oauth/token", authorization_response=redirect.headers["location"]
            )
        assert missing.value.error == "invalid_request"
    assert await AuthSession.filter(app_id=created.app.id).count() == 0
    # The right verifier still works: a failed check does not use the code up
    async with oauth_client(server, created) as client:
        token = await client.fetch_token(
            "/oauth/token",
            authorization_response=redirect.headers["location"],
            code_verifier=verifier,
        )
    assert token["access_token"]


async def test_an_expired_code_or_another_redirect_uri_is_invalid_grant(
    api: Api, server: str
) -> None:
    _, member, created = await _app(api)
    client = oauth_client(server, created, scope="messenger:read")
    url, _, verifier = authorize_url(server, client)
    async with browser(server) as b:
        redirect = await consent(b, url, member.email, member.password)
    code = redirect_params(redirect)["code"]
    # Another redirect_uri than the authorization request's
    r = await api.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": "http://127.0.0.1:9/elsewhere",
        },
        auth=(created.app.client_id, created.client_secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # Past its 10 minutes
    await AuthorizationCode.filter(app_id=created.app.id).update(
        expires_at=now() - timedelta(seconds=1)
    )
    async with client:
        with pytest.raises(OAuthError) as expired:
            await client.fetch_token(
                "/oauth/token",
                authorization_response=redirect.headers["location"],
                code_verifier=verifier,
            )
    assert expired.value.error == "invalid_grant"
    assert await AuthSession.filter(app_id=created.app.id).count() == 0


async def test_a_code_lives_ten_minutes(api: Api, server: str) -> None:
    _, member, created = await _app(api)
    async with browser(server) as b:
        await consent(b, _raw_url(server, created), member.email, member.password)
    row = await AuthorizationCode.get(app_id=created.app.id)
    lifetime = row.expires_at - row.created_at
    assert timedelta(minutes=9) < lifetime <= timedelta(minutes=10)
    assert row.code_challenge == CHALLENGE and row.used_at is None


async def test_a_member_is_never_granted_an_admin_scope(api: Api, server: str) -> None:
    owner = await api.sign_up(name="Olga")
    member = await api.add_member(owner, name="Mia")
    created = await create_app(
        owner, scopes=["admin:read", "messenger:read"], redirect_uris=[REDIRECT_URI]
    )
    async with browser(server) as b:
        only_admin = _raw_url(server, created, scope="admin:read")
        r = await consent(b, only_admin, member.email, member.password)
        # Nothing left to grant: the app hears invalid_scope
        assert redirect_params(r)["error"] == "invalid_scope"
        r = await consent(
            b,
            _raw_url(server, created, scope="admin:read messenger:read"),
            owner.email,
            owner.password,
        )
    assert "code" in redirect_params(r)
    rows = await AuthorizationCode.filter(app_id=created.app.id)
    assert [row.scopes for row in rows] == [["admin:read", "messenger:read"]]
