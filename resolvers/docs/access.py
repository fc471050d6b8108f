"""Who may do what with a doc: Drive decides. A doc is a Drive item of kind DOC, so the roles
are Drive's (viewer reads, commenter also comments, editor also edits, owner also shares), on
the doc or inherited from a folder above it; what the viewer cannot see, another
organization's doc included, is NOT_FOUND."""

from __future__ import annotations

from dataclasses import dataclass

from models.docs import Document
from models.drive import DriveItem, DriveRole, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import NotFound
from resolvers.drive.access import access_item

DOC_CONTENT_TYPE = "application/vnd.hello.doc"


@dataclass
class DocAccess:
    item: DriveItem
    document: Document
    role: DriveRole


async def access_doc(
    ctx: Context,
    doc_id: int | None,
    need: DriveRole = DriveRole.VIEWER,
    *,
    field: str = "docId",
    trashed: bool = False,
) -> DocAccess:
    """The doc and the viewer's role on it: NOT_FOUND when they cannot see it (or it is not a
    doc, or in the trash unless ``trashed``), FORBIDDEN when their role is below ``need``."""
    found = await access_item(ctx, doc_id, need, field=field, trashed=trashed)
    if found.item.kind != ItemKind.DOC:
        raise NotFound(field=field)
    document = await Document.filter(id=found.item.id).first()
    if document is None:
        raise NotFound(field=field)
    return DocAccess(found.item, document, found.role)
