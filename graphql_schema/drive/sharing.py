"""Sharing in GraphQL: permissions, `fileShare` and `fileUnshare`, and files attached to
messages (share links are in ``links``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from graphql_schema.admin.departments import Department
from graphql_schema.admin.groups import Group
from graphql_schema.core.connection import Connection, connection
from graphql_schema.core.node import global_id, require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.drive.error_values import ITEM_FORBIDDEN, ROOT_NOT_SHAREABLE
from graphql_schema.drive.types import ByteCount, DriveRoleEnum, File
from graphql_schema.identity.types import User, visible_user
from models import drive as m
from resolvers.admin.queries import visible_departments, visible_groups
from resolvers.core.errors import CoreErrorCode
from resolvers.core.pagination import page_of_sorted
from resolvers.drive import access, downloads, sharing
from resolvers.drive.access import role_loader
from resolvers.drive.errors import DriveErrorCode

INPUT = strawberry.argument(description="What to do.")


BatchFn = Callable[[list[Any]], Awaitable[Sequence[Any]]]


def request_loader(info: Info, name: str, make: Callable[[], BatchFn]) -> DataLoader[Any, Any]:
    """A DataLoader batch function made once per request (it closes over the context)."""
    key = f"drive.sharing.{name}"
    fn = info.context.cache.get(key)
    if fn is None:
        fn = info.context.cache[key] = make()
    return info.context.loaders.get(fn)


@strawberry.enum(name="GranteeKind", description="Who a permission is for.")
class GranteeKindEnum(Enum):
    USER = strawberry.enum_value("USER", description="One person.")
    DEPARTMENT = strawberry.enum_value(
        "DEPARTMENT", description="Members of a department and of the departments below it."
    )
    GROUP = strawberry.enum_value("GROUP", description="Members of a group.")


Grantee = Annotated[
    User | Department | Group,
    strawberry.union("Grantee", description="A user, a department or a group."),
]


@strawberry.type(description="A role on a file or folder for a user, a department or a group.")
class FilePermission:
    id: strawberry.ID = strawberry.field(description="Pass to `fileUnshare`.")
    role: DriveRoleEnum = strawberry.field(description="The role it gives.")
    grantee_kind: GranteeKindEnum = strawberry.field(description="Who it is for.")
    inherited: bool = strawberry.field(
        description="True when it is granted on a folder above, not on this item: remove it there."
    )
    created_at: datetime = strawberry.field(description="When it was first granted.")
    grantee_id: strawberry.Private[int]
    item_id: strawberry.Private[int]
    created_by_id: strawberry.Private[int | None]

    @strawberry.field(description="The user, department or group; null if you cannot see it.")
    async def grantee(self, info: Info) -> Grantee | None:
        ctx = info.context
        if self.grantee_kind == GranteeKindEnum.USER:
            return await visible_user(info, self.grantee_id)
        if self.grantee_kind == GranteeKindEnum.DEPARTMENT:
            dept = (await visible_departments(ctx, [self.grantee_id]))[0]
            return Department.from_model(dept) if dept is not None else None
        group = (await visible_groups(ctx, [self.grantee_id]))[0]
        return Group.from_model(group) if group is not None else None

    @strawberry.field(
        description="The folder it is granted on, when inherited and you can see that folder."
    )
    async def inherited_from(self, info: Info) -> File | None:
        if not self.inherited:
            return None
        ctx = info.context
        loader = request_loader(info, "visible", lambda: lambda ids: access.visible_items(ctx, ids))
        found = await loader.load(self.item_id)
        return File.from_model(found) if found is not None else None

    @strawberry.field(description="Who granted it; null if not visible.")
    async def created_by(self, info: Info) -> User | None:
        return await visible_user(info, self.created_by_id)

    @classmethod
    def from_model(cls, p: m.DrivePermission, item_id: int) -> FilePermission:
        return cls(
            id=global_id("FilePermission", p.id),
            role=DriveRoleEnum[m.DriveRole(p.role).value],
            grantee_kind=GranteeKindEnum[m.GranteeKind(p.grantee_kind).value],
            inherited=p.item_id != item_id,
            created_at=p.created_at,
            grantee_id=p.grantee_id,
            item_id=p.item_id,
            created_by_id=p.created_by_id,
        )

    @classmethod
    async def page_of(
        cls, info: Info, item: m.DriveItem, *, first: int | None, after: str | None
    ) -> Connection[FilePermission]:
        """``File.permissions``: drive.types reaches it through its lazy ``PermissionRef``."""
        ctx = info.context

        def make() -> Callable[[list[m.DriveItem]], Awaitable[Sequence[Any]]]:
            async def load(items: list[m.DriveItem]) -> Sequence[Any]:
                roles = await role_loader(ctx).load_many(items)
                return await sharing.permissions_for(ctx, items, roles)

            return load

        # One query loads the grants of a whole page of files; each file's are then paged here.
        rows = await request_loader(info, "permissions", make).load(item)
        page = page_of_sorted(rows, sharing.permission_order(item), 2, first=first, after=after)
        return cast(
            Connection[FilePermission],
            connection(page, lambda p: FilePermission.from_model(p, item.id)),
        )


# -- message attachments ------------------------------------------------------------------------


@strawberry.type(description="A Drive file sent with a message; chat members may view it.")
class MessageAttachment:
    name: str = strawberry.field(description="The file's name.")
    size: ByteCount = strawberry.field(description="Bytes of its current version.")
    content_type: str = strawberry.field(description="MIME type.")
    model: strawberry.Private[m.DriveItem]

    @strawberry.field(description="The file itself.")
    def file(self) -> File:
        return File.from_model(self.model)

    @strawberry.field(description="A short-lived URL that downloads the file.")
    async def download_url(self, info: Info) -> str | None:
        # The viewer may read it through the message (``attachments_for`` checked).
        return await downloads.download_url(info.context, self.model)


async def attachments_of(info: Info, message_id: int, recalled: bool) -> list[MessageAttachment]:
    """A message's files the viewer may see, batched over every message of the response."""
    if recalled:
        return []
    ctx = info.context
    loader = request_loader(
        info, "attachments", lambda: lambda ids: sharing.attachments_for(ctx.principal, ids)
    )
    items = await loader.load(message_id)
    return [
        MessageAttachment(name=i.name, size=i.size, content_type=i.content_type, model=i)
        for i in items
    ]


