"""Drive: files and folders in a tree per user, their versions, the blobs that hold their bytes,
sharing, share links, upload sessions and the storage each organization uses."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.identity import Organization, User


class ItemKind(StrEnum):
    FILE = "FILE"
    FOLDER = "FOLDER"
    DOC = "DOC"
    """A doc edited live (``models.docs.Document``): no bytes, no versions of its own."""


class DriveRole(StrEnum):
    """What a person may do with an item, weakest first (see ``ROLE_RANK``)."""

    VIEWER = "VIEWER"
    COMMENTER = "COMMENTER"
    EDITOR = "EDITOR"
    OWNER = "OWNER"


ROLE_RANK = {DriveRole.VIEWER: 1, DriveRole.COMMENTER: 2, DriveRole.EDITOR: 3, DriveRole.OWNER: 4}


class GranteeKind(StrEnum):
    USER = "USER"
    DEPARTMENT = "DEPARTMENT"
    GROUP = "GROUP"


class LinkScope(StrEnum):
    ORGANIZATION = "ORGANIZATION"
    ANYONE = "ANYONE"


class UploadStatus(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    ABORTED = "ABORTED"


class Blob(Model):
    """Bytes in the blob store, addressed by SHA-256 within an organization: identical content
    is stored once. ``ref_count`` counts the file versions that use it. At zero the row is
    deleted and its bytes after commit. Each row has its own ``storage_key``, so bytes of a
    deleted blob never collide with a new blob of the same content."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="blobs", on_delete=fields.RESTRICT
    )
    organization_id: int
    sha256 = fields.CharField(max_length=64)
    size = fields.BigIntField()
    storage_key = fields.CharField(max_length=400, unique=True)
    ref_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "drive_blob"
        unique_together = (("organization_id", "sha256"),)


class DriveItem(Model):
    """A file or a folder. Every user has one root folder (``root_of_id``), created on first
    use. ``path`` lists the ids from the root down to the item itself, as ``/1/5/9/``, so
    inherited permissions and subtree moves need no recursion. ``live_parent_id`` equals
    ``parent_id`` while the item is in its folder and is null once it is in the trash (or for a
    root): with ``name_key`` it is unique, so names are unique within a folder."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="drive_items", on_delete=fields.RESTRICT
    )
    organization_id: int
    kind = fields.CharEnumField(ItemKind, max_length=8)
    name = fields.CharField(max_length=255)
    name_key = fields.CharField(max_length=255)
    """The name case-folded, for uniqueness and sorting."""
    parent: fields.ForeignKeyNullableRelation[DriveItem] = fields.ForeignKeyField(
        "models.DriveItem", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    live_parent_id = fields.BigIntField(null=True)
    path = fields.CharField(max_length=1000, default="/", db_index=True)
    root_of: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="drive_root", null=True, unique=True, on_delete=fields.CASCADE
    )
    root_of_id: int | None
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="drive_items", on_delete=fields.RESTRICT
    )
    owner_id: int
    current_version_id = fields.BigIntField(null=True)
    """The newest version of a file (a plain id: versions point at items, not both ways)."""
    size = fields.BigIntField(default=0)
    """Bytes of the current version (0 for folders)."""
    content_type = fields.CharField(max_length=255, default="")
    sha256 = fields.CharField(max_length=64, default="")
    modified_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="drive_modified", null=True, on_delete=fields.SET_NULL
    )
    modified_by_id: int | None
    trashed_at = fields.DatetimeField(null=True)
    """Set on an item moved to the trash and on everything below it."""
    trashed_by_id = fields.BigIntField(null=True)
    trash_root_id = fields.BigIntField(null=True)
    """The item whose deletion put this one in the trash (itself for the one deleted)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "drive_item"
        unique_together = (("live_parent_id", "name_key"),)
        indexes = (
            ("parent_id", "name_key"),
            ("organization_id", "owner_id", "updated_at"),
            ("trash_root_id",),
        )


