"""Departments: the tree, its members, and the mutations that shape it.

All department mutations share one error type, ``DepartmentError``: several of them can fail
for the same reasons (a taken name, a bad leader), and a per-mutation enum would be empty for
some. Each code's description names the mutations that return it.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.admin.error_values import DIRECTORY_INVALID_NAME
from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, require_id, resolve_global_ids
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import User
from models import admin as m
from resolvers.admin import departments as actions
from resolvers.admin import queries
from resolvers.admin.access import check_id_count
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.errors import CoreErrorCode
from resolvers.identity.queries import visible_users


@strawberry.federation.type(keys=["id"], description="A node of the department tree.")
class Department(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="1 to 100 characters, unique among siblings.")
    organization_id: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]
    leader_id: strawberry.Private[int | None]

    @strawberry.field(description="The department above this one; null at the top level.")
    async def parent(self, info: Info) -> Department | None:
        if self.parent_id is None:
            return None
        found = (await queries.visible_departments(info.context, [self.parent_id]))[0]
        return Department.from_model(found) if found is not None else None

    @strawberry.field(
        description="The head of the department (approval steps for the department head go "
        "to them), if any and visible to you."
    )
    async def leader(self, info: Info) -> User | None:
        if self.leader_id is None:
            return None
        found = (await visible_users(info.context, [self.leader_id]))[0]
        return User.from_model(found) if found is not None else None

    @strawberry.field(
        description="The departments from the top level down to this one (this one last)."
    )
    async def path(self, info: Info) -> list[Department]:
        chain = await queries.department_path(info.context, self.id)
        return [Department.from_model(d) for d in chain]

    @strawberry.field(description="The departments directly below this one, by name.")
    async def children(
        self,
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[Department]:
        page = await queries.department_children(
            info.context, self.model(), first=first, after=after
        )
        return connection(page, Department.from_model)

    @strawberry.field(description="Active users in this department, by display name.")
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[User]:
        page = await queries.department_members(info.context, self.id, first=first, after=after)
        return connection(page, User.from_model)

    def model(self) -> m.Department:
        return m.Department(
            id=self.id,
            name=self.name,
            organization_id=self.organization_id,
            parent_id=self.parent_id,
            leader_id=self.leader_id,
        )

    @classmethod
    def from_model(cls, dept: m.Department) -> Department:
        return cls(
            id=dept.id,
            name=dept.name,
            organization_id=dept.organization_id,
            parent_id=dept.parent_id,
            leader_id=dept.leader_id,
        )

    fetch_visible = staticmethod(queries.visible_departments)


@strawberry.type
class DepartmentQuery:
    @strawberry.field(
        description="A department by global ID, or null if not visible to you.",
        directives=needs("directory:read"),
    )
    async def department(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The department's global ID.")
        ],
    ) -> Department | None:
        found = await resolve_global_ids(info, [id])
        return found[0] if isinstance(found[0], Department) else None

    @strawberry.field(
        description="One level of the department tree, by name: the top level, or the "
        "children of `parentId`. Guests may not list departments.",
        directives=needs("directory:read"),
    )
    async def departments(
        self,
        info: Info,
        parent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="List this department's children; null: top level."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Department]:
        parent = require_id(parent_id, "Department", "parentId")
        page = await queries.department_list(info.context, parent, first=first, after=after)
        return connection(page, Department.from_model)


@strawberry.enum(description="Why a department mutation failed.")
class DepartmentErrorCode(Enum):
    INVALID_NAME = DIRECTORY_INVALID_NAME
    NAME_TAKEN = error_code(
        AdminErrorCode.NAME_TAKEN,
        "Create, update, move: a sibling has this name (in any case) already.",
    )
    INVALID_LEADER = error_code(
        AdminErrorCode.INVALID_LEADER, "Create, update: the leader is deactivated or a guest."
    )
    DEPARTMENT_CYCLE = error_code(
        AdminErrorCode.DEPARTMENT_CYCLE,
        "Move: the new parent is the department itself or one of its descendants.",
    )
    DEPARTMENT_TOO_DEEP = error_code(
        AdminErrorCode.DEPARTMENT_TOO_DEEP,
        "Create, move: the tree would be more than 32 levels deep.",
    )
    DEPARTMENT_NOT_EMPTY = error_code(
        AdminErrorCode.DEPARTMENT_NOT_EMPTY,
        "Delete: the department still has sub-departments or active members.",
    )
    GUEST_NOT_ALLOWED = error_code(
        AdminErrorCode.GUEST_NOT_ALLOWED, "Members add: guests cannot sit in departments."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins manage departments."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The department, its parent, a leader or a user named does not exist or you "
        "cannot see it (the two answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why a department mutation changed nothing.")
class DepartmentError(MutationError):
    code: DepartmentErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A new department.")
class DepartmentCreateInput:
    name: str = strawberry.field(description="1 to 100 characters, unique among its siblings.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The department to create it under; null: top level."
    )
    leader_id: strawberry.ID | None = strawberry.field(
        default=None, description="Its head: an active member of the organization."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first department."
    )


@strawberry.input(description="Changes to a department; omitted fields stay as they are.")
class DepartmentUpdateInput:
    department_id: strawberry.ID = strawberry.field(description="The department to change.")
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new name, unique among its siblings."
    )
    leader_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A new head; null removes the head."
    )


@strawberry.input(description="Where to move a department (with everything below it).")
class DepartmentMoveInput:
    department_id: strawberry.ID = strawberry.field(description="The department to move.")
    parent_id: strawberry.ID | None = strawberry.field(
        description="Its new parent; null moves it to the top level."
    )


@strawberry.input(description="A department to delete.")
class DepartmentDeleteInput:
    department_id: strawberry.ID = strawberry.field(
        description="An empty department: no sub-departments, no active members."
    )


@strawberry.input(description="Users to add to or remove from a department.")
class DepartmentMembersInput:
    department_id: strawberry.ID = strawberry.field(description="The department.")
    user_ids: list[strawberry.ID] = strawberry.field(
        description="At most 100 active users of the organization. Users already in (or "
        "already out of) the department are left alone."
    )


@strawberry.input(description="Users to put into a department.")
class DepartmentMembersAddInput(DepartmentMembersInput):
    pass


@strawberry.input(description="Users to take out of a department.")
class DepartmentMembersRemoveInput(DepartmentMembersInput):
    pass


@strawberry.type(description="The result of `departmentCreate`.")
class DepartmentCreatePayload:
    department: Department | None = strawberry.field(
        default=None, description="The new department."
    )
    errors: list[DepartmentError] = strawberry.field(description="Why nothing was created.")


@strawberry.type(description="The result of `departmentUpdate`.")
class DepartmentUpdatePayload:
    department: Department | None = strawberry.field(
        default=None, description="The department as it is now."
    )
    errors: list[DepartmentError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `departmentMove`.")
class DepartmentMovePayload:
    department: Department | None = strawberry.field(
        default=None, description="The department at its new place."
    )
    errors: list[DepartmentError] = strawberry.field(description="Why nothing moved.")


@strawberry.type(description="The result of `departmentDelete`.")
class DepartmentDeletePayload:
    deleted_department_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global ID of the deleted department."
    )
    errors: list[DepartmentError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The result of `departmentMembersAdd` and `departmentMembersRemove`.")
class DepartmentMembersPayload:
    department: Department | None = strawberry.field(
        default=None, description="The department; read `members` for the new list."
    )
    errors: list[DepartmentError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `departmentMembersAdd`.")
class DepartmentMembersAddPayload(DepartmentMembersPayload):
    pass


@strawberry.type(description="The result of `departmentMembersRemove`.")
class DepartmentMembersRemovePayload(DepartmentMembersPayload):
    pass


def _dept(d: m.Department) -> dict[str, Any]:
    return {"department": Department.from_model(d)}


Input = strawberry.argument(description="What to do.")
ADMINS = " Owner and admins only."


@strawberry.type
class DepartmentMutation:
    @strawberry.mutation(
        description="Create a department." + ADMINS, directives=needs("admin:write")
    )
    async def department_create(
        self, info: Info, input: Annotated[DepartmentCreateInput, Input]
    ) -> DepartmentCreatePayload:
        action = actions.check_department_create(
            info.context,
            name=input.name,
            parent_id=require_id(input.parent_id, "Department", "parentId"),
            leader_id=require_id(input.leader_id, "User", "leaderId"),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(DepartmentCreatePayload, DepartmentError, action, _dept)

    @strawberry.mutation(
        description="Rename a department or change its head." + ADMINS,
        directives=needs("admin:write"),
    )
    async def department_update(
        self, info: Info, input: Annotated[DepartmentUpdateInput, Input]
    ) -> DepartmentUpdatePayload:
        leader: Any = actions.UNSET
        if input.leader_id is not strawberry.UNSET:
            leader = require_id(input.leader_id, "User", "leaderId")
        action = actions.check_department_update(
            info.context,
            require_id(input.department_id, "Department", "departmentId"),
            name=input.name if isinstance(input.name, str) else None,
            leader_id=leader,
        )
        return await mutate(DepartmentUpdatePayload, DepartmentError, action, _dept)

    @strawberry.mutation(
        description="Move a department, with everything below it, under another parent or "
        "to the top level." + ADMINS,
        directives=needs("admin:write"),
    )
    async def department_move(
        self, info: Info, input: Annotated[DepartmentMoveInput, Input]
    ) -> DepartmentMovePayload:
        action = actions.check_department_move(
            info.context,
            require_id(input.department_id, "Department", "departmentId"),
            require_id(input.parent_id, "Department", "parentId"),
        )
        return await mutate(DepartmentMovePayload, DepartmentError, action, _dept)

    @strawberry.mutation(
        description="Delete an empty department." + ADMINS, directives=needs("admin:write")
    )
    async def department_delete(
        self, info: Info, input: Annotated[DepartmentDeleteInput, Input]
    ) -> DepartmentDeletePayload:
        action = actions.check_department_delete(
            info.context, require_id(input.department_id, "Department", "departmentId")
        )
        return await mutate(
            DepartmentDeletePayload,
            DepartmentError,
            action,
            lambda pk: {"deleted_department_id": strawberry.ID(Department.global_id(pk))},
        )

    @strawberry.mutation(
        description="Put users into a department." + ADMINS, directives=needs("admin:write")
    )
    async def department_members_add(
        self, info: Info, input: Annotated[DepartmentMembersAddInput, Input]
    ) -> DepartmentMembersAddPayload:
        return await mutate(
            DepartmentMembersAddPayload, DepartmentError, _members(info, input, add=True), _dept
        )

    @strawberry.mutation(
        description="Take users out of a department." + ADMINS, directives=needs("admin:write")
    )
    async def department_members_remove(
        self, info: Info, input: Annotated[DepartmentMembersRemoveInput, Input]
    ) -> DepartmentMembersRemovePayload:
        return await mutate(
            DepartmentMembersRemovePayload, DepartmentError, _members(info, input, add=False), _dept
        )


async def _members(info: Info, input: DepartmentMembersInput, *, add: bool) -> m.Department:
    check_id_count(input.user_ids, "userIds")  # before decoding thousands of ids
    return await actions.check_department_members(
        info.context,
        require_id(input.department_id, "Department", "departmentId"),
        [require_id(u, "User", "userIds") for u in input.user_ids],
        add=add,
    )
