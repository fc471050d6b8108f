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


async def issue_pair(session: AuthSession) -> TokenPair:
    settings = get_settings()
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    t = now()
    access_expires = t + timedelta(seconds=settings.access_token_ttl_seconds)
    await AuthToken.bulk_create(
        [
            AuthToken(
                session_id=session.id,
                kind=TokenKind.ACCESS,
                token_hash=token_hash(access),
                expires_at=access_expires,
            ),
            AuthToken(
                session_id=session.id,
                kind=TokenKind.REFRESH,
                token_hash=token_hash(refresh),
                expires_at=t + timedelta(seconds=settings.refresh_token_ttl_seconds),
            ),
        ]
    )
    return TokenPair(access, refresh, access_expires)
