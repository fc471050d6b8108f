"""Who may do what in the directory, written once.

| act                                             | OWNER | ADMIN         | MEMBER | GUEST    |
|-------------------------------------------------|-------|---------------|--------|----------|
| read the directory (users, departments, groups) | yes   | yes           | yes    | self only|
| read deactivated users (`includeDeactivated`)   | yes   | yes           | no     | no       |
| read sessions of a user                         | all   | not the owner | own    | own      |
| create, update, deactivate users; reset password| yes   | not the owner | no     | no       |
| (reset: others only; yourself: passwordChange)  |       |               |        |          |
| change roles (to OWNER only by transfer)        | yes   | not the owner | no     | no       |
| transfer ownership                              | yes   | no            | no     | no       |
| departments, groups, invitations, org settings  | yes   | yes           | no     | no       |
| audit log                                       | yes   | yes           | no     | no       |
| organizationEvents                              | yes   | yes           | yes    | no       |

Another organization's object is NOT_FOUND, never FORBIDDEN, so nothing leaks its existence.
A principal whose password was reset by an admin may only change it (PASSWORD_CHANGE_REQUIRED).
"""

from __future__ import annotations

from collections.abc import Iterable

from models.admin import Department, Group
from models.identity import Organization, Role, User
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.principal import require_principal

ADMIN_ROLES = (Role.OWNER, Role.ADMIN)
MAX_IDS = 100


def is_admin(principal: Principal) -> bool:
    return principal.user.role in ADMIN_ROLES


def require_member(ctx: Context) -> Principal:
    """Any signed-in user but a guest."""
    principal = require_principal(ctx)
    if principal.user.role == Role.GUEST:
        raise Forbidden("Guests see only what they are explicitly given.")
    return principal


def require_admin(ctx: Context) -> Principal:
    principal = require_principal(ctx)
    if not is_admin(principal):
        raise Forbidden("Only the owner and admins may do this.")
    return principal


def require_owner(ctx: Context) -> Principal:
    principal = require_principal(ctx)
    if principal.user.role != Role.OWNER:
        raise Forbidden("Only the owner may do this.")
    return principal


def check_id_count(ids: Iterable[object], field: str) -> None:
    if len(list(ids)) > MAX_IDS:
        raise ValidationFailed(f"At most {MAX_IDS} ids per call.", field=field)


async def access_user(ctx: Context, user_id: int | None, *, field: str = "userId") -> User:
    """A user of the viewer's organization that the viewer may see (guests: themselves;
    deactivated users: admins only), or NOT_FOUND."""
    principal = require_principal(ctx)
    user = (
        await User.get_or_none(id=user_id, organization_id=principal.organization_id)
        if user_id is not None
        else None
    )
    if user is None:
        raise NotFound(field=field)
    if principal.user.role == Role.GUEST and user.id != principal.user_id:
        raise NotFound(field=field)
    if not user.is_active and not is_admin(principal):
        raise NotFound(field=field)
    return user


async def access_users(ctx: Context, user_ids: list[int], *, field: str = "userIds") -> list[User]:
    """All of these users (active, same organization), in the given order, or NOT_FOUND."""
    principal = require_principal(ctx)
    check_id_count(user_ids, field)
    wanted = list(dict.fromkeys(user_ids))
    found = {
        u.id: u
        for u in await User.filter(
            id__in=wanted, organization_id=principal.organization_id, is_active=True
        )
    }
    if len(found) != len(wanted):
        raise NotFound(field=field)
    return [found[i] for i in wanted]


async def access_department(
    ctx: Context, department_id: int | None, *, field: str = "departmentId"
) -> Department:
    principal = require_member(ctx)
    dept = (
        await Department.get_or_none(id=department_id, organization_id=principal.organization_id)
        if department_id is not None
        else None
    )
    if dept is None:
        raise NotFound(field=field)
    return dept


async def access_departments(
    ctx: Context, department_ids: list[int], *, field: str = "departmentIds"
) -> list[Department]:
    principal = require_member(ctx)
    check_id_count(department_ids, field)
    wanted = list(dict.fromkeys(department_ids))
    found = {
        d.id: d
        for d in await Department.filter(id__in=wanted, organization_id=principal.organization_id)
    }
    if len(found) != len(wanted):
        raise NotFound(field=field)
    return [found[i] for i in wanted]


async def access_group(ctx: Context, group_id: int | None, *, field: str = "groupId") -> Group:
    principal = require_member(ctx)
    group = (
        await Group.get_or_none(id=group_id, organization_id=principal.organization_id)
        if group_id is not None
        else None
    )
    if group is None:
        raise NotFound(field=field)
    return group


async def lock_organization(organization_id: int) -> None:
    """Serialize the directory writes of an organization until the transaction ends, so that
    checks (cycles, emptiness, limits, departments still existing) hold when the write lands.
    PostgreSQL locks the organization row; SQLite runs one writing transaction at a time anyway
    (Tortoise drops FOR UPDATE there)."""
    await Organization.select_for_update().get(id=organization_id)


async def check_departments_exist(organization_id: int, department_ids: list[int]) -> None:
    """Under ``lock_organization``: the departments checked before the lock still exist."""
    if not department_ids:
        return
    found = await Department.filter(id__in=department_ids, organization_id=organization_id).count()
    if found != len(set(department_ids)):
        raise NotFound(field="departmentIds")


def refuse_guest_in_departments(role: Role, department_ids: list[int]) -> None:
    """Guests are outside the directory: they sit in no department."""
    if role == Role.GUEST and department_ids:
        raise DomainError(
            "Guests cannot be placed in departments.",
            field="departmentIds",
            code=AdminErrorCode.GUEST_NOT_ALLOWED,
        )


def check_not_owner(target: User, message: str = "The owner cannot be changed this way.") -> None:
    if target.role == Role.OWNER:
        raise DomainError(message, code=AdminErrorCode.OWNER_PROTECTED, field="userId")