# -- root fields --------------------------------------------------------------------------------


@strawberry.enum(description="Why `fileShare` failed.")
class FileShareErrorCode(Enum):
    INVALID_GRANTEE = error_code(
        DriveErrorCode.INVALID_GRANTEE, "Name exactly one of `userId`, `departmentId`, `groupId`."
    )
    ROOT_NOT_SHAREABLE = ROOT_NOT_SHAREABLE
    ALREADY_OWNER = error_code(
        DriveErrorCode.ALREADY_OWNER, "The user owns the item or a folder above it."
    )
    FORBIDDEN = ITEM_FORBIDDEN
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The item or the grantee does not exist or you cannot see it (the two "
        "answer alike); `field` says which input.",
    )


@strawberry.type(description="A reason why `fileShare` changed nothing.")
class FileShareError(MutationError):
    code: FileShareErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="Share a file or folder (and everything in it).")
class FileShareInput:
    file_id: strawberry.ID = strawberry.field(description="The file or folder; you need editor.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="A user of your organization."
    )
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="A department: its members and those of the ones below it."
    )
    group_id: strawberry.ID | None = strawberry.field(default=None, description="A group.")
    role: DriveRoleEnum = strawberry.field(
        description="The role to give; OWNER only if you own it. Sharing again with the same "
        "grantee changes the role."
    )


@strawberry.type(description="The result of `fileShare`.")
class FileSharePayload:
    file: File | None = strawberry.field(default=None, description="The shared item.")
    permission: FilePermission | None = strawberry.field(
        default=None, description="The grant (new or changed)."
    )
    errors: list[FileShareError] = strawberry.field(description="Why nothing changed.")


@strawberry.enum(description="Why `fileUnshare` failed.")
class FileUnshareErrorCode(Enum):
    INVALID_GRANTEE = error_code(
        DriveErrorCode.INVALID_GRANTEE,
        "Name the grant by `permissionId` or by exactly one grantee.",
    )
    INHERITED = error_code(
        DriveErrorCode.INHERITED, "The grant is on a folder above; remove it there."
    )
    FORBIDDEN = ITEM_FORBIDDEN
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The item, the grant or the grantee does not exist or you cannot see it "
        "(the two answer alike); `field` says which input.",
    )


@strawberry.type(description="A reason why `fileUnshare` changed nothing.")
class FileUnshareError(MutationError):
    code: FileUnshareErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(
    description="Remove a grant: by `permissionId`, or by its grantee (exactly one of "
    "`userId`, `departmentId`, `groupId`)."
)
class FileUnshareInput:
    file_id: strawberry.ID = strawberry.field(description="The file or folder the grant is on.")
    permission_id: strawberry.ID | None = strawberry.field(
        default=None, description="The grant (`FilePermission.id`)."
    )
    user_id: strawberry.ID | None = strawberry.field(default=None, description="A user grantee.")
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="A department grantee."
    )
    group_id: strawberry.ID | None = strawberry.field(default=None, description="A group grantee.")


@strawberry.type(description="The result of `fileUnshare`.")
class FileUnsharePayload:
    file: File | None = strawberry.field(default=None, description="The item.")
    errors: list[FileUnshareError] = strawberry.field(description="Why nothing changed.")


def _grantee_ids(inp: FileShareInput | FileUnshareInput) -> dict[str, int | None]:
    return {
        "user_id": require_id(inp.user_id, "User", "userId"),
        "department_id": require_id(inp.department_id, "Department", "departmentId"),
        "group_id": require_id(inp.group_id, "Group", "groupId"),
    }


@strawberry.type
class SharingMutation:
    @strawberry.mutation(
        description="Share a file or folder with a user, a department or a group. Owners give "
        "any role; editors give viewer, commenter or editor. Sharing again changes the role.",
        directives=needs("drive:write"),
    )
    async def file_share(
        self, info: Info, input: Annotated[FileShareInput, INPUT]
    ) -> FileSharePayload:
        action = sharing.check_file_share(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            role=m.DriveRole(input.role.name),
            **_grantee_ids(input),
        )
        return await mutate(
            FileSharePayload,
            FileShareError,
            action,
            lambda r: {
                "file": File.from_model(r[0]),
                "permission": FilePermission.from_model(r[1], r[0].id),
            },
        )

    @strawberry.mutation(
        description="Remove a grant. Owners remove any; editors those that are not owner "
        "grants; anyone may remove their own.",
        directives=needs("drive:write"),
    )
    async def file_unshare(
        self, info: Info, input: Annotated[FileUnshareInput, INPUT]
    ) -> FileUnsharePayload:
        action = sharing.check_file_unshare(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            permission_id=require_id(input.permission_id, "FilePermission", "permissionId"),
            **_grantee_ids(input),
        )
        return await mutate(
            FileUnsharePayload, FileUnshareError, action, lambda f: {"file": File.from_model(f)}
        )
