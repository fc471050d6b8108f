"""Reads of identity: authentication and tenancy-checked lookups."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from models.identity import AuthSession, AuthToken, Organization, Role, TokenKind, User
from resolvers.core.clock import now
from resolvers.core.context import Context, Principal
from resolvers.core.errors import NotFound
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.identity import auth_cache
from resolvers.identity.tokens import BEARER_PREFIXES, token_hash


async def authenticate(token: str) -> Principal | None:
    """The principal of a valid access token, or None. One query, by the token's hash, or none
    when this process read the same token within ``HELLO_AUTH_CACHE_SECONDS``
    (``auth_cache.py``: revocations and changes to the user clear it). The conditions below are
    checked on the row either way, so a token expires on time.

    Every request and every WebSocket pays this on the event loop, so the query is plain SQL
    written once from the models' metadata: the ORM spent some 5 ms of Python building the
    same two-join query each time (200 sockets connecting at once held the loop for a second),
    this takes a tenth of that. The remaining conditions are checked on the row."""
    if not token.startswith(BEARER_PREFIXES) or len(token) > 128:
        return None
    key = token_hash(token)
    memory = auth_cache.cache()
    row = memory.get(key)
    if row is None:
        epoch = memory.epoch
        db = AuthToken._meta.db
        rows = await db.execute_query_dict(_auth_sql(db.capabilities.dialect), [key])
        if not rows:
            return None
        row = dict(rows[0])
        # Converted once, not on every request the entry answers (SQLite returns text).
        row["_expires_at"] = _EXPIRES.to_python_value(row["_expires_at"])
        # A JSON column: text on SQLite, already decoded on PostgreSQL.
        row["_scopes"] = _SCOPES.to_python_value(row["_scopes"])
        memory.put(key, row, epoch)
    if row["_kind"] != TokenKind.ACCESS.value or row["_expires_at"] <= now():
        return None
    if row["_revoked_at"] is not None:
        return None
    user = User._init_from_db(**{column: row[column] for column in _user_columns()})
    if not user.is_active:
        return None
    scopes = row["_scopes"]
    return Principal(
        user=user,
        session_id=int(row["_session_id"]),
        scopes=None if scopes is None else frozenset(scopes),
        app_id=row["_app_id"],
    )


_EXPIRES = AuthToken._meta.fields_map["expires_at"]
_SCOPES = AuthSession._meta.fields_map["scopes"]


def _user_columns() -> list[str]:
    return list(User._meta.fields_db_projection.values())


@cache
def _auth_sql(dialect: str) -> str:
    # Aliases of the token's and session's columns start with "_", which no column of users
    # does, so the user's columns keep their own names for ``_init_from_db``.
    user = ", ".join(f'u."{c}" AS "{c}"' for c in _user_columns())
    placeholder = "$1" if dialect == "postgres" else "?"
    return (
        f'SELECT t."kind" AS "_kind", t."expires_at" AS "_expires_at", '
        f't."session_id" AS "_session_id", s."revoked_at" AS "_revoked_at", '
        f's."scopes" AS "_scopes", s."app_id" AS "_app_id", {user} '
        f'FROM "{AuthToken._meta.db_table}" t '
        f'JOIN "{AuthSession._meta.db_table}" s ON s."id" = t."session_id" '
        f'JOIN "{User._meta.db_table}" u ON u."id" = s."user_id" '
        f'WHERE t."token_hash" = {placeholder}'
    )


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
    return can_see(principal, user.organization_id, user.id, user.is_active)


def can_see(principal: Principal, organization_id: int, user_id: int, is_active: bool) -> bool:
    """``can_see_user`` from what a user snapshot carries (an event's sender, say)."""
    if organization_id != principal.organization_id:
        return False
    viewer_role = principal.user.role
    if viewer_role == Role.GUEST:
        return user_id == principal.user_id
    return is_active or viewer_role in (Role.OWNER, Role.ADMIN)


def visibility_class(principal: Principal | None) -> tuple[object, ...]:
    """Everything ``can_see`` reads of the viewer: two viewers of one class see exactly the
    same people (a live event is executed once per class, graphql_schema/core/audience.py).
    Keep the two in step."""
    if principal is None:
        return ("nobody",)
    role = principal.user.role
    if role == Role.GUEST:  # sees only themselves
        return ("guest", principal.organization_id, principal.user_id)
    admin = role in (Role.OWNER, Role.ADMIN)  # also sees deactivated people
    return ("admin" if admin else "member", principal.organization_id)


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
