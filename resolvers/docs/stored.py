"""A doc's content as the database holds it, in a throwaway pycrdt ``Doc``: for the background
work that reads a doc at one revision (versions, the search index) without touching the docs
this process keeps loaded for editing (``store``), whose locks belong to the write path."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from models.docs import Document, DocUpdate


async def stored_doc(document: Document, upto: int | None = None) -> Doc:
    """The doc's snapshot and its log up to revision ``upto`` (the row's revision when None).
    Call it holding the document's row lock when the answer must be exactly ``upto``."""
    last = document.revision if upto is None else upto
    if document.snapshot and document.snapshot_revision > last:
        raise LookupError(f"doc {document.id}: revision {last} was compacted away")
    ydoc: Doc = Doc()
    if document.snapshot:
        ydoc.apply_update(bytes(document.snapshot))
    rows: list[Any] = (
        await DocUpdate.filter(
            document_id=document.id,
            revision__gt=document.snapshot_revision if document.snapshot else 0,
            revision__lte=last,
        )
        .order_by("revision")
        .values_list("data", flat=True)
    )
    for data in rows:
        ydoc.apply_update(bytes(data))
    return ydoc


def from_state(state: bytes) -> Doc:
    ydoc: Doc = Doc()
    ydoc.apply_update(state)
    return ydoc
