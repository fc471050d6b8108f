"""Admin: people. The directory listing (`users`, `user`) and the administrative acts on users.
Self-service (`viewerUpdate`, `passwordChange`, `sessionRevoke`) and the `Session` type live
with identity.

A malformed ID, or one of another type, reaches the resolvers as an id no row has (``None``
where the resolver answers it with NOT_FOUND, ``0`` where ``None`` means "not given"), so
NOT_FOUND comes after the permission checks, exactly as for an id that does not exist: a member
asking about a malformed user gets FORBIDDEN, like for any user."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.admin.people_errors import (
    OwnershipTransferError,
    PasswordResetError,
    UserCreateError,
    UserDeactivateError,
    UserReactivateError,
    UserUpdateError,
)
from graphql_schema.core.connection import (
    After,
    Before,
    Connection,
    FirstFromStart,
    Last,
    connection,
)
from graphql_schema.core.node import decode_id, resolve_global_ids
from graphql_schema.core.payload import mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import RoleEnum, User
from models.identity import Role
from resolvers.admin import people, sessions
from resolvers.admin import queries as admin_queries


def _department_ids(raws: list[strawberry.ID]) -> list[int]:
    # 0 for a malformed ID: the resolvers' department look-up answers NOT_FOUND for it.
    return [decode_id(r, "Department") or 0 for r in raws]


def _role(value: RoleEnum | None) -> Role | None:
    return Role(value.name) if value is not None else None


# --- inputs and payloads -------------------------------------------------------------------


@strawberry.input(description="A new member, created active by an admin.")
class UserCreateInput:
    email: str = strawberry.field(description="Sign-in email, at most 254 characters.")
    display_name: str = strawberry.field(description="1 to 100 characters.")
    password: str | None = strawberry.field(
        default=None,
        description="At least 10 characters. Omit to have one generated: it is returned once "
        "as `temporaryPassword` and must be changed at first sign-in.",
    )
    role: RoleEnum = strawberry.field(
        default=RoleEnum.MEMBER, description="ADMIN, MEMBER (default) or GUEST; never OWNER."
    )
    department_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Departments to sit in, at most 100."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active user of the organization."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key (1 to 128 characters) returns the first "
        "user instead of creating another (without the temporary password).",
    )


@strawberry.input(description="Changes to a user; omitted fields stay as they are.")
class UserUpdateInput:
    user_id: strawberry.ID = strawberry.field(description="The user to change.")
    display_name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    role: RoleEnum | None = strawberry.field(
        default=None, description="ADMIN, MEMBER or GUEST (OWNER only by transfer)."
    )
    department_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces the user's departments (at most 100)."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new manager (active, same organization, no loop); null clears it.",
    )
    time_zone: str | None = strawberry.field(default=None, description="IANA zone name.")
    locale: str | None = strawberry.field(default=None, description="BCP 47 tag, e.g. `en`.")


@strawberry.input(description="The user to act on.")
class UserIdInput:
    """Shared shape of the inputs below; each mutation names its own (never in the schema)."""

    user_id: strawberry.ID = strawberry.field(description="A user of your organization.")


@strawberry.input(description="The user to deactivate.")
class UserDeactivateInput(UserIdInput):
    pass


@strawberry.input(description="The deactivated user to let in again.")
class UserReactivateInput(UserIdInput):
    pass


@strawberry.input(description="The active member to make the owner.")
class OwnershipTransferInput(UserIdInput):
    pass


@strawberry.input(description="A new password for a user.")
class PasswordResetInput:
    user_id: strawberry.ID = strawberry.field(description="A user of your organization.")
    new_password: str | None = strawberry.field(
        default=None,
        description="At least 10 characters; omit to have one generated and returned once.",
    )


@strawberry.type(description="The result of `userCreate`.")
class UserCreatePayload:
    user: User | None = strawberry.field(default=None, description="The new user.")
    temporary_password: str | None = strawberry.field(
        default=None,
        description="The generated password, shown only in this response (null when one was "
        "given, or on an idempotent retry). Pass it on securely.",
    )
    errors: list[UserCreateError] = strawberry.field(description="Why nothing was created.")


@strawberry.type(description="The result of `userUpdate`.")
class UserUpdatePayload:
    user: User | None = strawberry.field(default=None, description="The user as changed.")
    errors: list[UserUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `userDeactivate`.")
class UserDeactivatePayload:
    user: User | None = strawberry.field(default=None, description="The deactivated user.")
    errors: list[UserDeactivateError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `userReactivate`.")
class UserReactivatePayload:
    user: User | None = strawberry.field(default=None, description="The reactivated user.")
    errors: list[UserReactivateError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `passwordReset`.")
class PasswordResetPayload:
    user: User | None = strawberry.field(default=None, description="The user.")
    temporary_password: str | None = strawberry.field(
        default=None,
        description="The generated password, shown only in this response (null when one "
        "was given).",
    )
    errors: list[PasswordResetError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `ownershipTransfer`.")
class OwnershipTransferPayload:
    user: User | None = strawberry.field(default=None, description="The new owner.")
    errors: list[OwnershipTransferError] = strawberry.field(description="Why nothing changed.")


def _user(u: Any) -> dict[str, Any]:
    return {"user": User.from_model(u)}


def _with_password(c: people.Created) -> dict[str, Any]:
    return {"user": User.from_model(c.user), "temporary_password": c.temporary_password}


# --- root fields ---------------------------------------------------------------------------


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        description="Users of your organization by display name. Guests may not list the "
        "directory (FORBIDDEN).",
        directives=needs("directory:read"),
    )
    async def users(
        self,
        info: Info,
        first: FirstFromStart = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Case-insensitive prefix of the display name, of any word of it, "
                "or of the email (at most 100 characters)."
            ),
        ] = None,
        department_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only direct members of this department."),
        ] = None,
        role: Annotated[
            RoleEnum | None, strawberry.argument(description="Only users with this role.")
        ] = None,
        include_deactivated: Annotated[
            bool,
            strawberry.argument(description="Also list deactivated users (owner and admins)."),
        ] = False,
    ) -> Connection[User]:
        page = await admin_queries.list_users(
            info.context,
            first=first,
            after=after,
            last=last,
            before=before,
            search=search,
            department_id=decode_id(department_id, "Department"),
            department_given=department_id is not None,
            role=_role(role),
            include_deactivated=include_deactivated,
        )
        return connection(page, User.from_model)

    @strawberry.field(
        description="A user by global ID, or null if not visible to you.",
        directives=needs("directory:read"),
    )
    async def user(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The user's global ID.")],
    ) -> User | None:
        found = (await resolve_global_ids(info, [id]))[0]
        return found if isinstance(found, User) else None


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(
        description="Create an active member directly (owner and admins). Recorded in the "
        "audit log; members see them join.",
        directives=needs("admin:write"),
    )
    async def user_create(
        self,
        info: Info,
        input: Annotated[UserCreateInput, strawberry.argument(description="The new member.")],
    ) -> UserCreatePayload:
        manager = input.manager_id
        return await mutate(
            UserCreatePayload,
            UserCreateError,
            people.check_user_create(
                info.context,
                email=input.email,
                display_name=input.display_name,
                password=input.password,
                role=Role(input.role.name),
                department_ids=_department_ids(input.department_ids),
                # 0, not None, for a malformed manager: None would mean "no manager".
                manager_id=(decode_id(manager, "User") or 0) if manager is not None else None,
                idempotency_key=input.idempotency_key,
            ),
            _with_password,
        )

    @strawberry.mutation(
        description="Change a user's profile, role, departments or manager (owner and admins; "
        "admins cannot change the owner).",
        directives=needs("admin:write"),
    )
    async def user_update(
        self,
        info: Info,
        input: Annotated[UserUpdateInput, strawberry.argument(description="What to change.")],
    ) -> UserUpdatePayload:
        manager = input.manager_id
        set_manager = manager is not strawberry.UNSET
        changes = people.UserChanges(
            display_name=input.display_name,
            role=_role(input.role),
            department_ids=(
                _department_ids(input.department_ids) if input.department_ids is not None else None
            ),
            set_manager=set_manager,
            manager_id=(
                (decode_id(manager, "User") or 0) if set_manager and manager is not None else None
            ),
            time_zone=input.time_zone,
            locale=input.locale,
        )
        return await mutate(
            UserUpdatePayload,
            UserUpdateError,
            people.check_user_update(info.context, decode_id(input.user_id, "User"), changes),
            _user,
        )

    @strawberry.mutation(
        description="Deactivate a user: they cannot sign in, their sessions end and live "
        "sockets close at once; their content stays. Not the owner, not yourself.",
        directives=needs("admin:write"),
    )
    async def user_deactivate(
        self,
        info: Info,
        input: Annotated[UserDeactivateInput, strawberry.argument(description="Whom.")],
    ) -> UserDeactivatePayload:
        return await mutate(
            UserDeactivatePayload,
            UserDeactivateError,
            sessions.check_user_deactivate(info.context, decode_id(input.user_id, "User")),
            _user,
        )

    @strawberry.mutation(
        description="Let a deactivated user sign in again.", directives=needs("admin:write")
    )
    async def user_reactivate(
        self,
        info: Info,
        input: Annotated[UserReactivateInput, strawberry.argument(description="Whom.")],
    ) -> UserReactivatePayload:
        return await mutate(
            UserReactivatePayload,
            UserReactivateError,
            sessions.check_user_reactivate(info.context, decode_id(input.user_id, "User")),
            _user,
        )

    @strawberry.mutation(
        description="Set another user's password (given or generated): they must change it at "
        "next sign-in, every session of theirs ends, the audit log records it and the account "
        "is told (`viewerEvents`: `PasswordResetByAdmin`). The owner's only by the owner; "
        "never your own (SELF: use `passwordChange`).",
        directives=needs("admin:write"),
    )
    async def password_reset(
        self,
        info: Info,
        input: Annotated[PasswordResetInput, strawberry.argument(description="Whom, and how.")],
    ) -> PasswordResetPayload:
        return await mutate(
            PasswordResetPayload,
            PasswordResetError,
            sessions.check_password_reset(
                info.context, decode_id(input.user_id, "User"), input.new_password
            ),
            _with_password,
        )

    @strawberry.mutation(
        description="Make another active member the owner (owner only); you become an admin.",
        directives=needs("admin:write"),
    )
    async def ownership_transfer(
        self,
        info: Info,
        input: Annotated[OwnershipTransferInput, strawberry.argument(description="The new owner.")],
    ) -> OwnershipTransferPayload:
        return await mutate(
            OwnershipTransferPayload,
            OwnershipTransferError,
            people.check_ownership_transfer(info.context, decode_id(input.user_id, "User")),
            _user,
        )
