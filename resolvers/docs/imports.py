"""docImport: a new doc from Markdown or HTML, given inline or as a Drive file the viewer can
read. HTML is sanitized by construction (``formats.html``); the title, unless given, is the
first heading's text (else the file's name without its extension, else "Untitled")."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from models.docs import UpdateOrigin
from models.drive import DriveItem, DriveRole, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.docs.blocks import Block, BlockType, walk
from resolvers.docs.create import MAX_TITLE, UNTITLED, check_title, do_doc_create
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.formats import Format
from resolvers.docs.formats.html import from_html
from resolvers.docs.formats.markdown import from_markdown
from resolvers.drive import downloads, storage
from resolvers.drive.access import access_item
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.tree import editable_folder

MAX_IMPORT_BYTES = 512 * 1024
"""Markdown or HTML to import, in UTF-8 bytes (inline or in the file): as much as fits in a
request with room to spare (requests are limited to 1 MiB by default), and the same for files,
so that where the text comes from does not change what imports."""
IMPORTABLE = (Format.MARKDOWN, Format.HTML)


def too_large(size: int | None, field: str) -> ValidationFailed:
    what = f"{size} bytes" if size is not None else "More"
    return ValidationFailed(
        f"{what} is more than an import may have ({MAX_IMPORT_BYTES} bytes).",
        field=field,
        code=DocsErrorCode.IMPORT_TOO_LARGE,
    )


def parse(fmt: Format, text: str) -> list[Block]:
    if fmt == Format.MARKDOWN:
        return from_markdown(text)
    if fmt == Format.HTML:
        return from_html(text)
    raise ValidationFailed("Import Markdown or HTML.", field="format")


def title_of(blocks: list[Block], fallback: str) -> str:
    """The first heading's text (anywhere in the doc), else ``fallback``."""
    for block in walk(blocks):
        if block.type == BlockType.HEADING and block.text.strip():
            return " ".join(block.text.split())[:MAX_TITLE]
    return fallback


async def _file_text(ctx: Context, file_id: int | None) -> tuple[str, str]:
    """The text and name of a Drive file the viewer may read."""
    found = await access_item(ctx, file_id, DriveRole.VIEWER, field="fileId")
    if found.item.kind != ItemKind.FILE:
        raise ValidationFailed(
            "Import a file, not a folder or a doc.", field="fileId", code=DriveErrorCode.NOT_A_FILE
        )
    download = await downloads.open_download(ctx, file_id, None)
    if download.version.size > MAX_IMPORT_BYTES:
        raise too_large(download.version.size, "fileId")
    data = bytearray()
    async for chunk in storage.blobs().get(download.storage_key, 0, MAX_IMPORT_BYTES + 1):
        data.extend(chunk)
        if len(data) > MAX_IMPORT_BYTES:
            raise too_large(None, "fileId")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationFailed("The file is not UTF-8 text.", field="fileId") from e
    return text, download.item.name


async def check_doc_import(
    ctx: Context,
    *,
    folder_id: int | None,
    title: str | None,
    fmt: Format,
    content: str | None,
    file_id: int | None,
    file_id_given: bool,
    idempotency_key: str | None,
) -> DriveItem:
    principal = require_principal(ctx)
    if fmt not in IMPORTABLE:
        raise ValidationFailed("Import Markdown or HTML.", field="format")
    if (content is None) == (not file_id_given):
        raise ValidationFailed("Give the content or a file, one of the two.", field="content")
    clean_title = check_title(title) if title is not None else None
    folder = await editable_folder(ctx, folder_id, "folderId")
    if content is not None:
        if len(content) > MAX_IMPORT_BYTES or len(content.encode()) > MAX_IMPORT_BYTES:
            raise too_large(len(content.encode()), "content")
        text, fallback = content, UNTITLED
        source = {"sha256": hashlib.sha256(content.encode()).hexdigest()}
    else:
        text, name = await _file_text(ctx, file_id)
        fallback = PurePosixPath(name).stem or UNTITLED
        source = {"fileId": str(file_id)}
    blocks = parse(fmt, text)
    final_title = (
        clean_title if clean_title is not None else check_title(title_of(blocks, fallback))
    )

    async def create() -> DriveItem:
        return await do_doc_create(
            folder, final_title, principal.user_id, blocks or None, origin=UpdateOrigin.IMPORT
        )

    async def load(pk: int) -> DriveItem | None:
        return await DriveItem.filter(id=pk, organization_id=principal.organization_id).first()

    fingerprint = {"folderId": folder.id, "title": title, "format": fmt.value, **source}
    return await once(
        principal.user_id, "docImport", idempotency_key, create, load, input=fingerprint
    )
