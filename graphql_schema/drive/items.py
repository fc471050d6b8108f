"""Root fields of Drive: the viewer's drive, a file by ID, search, and the tree mutations
(folders, rename, move, copy, trash, versions)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.connection import Connection, connection
from graphql_schema.core.node import decode_id, require_id
from graphql_schema.core.payload import mutate
from graphql_schema.core.scopes import needs
from graphql_schema.drive import item_payloads as p
from graphql_schema.drive.types import AFTER, FIRST, Drive, File, FileVersion, OnNameConflict
from resolvers.core.principal import require_principal
from resolvers.drive import copying, items, names, trash, tree

INPUT = strawberry.argument(description="What to do.")


def _conflict(value: OnNameConflict) -> names.OnConflict:
    return names.OnConflict(value.name)


@strawberry.type
class DriveQuery:
    @strawberry.field(description="Your drive.", directives=needs("drive:read"))
    async def drive(self, info: Info) -> Drive:
        return Drive(user_id=require_principal(info.context).user_id)

    @strawberry.field(
        description="A file or folder you can see, by global ID; null otherwise. Items in the "
        "trash are returned to their editors and owners (who may restore them), with "
        "`trashedAt` set; `node(id:)` leaves them out.",
        directives=needs("drive:read"),
    )
    async def file(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Its global ID.")],
    ) -> File | None:
        found = await items.find_item(info.context, decode_id(id, "File"))
        return File.from_model(found) if found is not None else None

    @strawberry.field(
        description=f"Files and folders whose name contains `query` (any case), not in the "
        f"trash, among what you can see: your drive, what you own, and everything in what was "
        f"shared with you (the {items.MAX_SEARCH_ROOTS} most recent shares). Ordered by name. "
        f"Files you see only as message attachments are not searched.",
        directives=needs("drive:read"),
    )
    async def file_search(
        self,
        info: Info,
        query: Annotated[
            str,
            strawberry.argument(
                description=f"1 to {items.MAX_QUERY} characters, matched as they are "
                "(`%` and `_` are not wildcards)."
            ),
        ],
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[File]:
        page = await items.search_files(info.context, query, first=first, after=after)
        return connection(page, File.from_model)


@strawberry.type
class ItemsMutation:
    @strawberry.mutation(
        description="Create a folder. It is yours, wherever it is.", directives=needs("drive:write")
    )
    async def folder_create(
        self, info: Info, input: Annotated[p.FolderCreateInput, INPUT]
    ) -> p.FolderCreatePayload:
        action = tree.check_folder_create(
            info.context,
            name=input.name,
            parent_id=require_id(input.parent_id, "File", "parentId"),
            on_conflict=_conflict(input.on_conflict),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            p.FolderCreatePayload,
            p.FolderCreateError,
            action,
            lambda f: {"folder": File.from_model(f)},
        )

    @strawberry.mutation(
        description="Rename a file or folder (editors may).", directives=needs("drive:write")
    )
    async def file_rename(
        self, info: Info, input: Annotated[p.FileRenameInput, INPUT]
    ) -> p.FileRenamePayload:
        action = tree.check_file_rename(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            name=input.name,
            on_conflict=_conflict(input.on_conflict),
        )
        return await mutate(
            p.FileRenamePayload, p.FileRenameError, action, lambda f: {"file": File.from_model(f)}
        )

    @strawberry.mutation(
        description="Move a file or folder (with everything in it) into another folder. You "
        "must be able to edit both; its owner stays its owner.",
        directives=needs("drive:write"),
    )
    async def file_move(
        self, info: Info, input: Annotated[p.FileMoveInput, INPUT]
    ) -> p.FileMovePayload:
        action = tree.check_file_move(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            folder_id=require_id(input.folder_id, "File", "folderId"),
            on_conflict=_conflict(input.on_conflict),
        )
        return await mutate(
            p.FileMovePayload, p.FileMoveError, action, lambda f: {"file": File.from_model(f)}
        )

    @strawberry.mutation(
        description="Copy a file (its current version, as version 1) or a folder with what is "
        "in it. The copies are yours and count against the quota.",
        directives=needs("drive:write"),
    )
    async def file_copy(
        self, info: Info, input: Annotated[p.FileCopyInput, INPUT]
    ) -> p.FileCopyPayload:
        action = copying.check_file_copy(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            folder_id=require_id(input.folder_id, "File", "folderId"),
            name=input.name,
            on_conflict=_conflict(input.on_conflict),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            p.FileCopyPayload, p.FileCopyError, action, lambda f: {"file": File.from_model(f)}
        )

    @strawberry.mutation(
        description="Move a file or folder (with everything in it) to the trash. Its name is "
        "free in its folder again; `fileRestore` brings it back, `trashEmpty` deletes it.",
        directives=needs("drive:write"),
    )
    async def file_delete(
        self, info: Info, input: Annotated[p.FileDeleteInput, INPUT]
    ) -> p.FileDeletePayload:
        action = trash.check_file_delete(
            info.context, item_id=require_id(input.file_id, "File", "fileId")
        )
        return await mutate(
            p.FileDeletePayload, p.FileDeleteError, action, lambda f: {"file": File.from_model(f)}
        )

    @strawberry.mutation(
        description="Bring an item back from the trash with what went there with it: into its "
        "folder, or into its owner's root folder if that folder is in the trash too.",
        directives=needs("drive:write"),
    )
    async def file_restore(
        self, info: Info, input: Annotated[p.FileRestoreInput, INPUT]
    ) -> p.FileRestorePayload:
        action = trash.check_file_restore(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            on_conflict=_conflict(input.on_conflict),
        )
        return await mutate(
            p.FileRestorePayload,
            p.FileRestoreError,
            action,
            lambda f: {"file": File.from_model(f)},
        )

    @strawberry.mutation(
        description="Delete items in the trash for good, with every version; their storage is "
        "freed. Only owners may.",
        directives=needs("drive:write"),
    )
    async def trash_empty(
        self, info: Info, input: Annotated[p.TrashEmptyInput, INPUT]
    ) -> p.TrashEmptyPayload:
        ids = (
            [require_id(i, "File", "fileIds") for i in input.file_ids]
            if input.file_ids is not None
            else None
        )
        action = trash.check_trash_empty(info.context, ids=ids)
        return await mutate(
            p.TrashEmptyPayload, p.TrashEmptyError, action, lambda n: {"deleted_count": n}
        )

    @strawberry.mutation(
        description="Make an old version current again. It is added as the newest version "
        "(the history stays), and counts against the quota again.",
        directives=needs("drive:write"),
    )
    async def file_version_restore(
        self, info: Info, input: Annotated[p.FileVersionRestoreInput, INPUT]
    ) -> p.FileVersionRestorePayload:
        action = tree.check_version_restore(
            info.context,
            item_id=require_id(input.file_id, "File", "fileId"),
            version_id=require_id(input.version_id, "FileVersion", "versionId"),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            p.FileVersionRestorePayload,
            p.FileVersionRestoreError,
            action,
            lambda r: {
                "file": File.from_model(r[0]),
                "version": FileVersion.from_model(r[1], r[0].current_version_id),
            },
        )
