"""Self-service: your own profile (``viewerUpdate``), password (``passwordChange``) and
sessions (``sessionRevoke``).

These acts are not administrative: they write no audit entries (the audit log records what
admins did to others; a user's own profile edits and sign-outs are their business)."""

from __future__ import annotations

from adapters import runtime
from models.identity import AuthSession, User
from resolvers.core.channels import organization_channel
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, Throttled, collect
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.identity import events
from resolvers.identity.actions import do_revoke_sessions
from resolvers.identity.errors import IdentityErrorCode
from resolvers.identity.passwords import hash_password, verify_password
from resolvers.identity.validation import password_errors, profile_errors


async def check_viewer_update(
    ctx: Context, *, display_name: str | None, time_zone: str | None, locale: str | None
) -> User:
    """Change your own name, time zone or locale (the same rules as an admin's userUpdate)."""
    principal = require_principal(ctx)
    collect(profile_errors(display_name, time_zone, locale))
    user = await User.get(id=principal.user_id)
    return await do_viewer_update(
        user, display_name=display_name, time_zone=time_zone, locale=locale
    )


async def do_viewer_update(
    user: User, *, display_name: str | None, time_zone: str | None, locale: str | None
) -> User:
    """Apply what changes, save and tell the organization; nothing when nothing changes."""
    before = (user.display_name, user.time_zone, user.locale)
    if display_name is not None:
        user.display_name = display_name.strip()
    if time_zone is not None:
        user.time_zone = time_zone
    if locale is not None:
        user.locale = locale
    if (user.display_name, user.time_zone, user.locale) == before:
        return user
    async with transaction() as tx:
        await user.save(update_fields=["display_name", "time_zone", "locale", "updated_at"])
        tx.publish(organization_channel(user.organization_id), events.member_updated(user))
    return user


async def check_password_change(ctx: Context, *, current_password: str, new_password: str) -> User:
    """Change your own password. Allowed (and required) right after an admin's reset. Wrong
    current passwords count like failed sign-ins, so a stolen access token cannot be used to
    guess the password; the other sessions end, this one stays."""
    principal = require_principal(ctx, pending_password_change_ok=True)
    services = runtime.current()
    settings = services.settings
    key = f"password-change-failures:{principal.user_id}"
    tries = await services.store.hit(key, settings.signin_window_seconds)
    if tries > settings.signin_max_failures:
        raise Throttled("Too many wrong passwords; try again later.", field="currentPassword")
    user = await User.get(id=principal.user_id)
    if not await verify_password(user.password_hash, current_password):
        raise DomainError(
            "The current password is wrong.",
            field="currentPassword",
            code=IdentityErrorCode.WRONG_PASSWORD,
        )
    await services.store.reset(key)
    collect(password_errors(new_password, user.email, field="newPassword"))
    if new_password == current_password:
        raise DomainError(
            "Choose a password different from the current one.",
            field="newPassword",
            code=IdentityErrorCode.SAME_PASSWORD,
        )
    password_hash = await hash_password(new_password)
    await do_password_change(user, password_hash, keep_session_id=principal.session_id)
    # Later resolvers of this request (e.g. `viewer { mustChangePassword }`) see the new state.
    principal.user.must_change_password = False
    return user


async def do_password_change(user: User, password_hash: str, *, keep_session_id: int) -> None:
    """Set the new password (clearing an admin's reset) and end every other session."""
    async with transaction():
        user.password_hash = password_hash
        user.must_change_password = False
        await user.save(update_fields=["password_hash", "must_change_password", "updated_at"])
        others = (
            await AuthSession.filter(user_id=user.id, revoked_at__isnull=True)
            .exclude(id=keep_session_id)
            .values_list("id", flat=True)
        )
        if others:
            await do_revoke_sessions([int(s) for s in others])  # type: ignore[call-overload]


async def check_session_revoke(ctx: Context, session_id: int | None) -> AuthSession:
    """End one of your own sessions (its tokens stop working, its sockets close). Another
    user's session is NOT_FOUND, whoever asks."""
    principal = require_principal(ctx)
    session = (
        await AuthSession.get_or_none(id=session_id, user_id=principal.user_id)
        if session_id is not None
        else None
    )
    if session is None:
        raise NotFound(field="sessionId")
    if session.revoked_at is not None:
        raise DomainError(
            "This session has ended already.",
            field="sessionId",
            code=IdentityErrorCode.ALREADY_REVOKED,
        )
    await do_revoke_sessions([session.id])
    await session.refresh_from_db(fields=["revoked_at"])
    return session
