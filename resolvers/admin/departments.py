"""Writes of the department tree: create, update, move, delete, and membership.

Every tree write takes the organization's lock first (``lock_organization``) and validates what
depends on other rows (sibling names, cycles, depth, emptiness) only after it, so two admins
acting at once cannot create a cycle, a duplicate name or orphan members. The cheap checks of
the input alone happen before, in ``check_*``.
"""

from __future__ import annotations

from typing import Any

from models.admin import Department, DepartmentMember
from models.identity import Role, User
from resolvers.admin.access import (
    access_department,
    access_user,
    access_users,
    lock_organization,
    require_admin,
)
from resolvers.admin.audit import audit, changes, snapshot
from resolvers.admin.errors import AdminErrorCode
from resolvers.admin.events import department_changed, member_updated, organization_channel
from resolvers.admin.loaders import MAX_DEPTH, department_paths, subtree_height
from resolvers.core import names
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, collect
from resolvers.core.idempotency import once
from resolvers.core.tx import transaction

MAX_NAME = 100
FIELDS = ("name", "parent_id", "leader_id")
UNSET: Any = object()
"""Marks an update field that was not given (``None`` means "clear")."""


def clean_name(name: str, what: str = "department") -> str:
    """A department or group name, stripped (the shared rule of ``resolvers.core.names``)."""
    collect(names.name_errors(name, "name", max_length=MAX_NAME, what=f"{what.capitalize()} names"))
    return name.strip()


def refuse_guests(users: list[User], field: str = "userIds") -> None:
    """Guests are outside the directory, so they sit in neither departments nor groups."""
    if any(u.role == Role.GUEST for u in users):
        raise DomainError(
            "Guests cannot be placed in the directory.",
            field=field,
            code=AdminErrorCode.GUEST_NOT_ALLOWED,
        )


async def _leader(ctx: Context, leader_id: int | None) -> User | None:
    if leader_id is None:
        return None
    user = await access_user(ctx, leader_id, field="leaderId")
    # Approval routing sends "department head" steps here: it must be someone who can act.
    if not user.is_active or user.role == Role.GUEST:
        raise DomainError(
            "The leader must be an active member of the organization.",
            field="leaderId",
            code=AdminErrorCode.INVALID_LEADER,
        )
    return user


async def _check_name_free(
    org_id: int, parent_id: int | None, name: str, *, exclude: int | None = None
) -> None:
    qs = Department.filter(organization_id=org_id, name__iexact=name)
    qs = (
        qs.filter(parent_id=parent_id)
        if parent_id is not None
        else qs.filter(parent_id__isnull=True)
    )
    if exclude is not None:
        qs = qs.exclude(id=exclude)
    if await qs.exists():
        raise DomainError(
            "A sibling department has this name already.",
            field="name",
            code=AdminErrorCode.NAME_TAKEN,
        )


async def _depth(department_id: int) -> int:
    """Level of a department: 1 at the top."""
    return len((await department_paths([department_id]))[0])


def _too_deep() -> DomainError:
    return DomainError(
        f"The department tree is at most {MAX_DEPTH} levels deep.",
        field="parentId",
        code=AdminErrorCode.DEPARTMENT_TOO_DEEP,
    )


async def check_department_create(
    ctx: Context,
    *,
    name: str,
    parent_id: int | None,
    leader_id: int | None,
    idempotency_key: str | None,
) -> Department:
    principal = require_admin(ctx)
    name = clean_name(name)
    parent = (
        await access_department(ctx, parent_id, field="parentId") if parent_id is not None else None
    )
    leader = await _leader(ctx, leader_id)

    async def create() -> Department:
        return await do_department_create(ctx, principal.organization_id, name, parent, leader)

    async def load(pk: int) -> Department | None:
        return await Department.get_or_none(id=pk, organization_id=principal.organization_id)

    fields = {"name": name, "parentId": parent_id, "leaderId": leader_id}
    return await once(
        principal.user_id, "departmentCreate", idempotency_key, create, load, input=fields
    )


async def do_department_create(
    ctx: Context, org_id: int, name: str, parent: Department | None, leader: User | None
) -> Department:
    async with transaction() as tx:
        await lock_organization(org_id)
        if parent is not None:
            # Read again under the lock: it may have been deleted meanwhile (NOT_FOUND).
            parent = await access_department(ctx, parent.id)
            if await _depth(parent.id) + 1 > MAX_DEPTH:
                raise _too_deep()
        await _check_name_free(org_id, parent.id if parent else None, name)
        dept = await Department.create(
            organization_id=org_id,
            name=name,
            parent_id=parent.id if parent else None,
            leader_id=leader.id if leader else None,
        )
        await audit(ctx, "department.create", "department", dept.id, after=snapshot(dept, FIELDS))
        tx.publish(organization_channel(org_id), department_changed("CREATED", dept))
    return dept


async def check_department_update(
    ctx: Context, department_id: int | None, *, name: str | None, leader_id: Any = UNSET
) -> Department:
    """``name`` None keeps the name; ``leader_id`` UNSET keeps the leader, None clears it."""
    require_admin(ctx)
    dept = await access_department(ctx, department_id)
    new_name = clean_name(name) if name is not None else None
    leader = await _leader(ctx, leader_id) if leader_id is not UNSET else UNSET
    return await do_department_update(ctx, dept, new_name, leader)


