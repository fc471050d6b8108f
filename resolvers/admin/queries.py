"""Tenancy-checked reads of the directory: departments and groups."""

from __future__ import annotations

from tortoise.expressions import Q, Subquery

from models.admin import Department, DepartmentMember, Group
from models.identity import Role, User
from resolvers.admin.access import access_department, is_admin, require_member
from resolvers.admin.loaders import department_paths, departments_by_id, groups_by_id
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden, ValidationFailed
from resolvers.core.pagination import Page, paginate

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


async def list_users(
    ctx: Context,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    search: str | None,
    department_id: int | None,
    department_given: bool,
    role: Role | None,
    include_deactivated: bool,
) -> Page[User]:
    """Users of the viewer's organization by display name. Guests may not list the directory;
    deactivated users are listed for admins only."""
    principal = require_member(ctx)
    if include_deactivated and not is_admin(principal):
        raise Forbidden("Only the owner and admins see deactivated users.")
    qs = User.filter(organization_id=principal.organization_id)
    if not include_deactivated:
        qs = qs.filter(is_active=True)
    if role is not None:
        qs = qs.filter(role=role)
    if department_given:
        dept = await access_department(ctx, department_id)
        members = DepartmentMember.filter(department_id=dept.id).values("user_id")
        qs = qs.filter(id__in=Subquery(members))
    if search is not None:
        term = search.strip()
        if len(term) > MAX_SEARCH:
            raise ValidationFailed(f"Search at most {MAX_SEARCH} characters.", field="search")
        if term:
            # A prefix of the whole name, of any later word of it, or of the email.
            qs = qs.filter(
                Q(display_name__istartswith=term)
                | Q(display_name__icontains=f" {term}")
                | Q(email__istartswith=term)
            )
    return await paginate(
        qs, order=["display_name", "id"], first=first, after=after, last=last, before=before
    )
