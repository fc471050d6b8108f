"""The OAuth 2.1 endpoints (``server/oauth_server.py`` does the protocol through authlib):

- ``GET /.well-known/oauth-authorization-server``: RFC 8414 metadata;
- ``GET|POST /oauth/authorize``: the consent page (``server/oauth_page.py``) and its form;
- ``POST /oauth/token``: authorization_code (PKCE S256), refresh_token (rotating),
  client_credentials; client_secret_basic or client_secret_post;
- ``POST /oauth/revoke`` (RFC 7009) and ``POST /oauth/introspect`` (RFC 7662).

The issuer is ``HELLO_PUBLIC_URL`` when set (behind a proxy that terminates TLS, set it: OAuth
refuses plain http except on loopback), else the request's own base URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2 import OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from adapters.settings import get_settings
from models.identity import Role
from resolvers.apps import oauth
from resolvers.core.errors import DomainError
from resolvers.core.scopes import SCOPES
from server import oauth_page
from server.oauth_server import (
    AUTH_METHODS,
    GRANT_TYPES,
    HelloAuthorizationServer,
    run,
)
from server.oauth_server import Request as OAuthRequest

AUTHORIZE = "/oauth/authorize"
TOKEN = "/oauth/token"
REVOKE = "/oauth/revoke"
INTROSPECT = "/oauth/introspect"
METADATA = "/.well-known/oauth-authorization-server"
MAX_FORM_FIELDS = 30
MAX_FORM_BYTES = 16 * 1024
"""OAuth forms are a few hundred bytes; anything larger is refused before it is parsed."""

_server = HelloAuthorizationServer()


def base_url(request: Request) -> str:
    public = get_settings().public_url
    return (public or str(request.base_url)).rstrip("/")


def _oauth_request(
    request: Request, query: list[tuple[str, str]], form: list[tuple[str, str]]
) -> OAuthRequest:
    uri = base_url(request) + request.url.path
    if request.url.query:
        uri += "?" + request.url.query
    return OAuthRequest(request.method, uri, request.headers, query, form)


def _answer(result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
    status, body, headers = result
    if status == 302:
        return RedirectResponse(dict(headers)["Location"], status_code=302)
    return JSONResponse(body, status_code=status, headers=dict(headers))


class FormTooLarge(Exception):
    pass


async def _form(request: Request) -> list[tuple[str, str]]:
    """The urlencoded body (RFC 6749 §3.2: the token endpoint takes nothing else), read up to
    ``MAX_FORM_BYTES``; any other content type carries no parameters."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return []
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge()
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as e:
        raise FormTooLarge() from e


async def metadata(request: Request) -> JSONResponse:
    base = base_url(request)
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": base + AUTHORIZE,
            "token_endpoint": base + TOKEN,
            "revocation_endpoint": base + REVOKE,
            "introspection_endpoint": base + INTROSPECT,
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": GRANT_TYPES,
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": False,
        }
    )


async def authorize(request: Request) -> Response:
    query = list(request.query_params.multi_items())
    # The authorization parameters come from the query string, also for the form's POST
    # (its action keeps them): the form carries only the person's answer.
    req = _oauth_request(request, query, [])
    try:
        grant = await run(_server.get_consent_grant, req)
    except OAuth2Error as e:
        if e.redirect_uri:  # validated against the app's registered URIs by authlib
            return _answer(e())
        return oauth_page.error_page(e.error, e.description or "", e.status_code or 400)
    app = grant.request.client.app
    asked = (req.scope or "").split()
    secure = base_url(request).startswith("https://")
    if request.method == "GET":
        return oauth_page.consent_page(request, app, asked, secure=secure)

    try:
        form = dict(await _form(request))
    except FormTooLarge:
        return oauth_page.error_page("invalid_request", "The form is malformed or too large.")
    if not oauth_page.csrf_ok(request, form.get(oauth_page.CSRF_FIELD)):
        return oauth_page.error_page(
            "invalid_request", "The form expired or did not come from this page; reload it.", 403
        )
    if form.get("decision") != "allow":
        return _answer(await run(_server.create_authorization_response, req, None, grant))
    email = form.get("email", "")
    try:
        user = await oauth.check_consenting_user(email, form.get("password", ""))
    except DomainError as e:
        return oauth_page.consent_page(
            request, app, asked, message=e.message, email=email, status=400, secure=secure
        )
    if user.organization_id != app.organization_id:
        # Another organization's app is not found, here as everywhere.
        return oauth_page.error_page("invalid_client", "No such app in your organization.", 404)
    if user.role == Role.GUEST:
        return oauth_page.error_page("access_denied", "Guests cannot authorize apps.", 403)
    req.granted = oauth.granted_scopes(asked, app, user.role)
    return _answer(await run(_server.create_authorization_response, req, user, grant))


def _too_large() -> Response:
    return JSONResponse(
        {"error": "invalid_request", "error_description": "The form is malformed or too large."},
        status_code=400,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def _protocol(request: Request, fn: Callable[..., Any], *args: Any) -> Response:
    """A POST endpoint of the protocol: the form read (bounded), then authlib's answer."""
    try:
        req = _oauth_request(request, [], await _form(request))
    except FormTooLarge:
        return _too_large()
    return _answer(await run(fn, *args, req))


async def token(request: Request) -> Response:
    return await _protocol(request, _server.create_token_response)


async def revoke(request: Request) -> Response:
    return await _protocol(request, _server.create_endpoint_response, "revocation")


async def introspect(request: Request) -> Response:
    return await _protocol(request, _server.create_endpoint_response, "introspection")


routes = [
    Route(METADATA, metadata, methods=["GET"]),
    Route(AUTHORIZE, authorize, methods=["GET", "POST"]),
    Route(TOKEN, token, methods=["POST"]),
    Route(REVOKE, revoke, methods=["POST"]),
    Route(INTROSPECT, introspect, methods=["POST"]),
]
