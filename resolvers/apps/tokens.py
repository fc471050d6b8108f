"""Sessions of apps and scripts: the tokens the OAuth grants and personal access tokens issue.

Each is an ``AuthSession`` of Identity with its ``kind``, ``app`` and ``scopes``, so
``authenticate``, the auth cache, revocation (``do_revoke_sessions``) and the closing of live
sockets work for them exactly as for a sign-in."""

from __future__ import annotations

from models.identity import AuthSession, SessionKind
from resolvers.identity.tokens import ACCESS_PREFIX, IssuedTokens, issue_tokens


async def issue_session(
    *,
    user_id: int,
    kind: SessionKind,
    scopes: list[str] | None,
    app_id: int | None = None,
    name: str = "",
    access_prefix: str = ACCESS_PREFIX,
    access_ttl_seconds: int | None = None,
    refresh: bool = True,
    access_token: str | None = None,
    user_agent: str = "",
    ip: str = "",
) -> tuple[AuthSession, IssuedTokens]:
    """A new session of ``user_id`` and its first tokens. Call inside a transaction."""
    session = await AuthSession.create(
        user_id=user_id,
        kind=kind,
        app_id=app_id,
        scopes=None if scopes is None else sorted(set(scopes)),
        name=name,
        user_agent=user_agent[:255],
        ip=ip[:64],
    )
    tokens = await issue_tokens(
        session,
        access_prefix=access_prefix,
        access_ttl_seconds=access_ttl_seconds,
        refresh=refresh,
        access_token=access_token,
    )
    return session, tokens
