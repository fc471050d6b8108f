"""Opaque bearer tokens. Only an HMAC of each token is stored, so a copy of the database does
not let anyone sign in."""

from __future__ import annotations

import base64
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


def retry_safe_token(prefix: str, purpose: str, idempotency_key: str | None, *scope: object) -> str:
    """A random token; with an idempotency key, one derived from the key (and ``scope``) under
    the server secret. Only a hash of such tokens is stored, so a retried creation could not
    return the first call's token otherwise: deriving it lets the retry answer with the same
    token without keeping it anywhere. It stays unguessable without the server secret."""
    if idempotency_key is None:
        return prefix + secrets.token_urlsafe(32)
    secret = get_settings().resolved_secret_key().encode()
    message = "\0".join([purpose, *map(str, scope), idempotency_key]).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
