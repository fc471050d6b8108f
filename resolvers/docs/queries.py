"""Reading docs: which ones the viewer sees (``node``, ``doc``) and their content."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.docs import Document
from models.drive import DriveItem, DriveRole, ItemKind
from resolvers.core.context import Context
from resolvers.docs.blocks import Block, read_blocks, title_text
from resolvers.docs.store import load
from resolvers.drive import access


@dataclass
class SeenDoc:
    """A doc as one viewer sees it."""

    item: DriveItem
    document: Document
    role: DriveRole


async def visible_docs(ctx: Context, ids: Iterable[int]) -> list[SeenDoc | None]:
    """Docs by id, in order; None where missing, trashed, not a doc or not visible."""
    wanted = list(ids)
    items = await access.visible_items(ctx, wanted)
    found = [i for i in items if i is not None and i.kind == ItemKind.DOC]
    roles = await access.roles_for(ctx, found)
    documents = {d.id: d for d in await Document.filter(id__in=[i.id for i in found])}
    by_id = {
        i.id: SeenDoc(i, documents[i.id], r)
        for i, r in zip(found, roles, strict=True)
        if r is not None and i.id in documents
    }
    return [by_id.get(i) for i in wanted]


@dataclass
class Content:
    title: str
    blocks: list[Block]
    revision: int


async def content(document: Document) -> Content:
    """The doc's title and blocks as of its newest stored revision."""
    live = await load(document)
    return Content(str(title_text(live.ydoc)), read_blocks(live.ydoc), live.revision)
