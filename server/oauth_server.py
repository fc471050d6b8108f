"""Hello's OAuth 2.1 authorization server, built from authlib's server classes: authlib parses
and validates every request (grants, client authentication, PKCE, revocation, introspection);
this module only answers its questions from the database (``resolvers/apps/oauth.py``).

The bridge between authlib, which is synchronous, and Tortoise, which is async: each protocol
call (``run``) runs in a worker thread, and the callbacks authlib makes there (find the client,
save the code, issue the session...) hop back to the event loop with
``asyncio.run_coroutine_threadsafe`` and wait for their result. Why not the alternatives:

- calling authlib on the event loop is impossible: its callbacks must return values, not
  coroutines, and a nested loop or a blocking wait on the loop's own thread would deadlock;
- loading "everything the grant might need" first would mean reimplementing which grant a
  request is, which client authentication it uses and which code or token it names, i.e. the
  very parsing authlib is here to do.

Each callback is its own coroutine, so a write that must be atomic is one ``do_`` function
(``do_exchange_code`` uses the code up and issues the session in one transaction). The worker
thread holds no connection and no lock while it waits; the loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from adapters.settings import get_settings
from models.apps import App
from models.identity import Role, TokenKind
from models.oauth import AuthorizationCode
from resolvers.apps import oauth
from resolvers.core.scopes import SCOPES

T = TypeVar("T")
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"]
CALLBACK_TIMEOUT = 30.0

_loop: contextvars.ContextVar[asyncio.AbstractEventLoop] = contextvars.ContextVar("oauth_loop")


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Run an authlib call in a worker thread whose callbacks come back to this loop."""
    _loop.set(asyncio.get_running_loop())
    # to_thread copies this context, so the thread (and every callback it schedules) sees it.
    return await asyncio.to_thread(fn, *args)


def call(coro: Coroutine[Any, Any, T]) -> T:
    """From authlib's thread: run ``coro`` on the event loop and wait for its result."""
    return asyncio.run_coroutine_threadsafe(coro, _loop.get()).result(CALLBACK_TIMEOUT)


# --- requests: authlib's view of a Starlette request read beforehand ------------------------


class Payload(OAuth2Payload):
    def __init__(self, items: list[tuple[str, str]]):
        self._items = items
        self._data = dict(items)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for k, v in self._items:
            values.setdefault(k, []).append(v)
        return values


