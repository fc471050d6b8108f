"""Docs (issue 17): documents co-edited live as Yjs documents (pycrdt on the server), with the
comments anchored in them and their version history.

A doc is a Drive item of kind DOC: the item gives it a name, a place in the tree, sharing,
trash and restore, and its permissions (viewer, commenter, editor, owner). ``Document`` holds
what makes it a doc, with the same id as its item.

Content: every change is a Yjs update appended to ``DocUpdate`` under the next ``revision`` of
its document, written before the change is acknowledged. A background job folds the log into
``Document.snapshot`` when it grows (``resolvers.docs.compaction``), so a doc loads as its
snapshot plus the tail of the log after ``snapshot_revision``. The Yjs document itself is laid
out as ``resolvers.docs.blocks`` says (a title text and an array of blocks)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.drive import DriveItem
from models.identity import Organization, User


class UpdateOrigin(StrEnum):
    """Where a stored update came from."""

    CLIENT = "CLIENT"
    """A Yjs client through docUpdate."""
    BLOCKS = "BLOCKS"
    """A block mutation (bots and integrations), applied on the server."""
    RESTORE = "RESTORE"
    """A version restored as a new edit."""
    IMPORT = "IMPORT"
    """The content of a new doc (created empty, imported or copied)."""


class VersionKind(StrEnum):
    AUTO = "AUTO"
    """Taken after some minutes of editing."""
    NAMED = "NAMED"
    """Saved by someone, with a name."""
    RESTORE = "RESTORE"
    """The state right before a restore, kept so that the restore can be undone."""


class Document(Model):
    """What makes a Drive item of kind DOC a doc. The id is the item id."""

    id = fields.BigIntField(primary_key=True)
    item: fields.OneToOneRelation[DriveItem] = fields.OneToOneField(
        "models.DriveItem", related_name="document", on_delete=fields.CASCADE
    )
    item_id: int
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="documents", on_delete=fields.RESTRICT
    )
    organization_id: int
    revision = fields.BigIntField(default=0)
    """The revision of the newest stored update (0 for none)."""
    snapshot = fields.BinaryField(null=True)
    """A Yjs update holding the whole document as of ``snapshot_revision``."""
    snapshot_revision = fields.BigIntField(default=0)
    log_count = fields.IntField(default=0)
    """Updates in the log after the snapshot."""
    log_bytes = fields.BigIntField(default=0)
    """Their bytes: the compaction job runs when either passes its threshold."""
    compaction_queued_at = fields.DatetimeField(null=True)
    """Set while a compaction job is queued (one at a time per doc)."""
    title = fields.TextField(default="")
    """The title as of ``indexed_revision`` (the Drive item's name follows it)."""
    plain_text = fields.TextField(default="")
    """The content as plain text as of ``indexed_revision``, for search and previews."""
    search_key = fields.TextField(default="")
    """Title and plain text case-folded (NFKC), searched by substring, which works for CJK."""
    indexed_revision = fields.BigIntField(default=0)
    index_queued_at = fields.DatetimeField(null=True)
    editors_since_version: list[int] = fields.JSONField(default=list)
    """Who changed the doc since its newest version (the next version lists them)."""
    edited_at = fields.DatetimeField(null=True)
    """When the newest update was stored."""
    last_version_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="documents_created", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "doc_document"
        indexes = (("organization_id", "updated_at"),)


class DocUpdate(Model):
    """One stored Yjs update (v1 encoding) of a document, in revision order. Append-only: rows
    go only when compaction has folded them into the snapshot."""

    id = fields.BigIntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="updates", on_delete=fields.CASCADE
    )
    document_id: int
    revision = fields.BigIntField()
    data = fields.BinaryField()
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="doc_updates", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    origin = fields.CharEnumField(UpdateOrigin, max_length=12, default=UpdateOrigin.CLIENT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "doc_update"
        unique_together = (("document_id", "revision"),)


class DocVersion(Model):
    """A saved state of a document: the whole Yjs document as one update, and who changed it
    since the version before."""

    id = fields.BigIntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="versions", on_delete=fields.CASCADE
    )
    document_id: int
    number = fields.IntField()
    kind = fields.CharEnumField(VersionKind, max_length=8)
    name = fields.CharField(max_length=200, null=True)
    revision = fields.BigIntField()
    """The document revision it holds."""
    state = fields.BinaryField()
    title = fields.TextField(default="")
    editor_ids: list[int] = fields.JSONField(default=list)
    """Who changed the doc between the version before and this one."""
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="doc_versions", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "doc_version"
        unique_together = (("document_id", "number"),)


class DocComment(Model):
    """A comment on a document: a thread (``thread`` null) anchored to a text range or to the
    whole doc, or a reply in a thread. The range is two Yjs relative positions (sticky
    indexes), so it stays on its text while text around it changes."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.BigIntField()
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="comments", on_delete=fields.CASCADE
    )
    document_id: int
    thread: fields.ForeignKeyNullableRelation[DocComment] = fields.ForeignKeyField(
        "models.DocComment", related_name="replies", null=True, on_delete=fields.CASCADE
    )
    thread_id: int | None
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="doc_comments", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    body = fields.TextField()
    mentioned_user_ids: list[int] = fields.JSONField(default=list)
    block_id = fields.CharField(max_length=64, null=True)
    """The block whose text the range is in (null for a whole-doc comment or a reply)."""
    anchor_start = fields.BinaryField(null=True)
    anchor_end = fields.BinaryField(null=True)
    quote = fields.TextField(default="")
    """The text the range covered when the comment was made."""
    resolved_at = fields.DatetimeField(null=True)
    resolved_by_id = fields.BigIntField(null=True)
    edited_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "doc_comment"
        indexes = (("document_id", "thread_id", "created_at"),)
