"""User groups: independent of the department tree, at most 500 per organization.

Like departments, all group mutations share one error type (``GroupError``); each code's
description names the mutations that return it.
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
from graphql_schema.core.node import VisibleNode, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import User
from models import admin as m
from resolvers.admin import groups as actions
from resolvers.admin import queries
from resolvers.admin.access import check_id_count
from resolvers.admin.errors import AdminErrorCode
from resolvers.admin.loaders import group_member_counts
from resolvers.core.errors import CoreErrorCode, NotFound


@strawberry.federation.type(
    keys=["id"], description="A named set of users, independent of the department tree."
)
class Group(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(
        description="1 to 100 characters, unique in the organization (in any case)."
    )
    description: str = strawberry.field(description="At most 500 characters; may be empty.")
    organization_id: strawberry.Private[int]

    @strawberry.field(description="Active members, by display name.")
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[User]:
        page = await queries.group_members(info.context, self.id, first=first, after=after)
        return connection(page, User.from_model)

    @strawberry.field(description="How many active members the group has.")
    async def member_count(self, info: Info) -> int:
        count: int = await info.context.loaders.get(group_member_counts).load(self.id)
        return count

    @classmethod
    def from_model(cls, group: m.Group) -> Group:
        return cls(
            id=group.id,
            name=group.name,
            description=group.description,
            organization_id=group.organization_id,
        )

    fetch_visible = staticmethod(queries.visible_groups)


@strawberry.type
class GroupsQuery:
    @strawberry.field(
        description="A group by global ID, or null if not visible to you.",
        directives=needs("directory:read"),
    )
    async def group(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The group's global ID.")],
    ) -> Group | None:
        try:
            pk = require_id(id, "Group", "id")
        except NotFound:
            return None
        found = await Group.resolve_nodes(info=info, node_ids=[str(pk)])
        return found[0]

    @strawberry.field(
        description="The organization's groups, by name. Guests may not list them.",
        directives=needs("directory:read"),
    )
    async def groups(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Only groups whose name contains this (any case)."),
        ] = None,
    ) -> Connection[Group]:
        page = await queries.group_list(info.context, first=first, after=after, search=search)
        return connection(page, Group.from_model)


@strawberry.enum(description="Why a group mutation failed.")
class GroupErrorCode(Enum):
    INVALID_NAME = DIRECTORY_INVALID_NAME
    INVALID_DESCRIPTION = error_code(
        AdminErrorCode.INVALID_DESCRIPTION, "Create, update: the description is too long."
    )
    NAME_TAKEN = error_code(
        AdminErrorCode.NAME_TAKEN, "Create, update: another group has this name (in any case)."
    )
    GROUP_LIMIT_REACHED = error_code(
        AdminErrorCode.GROUP_LIMIT_REACHED, "Create: the organization has 500 groups already."
    )
    GUEST_NOT_ALLOWED = error_code(
        AdminErrorCode.GUEST_NOT_ALLOWED, "Create, members add: guests cannot be group members."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins manage groups."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The group or a user named does not exist or you cannot see it (the two "
        "answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why a group mutation changed nothing.")
class GroupError(MutationError):
    code: GroupErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A new group.")
class GroupCreateInput:
    name: str = strawberry.field(description="1 to 100 characters, unique in the organization.")
    description: str | None = strawberry.field(default=None, description="At most 500 characters.")
    member_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Its first members: at most 100 active users."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first group."
    )


@strawberry.input(description="Changes to a group; omitted or null fields stay as they are.")
class GroupUpdateInput:
    group_id: strawberry.ID = strawberry.field(description="The group to change.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    description: str | None = strawberry.field(
        default=None, description="A new description; an empty string clears it."
    )


@strawberry.input(description="A group to delete (its memberships go with it).")
class GroupDeleteInput:
    group_id: strawberry.ID = strawberry.field(description="The group to delete.")


@strawberry.input(description="Users to add to or remove from a group.")
class GroupMembersInput:
    group_id: strawberry.ID = strawberry.field(description="The group.")
    user_ids: list[strawberry.ID] = strawberry.field(
        description="At most 100 active users of the organization. Users already in (or "
        "already out of) the group are left alone."
    )


@strawberry.input(description="Users to put into a group.")
class GroupMembersAddInput(GroupMembersInput):
    pass


@strawberry.input(description="Users to take out of a group.")
class GroupMembersRemoveInput(GroupMembersInput):
    pass


@strawberry.type(description="The result of `groupCreate`.")
class GroupCreatePayload:
    group: Group | None = strawberry.field(default=None, description="The new group.")
    errors: list[GroupError] = strawberry.field(description="Why nothing was created.")


@strawberry.type(description="The result of `groupUpdate`.")
class GroupUpdatePayload:
    group: Group | None = strawberry.field(default=None, description="The group as it is now.")
    errors: list[GroupError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `groupDelete`.")
class GroupDeletePayload:
    deleted_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global ID of the deleted group."
    )
    errors: list[GroupError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The result of `groupMembersAdd` and `groupMembersRemove`.")
class GroupMembersPayload:
    group: Group | None = strawberry.field(
        default=None, description="The group; read `members` for the new list."
    )
    errors: list[GroupError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `groupMembersAdd`.")
class GroupMembersAddPayload(GroupMembersPayload):
    pass


@strawberry.type(description="The result of `groupMembersRemove`.")
class GroupMembersRemovePayload(GroupMembersPayload):
    pass


def _group(g: m.Group) -> dict[str, Any]:
    return {"group": Group.from_model(g)}


Input = strawberry.argument(description="What to do.")
ADMINS = " Owner and admins only."


@strawberry.type
class GroupsMutation:
    @strawberry.mutation(description="Create a group." + ADMINS, directives=needs("admin:write"))
    async def group_create(
        self, info: Info, input: Annotated[GroupCreateInput, Input]
    ) -> GroupCreatePayload:
        member_ids = list(input.member_ids or [])
        check_id_count(member_ids, "memberIds")
        action = actions.check_group_create(
            info.context,
            name=input.name,
            description=input.description,
            member_ids=[require_id(m, "User", "memberIds") for m in member_ids],
            idempotency_key=input.idempotency_key,
        )
        return await mutate(GroupCreatePayload, GroupError, action, _group)

    @strawberry.mutation(
        description="Rename a group or change its description." + ADMINS,
        directives=needs("admin:write"),
    )
    async def group_update(
        self, info: Info, input: Annotated[GroupUpdateInput, Input]
    ) -> GroupUpdatePayload:
        action = actions.check_group_update(
            info.context,
            require_id(input.group_id, "Group", "groupId"),
            name=input.name,
            description=input.description,
        )
        return await mutate(GroupUpdatePayload, GroupError, action, _group)

    @strawberry.mutation(description="Delete a group." + ADMINS, directives=needs("admin:write"))
    async def group_delete(
        self, info: Info, input: Annotated[GroupDeleteInput, Input]
    ) -> GroupDeletePayload:
        action = actions.check_group_delete(
            info.context, require_id(input.group_id, "Group", "groupId")
        )
        return await mutate(
            GroupDeletePayload,
            GroupError,
            action,
            lambda pk: {"deleted_group_id": strawberry.ID(Group.global_id(pk))},
        )

    @strawberry.mutation(
        description="Put users into a group." + ADMINS, directives=needs("admin:write")
    )
    async def group_members_add(
        self, info: Info, input: Annotated[GroupMembersAddInput, Input]
    ) -> GroupMembersAddPayload:
        return await mutate(GroupMembersAddPayload, GroupError, _members(info, input, True), _group)

    @strawberry.mutation(
        description="Take users out of a group." + ADMINS, directives=needs("admin:write")
    )
    async def group_members_remove(
        self, info: Info, input: Annotated[GroupMembersRemoveInput, Input]
    ) -> GroupMembersRemovePayload:
        return await mutate(
            GroupMembersRemovePayload, GroupError, _members(info, input, False), _group
        )


async def _members(info: Info, input: GroupMembersInput, add: bool) -> m.Group:
    check_id_count(input.user_ids, "userIds")  # before decoding thousands of ids
    return await actions.check_group_members(
        info.context,
        require_id(input.group_id, "Group", "groupId"),
        [require_id(u, "User", "userIds") for u in input.user_ids],
        add=add,
    )
