"""The other side of Hello's OAuth server in tests: authlib's own httpx client (a real OAuth
client library), and a browser's part of the consent page played with httpx."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client

from resolvers.apps.apps import CreatedApp

REDIRECT_URI = "http://127.0.0.1:9/callback"
"""Registered by the test apps; never requested (the tests read the redirect, not follow it)."""

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def oauth_client(
    server: str,
    created: CreatedApp,
    *,
    scope: str | None = None,
    secret: str | None = None,
    **kw: Any,
) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=created.app.client_id,
        client_secret=secret if secret is not None else created.client_secret,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        base_url=server,
        **kw,
    )


def authorize_url(server: str, client: AsyncOAuth2Client, **params: Any) -> tuple[str, str, str]:
    """(URL of the consent page, state, code verifier) for a PKCE S256 request."""
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        server + "/oauth/authorize", code_verifier=verifier, **params
    )
    return url, state, verifier


@dataclass
class Page:
    response: httpx.Response
    csrf: str | None
    action: str | None


async def open_page(browser: httpx.AsyncClient, url: str) -> Page:
    r = await browser.get(url)
    csrf = _CSRF.search(r.text)
    action = _ACTION.search(r.text)
    return Page(
        r,
        csrf.group(1) if csrf else None,
        action.group(1).replace("&amp;", "&") if action else None,
    )


async def submit(
    browser: httpx.AsyncClient,
    page: Page,
    *,
    email: str = "",
    password: str = "",
    decision: str = "allow",
    csrf: str | None = "from-page",
) -> httpx.Response:
    form = {"email": email, "password": password, "decision": decision}
    token = page.csrf if csrf == "from-page" else csrf
    if token is not None:
        form["csrf_token"] = token
    assert page.action is not None, page.response.text
    return await browser.post(page.action, data=form)


async def consent(
    browser: httpx.AsyncClient, url: str, email: str, password: str, decision: str = "allow"
) -> httpx.Response:
    """Open the consent page, sign in on it and answer; the response is the redirect."""
    page = await open_page(browser, url)
    assert page.response.status_code == 200, page.response.text
    return await submit(browser, page, email=email, password=password, decision=decision)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect to the app, checking it goes to the registered URI exactly."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.split("?")[0] == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def browser(server: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server, follow_redirects=False, timeout=30)
