"""People: the administrative acts on users (create, update, deactivate, reactivate, password
reset, ownership transfer) and the directory listing. Every act is authorized by the matrix in
``resolvers.admin.access``, writes its audit entry in its own transaction, and tells the
organization channel after commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from models.admin import DepartmentMember
from models.identity import Organization, Role, User
from resolvers.admin import events
from resolvers.admin.access import (
    ADMIN_ROLES,
    access_departments,
    access_user,
    check_departments_exist,
    check_not_owner,
    lock_organization,
    refuse_guest_in_departments,
    require_admin,
    require_owner,
)
from resolvers.admin.audit import audit, changes, snapshot
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, Forbidden, NotFound, collect
from resolvers.core.idempotency import once
from resolvers.core.tx import transaction
from resolvers.identity.events import member_joined
from resolvers.identity.passwords import hash_password
from resolvers.identity.validation import (
    email_errors,
    name_errors,
    normalize_email,
    password_errors,
    profile_errors,
)

# Fields an audit entry may show of a user: never the password hash.
PROFILE = ("display_name", "role", "manager_id", "time_zone", "locale")
# Managers chains are short in practice; the bound only stops a corrupt chain from looping.
MAX_CHAIN = 1000


def generate_password() -> str:
    # 96 random bits, URL-safe: easy to pass on, and far above the length rule.
    return secrets.token_urlsafe(12)


async def _department_ids(user_id: int) -> list[int]:
    rows = await DepartmentMember.filter(user_id=user_id).values_list("department_id", flat=True)
    return sorted(int(r) for r in rows)  # type: ignore[call-overload]


def _audit_view(user: User, department_ids: list[int]) -> dict[str, Any]:
    return {**snapshot(user, PROFILE), "department_ids": department_ids}


async def active_admins_besides(organization_id: int, user_id: int) -> int:
    return (
        await User.filter(
            organization_id=organization_id, is_active=True, role__in=list(ADMIN_ROLES)
        )
        .exclude(id=user_id)
        .count()
    )


def last_admin_error() -> DomainError:
    return DomainError(
        "At least one active owner or admin must remain.",
        field="userId",
        code=AdminErrorCode.LAST_ADMIN,
    )


def guard_owner(principal: Principal, target: User) -> None:
    """Admins manage everyone but the owner; only the owner acts on the owner."""
    if principal.user.role != Role.OWNER:
        check_not_owner(target, "Only the owner may change the owner.")


async def _access_manager(ctx: Context, manager_id: int, user_id: int | None) -> User:
    """A manager of the same organization, active, and not below the user in the chain."""
    principal = require_admin(ctx)
    manager = await User.get_or_none(id=manager_id, organization_id=principal.organization_id)
    if manager is None:
        raise NotFound(field="managerId")
    if not manager.is_active:
        raise DomainError(
            "A deactivated user cannot be a manager.",
            field="managerId",
            code=AdminErrorCode.MANAGER_INACTIVE,
        )
    # Walk up from the new manager: meeting the user means the chain would loop.
    current: User | None = manager
    for _ in range(MAX_CHAIN):
        if current is None:
            return manager
        if current.id == user_id:
            raise DomainError(
                "This would make the user their own manager.",
                field="managerId",
                code=AdminErrorCode.MANAGER_CYCLE,
            )
        if current.manager_id is None:
            return manager
        current = await User.get_or_none(id=current.manager_id)
    raise DomainError(
        "The manager chain is too long.", field="managerId", code=AdminErrorCode.MANAGER_CYCLE
    )


# --- userCreate ----------------------------------------------------------------------------


@dataclass
class Created:
    user: User
    temporary_password: str | None


async def check_user_create(
    ctx: Context,
    *,
    email: str,
    display_name: str,
    password: str | None,
    role: Role,
    department_ids: list[int],
    manager_id: int | None,
    idempotency_key: str | None,
) -> Created:
    """Create an active member directly. Without a password one is generated, returned once,
    and must be changed at first sign-in. OWNER is never given here (only by transfer)."""
    principal = require_admin(ctx)
    email = normalize_email(email)
    temporary = generate_password() if password is None else None
    errors = email_errors(email) + name_errors(display_name, "displayName")
    if password is not None:
        errors += password_errors(password, email)
    if role == Role.OWNER:
        errors.append(
            DomainError(
                "Ownership moves only by ownershipTransfer.",
                field="role",
                code=AdminErrorCode.ROLE_NOT_ALLOWED,
            )
        )
    collect(errors)
    refuse_guest_in_departments(role, department_ids)
    departments = await access_departments(ctx, department_ids)
    manager = await _access_manager(ctx, manager_id, None) if manager_id is not None else None
    org = await Organization.get(id=principal.organization_id)
    password_hash = await hash_password(password if password is not None else temporary or "")

    ran = False

    async def create() -> User:
        nonlocal ran
        ran = True
        if await User.filter(email=email).exists():
            raise _email_taken()
        return await do_user_create(
            ctx,
            organization=org,
            email=email,
            display_name=display_name.strip(),
            password_hash=password_hash,
            must_change_password=temporary is not None,
            role=role,
            department_ids=[d.id for d in departments],
            manager_id=manager.id if manager else None,
        )

    async def load(pk: int) -> User | None:
        return await User.get_or_none(id=pk, organization_id=principal.organization_id)

    # The password is in the fingerprint as given (None: generated); the fingerprint is an
    # HMAC under the server secret, never the password or a plain hash of it.
    fields = {
        "email": email,
        "displayName": display_name.strip(),
        "password": password,
        "role": role,
        "departmentIds": set(department_ids),
        "managerId": manager_id,
    }
    user = await once(principal.user_id, "userCreate", idempotency_key, create, load, input=fields)
    # A retry answers with the first user; its temporary password was shown once and is gone.
    return Created(user, temporary if ran else None)


def _email_taken() -> DomainError:
    return DomainError(
        "An account with this email exists already.", field="email", code=AdminErrorCode.EMAIL_TAKEN
    )


async def do_user_create(
    ctx: Context,
    *,
    organization: Organization,
    email: str,
    display_name: str,
    password_hash: str,
    must_change_password: bool,
    role: Role,
    department_ids: list[int],
    manager_id: int | None,
) -> User:
    try:
        async with transaction() as tx:
            if department_ids:
                await lock_organization(organization.id)
                await check_departments_exist(organization.id, department_ids)
            user = await User.create(
                organization_id=organization.id,
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                must_change_password=must_change_password,
                role=role,
                manager_id=manager_id,
                time_zone=organization.default_time_zone,
            )
            await DepartmentMember.bulk_create(
                [DepartmentMember(department_id=d, user_id=user.id) for d in department_ids]
            )
            after = {**_audit_view(user, sorted(department_ids)), "email": email}
            after["must_change_password"] = must_change_password
            await audit(ctx, "user.create", "user", user.id, after=after)
            tx.publish(events.organization_channel(organization.id), member_joined(user))
    except IntegrityError as e:  # lost a race for the same email
        raise _email_taken() from e
    return user


# --- userUpdate ----------------------------------------------------------------------------


@dataclass
class UserChanges:
    display_name: str | None = None
    role: Role | None = None
    department_ids: list[int] | None = None
    set_manager: bool = False
    manager_id: int | None = None
    time_zone: str | None = None
    locale: str | None = None


async def check_user_update(ctx: Context, user_id: int | None, c: UserChanges) -> User:
    principal = require_admin(ctx)
    user = await access_user(ctx, user_id)
    guard_owner(principal, user)
    errors = profile_errors(c.display_name, c.time_zone, c.locale)
    if c.role is not None and c.role != user.role:
        if c.role == Role.OWNER:
            errors.append(
                DomainError(
                    "Ownership moves only by ownershipTransfer.",
                    field="role",
                    code=AdminErrorCode.ROLE_NOT_ALLOWED,
                )
            )
        elif user.role == Role.OWNER:
            errors.append(
                DomainError(
                    "The owner keeps their role; transfer ownership first.",
                    field="role",
                    code=AdminErrorCode.OWNER_PROTECTED,
                )
            )
    collect(errors)
    if c.department_ids is not None:
        await access_departments(ctx, c.department_ids)
    final_departments = (
        c.department_ids if c.department_ids is not None else await _department_ids(user.id)
    )
    refuse_guest_in_departments(c.role or user.role, final_departments)
    if c.set_manager and c.manager_id is not None:
        await _access_manager(ctx, c.manager_id, user.id)
    return await do_user_update(ctx, user, c)


async def do_user_update(ctx: Context, user: User, c: UserChanges) -> User:
    async with transaction() as tx:
        before = _audit_view(user, await _department_ids(user.id))
        if c.display_name is not None:
            user.display_name = c.display_name.strip()
        if c.role is not None:
            user.role = c.role
        if c.set_manager:
            user.manager_id = c.manager_id
        if c.time_zone is not None:
            user.time_zone = c.time_zone
        if c.locale is not None:
            user.locale = c.locale
        if (
            before["role"] in ADMIN_ROLES
            and user.role not in ADMIN_ROLES
            and not await active_admins_besides(user.organization_id, user.id)
        ):
            raise last_admin_error()
        departments = before["department_ids"]
        if c.department_ids is not None:
            await lock_organization(user.organization_id)
            await check_departments_exist(user.organization_id, c.department_ids)
            departments = sorted(set(c.department_ids))
            await (
                DepartmentMember.filter(user_id=user.id)
                .exclude(department_id__in=departments)
                .delete()
            )
            new = set(departments) - set(before["department_ids"])
            await DepartmentMember.bulk_create(
                [DepartmentMember(department_id=d, user_id=user.id) for d in sorted(new)]
            )
        old, changed = changes(before, _audit_view(user, departments))
        if not changed:
            return user  # nothing to record, nobody to tell
        await user.save()
        await audit(ctx, "user.update", "user", user.id, before=old, after=changed)
        tx.publish(events.organization_channel(user.organization_id), events.member_updated(user))
    return user


# --- ownership ---------------------------------------------------------------------------


async def check_ownership_transfer(ctx: Context, user_id: int | None) -> User:
    """Make another active member the owner; the old owner becomes an admin. Exactly one owner
    exists before and after, even when two transfers race."""
    principal = require_owner(ctx)
    target = await access_user(ctx, user_id)
    if target.id == principal.user_id:
        raise DomainError(
            "You are the owner already.", field="userId", code=AdminErrorCode.ALREADY_OWNER
        )
    if not target.is_active:
        raise DomainError(
            "Reactivate this user first.", field="userId", code=AdminErrorCode.USER_INACTIVE
        )
    if target.role == Role.GUEST:
        raise DomainError(
            "Guests cannot own an organization; make them a member first.",
            field="userId",
            code=AdminErrorCode.GUEST_NOT_ALLOWED,
        )
    return await do_ownership_transfer(ctx, principal.user_id, target)


async def do_ownership_transfer(ctx: Context, owner_id: int, target: User) -> User:
    async with transaction() as tx:
        # Conditional: of two racing transfers only the first finds the old owner still OWNER.
        demoted = await User.filter(id=owner_id, role=Role.OWNER).update(role=Role.ADMIN)
        if not demoted:
            raise Forbidden("Only the owner may do this.")
        before = {"owner_id": owner_id, "role": target.role}
        target.role = Role.OWNER
        await target.save(update_fields=["role", "updated_at"])
        old_owner = await User.get(id=owner_id)
        await audit(
            ctx,
            "user.ownership_transfer",
            "user",
            target.id,
            before=before,
            after={"owner_id": target.id, "role": Role.OWNER},
        )
        channel = events.organization_channel(target.organization_id)
        tx.publish(channel, events.member_updated(old_owner))
        tx.publish(channel, events.member_updated(target))
    return target
