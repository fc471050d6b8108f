"""Share links in GraphQL: `shareLinkCreate`, `shareLinkRevoke`, and `sharedLink`, which opens
one (without signing in for ANYONE links)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry.types import Info

from graphql_schema.core.connection import Connection, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import global_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.drive.error_values import ITEM_FORBIDDEN, ITEM_NOT_FOUND, ROOT_NOT_SHAREABLE
from graphql_schema.drive.sharing import INPUT, request_loader
from graphql_schema.drive.types import AFTER, FIRST, ByteCount, File, FileKindEnum
from graphql_schema.identity.types import User, visible_user
from models import drive as m
from resolvers.core.errors import CoreErrorCode
from resolvers.core.pagination import page_of_sorted
from resolvers.drive import links
from resolvers.drive.access import role_loader
from resolvers.drive.downloads import signed_url_batched
from resolvers.drive.errors import DriveErrorCode


@strawberry.enum(description="What a share link lets its holders do.")
class ShareLinkRole(Enum):
    VIEWER = strawberry.enum_value("VIEWER", description="Read and download.")
    COMMENTER = strawberry.enum_value("COMMENTER", description="A viewer who may also comment.")
    EDITOR = strawberry.enum_value("EDITOR", description="A commenter who may also change it.")


@strawberry.enum(description="Who can open a share link.")
class ShareLinkScope(Enum):
    ORGANIZATION = strawberry.enum_value(
        "ORGANIZATION",
        description="Signed-in members (not guests) of the item's organization only.",
    )
    ANYONE = strawberry.enum_value(
        "ANYONE", description="Anyone with the link, without signing in."
    )


@strawberry.type(description="A link that opens a file or folder.")
class ShareLink:
    id: strawberry.ID = strawberry.field(description="Pass to `shareLinkRevoke`.")
    role: ShareLinkRole = strawberry.field(description="What holders of the link may do.")
    scope: ShareLinkScope = strawberry.field(description="Who can open it.")
    has_password: bool = strawberry.field(description="It asks for a password.")
    expires_at: datetime | None = strawberry.field(description="It stops working then, if set.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    created_at: datetime = strawberry.field(description="When it was made.")
    created_by_id: strawberry.Private[int | None]

    @strawberry.field(description="Who made it; null if not visible.")
    async def created_by(self, info: Info) -> User | None:
        return await visible_user(info, self.created_by_id)

    @classmethod
    def from_model(cls, link: m.ShareLink) -> ShareLink:
        return cls(
            id=global_id("ShareLink", link.id),
            role=ShareLinkRole[m.DriveRole(link.role).value],
            scope=ShareLinkScope[m.LinkScope(link.scope).value],
            has_password=link.password_hash is not None,
            expires_at=link.expires_at,
            revoked_at=link.revoked_at,
            created_at=link.created_at,
            created_by_id=link.created_by_id,
        )

    @classmethod
    async def page_of(
        cls, info: Info, item: m.DriveItem, *, first: int | None, after: str | None
    ) -> Connection[ShareLink]:
        """``File.shareLinks``: drive.types reaches it through its lazy ``ShareLinkRef``."""
        ctx = info.context

        def make() -> Callable[[list[m.DriveItem]], Awaitable[Sequence[Any]]]:
            async def load(items: list[m.DriveItem]) -> Sequence[Any]:
                roles = await role_loader(ctx).load_many(items)
                return await links.links_for(items, roles)

            return load

        # One query loads the links of a whole page of files; each file's are then paged here.
        rows = await request_loader(info, "links", make).load(item)
        page = page_of_sorted(rows, lambda link: (link.id,), 1, first=first, after=after)
        return cast(Connection[ShareLink], connection(page, ShareLink.from_model))


# -- opening a link -----------------------------------------------------------------------------


async def _signed_url(info: Info, item: m.DriveItem, link_id: int) -> str | None:
    """A signed URL without a permission check: the share link was checked, and the URL is
    tied to it (it stops working when the link does). Batched like ``File.downloadUrl`` (the
    version and blob of every file of a page in one go)."""
    return await signed_url_batched(info.context, item, link_id)


@strawberry.type(
    description="A file or folder as a share link shows it (also to people who are not signed in)."
)
class SharedItem:
    id: strawberry.ID = strawberry.field(
        description="Its global ID: pass as `fileId` to `sharedLink` to open it."
    )
    kind: FileKindEnum = strawberry.field(description="File or folder.")
    name: str = strawberry.field(description="Its name.")
    size: ByteCount = strawberry.field(description="Bytes of the current version; 0 for folders.")
    content_type: str = strawberry.field(description="MIME type; empty for folders.")
    sha256: str = strawberry.field(description="SHA-256 of the current version, hex.")
    updated_at: datetime = strawberry.field(description="When it or its content last changed.")
    model: strawberry.Private[m.DriveItem]
    link_id: strawberry.Private[int]

    @strawberry.field(description="A short-lived URL that downloads a file; null for folders.")
    async def download_url(self, info: Info) -> str | None:
        return await _signed_url(info, self.model, self.link_id)

    @strawberry.field(description="A folder's files and folders, folders first, then by name.")
    async def children(
        self,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[SharedItem]:
        page = await links.link_children(self.model, first=first, after=after)
        return connection(page, lambda child: SharedItem.from_model(child, self.link_id))

    @classmethod
    def from_model(cls, item: m.DriveItem, link_id: int) -> SharedItem:
        return cls(
            id=strawberry.ID(File.global_id(item.id)),
            kind=FileKindEnum[m.ItemKind(item.kind).value],
            name=item.name,
            size=item.size,
            content_type=item.content_type,
            sha256=item.sha256,
            updated_at=item.updated_at,
            model=item,
            link_id=link_id,
        )


@strawberry.enum(description="Why a share link did not open.")
class SharedLinkErrorCode(Enum):
    PASSWORD_REQUIRED = error_code(
        DriveErrorCode.PASSWORD_REQUIRED, "The link has a password; pass it."
    )
    WRONG_PASSWORD = error_code(DriveErrorCode.WRONG_PASSWORD, "The password is wrong.")
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED, "Too many wrong passwords for this link; try again later."
    )


@strawberry.type(description="A reason why a share link did not open.")
class SharedLinkError(MutationError):
    code: SharedLinkErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="What a share link opens.")
class SharedLinkResult:
    item: SharedItem | None = strawberry.field(
        default=None, description="The linked item, or the item inside it asked for."
    )
    linked_item: SharedItem | None = strawberry.field(
        default=None, description="The item the link was made for."
    )
    role: ShareLinkRole | None = strawberry.field(
        default=None, description="What the link lets you do."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the link stops working, if it does."
    )
    errors: list[SharedLinkError] = strawberry.field(description="Why it did not open.")


@strawberry.enum(description="Why `shareLinkCreate` failed.")
class ShareLinkCreateErrorCode(Enum):
    ROOT_NOT_SHAREABLE = ROOT_NOT_SHAREABLE
    INVALID_PASSWORD = error_code(
        DriveErrorCode.INVALID_PASSWORD, "Passwords have 4 to 256 characters."
    )
    EXPIRY_IN_PAST = error_code(DriveErrorCode.EXPIRY_IN_PAST, "`expiresAt` is not in the future.")
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = ITEM_FORBIDDEN
    NOT_FOUND = ITEM_NOT_FOUND
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `shareLinkCreate` made nothing.")
class ShareLinkCreateError(MutationError):
    code: ShareLinkCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A new share link.")
class ShareLinkCreateInput:
    file_id: strawberry.ID = strawberry.field(description="The file or folder; you need editor.")
    role: ShareLinkRole = strawberry.field(
        default=ShareLinkRole.VIEWER, description="What holders may do (default VIEWER)."
    )
    scope: ShareLinkScope = strawberry.field(
        default=ShareLinkScope.ORGANIZATION,
        description="Who can open it (default ORGANIZATION).",
    )
    password: str | None = strawberry.field(
        default=None, description="Ask for this password (4 to 256 characters); kept hashed."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="Stop working then (a future time); never if omitted."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first link and token."
    )


@strawberry.type(description="The result of `shareLinkCreate`.")
class ShareLinkCreatePayload:
    share_link: ShareLink | None = strawberry.field(default=None, description="The link.")
    token: str | None = strawberry.field(
        default=None,
        description="The link's secret, for `sharedLink(token:)`. Shown only here: only its "
        "hash is stored.",
    )
    errors: list[ShareLinkCreateError] = strawberry.field(description="Why nothing was made.")


@strawberry.enum(description="Why `shareLinkRevoke` failed.")
class ShareLinkRevokeErrorCode(Enum):
    ALREADY_REVOKED = error_code(DriveErrorCode.ALREADY_REVOKED, "The link was revoked before.")
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "You can see the link's item but may not do this to it; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The link does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.type(description="A reason why `shareLinkRevoke` changed nothing.")
class ShareLinkRevokeError(MutationError):
    code: ShareLinkRevokeErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A share link to revoke.")
class ShareLinkRevokeInput:
    share_link_id: strawberry.ID = strawberry.field(description="The link (`ShareLink.id`).")


@strawberry.type(description="The result of `shareLinkRevoke`.")
class ShareLinkRevokePayload:
    share_link: ShareLink | None = strawberry.field(default=None, description="The revoked link.")
    errors: list[ShareLinkRevokeError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class ShareLinkQuery:
    @strawberry.field(
        description="Open a share link. ANYONE links work without signing in; ORGANIZATION "
        "links need a signed-in member of the item's organization. A link that does not "
        "exist, has expired or was revoked, or whose item is in the trash, is NOT_FOUND.",
        directives=needs("drive:read"),
    )
    async def shared_link(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The link's token.")],
        password: Annotated[
            str | None, strawberry.argument(description="The link's password, if it has one.")
        ] = None,
        file_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Open this item inside the linked folder instead."),
        ] = None,
    ) -> SharedLinkResult:
        action = links.open_share_link(
            info.context,
            token=token,
            password=password,
            item_id=require_id(file_id, "File", "fileId"),
        )
        return await mutate(
            SharedLinkResult,
            SharedLinkError,
            action,
            lambda o: {
                "item": SharedItem.from_model(o.item, o.link.id),
                "linked_item": SharedItem.from_model(o.root, o.link.id),
                "role": ShareLinkRole[m.DriveRole(o.link.role).value],
                "expires_at": o.link.expires_at,
            },
        )


@strawberry.type
class ShareLinkMutation:
    @strawberry.mutation(
        description="Make a share link (owners and editors). The token is in the payload only.",
        directives=needs("drive:write"),
    )
    async def share_link_create(
        self, info: Info, input: Annotated[ShareLinkCreateInput, INPUT]
    ) -> ShareLinkCreatePayload:
        action = links.check_share_link_create(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            role=m.DriveRole(input.role.name),
            scope=m.LinkScope(input.scope.name),
            password=input.password,
            expires_at=input.expires_at,
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            ShareLinkCreatePayload,
            ShareLinkCreateError,
            action,
            lambda r: {"share_link": ShareLink.from_model(r[0]), "token": r[1]},
        )

    @strawberry.mutation(
        description="Revoke a share link: it stops working at once.",
        directives=needs("drive:write"),
    )
    async def share_link_revoke(
        self, info: Info, input: Annotated[ShareLinkRevokeInput, INPUT]
    ) -> ShareLinkRevokePayload:
        action = links.check_share_link_revoke(
            info.context, require_id(input.share_link_id, "ShareLink", "shareLinkId")
        )
        return await mutate(
            ShareLinkRevokePayload,
            ShareLinkRevokeError,
            action,
            lambda link: {"share_link": ShareLink.from_model(link)},
        )
