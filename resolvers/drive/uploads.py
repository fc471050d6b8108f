"""Uploads: small files in one request (``fileUpload``) and large ones in upload sessions of
parts, resumable for a day. Nothing half-uploaded ever becomes a file: bytes are staged in the
blob store, verified, and only then referred to by a row."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

from adapters import runtime
from models.drive import DriveItem, DriveRole, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.drive import events, names, placement, storage
from resolvers.drive.access import access_item
from resolvers.drive.errors import DriveErrorCode

READ_CHUNK = 256 * 1024
MAX_CONTENT_TYPE = 255


def check_content_type(content_type: str | None) -> str:
    value = (content_type or "").strip().lower() or "application/octet-stream"
    kind, slash, sub = value.partition("/")
    if (
        not slash
        or not kind
        or not sub
        or len(value) > MAX_CONTENT_TYPE
        or any(c.isspace() or ord(c) < 32 for c in value.split(";", 1)[0])
    ):
        raise ValidationFailed(
            "Content types look like type/subtype.",
            field="contentType",
            code=DriveErrorCode.INVALID_CONTENT_TYPE,
        )
    return value


async def target_folder(ctx: Context, folder_id: int | None) -> DriveItem:
    """The folder to put something in: the one named (you must be its editor) or your root."""
    if folder_id is None:
        principal = require_principal(ctx)
        return await placement.root_folder(principal.user)
    folder = (await access_item(ctx, folder_id, DriveRole.EDITOR, field="folderId")).item
    if folder.kind != ItemKind.FOLDER:
        raise ValidationFailed(
            "Put files in a folder, not in a file.",
            field="folderId",
            code=DriveErrorCode.NOT_A_FOLDER,
        )
    return folder


async def _chunks(upload: Any) -> AsyncIterator[bytes]:
    while chunk := await upload.read(READ_CHUNK):
        yield chunk


async def upload_small(
    ctx: Context,
    *,
    upload: Any,
    folder_id: int | None,
    name: str | None,
    content_type: str | None,
    on_conflict: names.OnConflict,
    idempotency_key: str | None,
) -> DriveItem:
    """One file in one request (multipart); at most ``drive_upload_max_bytes``."""
    principal = require_principal(ctx)
    settings = runtime.current().settings
    clean_name = names.check_name(name if name is not None else (upload.filename or ""))
    clean_type = check_content_type(content_type or getattr(upload, "content_type", None))
    folder = await target_folder(ctx, folder_id)
    limit = min(settings.drive_upload_max_bytes, settings.drive_max_file_bytes)

    async def create() -> DriveItem:
        staged = await storage.stage(principal.organization_id, _chunks(upload), max_bytes=limit)
        try:
            async with transaction() as tx:
                item, created = await storage.store_file(
                    tx,
                    folder=folder,
                    name=clean_name,
                    content_type=clean_type,
                    staged=staged,
                    user_id=principal.user_id,
                    on_conflict=on_conflict,
                )
                await events.publish_change(
                    tx,
                    events.Change.CREATED if created else events.Change.UPDATED,
                    item,
                    principal.user_id,
                )
        except BaseException:
            await storage.blobs().delete(staged.key)
            raise
        return item

    async def load(pk: int) -> DriveItem | None:
        return await DriveItem.filter(id=pk).first()

    fields: dict[str, object] = {
        "folderId": folder_id,
        "name": clean_name,
        "contentType": clean_type,
        "onConflict": on_conflict,
    }
    if idempotency_key is not None:
        # The bytes are input too: a retry sends the same file, a reuse of the key may not.
        fields["content"] = await _digest(upload, limit)
    return await once(principal.user_id, "fileUpload", idempotency_key, create, load, input=fields)


async def _digest(upload: Any, limit: int) -> str:
    """SHA-256 of an upload's first ``limit`` + 1 bytes (more is FILE_TOO_LARGE anyway), read
    from the request's spooled copy, which is then rewound for staging."""
    digest = hashlib.sha256()
    size = 0
    while size <= limit and (chunk := await upload.read(READ_CHUNK)):
        digest.update(chunk)
        size += len(chunk)
    await upload.seek(0)
    return digest.hexdigest()
