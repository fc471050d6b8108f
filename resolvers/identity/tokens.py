"""Opaque bearer tokens. Only an HMAC of each token is stored, so a copy of the database does
not let anyone sign in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.settings import get_settings
from models.identity import AuthSession, AuthToken, TokenKind
from resolvers.core.clock import now

ACCESS_PREFIX = "hla_"
REFRESH_PREFIX = "hlr_"
PERSONAL_PREFIX = "hlp_"
"""Personal access tokens: an access token of a PERSONAL session, recognisable by secret
scanners and in a user's shell history."""
BEARER_PREFIXES = (ACCESS_PREFIX, PERSONAL_PREFIX)
"""What ``authenticate`` accepts as a bearer token."""


def token_hash(token: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime


@dataclass
class IssuedTokens:
    """What ``issue_tokens`` made: an access token, and a refresh token unless none was asked."""

    access_token: str
    refresh_token: str | None
    access_expires_at: datetime


async def issue_pair(session: AuthSession) -> TokenPair:
    """A sign-in's access and refresh tokens, with the configured lifetimes."""
    issued = await issue_tokens(session)
    assert issued.refresh_token is not None
    return TokenPair(issued.access_token, issued.refresh_token, issued.access_expires_at)


async def issue_tokens(
    session: AuthSession,
    *,
    access_prefix: str = ACCESS_PREFIX,
    access_ttl_seconds: int | None = None,
    refresh: bool = True,
    access_token: str | None = None,
) -> IssuedTokens:
    """Tokens of ``session``: an access token (``access_prefix``: ``PERSONAL_PREFIX`` for a
    personal access token; ``access_ttl_seconds``, else ``HELLO_ACCESS_TOKEN_TTL_SECONDS``)
    and, with ``refresh``, a refresh token that rotates (``check_token_refresh``). The
    client-credentials grant and personal access tokens take none. ``access_token``: this
    value rather than a random one (``idempotency.retry_safe_token``, so that a retried
    creation can answer with the token it made without anyone storing it)."""
    settings = get_settings()
    access = access_token or access_prefix + secrets.token_urlsafe(32)
    t = now()
    ttl = settings.access_token_ttl_seconds if access_ttl_seconds is None else access_ttl_seconds
    access_expires = t + timedelta(seconds=ttl)
    rows = [
        AuthToken(
            session_id=session.id,
            kind=TokenKind.ACCESS,
            token_hash=token_hash(access),
            expires_at=access_expires,
        )
    ]
    refresh_token: str | None = None
    if refresh:
        refresh_token = REFRESH_PREFIX + secrets.token_urlsafe(32)
        rows.append(
            AuthToken(
                session_id=session.id,
                kind=TokenKind.REFRESH,
                token_hash=token_hash(refresh_token),
                expires_at=t + timedelta(seconds=settings.refresh_token_ttl_seconds),
            )
        )
    await AuthToken.bulk_create(rows)
    return IssuedTokens(access, refresh_token, access_expires)
