"""GraphQL types of Drive: files and folders (one ``File`` type with a ``kind``, as Google Drive
and Microsoft Graph do), their versions, and the viewer's drive."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, NewType

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import Connection, connection
from graphql_schema.core.lazy import lazy_class
from graphql_schema.core.node import VisibleNode, global_id
from graphql_schema.identity.types import User, visible_user
from models import drive as m
from resolvers.drive import access, downloads, sharing
from resolvers.drive.items import (
    children_page,
    drive_usage,
    my_root,
    parent_of,
    recent_files,
    trash_page,
    versions_page,
    visible_path,
)

if TYPE_CHECKING:
    from graphql_schema.drive.links import ShareLink
    from graphql_schema.drive.sharing import FilePermission

# Sharing and links import this module: their types are lazy here (core/lazy.py).
PermissionRef = Annotated["FilePermission", strawberry.lazy("graphql_schema.drive.sharing")]
ShareLinkRef = Annotated["ShareLink", strawberry.lazy("graphql_schema.drive.links")]

MAX_SAFE = 2**53 - 1


def _parse_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAFE:
        raise ValueError("A byte count is a whole number from 0 to 2^53 - 1.")
    return value


ByteCount = NewType("ByteCount", int)
BYTE_COUNT = strawberry.scalar(
    name="ByteCount",
    serialize=int,
    parse_value=_parse_bytes,
    description="A number of bytes: a whole number up to 2^53 - 1 (sent as a JSON number; "
    "`Int` stops at 2 GiB).",
)
"""Registered in the schema's ``scalar_map``."""


FIRST = strawberry.argument(description="How many, at most 100 (default 20).")
AFTER = strawberry.argument(description="A cursor from `pageInfo.endCursor`.")


@strawberry.enum(name="FileKind", description="A file, a folder or a doc.")
class FileKindEnum(Enum):
    FILE = strawberry.enum_value("FILE", description="Bytes with versions.")
    FOLDER = strawberry.enum_value("FOLDER", description="Holds files and folders.")
    DOC = strawberry.enum_value(
        "DOC", description="A doc edited live (the `Doc` with the same number in its ID)."
    )


@strawberry.enum(name="DriveRole", description="What someone may do with a file or folder.")
class DriveRoleEnum(Enum):
    VIEWER = strawberry.enum_value("VIEWER", description="Read and download.")
    COMMENTER = strawberry.enum_value("COMMENTER", description="A viewer who may also comment.")
    EDITOR = strawberry.enum_value(
        "EDITOR",
        description="Also upload, rename, move, delete and restore, and share with others as "
        "viewer, commenter or editor.",
    )
    OWNER = strawberry.enum_value(
        "OWNER",
        description="Everything, sharing as owner included. Owners of a folder own "
        "everything in it.",
    )


@strawberry.enum(description="What to do when the folder already has an item of that name.")
class OnNameConflict(Enum):
    FAIL = strawberry.enum_value("FAIL", description="Refuse with NAME_TAKEN (the default).")
    RENAME = strawberry.enum_value(
        "RENAME", description="Add a suffix: `report (2).pdf`, `report (3).pdf`…"
    )
    NEW_VERSION = strawberry.enum_value(
        "NEW_VERSION",
        description="Uploads only: add a version to the file of that name (or create it).",
    )


@strawberry.enum(description="How to order a folder's children.")
class FileOrderField(Enum):
    NAME = strawberry.enum_value("NAME", description="By name, any case (the default).")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="By last change.")
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="By creation.")
    SIZE = strawberry.enum_value("SIZE", description="By size in bytes.")


@strawberry.enum(description="Ascending or descending.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest, oldest or A first.")
    DESC = strawberry.enum_value("DESC", description="Largest, newest or Z first.")


@strawberry.input(description="An order for a folder's children. Folders always come first.")
class FileOrder:
    field: FileOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way."
    )