class Request(OAuth2Request):
    """An OAuth request from its URL, headers and parameters (the query, then the form)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ):
        super().__init__(method, uri, headers=headers)
        self.payload = Payload(query + form)
        self._args = dict(query)
        self._form = dict(form)
        self.granted: list[str] | None = None
        """The scopes the person grants on the consent page (set before issuing the code)."""

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# --- the models authlib asks about ---------------------------------------------------------


@dataclass
class Client(ClientMixin):
    app: App

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is required: an app may register several

    def get_allowed_scope(self, scope: str | None) -> str | None:
        granted = oauth.granted_scopes(scope_to_list(scope) if scope else None, self.app, None)
        return " ".join(granted) if granted else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris  # exact string comparison

    def check_client_secret(self, client_secret: str) -> bool:
        return oauth.secret_matches(self.app, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


@dataclass
class Code:
    row: AuthorizationCode

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)


@dataclass
class Token:
    found: oauth.FoundToken
    extra: dict[str, Any] = field(default_factory=dict)

    def check_client(self, client: Client) -> bool:
        return self.found.session.app_id == client.app.id

    def get_scope(self) -> str:
        return " ".join(self.found.session.scopes or [])

    def is_expired(self) -> bool:
        return self.found.expired

    def is_revoked(self) -> bool:
        return self.found.revoked


# --- grants ---------------------------------------------------------------------------------


class S256Challenge(CodeChallenge):
    """PKCE as OAuth 2.1 has it here: a challenge on every authorization request, S256 only
    (authlib's own extension accepts plain and lets a confidential client skip it)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only the S256 'code_challenge_method' is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Request) -> None:
        granted = request.granted
        if not granted:
            raise InvalidScopeError(
                "None of the scopes asked for may be granted to this person.",
                redirect_uri=self.redirect_uri,
            )
        call(
            oauth.do_issue_code(
                app=request.client.app,
                user=request.user,
                code=code,
                redirect_uri=request.payload.redirect_uri,
                scopes=granted,
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method="S256",
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = call(oauth.find_code(code, client.app))
        return Code(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing: the code was used up with the session it issued (``save_token``)."""

    def authenticate_user(self, authorization_code: Code) -> Any:
        return call(oauth.code_user(authorization_code.row))


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        found = call(oauth.find_refresh_token(refresh_token, self.request.client.app))
        return Token(found) if found is not None else None

    def authenticate_user(self, refresh_token: Token) -> Any:
        return refresh_token.found.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """Nothing: it was used up with the new pair (``save_token``)."""


class ClientGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        found = call(oauth.find_token(token_string))
        return Token(found) if found is not None else None

    def authenticate_token(self, request: Any, client: Client) -> Token | None:
        # RFC 7009 §2.2: a token of another client (or none of ours) is answered 200 like
        # a revoked one, so the endpoint tells nobody which strings are live tokens.
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def revoke_token(self, token: Token, request: Any) -> None:
        call(oauth.do_revoke_token(token.found))


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        found = call(oauth.find_token(token_string))
        return Token(found) if found is not None else None

    def check_permission(self, token: Token, client: Client, request: Any) -> bool:
        token.extra["client_id"] = client.get_client_id()
        return token.check_client(client)  # an app introspects its own tokens only

    def introspect_token(self, token: Token) -> dict[str, Any]:
        found = token.found
        kind = found.token.kind
        return {
            "active": True,
            "scope": token.get_scope(),
            "client_id": token.extra["client_id"],
            "sub": str(found.user.id),
            "username": found.user.email,
            "exp": int(found.token.expires_at.timestamp()),
            "iat": int(found.issued_at.timestamp()),
            "token_type": "Bearer" if kind == TokenKind.ACCESS else "refresh_token",
        }


# --- the server -----------------------------------------------------------------------------


class HelloAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.register_token_generator("default", self._token_shape)
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def query_client(self, client_id: str) -> Client | None:
        app = call(oauth.find_client(client_id))
        if app is None:
            return None
        if app.disabled_at is not None:
            raise InvalidClientError(
                status_code=401, description="APP_DISABLED: this app is disabled."
            )
        return Client(app)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        assert isinstance(request, OAuth2Request)  # built by server/oauth.py beforehand
        return request

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON endpoints")

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Any:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def _token_shape(
        self,
        grant_type: str,
        client: Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """The token response without its secrets: ``save_token`` issues the session and puts
        its tokens in (authlib answers the dict it handed ``save_token``)."""
        if grant_type == "client_credentials":
            # The tenant token acts as the bot, a member (do_create_app): no admin scopes.
            requested = scope_to_list(scope) if scope else None
            granted = oauth.granted_scopes(requested, client.app, Role.MEMBER)
            if not granted:
                raise InvalidScopeError("None of the scopes asked for may be granted.")
            scope = " ".join(granted)
        return {
            "token_type": "Bearer",
            "expires_in": get_settings().access_token_ttl_seconds,
            "scope": scope or "",
        }

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        try:
            self._issue(token, request)
        except oauth.AppDisabled as e:
            raise InvalidClientError(
                status_code=401, description="APP_DISABLED: this app is disabled."
            ) from e

    def _issue(self, token: dict[str, Any], request: Any) -> None:
        grant_type = request.payload.grant_type
        app = request.client.app
        if grant_type == "authorization_code":
            row = request.authorization_code.row
            issued = call(oauth.do_exchange_code(row, app))
            if issued is None:
                call(oauth.do_revoke_code_session(row))
                raise InvalidGrantError("This code was used already.")
        elif grant_type == "refresh_token":
            found = request.refresh_token.found
            asked = request.payload.scope
            issued = call(oauth.do_rotate_refresh(found, scope_to_list(asked) if asked else None))
            if issued is None:
                call(oauth.do_revoke_token(found))
                raise InvalidGrantError("This refresh token was used already.")
        else:
            issued = call(oauth.do_client_credentials(app, scope_to_list(token["scope"])))
        token["access_token"] = issued.access_token
        if issued.refresh_token is not None:
            token["refresh_token"] = issued.refresh_token
