"""Reads of apps: the organization's list, look-ups by id, and the apps a person authorized.

Owners and admins list every app of their organization; members may read an app by id (the
consent page and a bot in a chat name it); guests see none. Another organization's app is
never seen (NOT_FOUND, or null through ``node``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.apps import App
from models.identity import AuthSession, Role, SessionKind
from resolvers.apps.apps import is_admin
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal


async def apps_by_id(keys: list[int]) -> Sequence[App | None]:
    return by_key(await App.filter(id__in=keys), keys)


async def visible_apps(ctx: Context, ids: list[int]) -> list[App | None]:
    """Apps by id as the viewer may see them: their own organization's, not for guests."""
    principal = ctx.principal
    if principal is None or principal.user.role == Role.GUEST:
        return [None] * len(ids)
    found = await ctx.loaders.get(apps_by_id).load_many(ids)
    return [
        a if a is not None and a.organization_id == principal.organization_id else None
        for a in found
    ]


async def app_list(ctx: Context, *, first: int | None, after: str | None) -> Page[App]:
    """The organization's apps, newest first, disabled ones included (``disabledAt``)."""
    principal = require_principal(ctx)
    if not is_admin(principal):
        raise Forbidden("Only the owner and admins list the organization's apps.")
    return await paginate(
        App.filter(organization_id=principal.organization_id),
        order=["-id"],
        first=first,
        after=after,
    )


@dataclass
class Authorization:
    """An app a person let act for them: their live OAuth sessions with it, together."""

    app: App
    scopes: list[str]
    """Everything the person's live sessions with the app may do, together."""
    first_granted_at: datetime
    last_granted_at: datetime
    session_count: int


MAX_AUTHORIZATIONS = 100


async def viewer_authorizations(ctx: Context) -> list[Authorization]:
    """The apps the viewer authorized that still hold a live token, most recent first."""
    principal = require_principal(ctx)
    sessions = (
        await AuthSession.filter(
            user_id=principal.user_id,
            kind=SessionKind.OAUTH,
            revoked_at__isnull=True,
            app__disabled_at__isnull=True,
        )
        .order_by("-id")
        .limit(1000)
    )
    grouped: dict[int, list[AuthSession]] = {}
    for s in sessions:
        if s.app_id is not None:
            grouped.setdefault(s.app_id, []).append(s)
    ids = list(grouped)[:MAX_AUTHORIZATIONS]
    apps = await ctx.loaders.get(apps_by_id).load_many(ids)
    out = []
    for app in apps:
        if app is None or app.organization_id != principal.organization_id:
            continue
        rows = grouped[app.id]
        out.append(
            Authorization(
                app=app,
                scopes=sorted({scope for s in rows for scope in (s.scopes or [])}),
                first_granted_at=min(s.created_at for s in rows),
                last_granted_at=max(s.created_at for s in rows),
                session_count=len(rows),
            )
        )
    return out