async def do_department_update(
    ctx: Context, dept: Department, name: str | None, leader: Any
) -> Department:
    async with transaction() as tx:
        await lock_organization(dept.organization_id)
        dept = await access_department(ctx, dept.id)
        before = snapshot(dept, FIELDS)
        if name is not None:
            await _check_name_free(dept.organization_id, dept.parent_id, name, exclude=dept.id)
            dept.name = name
        if leader is not UNSET:
            dept.leader_id = leader.id if leader is not None else None
        old, new = changes(before, snapshot(dept, FIELDS))
        if not new:
            return dept  # nothing to change: no write, no audit entry, no event
        await dept.save(update_fields=list(new))
        await audit(ctx, "department.update", "department", dept.id, before=old, after=new)
        tx.publish(organization_channel(dept.organization_id), department_changed("UPDATED", dept))
    return dept


async def check_department_move(
    ctx: Context, department_id: int | None, parent_id: int | None
) -> Department:
    """``parent_id`` None moves to the top level (the schema layer turns a malformed id into
    NOT_FOUND before, so None here really means "no parent")."""
    require_admin(ctx)
    dept = await access_department(ctx, department_id)
    parent = (
        await access_department(ctx, parent_id, field="parentId") if parent_id is not None else None
    )
    return await do_department_move(ctx, dept, parent)


async def do_department_move(
    ctx: Context, dept: Department, parent: Department | None
) -> Department:
    async with transaction() as tx:
        await lock_organization(dept.organization_id)
        dept = await access_department(ctx, dept.id)
        if parent is not None:
            parent = await access_department(ctx, parent.id)
            # After the lock: the ancestors read here cannot change until we commit.
            chain = (await department_paths([parent.id]))[0]
            if any(d.id == dept.id for d in chain):
                raise DomainError(
                    "A department cannot move under itself or one of its descendants.",
                    field="parentId",
                    code=AdminErrorCode.DEPARTMENT_CYCLE,
                )
            if len(chain) + 1 + await subtree_height(dept.id) > MAX_DEPTH:
                raise _too_deep()
        new_parent_id = parent.id if parent is not None else None
        if new_parent_id == dept.parent_id:
            return dept  # already there: nothing to record
        await _check_name_free(dept.organization_id, new_parent_id, dept.name, exclude=dept.id)
        before = snapshot(dept, ("parent_id",))
        dept.parent_id = new_parent_id
        await dept.save(update_fields=["parent_id"])
        await audit(
            ctx,
            "department.move",
            "department",
            dept.id,
            before=before,
            after=snapshot(dept, ("parent_id",)),
        )
        tx.publish(organization_channel(dept.organization_id), department_changed("MOVED", dept))
    return dept


async def check_department_delete(ctx: Context, department_id: int | None) -> int:
    require_admin(ctx)
    dept = await access_department(ctx, department_id)
    return await do_department_delete(ctx, dept)


async def do_department_delete(ctx: Context, dept: Department) -> int:
    async with transaction() as tx:
        await lock_organization(dept.organization_id)
        dept = await access_department(ctx, dept.id)
        has_children = await Department.filter(parent_id=dept.id).exists()
        # Deactivated users are out of the directory; their old rows go with the department.
        has_members = await DepartmentMember.filter(
            department_id=dept.id, user__is_active=True
        ).exists()
        if has_children or has_members:
            raise DomainError(
                "Move or delete its sub-departments and remove its members first.",
                field="departmentId",
                code=AdminErrorCode.DEPARTMENT_NOT_EMPTY,
            )
        before = snapshot(dept, FIELDS)
        await DepartmentMember.filter(department_id=dept.id).delete()
        await Department.filter(id=dept.id).delete()
        await audit(ctx, "department.delete", "department", dept.id, before=before)
        tx.publish(organization_channel(dept.organization_id), department_changed("DELETED", dept))
    return dept.id


async def check_department_members(
    ctx: Context, department_id: int | None, user_ids: list[int], *, add: bool
) -> Department:
    require_admin(ctx)
    dept = await access_department(ctx, department_id)
    users = await access_users(ctx, user_ids)
    if add:
        refuse_guests(users)
    return await do_department_members(ctx, dept, users, add=add)


async def do_department_members(
    ctx: Context, dept: Department, users: list[User], *, add: bool
) -> Department:
    """Add or remove members; already present (or absent) users are left alone. One
    ``department.changed`` UPDATED for the department and one ``member.updated`` per user
    whose departments changed (``User.departments`` is what live clients show)."""
    async with transaction() as tx:
        # The tree lock also orders this against departmentDelete's emptiness check.
        await lock_organization(dept.organization_id)
        dept = await access_department(ctx, dept.id)
        present = set(
            await DepartmentMember.filter(
                department_id=dept.id, user_id__in=[u.id for u in users]
            ).values_list("user_id", flat=True)
        )
        changed = [u for u in users if (u.id in present) != add]
        if not changed:
            return dept
        ids = [u.id for u in changed]
        if add:
            await DepartmentMember.bulk_create(
                [DepartmentMember(department_id=dept.id, user_id=i) for i in ids],
                ignore_conflicts=True,
            )
            await audit(
                ctx, "department.members_add", "department", dept.id, after={"userIds": ids}
            )
        else:
            await DepartmentMember.filter(department_id=dept.id, user_id__in=ids).delete()
            await audit(
                ctx, "department.members_remove", "department", dept.id, before={"userIds": ids}
            )
        channel = organization_channel(dept.organization_id)
        tx.publish(channel, department_changed("UPDATED", dept))
        for user in changed:
            tx.publish(channel, member_updated(user))
    return dept
