"""Copies of docs: Drive's ``fileCopy`` of a doc, or of a folder holding docs, makes the Drive
items; this hook gives each copy its ``Document`` with the original's content.

The copy's content is the original's whole Yjs state as committed now (title, blocks,
formatting, and whatever keys clients keep in it), stored as revision 1 of a fresh log with
origin IMPORT: the copy has no history, versions or comments of the original, and who made it
is its only editor so far. The title stays the original's (the Drive name may differ, as a
copy's name does when it was renamed to fit its folder)."""

from __future__ import annotations

from models.docs import Document, DocUpdate, UpdateOrigin
from models.drive import ItemKind
from resolvers.core.clock import now
from resolvers.core.tx import Transaction
from resolvers.docs.blocks import plain_text, search_key, title_text
from resolvers.docs.store import load
from resolvers.drive.hooks import ItemsCopied, on_items_copied


@on_items_copied(ItemKind.DOC, "docs.copy")
async def copy_docs(tx: Transaction, copied: ItemsCopied) -> None:
    originals = {d.id: d for d in await Document.filter(id__in=[o.id for o, _ in copied.pairs])}
    made: list[Document] = []
    updates: list[DocUpdate] = []
    for original, copy in copied.pairs:
        document = originals.get(original.id)
        if document is None:
            continue  # not a doc after all: nothing of ours to copy
        ydoc = (await load(document)).ydoc
        content = ydoc.get_update()
        text = plain_text(ydoc)
        made.append(
            Document(
                id=copy.id,
                item_id=copy.id,
                organization_id=copy.organization_id,
                revision=1,
                log_count=1,
                log_bytes=len(content),
                title=str(title_text(ydoc)),
                plain_text=text,
                search_key=search_key(text),
                indexed_revision=1,
                edited_at=now(),
                editors_since_version=[copied.user_id],
                created_by_id=copied.user_id,
            )
        )
        updates.append(
            DocUpdate(
                document_id=copy.id,
                revision=1,
                data=content,
                author_id=copied.user_id,
                origin=UpdateOrigin.IMPORT,
            )
        )
    await Document.bulk_create(made, 100)
    await DocUpdate.bulk_create(updates, 100)
