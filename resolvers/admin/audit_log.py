"""Reading the audit log (admins only). Entries are written by ``resolvers.admin.audit`` and never
changed: nothing here updates or deletes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from models.admin import AuditEntry
from resolvers.admin.access import access_user, is_admin, require_admin
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate

MAX_ACTION = 64


def _utc(value: datetime) -> datetime:
    # A time without a zone is taken as UTC (the API speaks UTC throughout).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def audit_log(
    ctx: Context,
    *,
    first: int | None,
    after: str | None,
    actor_id: int | None,
    filter_actor: bool,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Page[AuditEntry]:
    """The organization's entries, newest first. ``since`` is inclusive, ``until`` exclusive,
    so consecutive windows neither overlap nor leave gaps."""
    principal = require_admin(ctx)
    qs = AuditEntry.filter(organization_id=principal.organization_id)
    if filter_actor:
        # Another organization's user (or a malformed id) is NOT_FOUND, as everywhere.
        actor = await access_user(ctx, actor_id, field="actorId")
        qs = qs.filter(actor_id=actor.id)
    if action is not None:
        if not action or len(action) > MAX_ACTION:
            raise ValidationFailed(f"Actions have 1 to {MAX_ACTION} characters.", field="action")
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(created_at__gte=_utc(since))
    if until is not None:
        qs = qs.filter(created_at__lt=_utc(until))
    return await paginate(qs, order=["-created_at", "-id"], first=first, after=after)


async def audit_entries_by_id(ids: list[int]) -> Sequence[AuditEntry | None]:
    return by_key(await AuditEntry.filter(id__in=ids), ids)


async def visible_audit_entries(ctx: Context, ids: list[int]) -> list[AuditEntry | None]:
    """Entries by id for ``node``: admins of the entry's organization only."""
    principal = ctx.principal
    if principal is None or not is_admin(principal):
        return [None] * len(ids)
    found = await ctx.loaders.get(audit_entries_by_id).load_many(ids)
    return [
        e if e is not None and e.organization_id == principal.organization_id else None
        for e in found
    ]
