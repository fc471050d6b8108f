"""Tenancy-checked reads of the directory."""

from __future__ import annotations

from models.admin import Department
from models.identity import Role
from resolvers.admin.loaders import departments_by_id
from server.context import Context


async def visible_departments(ctx: Context, ids: list[int]) -> list[Department | None]:
    """Departments by id as the viewer may see them: members of the same organization only
    (guests see no directory)."""
    principal = ctx.principal
    if principal is None or principal.user.role == Role.GUEST:
        return [None] * len(ids)
    found = await ctx.loaders.get(departments_by_id).load_many(ids)
    return [
        d if d is not None and d.organization_id == principal.organization_id else None
        for d in found
    ]
