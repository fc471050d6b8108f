"""The domain side of the OAuth 2.1 authorization server (``server/oauth*.py`` speak the
protocol through authlib): clients, authorization codes, and the sessions grants issue.

Every token an app holds is an ``AuthSession`` of Identity (``resolvers/apps/tokens.py``):
OAUTH for a person who consented, CLIENT for the app's own bot. Scopes granted are what was
asked, within the app's scopes and, for a person, within their role (a member's token never
carries an admin scope, whatever the app may ask for)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.apps import App
from models.identity import AuthSession, AuthToken, Role, SessionKind, TokenKind, User
from models.oauth import AuthorizationCode
from resolvers.apps.tokens import issue_session
from resolvers.core.clock import now
from resolvers.core.scopes import role_scopes
from resolvers.core.tx import transaction
from resolvers.identity.actions import check_credentials, do_revoke_sessions
from resolvers.identity.tokens import IssuedTokens, issue_tokens, token_hash

CODE_TTL = timedelta(minutes=10)
"""RFC 6749 §4.1.2: a code lives at most 10 minutes."""


class AppDisabled(Exception):
    """The app was disabled while a grant was on its way: nothing was issued."""


async def lock_live_app(app_id: int) -> None:
    """Inside a grant's transaction: hold the app's row until commit, and refuse a disabled
    app (``do_app_disable`` takes the same lock, so no session outlives a disable)."""
    live = await App.select_for_update().filter(id=app_id, disabled_at__isnull=True).first()
    if live is None:
        raise AppDisabled()


async def find_client(client_id: str) -> App | None:
    """The app with this OAuth client id (disabled ones too: the caller says why it refuses)."""
    if not client_id or len(client_id) > 64:
        return None
    return await App.get_or_none(client_id=client_id)


def secret_matches(app: App, secret: str) -> bool:
    return hmac.compare_digest(app.client_secret_hash, token_hash(secret))


def granted_scopes(requested: list[str] | None, app: App, role: Role | str | None) -> list[str]:
    """What a grant gives: the scopes asked for (all the app's when none are), within the app's,
    and for a person within their role's."""
    wanted = set(app.scopes) if not requested else set(requested) & set(app.scopes)
    if role is not None:
        wanted &= role_scopes(role)
    return sorted(wanted)


async def check_consenting_user(email: str, password: str) -> User:
    """The person signing in on the consent page (Identity's throttled password check)."""
    return await check_credentials(email=email, password=password)


async def do_issue_code(
    *,
    app: App,
    user: User,
    code: str,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str,
    code_challenge_method: str,
) -> AuthorizationCode:
    async with transaction():
        return await AuthorizationCode.create(
            code_hash=token_hash(code),
            app_id=app.id,
            user_id=user.id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=now() + CODE_TTL,
        )


async def find_code(code: str, app: App) -> AuthorizationCode | None:
    """A code issued to this app, unused and unexpired; a code used before revokes the session
    issued from its first use (RFC 6749 §4.1.2) and is refused."""
    if not code or len(code) > 256:
        return None
    row = await AuthorizationCode.get_or_none(code_hash=token_hash(code), app_id=app.id)
    if row is None:
        return None
    if row.used_at is not None:
        if row.session_id is not None:
            await do_revoke_sessions([row.session_id])
        return None
    if row.expires_at <= now():
        return None
    return row


async def code_user(row: AuthorizationCode) -> User | None:
    user = await User.get_or_none(id=row.user_id)
    return user if user is not None and user.is_active else None


async def do_exchange_code(row: AuthorizationCode, app: App) -> IssuedTokens | None:
    """Use the code up and issue the session, in one transaction: of two exchanges of one code
    exactly one wins, and the loser finds the winner's session to revoke. None when lost."""
    async with transaction():
        await lock_live_app(app.id)
        claimed = await AuthorizationCode.filter(
            id=row.id, used_at__isnull=True, expires_at__gt=now()
        ).update(used_at=now())
        if not claimed:
            return None
        session, tokens = await issue_session(
            user_id=row.user_id,
            kind=SessionKind.OAUTH,
            scopes=list(row.scopes),
            app_id=app.id,
            name=app.name[:100],
        )
        await AuthorizationCode.filter(id=row.id).update(session_id=session.id)
    return tokens


async def do_revoke_code_session(row: AuthorizationCode) -> None:
    """The code was used concurrently: revoke what its first use issued."""
    fresh = await AuthorizationCode.get(id=row.id)
    if fresh.session_id is not None:
        await do_revoke_sessions([fresh.session_id])


@dataclass
class FoundToken:
    """A token an app presented, with its session (RFC 7009 and 7662 ask about either kind)."""

    token: AuthToken
    session: AuthSession
    user: User

    @property
    def expired(self) -> bool:
        return self.token.expires_at <= now()

    @property
    def revoked(self) -> bool:
        return self.session.revoked_at is not None or not self.user.is_active

    @property
    def issued_at(self) -> datetime:
        return self.token.created_at


async def find_token(value: str, kind: TokenKind | None = None) -> FoundToken | None:
    if not value or len(value) > 256:
        return None
    qs = AuthToken.filter(token_hash=token_hash(value))
    if kind is not None:
        qs = qs.filter(kind=kind)
    token = await qs.select_related("session__user").first()
    if token is None:
        return None
    return FoundToken(token, token.session, token.session.user)


async def find_refresh_token(value: str, app: App) -> FoundToken | None:
    """An OAuth refresh token of this app. One presented again after it was exchanged means it
    leaked: the session (every token of the family) is revoked, as sign-in's are."""
    found = await find_token(value, TokenKind.REFRESH)
    if found is None or found.session.app_id != app.id or found.session.kind != SessionKind.OAUTH:
        return None
    if found.token.used_at is not None:
        await do_revoke_sessions([found.session.id])
        return None
    if found.expired or found.revoked:
        return None
    return found


async def do_rotate_refresh(found: FoundToken, scopes: list[str] | None) -> IssuedTokens | None:
    """Use the refresh token up and issue the next pair (``scopes``: narrowed on request).
    None when a concurrent exchange won: the caller revokes the session."""
    async with transaction():
        if found.session.app_id is not None:
            await lock_live_app(found.session.app_id)
        claimed = await AuthToken.filter(id=found.token.id, used_at__isnull=True).update(
            used_at=now()
        )
        if not claimed:
            return None
        session = found.session
        if scopes is not None and sorted(scopes) != sorted(session.scopes or []):
            session.scopes = sorted(scopes)
            await session.save(update_fields=["scopes"])
        return await issue_tokens(session)


async def do_client_credentials(app: App, scopes: list[str]) -> IssuedTokens:
    """The app's tenant token: a CLIENT session of its bot, without a refresh token."""
    async with transaction():
        await lock_live_app(app.id)
        _, tokens = await issue_session(
            user_id=app.bot_user_id,
            kind=SessionKind.CLIENT,
            scopes=scopes,
            app_id=app.id,
            name=app.name[:100],
            refresh=False,
        )
    return tokens


async def do_revoke_token(found: FoundToken) -> None:
    """RFC 7009: revoking either token of a grant ends the grant (its session), so no access
    token outlives its refresh token or the other way round."""
    await do_revoke_sessions([found.session.id])
