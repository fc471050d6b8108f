"""docCreate: a new doc in a folder the viewer may edit (their root when none is named), with a
title and, for imports and copies, its first blocks: the Drive item, its ``Document`` and the
first update of its log in one transaction."""

from __future__ import annotations

from models.docs import Document, DocUpdate, UpdateOrigin
from models.drive import DriveItem, ItemKind
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.docs.access import DOC_CONTENT_TYPE
from resolvers.docs.blocks import Block, new_content, plain_text, search_key
from resolvers.drive import events, names, placement
from resolvers.drive.tree import editable_folder

MAX_TITLE = 255
UNTITLED = "Untitled"


def check_title(title: str, field: str = "title") -> str:
    """A title with its white space collapsed, at most ``MAX_TITLE`` characters; it must make
    a valid Drive name (``drive_name``)."""
    clean = " ".join(title.split())
    if len(clean) > MAX_TITLE:
        raise ValidationFailed(f"A title has at most {MAX_TITLE} characters.", field=field)
    names.check_name(drive_name(clean), field)
    return clean


def drive_name(title: str) -> str:
    """The name of a doc's Drive item: its title with slashes and backslashes made dashes
    ("Untitled" when empty)."""
    return title.replace("/", "-").replace("\\", "-") or UNTITLED


async def check_doc_create(
    ctx: Context, *, folder_id: int | None, title: str, idempotency_key: str | None
) -> DriveItem:
    principal = require_principal(ctx)
    clean = check_title(title)
    folder = await editable_folder(ctx, folder_id, "folderId")

    async def create() -> DriveItem:
        return await do_doc_create(folder, clean, principal.user_id)

    async def load(pk: int) -> DriveItem | None:
        return await DriveItem.filter(id=pk, organization_id=principal.organization_id).first()

    fingerprint = {"folderId": folder.id, "title": clean}
    return await once(
        principal.user_id, "docCreate", idempotency_key, create, load, input=fingerprint
    )


async def do_doc_create(
    folder: DriveItem,
    title: str,
    owner_id: int,
    blocks: list[Block] | None = None,
    *,
    origin: UpdateOrigin = UpdateOrigin.IMPORT,
) -> DriveItem:
    """The doc's item in ``folder`` (named after its title, renamed if taken), its document
    and its first update (the title and ``blocks``, one empty paragraph when none)."""
    ydoc = new_content(title, blocks)
    content = ydoc.get_update()
    text = plain_text(ydoc)
    async with transaction() as tx:
        item = await placement.insert_item(
            parent=folder,
            name=names.check_name(drive_name(title)),
            kind=ItemKind.DOC,
            owner_id=owner_id,
            on_conflict=names.OnConflict.RENAME,
            content_type=DOC_CONTENT_TYPE,
        )
        await Document.create(
            id=item.id,
            item_id=item.id,
            organization_id=item.organization_id,
            revision=1,
            log_count=1,
            log_bytes=len(content),
            title=title,
            plain_text=text,
            search_key=search_key(text),
            indexed_revision=1,
            edited_at=now(),
            editors_since_version=[owner_id],
            created_by_id=owner_id,
        )
        await DocUpdate.create(
            document_id=item.id, revision=1, data=content, author_id=owner_id, origin=origin
        )
        await events.publish_change(tx, events.Change.CREATED, item, owner_id)
    return item
