"""Reads of identity: authentication and tenancy-checked lookups."""

from __future__ import annotations

from collections.abc import Sequence

from models.identity import AuthSession, AuthToken, Organization, Role, TokenKind, User
from resolvers.core.errors import DomainError, NotFound, Unauthenticated
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate
from resolvers.identity.tokens import ACCESS_PREFIX, now, token_hash
from server.context import Context, Principal


async def authenticate(token: str) -> Principal | None:
    """The principal of a valid access token, or None. One query."""
    if not token.startswith(ACCESS_PREFIX) or len(token) > 128:
        return None
    row = (
        await AuthToken.filter(
            token_hash=token_hash(token),
            kind=TokenKind.ACCESS,
            expires_at__gt=now(),
            session__revoked_at__isnull=True,
            session__user__is_active=True,
        )
        .select_related("session__user")
        .first()
    )
    if row is None:
        return None
    return Principal(user=row.session.user, session_id=row.session_id)


class PasswordChangeRequired(DomainError):
    code = "PASSWORD_CHANGE_REQUIRED"
    default_message = "An admin reset your password: choose a new one with passwordChange first."


def require_principal(ctx: Context, *, pending_password_change_ok: bool = False) -> Principal:
    """The signed-in principal. After an admin's password reset only ``passwordChange`` (and
    ``viewer``, ``signOut``) work until the user has chosen a new password."""
    if ctx.principal is None:
        raise Unauthenticated()
    if ctx.principal.user.must_change_password and not pending_password_change_ok:
        raise PasswordChangeRequired()
    return ctx.principal


async def live_sessions(session_ids: list[int]) -> set[int]:
    """Which of these sessions are still valid (not revoked, user active). One query per 500."""
    live: set[int] = set()
    for i in range(0, len(session_ids), 500):
        chunk = session_ids[i : i + 500]
        rows = await AuthSession.filter(
            id__in=chunk, revoked_at__isnull=True, user__is_active=True
        ).values_list("id", flat=True)
        live.update(int(r) for r in rows)  # type: ignore[call-overload]  # flat=True: ids
    return live


async def users_by_id(keys: list[int]) -> Sequence[User | None]:
    return by_key(await User.filter(id__in=keys), keys)


async def organizations_by_id(keys: list[int]) -> Sequence[Organization | None]:
    return by_key(await Organization.filter(id__in=keys), keys)


async def visible_users(ctx: Context, ids: list[int]) -> list[User | None]:
    """Users by id as the viewer may see them: another organization's user is None, exactly
    like one that does not exist."""
    principal = ctx.principal
    if principal is None:
        return [None] * len(ids)
    users = await ctx.loaders.get(users_by_id).load_many(ids)
    return [u if u is not None and can_see_user(principal, u) else None for u in users]


def can_see_user(principal: Principal, user: User) -> bool:
    """Same organization; guests see only themselves; deactivated users only admins see."""
    if user.organization_id != principal.organization_id:
        return False
    viewer_role = principal.user.role
    if viewer_role == Role.GUEST:
        return user.id == principal.user_id
    return user.is_active or viewer_role in (Role.OWNER, Role.ADMIN)


async def visible_organizations(ctx: Context, ids: list[int]) -> list[Organization | None]:
    if ctx.principal is None:
        return [None] * len(ids)
    org = ctx.principal.organization_id
    orgs = await ctx.loaders.get(organizations_by_id).load_many(ids)
    return [o if o is not None and o.id == org else None for o in orgs]


async def organization_members(
    ctx: Context,
    organization_id: int,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Page[User]:
    """Active members by display name, under ``can_see_user``: a guest, who may not read the
    directory (``users`` refuses it), finds only itself here, whichever path led here
    (``organization``, ``viewer { organization }``, a user's organization...)."""
    principal = require_principal(ctx)
    if principal.organization_id != organization_id:
        raise NotFound()
    members = User.filter(organization_id=organization_id, is_active=True)
    if principal.user.role == Role.GUEST:
        members = members.filter(id=principal.user_id)
    return await paginate(
        members,
        order=["display_name", "id"],
        first=first,
        after=after,
        last=last,
        before=before,
    )
