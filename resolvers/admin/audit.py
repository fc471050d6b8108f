"""The audit log: one append-only entry per administrative act, written in the same
transaction as the act itself (so an entry exists exactly when the change does)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from models.admin import AuditEntry
from resolvers.core.context import Context


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple, set)):
        return [_json(v) for v in value]
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """JSON-safe values of ``fields`` of a model (``x_id`` for foreign keys)."""
    return {f: _json(getattr(obj, f)) for f in fields}


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, before and after."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def audit(
    ctx: Context,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    organization_id: int | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    """Append an entry. Call inside the act's ``transaction()``. The actor and organization
    default to the principal's (``invitationAccept`` names the new user instead)."""
    principal = ctx.principal
    org = (
        organization_id
        if organization_id is not None
        else principal.organization_id
        if principal
        else None
    )
    if org is None:
        raise RuntimeError("an audit entry needs an organization")
    return await AuditEntry.create(
        organization_id=org,
        actor_id=actor_id if actor_id is not None else principal.user_id if principal else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=_json(before) if before is not None else None,
        after=_json(after) if after is not None else None,
        request_id=ctx.meta.request_id[:64],
        ip=ctx.meta.ip[:64],
        user_agent=ctx.meta.user_agent[:255],
    )
