"""Personal access tokens: a person's scoped, expiring tokens for their own scripts.

Each is a PERSONAL ``AuthSession`` with one access token (``hlp_…``, no refresh token), so
``authenticate``, the auth cache and revocation (``do_revoke_sessions``: at once, on every
process, live sockets closed) treat it as they treat a sign-in. Its value is shown once, when
created; Hello keeps only its HMAC.

Only a person's own sign-in creates one: a token (an app's, or a personal one) may not mint
tokens, which would let a leaked token outlive its expiry or its revocation. Listing and
revoking are allowed to tokens with ``profile:read`` and ``profile:write``.

| act                                   | every role, for their own tokens |
|---------------------------------------|----------------------------------|
| create (from a sign-in session only)  | yes                              |
| list, revoke                          | yes                              |

Someone else's token is NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.identity import AuthSession, AuthToken, SessionKind, TokenKind
from resolvers.apps.errors import AppsErrorCode
from resolvers.apps.tokens import issue_session
from resolvers.core.clock import now
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, DomainErrors, Forbidden, NotFound
from resolvers.core.idempotency import once, retry_safe_token
from resolvers.core.names import name_errors
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.scopes import role_scopes, unknown_scopes
from resolvers.core.tx import transaction
from resolvers.identity.actions import do_revoke_sessions
from resolvers.identity.tokens import PERSONAL_PREFIX

MAX_NAME = 100
MIN_DAYS, MAX_DAYS = 1, 365
DEFAULT_DAYS = 30
"""When ``expiresInDays`` is not given: long enough for a script, short enough that a
forgotten token does not live for a year."""
MAX_LIVE_TOKENS = 50
"""Live (unrevoked, unexpired) tokens per person: enough for every script, and a cap on what
a compromised sign-in can mint."""


@dataclass
class PersonalToken:
    """A personal access token as listed: its session and its expiry."""

    session: AuthSession
    expires_at: datetime

    @property
    def id(self) -> int:
        return self.session.id


@dataclass
class CreatedToken:
    id: int
    token: PersonalToken
    value: str
    """``hlp_…``: shown once."""


def _require_sign_in(ctx: Context) -> Principal:
    principal = require_principal(ctx)
    if principal.scopes is not None:
        raise Forbidden(
            "Personal access tokens are created from your own sign-in, not with a token."
        )
    return principal


def _check_fields(
    principal: Principal, name: str, scopes: list[str], expires_in_days: int
) -> tuple[str, list[str]]:
    errors: list[DomainError] = name_errors(name.strip(), "name", max_length=MAX_NAME)
    wanted = sorted(set(scopes))
    unknown = unknown_scopes(wanted)
    if not wanted or unknown:
        errors.append(
            DomainError(
                f"Not scopes: {', '.join(unknown)}." if unknown else "Ask for at least one scope.",
                field="scopes",
                code=AppsErrorCode.INVALID_SCOPE,
            )
        )
    else:
        beyond = sorted(set(wanted) - role_scopes(principal.user.role))
        if beyond:
            errors.append(
                DomainError(
                    f"Your role does not allow {', '.join(beyond)}.",
                    field="scopes",
                    code=AppsErrorCode.SCOPE_NOT_ALLOWED,
                )
            )
    if not MIN_DAYS <= expires_in_days <= MAX_DAYS:
        errors.append(
            DomainError(
                f"A token lives {MIN_DAYS} to {MAX_DAYS} days.",
                field="expiresInDays",
                code=AppsErrorCode.INVALID_EXPIRY,
            )
        )
    if errors:
        raise DomainErrors(errors)
    return name.strip(), wanted


def _live(user_id: int) -> object:
    return AuthSession.filter(
        user_id=user_id,
        kind=SessionKind.PERSONAL,
        revoked_at__isnull=True,
        tokens__kind=TokenKind.ACCESS,
        tokens__expires_at__gt=now(),
    )


async def check_personal_access_token_create(
    ctx: Context,
    *,
    name: str,
    scopes: list[str],
    expires_in_days: int | None,
    idempotency_key: str | None,
) -> CreatedToken:
    """A new personal access token of the viewer, from their own sign-in only."""
    principal = _require_sign_in(ctx)
    days = DEFAULT_DAYS if expires_in_days is None else expires_in_days
    clean_name, wanted = _check_fields(principal, name, scopes, days)
    value = retry_safe_token(
        PERSONAL_PREFIX, "hello-personal-access-token", idempotency_key, principal.user_id
    )

    async def create() -> CreatedToken:
        live = _live(principal.user_id)
        if await live.count() >= MAX_LIVE_TOKENS:  # type: ignore[attr-defined]
            raise DomainError(
                f"You have {MAX_LIVE_TOKENS} live tokens; revoke one first.",
                code=AppsErrorCode.TOO_MANY_TOKENS,
            )
        return await do_personal_access_token_create(
            principal, name=clean_name, scopes=wanted, days=days, value=value
        )

    async def load(pk: int) -> CreatedToken | None:
        found = await personal_tokens(principal.user_id, [pk])
        return CreatedToken(pk, found[0], value) if found and found[0] is not None else None

    fields = {"name": clean_name, "scopes": wanted, "expiresInDays": days}
    return await once(
        principal.user_id, "personalAccessTokenCreate", idempotency_key, create, load, input=fields
    )


async def do_personal_access_token_create(
    principal: Principal, *, name: str, scopes: list[str], days: int, value: str
) -> CreatedToken:
    async with transaction():
        session, issued = await issue_session(
            user_id=principal.user_id,
            kind=SessionKind.PERSONAL,
            scopes=scopes,
            name=name,
            access_prefix=PERSONAL_PREFIX,
            access_ttl_seconds=days * 86400,
            refresh=False,
            access_token=value,
        )
    token = PersonalToken(session, issued.access_expires_at)
    return CreatedToken(session.id, token, issued.access_token)


async def personal_tokens(user_id: int, ids: list[int]) -> list[PersonalToken | None]:
    """These tokens of ``user_id`` that are live, in the order asked (None otherwise). Two
    queries, whatever the number."""
    sessions = {
        s.id: s
        for s in await _live(user_id).filter(id__in=ids)  # type: ignore[attr-defined]
    }
    expiries = await _expiries(list(sessions))
    return [
        PersonalToken(sessions[i], expiries[i]) if i in sessions and i in expiries else None
        for i in ids
    ]


async def _expiries(session_ids: list[int]) -> dict[int, datetime]:
    if not session_ids:
        return {}
    rows = await AuthToken.filter(session_id__in=session_ids, kind=TokenKind.ACCESS).values_list(
        "session_id", "expires_at"
    )
    return {int(s): e for s, e in rows}


async def visible_personal_tokens(ctx: Context, ids: list[int]) -> list[PersonalToken | None]:
    """For ``node``: the viewer's own live tokens only."""
    principal = ctx.principal
    if principal is None:
        return [None] * len(ids)
    return await personal_tokens(principal.user_id, ids)


async def viewer_personal_tokens(
    ctx: Context, *, first: int | None, after: str | None
) -> Page[PersonalToken]:
    """The viewer's live tokens, newest first (revoked and expired ones are not listed)."""
    principal = require_principal(ctx)
    page = await paginate(_live(principal.user_id), order=["-id"], first=first, after=after)  # type: ignore[arg-type]
    expiries = await _expiries([s.id for s in page.items])
    return Page(
        [PersonalToken(s, expiries[s.id]) for s in page.items],
        page.cursors,
        page.has_next,
        page.has_previous,
    )


async def check_personal_access_token_revoke(ctx: Context, token_id: int | None) -> PersonalToken:
    """Revoke one of the viewer's tokens: it stops working at once, on every process, and its
    live sockets close. Someone else's, or one revoked or expired already, is NOT_FOUND."""
    principal = require_principal(ctx)
    found = await personal_tokens(principal.user_id, [token_id]) if token_id is not None else []
    token = found[0] if found else None
    if token is None:
        raise NotFound(field="personalAccessTokenId")
    await do_revoke_sessions([token.id])
    await token.session.refresh_from_db(fields=["revoked_at"])
    return token
