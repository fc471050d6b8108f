"""Sign-in sessions: who may read a user's sessions, and the admin acts that end them all
(deactivation and its reverse, password reset; audited). What a user does to their own
profile, password and sessions is Identity's (``resolvers.identity.self_service``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from models.identity import AuthSession, Role, User
from resolvers.admin import events
from resolvers.admin.access import ADMIN_ROLES, access_user, check_not_owner, require_admin
from resolvers.admin.audit import audit, snapshot
from resolvers.admin.errors import AdminErrorCode
from resolvers.admin.people import (
    Created,
    active_admins_besides,
    generate_password,
    guard_owner,
    last_admin_error,
)
from resolvers.core.channels import user_channel
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, collect
from resolvers.core.tx import transaction
from resolvers.identity.actions import do_revoke_sessions
from resolvers.identity.passwords import hash_password
from resolvers.identity.validation import password_errors

# How long a reset account's open sockets stay open after the reset commits, for the notice on
# their stream to arrive before they close (its tokens are dead at once).
NOTICE_GRACE_SECONDS = 1.0
# Sessions listed per user: a person has a handful of devices; the cap bounds a pathological
# account without needing a connection.
MAX_SESSIONS = 100


def may_read_sessions(
    principal: Principal | None, user_id: int, organization_id: int, role: Role | str
) -> bool:
    """The matrix of ``resolvers.admin.access``: yourself always; the owner everyone of the
    organization; admins everyone but the owner; members and guests nobody else."""
    if principal is None or principal.organization_id != organization_id:
        return False
    if principal.user_id == user_id:
        return True
    viewer = principal.user.role
    return viewer == Role.OWNER or (viewer == Role.ADMIN and role != Role.OWNER)


async def live_sessions_by_user(user_ids: list[int]) -> Sequence[list[AuthSession]]:
    """Sessions not revoked, newest first, per user (a DataLoader batch: one query)."""
    rows = await AuthSession.filter(user_id__in=user_ids, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )
    found: dict[int, list[AuthSession]] = defaultdict(list)
    for row in rows:
        if len(found[row.user_id]) < MAX_SESSIONS:
            found[row.user_id].append(row)
    return [found.get(uid, []) for uid in user_ids]


async def sessions_by_id(ids: list[int]) -> Sequence[AuthSession | None]:
    rows = {s.id: s for s in await AuthSession.filter(id__in=ids).select_related("user")}
    return [rows.get(i) for i in ids]


async def visible_sessions(ctx: Context, ids: list[int]) -> list[AuthSession | None]:
    """Sessions by id under the same rule as ``User.sessions`` (None otherwise: no leaks)."""
    found = await ctx.loaders.get(sessions_by_id).load_many(ids)
    return [
        s
        if s is not None
        and may_read_sessions(ctx.principal, s.user_id, s.user.organization_id, s.user.role)
        else None
        for s in found
    ]


# --- admin acts that end sessions ------------------------------------------------------------


async def check_user_deactivate(ctx: Context, user_id: int | None) -> User:
    """Deactivate: the user can no longer sign in, every session ends and every live socket
    closes at once; their content stays. Not the owner, not yourself."""
    principal = require_admin(ctx)
    user = await access_user(ctx, user_id)
    check_not_owner(user, "The owner cannot be deactivated; transfer ownership first.")
    if user.id == principal.user_id:
        raise DomainError(
            "You cannot deactivate yourself.", field="userId", code=AdminErrorCode.SELF
        )
    if not user.is_active:
        return user  # already done: a retry changes nothing and records nothing
    return await do_user_deactivate(ctx, user)


async def do_user_deactivate(ctx: Context, user: User) -> User:
    async with transaction() as tx:
        if user.role in ADMIN_ROLES and not await active_admins_besides(
            user.organization_id, user.id
        ):
            raise last_admin_error()
        before = snapshot(user, ("is_active", "deactivated_at"))
        user.is_active = False
        user.deactivated_at = datetime.now(UTC)
        await user.save(update_fields=["is_active", "deactivated_at", "updated_at"])
        sessions = await AuthSession.filter(user_id=user.id, revoked_at__isnull=True).values_list(
            "id", flat=True
        )
        # Joins this transaction: the revocation (and the socket closes) go out after commit.
        await do_revoke_sessions([int(s) for s in sessions], all_of_users=[user.id])  # type: ignore[call-overload]
        after = snapshot(user, ("is_active", "deactivated_at"))
        await audit(ctx, "user.deactivate", "user", user.id, before=before, after=after)
        tx.publish(
            events.organization_channel(user.organization_id), events.member_deactivated(user)
        )
    return user


async def check_user_reactivate(ctx: Context, user_id: int | None) -> User:
    require_admin(ctx)
    user = await access_user(ctx, user_id)
    if user.is_active:
        return user
    return await do_user_reactivate(ctx, user)


async def do_user_reactivate(ctx: Context, user: User) -> User:
    async with transaction() as tx:
        before = snapshot(user, ("is_active", "deactivated_at"))
        user.is_active = True
        user.deactivated_at = None
        await user.save(update_fields=["is_active", "deactivated_at", "updated_at"])
        after = snapshot(user, ("is_active", "deactivated_at"))
        await audit(ctx, "user.reactivate", "user", user.id, before=before, after=after)
        tx.publish(events.organization_channel(user.organization_id), events.member_updated(user))
    return user


# --- password reset and ownership ----------------------------------------------------------


async def check_password_reset(
    ctx: Context, user_id: int | None, new_password: str | None
) -> Created:
    """Set another user's password (given, or generated and returned once), require them to
    change it at next sign-in, end every session of theirs, audit it and tell the account.

    Never your own: resetting needs no current password and ends the other sessions, so an
    admin's stolen access token (15 minutes) would become the account for good. Your own
    password changes with ``passwordChange``, which asks for the current one."""
    principal = require_admin(ctx)
    user = await access_user(ctx, user_id)
    if user.id == principal.user_id:
        raise DomainError(
            "Change your own password with passwordChange: it needs the current one.",
            field="userId",
            code=AdminErrorCode.SELF,
        )
    guard_owner(principal, user)
    if new_password is not None:
        collect(password_errors(new_password, user.email, field="newPassword"))
    temporary = generate_password() if new_password is None else None
    password_hash = await hash_password(
        new_password if new_password is not None else temporary or ""
    )
    await do_password_reset(ctx, user, password_hash, actor_id=principal.user_id)
    return Created(user, temporary)


async def do_password_reset(ctx: Context, user: User, password_hash: str, *, actor_id: int) -> None:
    async with transaction() as tx:
        before = snapshot(user, ("must_change_password",))
        user.password_hash = password_hash
        user.must_change_password = True
        await user.save(update_fields=["password_hash", "must_change_password", "updated_at"])
        # The notice goes out before the revocation closes the account's sockets (after a
        # short grace), so its open streams learn why they end. Mail does not exist yet.
        at = datetime.now(UTC).isoformat()
        tx.publish(user_channel(user.id), events.password_reset(user, actor_id, at))
        sessions = await AuthSession.filter(user_id=user.id, revoked_at__isnull=True).values_list(
            "id", flat=True
        )
        await do_revoke_sessions(
            [int(s) for s in sessions],  # type: ignore[call-overload]
            all_of_users=[user.id],
            close_after=NOTICE_GRACE_SECONDS,
        )
        after = snapshot(user, ("must_change_password",))
        await audit(ctx, "user.password_reset", "user", user.id, before=before, after=after)