class FileVersion(Model):
    """One upload of the content of a file. The newest is the current version of the file, older
    ones stay until restored or purged with the file."""

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[DriveItem] = fields.ForeignKeyField(
        "models.DriveItem", related_name="versions", on_delete=fields.CASCADE
    )
    item_id: int
    number = fields.IntField()
    blob: fields.ForeignKeyRelation[Blob] = fields.ForeignKeyField(
        "models.Blob", related_name="versions", on_delete=fields.RESTRICT
    )
    blob_id: int
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    content_type = fields.CharField(max_length=255, default="")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="file_versions", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "drive_file_version"
        unique_together = (("item_id", "number"),)


class DrivePermission(Model):
    """A role on an item (and everything below it) for a user, a department (its sub-departments
    included) or a group."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.BigIntField()
    item: fields.ForeignKeyRelation[DriveItem] = fields.ForeignKeyField(
        "models.DriveItem", related_name="permissions", on_delete=fields.CASCADE
    )
    item_id: int
    grantee_kind = fields.CharEnumField(GranteeKind, max_length=12)
    grantee_id = fields.BigIntField()
    role = fields.CharEnumField(DriveRole, max_length=12)
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "drive_permission"
        unique_together = (("item_id", "grantee_kind", "grantee_id"),)
        indexes = (("grantee_kind", "grantee_id"),)


class ShareLink(Model):
    """A link that opens an item with a role. Only a hash of its token is kept. The password, if
    any, is hashed with argon2."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.BigIntField()
    item: fields.ForeignKeyRelation[DriveItem] = fields.ForeignKeyField(
        "models.DriveItem", related_name="share_links", on_delete=fields.CASCADE
    )
    item_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(DriveRole, max_length=12)
    scope = fields.CharEnumField(LinkScope, max_length=16)
    password_hash = fields.CharField(max_length=255, null=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "drive_share_link"


class MessageAttachment(Model):
    """A Drive file attached to a message: members of the chat may view it while the message
    exists and is not recalled."""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.BigIntField(db_index=True)
    chat_id = fields.BigIntField()
    item: fields.ForeignKeyRelation[DriveItem] = fields.ForeignKeyField(
        "models.DriveItem", related_name="attachments", on_delete=fields.CASCADE
    )
    item_id: int
    position = fields.IntField(default=0)

    class Meta:
        table = "drive_message_attachment"
        unique_together = (("message_id", "item_id"),)
        indexes = (("item_id", "chat_id"),)


class UploadSession(Model):
    """A large upload in parts. Bytes go to ``storage_key`` (a multipart upload in the blob
    store) and become a file only when completed and verified. Its size is reserved against the
    quota of the organization until then."""

    id = fields.BigIntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    """The public id of the session in part URLs (random, not guessable)."""
    organization_id = fields.BigIntField()
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="upload_sessions", on_delete=fields.CASCADE
    )
    user_id: int
    folder_id = fields.BigIntField(null=True)
    file_id = fields.BigIntField(null=True)
    """Set when the upload becomes a new version of this file."""
    name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=255, default="")
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    part_size = fields.IntField()
    storage_key = fields.CharField(max_length=400)
    multipart_id = fields.CharField(max_length=1024)
    status = fields.CharEnumField(UploadStatus, max_length=12, default=UploadStatus.OPEN)
    on_conflict = fields.CharField(max_length=16, default="FAIL")
    result_item_id = fields.BigIntField(null=True)
    """The file it became, once completed."""
    claimed_us = fields.BigIntField(null=True)
    """While a completion runs: when it claimed the session, in microseconds since 1970. A
    claim older than the lease belongs to a process that died and may be taken over."""
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "drive_upload_session"


class UploadPart(Model):
    """A part of an upload session that arrived through Hello (on S3 the store lists parts)."""

    id = fields.BigIntField(primary_key=True)
    session: fields.ForeignKeyRelation[UploadSession] = fields.ForeignKeyField(
        "models.UploadSession", related_name="parts", on_delete=fields.CASCADE
    )
    session_id: int
    number = fields.IntField()
    size = fields.BigIntField()
    etag = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "drive_upload_part"
        unique_together = (("session_id", "number"),)


class DriveUsage(Model):
    """Bytes an organization keeps (``used``) and has promised to uploads in progress
    (``reserved``). Both change only by conditional UPDATEs, so two uploads at once cannot
    overshoot the quota."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.BigIntField(unique=True)
    used = fields.BigIntField(default=0)
    reserved = fields.BigIntField(default=0)

    class Meta:
        table = "drive_usage"