@strawberry.type(description="One upload of a file's content.")
class FileVersion:
    id: strawberry.ID = strawberry.field(description="Pass to `fileVersionRestore`.")
    number: int = strawberry.field(description="1 for the first upload, then 2, 3…")
    size: ByteCount = strawberry.field(description="Bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content, hex.")
    content_type: str = strawberry.field(description="MIME type as uploaded.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    is_current: bool = strawberry.field(description="True for the version the file shows now.")
    created_by_id: strawberry.Private[int | None]

    @strawberry.field(description="Who uploaded it; null if not visible.")
    async def created_by(self, info: Info) -> User | None:
        return await visible_user(info, self.created_by_id)

    @classmethod
    def from_model(cls, v: m.FileVersion, current_id: int | None) -> FileVersion:
        return cls(
            id=global_id("FileVersion", v.id),
            number=v.number,
            size=v.size,
            sha256=v.sha256,
            content_type=v.content_type,
            created_at=v.created_at,
            is_current=v.id == current_id,
            created_by_id=v.created_by_id,
        )


@strawberry.federation.type(
    keys=["id"],
    description="A file or a folder in Drive. Folders have `children`; files have content, "
    "`versions` and a `downloadUrl`.",
)
class File(VisibleNode):
    id: relay.NodeID[int]
    kind: FileKindEnum = strawberry.field(description="File or folder.")
    name: str = strawberry.field(description="Unique within its folder (in any case).")
    size: ByteCount = strawberry.field(description="Bytes of the current version; 0 for folders.")
    content_type: str = strawberry.field(description="MIME type; empty for folders.")
    sha256: str = strawberry.field(description="SHA-256 of the current version, hex.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it or its content last changed.")
    trashed_at: datetime | None = strawberry.field(
        description="When it went to the trash (itself or a folder above it); null if not."
    )
    is_root: bool = strawberry.field(description="True for a user's root folder (My Drive).")
    organization_id: strawberry.Private[int]
    owner_id: strawberry.Private[int]
    modified_by_id: strawberry.Private[int | None]
    parent_id: strawberry.Private[int | None]
    current_version_id: strawberry.Private[int | None]
    model: strawberry.Private[m.DriveItem]

    @strawberry.field(description="Who owns it.")
    async def owner(self, info: Info) -> User | None:
        return await visible_user(info, self.owner_id)

    @strawberry.field(description="Who last changed it.")
    async def modified_by(self, info: Info) -> User | None:
        return await visible_user(info, self.modified_by_id)

    @strawberry.field(description="Your role on it.")
    async def viewer_role(self, info: Info) -> DriveRoleEnum | None:
        role = await access.role_loader(info.context).load(self.model)
        return DriveRoleEnum[role.value] if role is not None else None

    @strawberry.field(
        description="The folder it is in; null for a root or a folder you cannot see."
    )
    async def parent(self, info: Info) -> File | None:
        found = await parent_of(info.context, self.model)
        return File.from_model(found) if found is not None else None

    @strawberry.field(
        description="The folders above it that you can see, from the top down (itself excluded)."
    )
    async def path(self, info: Info) -> list[File]:
        return [File.from_model(f) for f in await visible_path(info.context, self.model)]

    @strawberry.field(description="A folder's files and folders (empty for a file).")
    async def children(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
        order_by: Annotated[
            FileOrder | None, strawberry.argument(description="Default: by name, ascending.")
        ] = None,
    ) -> Connection[File]:
        page = await children_page(
            info.context,
            self.model,
            first=first,
            after=after,
            order=order_by.field.name if order_by else "NAME",
            descending=order_by is not None and order_by.direction == OrderDirection.DESC,
        )
        return connection(page, File.from_model)

    @strawberry.field(description="A file's versions, newest first (empty for a folder).")
    async def versions(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[FileVersion]:
        page = await versions_page(info.context, self.model, first=first, after=after)
        return connection(page, lambda v: FileVersion.from_model(v, self.current_version_id))

    @strawberry.field(
        description="A short-lived URL that downloads the current version (presigned on S3); "
        "null for folders."
    )
    async def download_url(self, info: Info) -> str | None:
        return await downloads.download_url(info.context, self.model)

    @strawberry.field(
        description="Who it is shared with, on it and on the folders above it, the nearest "
        "folder's grants first, newest first within one (owners and editors only; empty for "
        "others)."
    )
    async def permissions(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[PermissionRef]:
        return await lazy_class(PermissionRef).page_of(info, self.model, first=first, after=after)

    @strawberry.field(
        description="Its share links that are not revoked, newest first (owners and editors "
        "only; empty for others)."
    )
    async def share_links(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[ShareLinkRef]:
        return await lazy_class(ShareLinkRef).page_of(info, self.model, first=first, after=after)

    @classmethod
    def from_model(cls, item: m.DriveItem) -> File:
        return cls(
            id=item.id,
            kind=FileKindEnum[item.kind.value if hasattr(item.kind, "value") else str(item.kind)],
            name=item.name,
            size=item.size,
            content_type=item.content_type,
            sha256=item.sha256,
            created_at=item.created_at,
            updated_at=item.updated_at,
            trashed_at=item.trashed_at,
            is_root=item.root_of_id is not None,
            organization_id=item.organization_id,
            owner_id=item.owner_id,
            modified_by_id=item.modified_by_id,
            parent_id=item.parent_id,
            current_version_id=item.current_version_id,
            model=item,
        )

    fetch_visible = staticmethod(access.visible_items)


@strawberry.type(description="Storage of your organization.")
class DriveUsage:
    used: ByteCount = strawberry.field(
        description="Bytes stored: every version, the trash included."
    )
    reserved: ByteCount = strawberry.field(description="Bytes promised to uploads in progress.")
    quota: ByteCount = strawberry.field(description="Bytes the organization may store.")


@strawberry.type(
    description="Your drive: your root folder, what others share with you, recent "
    "files and the trash."
)
class Drive:
    user_id: strawberry.Private[int]

    @strawberry.field(description="Your root folder (My Drive).")
    async def root(self, info: Info) -> File:
        return File.from_model(await my_root(info.context))

    @strawberry.field(description="How much your organization stores, against its quota.")
    async def usage(self, info: Info) -> DriveUsage:
        used, reserved, quota = await drive_usage(info.context)
        return DriveUsage(
            used=ByteCount(used), reserved=ByteCount(reserved), quota=ByteCount(quota)
        )

    @strawberry.field(
        description="Files and folders others shared with you (directly, through a department "
        "or a group), newest share first."
    )
    async def shared_with_me(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[File]:
        page = await sharing.shared_with_me(info.context, first=first, after=after)
        return connection(page, File.from_model)

    @strawberry.field(description="Files you own or changed, most recently changed first.")
    async def recent(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[File]:
        page = await recent_files(info.context, first=first, after=after)
        return connection(page, File.from_model)

    @strawberry.field(
        description="What you deleted or own in the trash (the items deleted, not what was in "
        "deleted folders), most recently deleted first."
    )
    async def trash(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[File]:
        page = await trash_page(info.context, first=first, after=after)
        return connection(page, File.from_model)
