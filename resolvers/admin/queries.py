"""Tenancy-checked reads of the directory: departments and groups."""

from __future__ import annotations

from models.admin import Department, Group
from models.identity import Role, User
from resolvers.admin.access import access_department, require_member
from resolvers.admin.loaders import department_paths, departments_by_id, groups_by_id
from resolvers.core.errors import ValidationFailed
from resolvers.core.pagination import Page, paginate
from server.context import Context

MAX_SEARCH = 100


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


async def visible_groups(ctx: Context, ids: list[int]) -> list[Group | None]:
    """Groups by id, with the same rule as departments."""
    principal = ctx.principal
    if principal is None or principal.user.role == Role.GUEST:
        return [None] * len(ids)
    found = await ctx.loaders.get(groups_by_id).load_many(ids)
    return [
        g if g is not None and g.organization_id == principal.organization_id else None
        for g in found
    ]


async def department_list(
    ctx: Context, parent_id: int | None, *, first: int | None, after: str | None
) -> Page[Department]:
    """Children of a department, or the top level when ``parent_id`` is None, by name."""
    principal = require_member(ctx)
    if parent_id is not None:
        await access_department(ctx, parent_id, field="parentId")
        qs = Department.filter(organization_id=principal.organization_id, parent_id=parent_id)
    else:
        qs = Department.filter(organization_id=principal.organization_id, parent_id__isnull=True)
    return await paginate(qs, order=["name", "id"], first=first, after=after)


async def department_children(
    ctx: Context, dept: Department, *, first: int | None, after: str | None
) -> Page[Department]:
    require_member(ctx)
    qs = Department.filter(organization_id=dept.organization_id, parent_id=dept.id)
    return await paginate(qs, order=["name", "id"], first=first, after=after)


async def department_members(
    ctx: Context, department_id: int, *, first: int | None, after: str | None
) -> Page[User]:
    """Active users of a department by display name (like ``Organization.members``:
    deactivated users keep their rows but leave the directory)."""
    principal = require_member(ctx)
    qs = User.filter(
        organization_id=principal.organization_id,
        is_active=True,
        department_memberships__department_id=department_id,
    )
    return await paginate(qs, order=["display_name", "id"], first=first, after=after)


async def department_path(ctx: Context, department_id: int) -> list[Department]:
    require_member(ctx)
    return await ctx.loaders.get(department_paths).load(department_id)


async def group_list(
    ctx: Context, *, first: int | None, after: str | None, search: str | None
) -> Page[Group]:
    """Groups by name; ``search`` matches a part of the name, any case."""
    principal = require_member(ctx)
    qs = Group.filter(organization_id=principal.organization_id)
    if search is not None and search.strip():
        if len(search) > MAX_SEARCH:
            raise ValidationFailed(f"Search at most {MAX_SEARCH} characters.", field="search")
        qs = qs.filter(name__icontains=search.strip())
    return await paginate(qs, order=["name", "id"], first=first, after=after)


async def group_members(
    ctx: Context, group_id: int, *, first: int | None, after: str | None
) -> Page[User]:
    principal = require_member(ctx)
    qs = User.filter(
        organization_id=principal.organization_id,
        is_active=True,
        group_memberships__group_id=group_id,
    )
    return await paginate(qs, order=["display_name", "id"], first=first, after=after)
