"""The parts of Drive every operation shares: names, each user's root folder, bytes in and out
of the blob store (deduplicated per organization), the quota, new files and versions, and
events.

Bytes are written to the blob store *before* the database transaction that refers to them
(``stage``), and deleted only *after* the transaction that stops referring to them commits
(``Transaction.after_commit``). A crash in between leaves an unreferenced object in the store,
never a row pointing at missing bytes.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError

from adapters import runtime
from adapters.blobs import BlobStore
from models.drive import Blob, DriveItem, DriveUsage, FileVersion, ItemKind
from models.identity import User
from resolvers.core import names
from resolvers.core.channels import user_channel
from resolvers.core.errors import DomainError, NotFound, ValidationFailed, collect
from resolvers.core.sql import dialect, execute, raw
from resolvers.core.tx import Transaction, transaction

MAX_NAME = 255
MAX_DEPTH = 32
ROOT_NAME = "My Drive"


class OnConflict(StrEnum):
    """What to do when a folder already has an item of that name."""

    FAIL = "FAIL"
    RENAME = "RENAME"
    NEW_VERSION = "NEW_VERSION"


class NameTaken(DomainError):
    code = "NAME_TAKEN"
    default_message = "This folder already has an item of that name."


class QuotaExceeded(DomainError):
    code = "QUOTA_EXCEEDED"
    default_message = "Your organization's Drive storage is full."


class FileTooLarge(DomainError):
    code = "FILE_TOO_LARGE"
    default_message = "The file is larger than allowed."


def blobs() -> BlobStore:
    return runtime.current().blobs


# -- names --------------------------------------------------------------------------------------


def check_name(name: str, field: str = "name") -> str:
    """A valid item name (trimmed, NFC) or INVALID_NAME."""
    clean = unicodedata.normalize("NFC", name.strip())
    # Length, blanks, control and hidden characters: the rule every name follows.
    collect(names.name_errors(clean, field, max_length=MAX_NAME))
    if clean in (".", "..") or "/" in clean or "\\" in clean:
        raise ValidationFailed(
            "Names cannot be . or .. or contain slashes.", field=field, code="INVALID_NAME"
        )
    return clean


def name_key(name: str) -> str:
    return name.casefold()


def suffixed(name: str, n: int) -> str:
    """``report.pdf`` → ``report (2).pdf``; folders and names without an extension get the
    suffix at the end."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({n})"
    return f"{stem} ({n}).{ext}"


async def free_name(parent_id: int, name: str, *, exclude_id: int | None = None) -> str:
    """``name`` if no live item of the folder has it, else the first free ``name (n)``."""
    taken = set(
        await DriveItem.filter(live_parent_id=parent_id)
        .exclude(id=exclude_id or 0)
        .values_list("name_key", flat=True)
    )
    if name_key(name) not in taken:
        return name
    n = 2
    while name_key(suffixed(name, n)) in taken:
        n += 1
    return suffixed(name, n)


# -- the tree -----------------------------------------------------------------------------------


async def root_folder(user: User) -> DriveItem:
    """The user's root folder, made on first use (once, even when asked twice at once)."""
    found = await DriveItem.filter(root_of_id=user.id).first()
    if found is not None:
        return found
    try:
        async with transaction():
            root = await DriveItem.create(
                organization_id=user.organization_id,
                kind=ItemKind.FOLDER,
                name=ROOT_NAME,
                name_key=name_key(ROOT_NAME),
                root_of_id=user.id,
                owner_id=user.id,
                modified_by_id=user.id,
            )
            root.path = f"/{root.id}/"
            await root.save(update_fields=["path"])
        return root
    except IntegrityError:
        return await DriveItem.get(root_of_id=user.id)


_TREE_LOCK_CLASS = 0x44525645  # "DRVE": the first key of the advisory locks of Drive trees


async def lock_tree(organization_id: int, *, shared: bool = False) -> None:
    """Hold the organization's Drive tree lock until the transaction ends. Writes that change
    the shape of the tree for many rows at once (moving a subtree, trashing, restoring,
    purging) hold it exclusively; inserts hold it shared, so they never interleave with a
    subtree rewrite whose ``path`` prefix UPDATE would miss them. PostgreSQL takes an advisory
    lock; SQLite runs one writing transaction at a time anyway."""
    if dialect() != "postgres":
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await raw(f"SELECT {fn}(?, ?)", [_TREE_LOCK_CLASS, organization_id % 2**31])


async def insert_item(
    *,
    parent: DriveItem,
    name: str,
    kind: ItemKind,
    owner_id: int,
    on_conflict: OnConflict = OnConflict.FAIL,
    **values: Any,
) -> DriveItem:
    """A new item in ``parent`` (inside the caller's transaction). With RENAME a taken name gets
    a suffix; otherwise NAME_TAKEN. Depth is limited to ``MAX_DEPTH`` levels.

    The parent is read again under the shared tree lock: a move or a delete that committed
    since the caller looked at it would otherwise leave the new item with a stale ``path`` (or
    alive in a trashed folder)."""
    await lock_tree(parent.organization_id, shared=True)
    fresh = await DriveItem.filter(id=parent.id, trashed_at__isnull=True).first()
    if fresh is None:
        raise NotFound(field="folderId")
    parent = fresh
    if parent.path.count("/") - 1 >= MAX_DEPTH:
        raise ValidationFailed(
            f"Folders nest at most {MAX_DEPTH} levels deep.", field="folderId", code="TOO_DEEP"
        )
    if on_conflict == OnConflict.RENAME:
        name = await free_name(parent.id, name)
    elif await DriveItem.filter(live_parent_id=parent.id, name_key=name_key(name)).exists():
        raise NameTaken(f"{parent.name} already has an item named {name!r}.", field="name")
    try:
        async with transaction():
            item = await DriveItem.create(
                organization_id=parent.organization_id,
                kind=kind,
                name=name,
                name_key=name_key(name),
                parent_id=parent.id,
                live_parent_id=parent.id,
                owner_id=owner_id,
                modified_by_id=owner_id,
                **values,
            )
            item.path = f"{parent.path}{item.id}/"
            await item.save(update_fields=["path"])
    except IntegrityError as e:
        # Someone took the name between our check and our insert.
        raise NameTaken(f"{parent.name} already has an item named {name!r}.", field="name") from e
    return item


# -- bytes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """Bytes written to the blob store under ``key``, not yet referred to by any row."""

    key: str
    size: int
    sha256: str


def new_key(organization_id: int) -> str:
    return f"org/{organization_id}/{secrets.token_hex(16)}"


async def stage(organization_id: int, chunks: AsyncIterable[bytes], *, max_bytes: int) -> Staged:
    """Write bytes to a fresh key, hashing as they pass; FILE_TOO_LARGE past ``max_bytes``
    (nothing is kept then)."""
    digest = hashlib.sha256()
    size = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal size
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLarge(f"Files sent this way are limited to {max_bytes} bytes.")
            digest.update(chunk)
            yield chunk

    key = new_key(organization_id)
    try:
        await blobs().put(key, counted())
    except BaseException:
        await blobs().delete(key)
        raise
    return Staged(key, size, digest.hexdigest())


async def claim_blob(tx: Transaction, organization_id: int, staged: Staged) -> Blob:
    """The blob for these bytes, one more reference to it (inside ``tx``). If the organization
    already stores the same content, that blob is used and the staged copy deleted after
    commit; otherwise the staged key becomes a new blob. On rollback the staged bytes are
    the caller's to delete."""
    existing = await take_ref(organization_id, staged.sha256)
    if existing is not None:
        tx.after_commit(lambda: blobs().delete(staged.key))
        return existing
    try:
        async with transaction():
            return await Blob.create(
                organization_id=organization_id,
                sha256=staged.sha256,
                size=staged.size,
                storage_key=staged.key,
                ref_count=1,
            )
    except IntegrityError:
        # The same content was stored at the same moment by someone else.
        existing = await take_ref(organization_id, staged.sha256)
        if existing is None:
            raise
        tx.after_commit(lambda: blobs().delete(staged.key))
        return existing


async def take_ref(organization_id: int, sha256: str) -> Blob | None:
    """One more reference to the organization's blob with this content, if it has one that is
    not being deleted."""
    blob = await Blob.filter(organization_id=organization_id, sha256=sha256).first()
    if blob is None:
        return None
    changed = await execute(
        'UPDATE "drive_blob" SET "ref_count" = "ref_count" + 1 WHERE "id" = ? AND "ref_count" > 0',
        [blob.id],
    )
    return blob if changed else None


async def release_blobs(tx: Transaction, blob_ids: list[int]) -> None:
    """Drop one reference per id (an id may repeat); blobs left with none are deleted, their
    bytes after commit."""
    for blob_id, n in Counter(blob_ids).items():  # one UPDATE per blob, not per reference
        await execute(
            'UPDATE "drive_blob" SET "ref_count" = "ref_count" - ? WHERE "id" = ?', [n, blob_id]
        )
    unused = await Blob.filter(id__in=set(blob_ids), ref_count__lte=0)
    if unused:
        await Blob.filter(id__in=[b.id for b in unused], ref_count__lte=0).delete()
        keys = [b.storage_key for b in unused]

        async def delete_bytes() -> None:
            for key in keys:
                await blobs().delete(key)

        tx.after_commit(delete_bytes)


# -- quota --------------------------------------------------------------------------------------


async def _usage_row(organization_id: int) -> None:
    await execute(
        'INSERT INTO "drive_usage" ("organization_id", "used", "reserved") VALUES (?, 0, 0) '
        'ON CONFLICT ("organization_id") DO NOTHING',
        [organization_id],
    )


async def charge(organization_id: int, size: int) -> None:
    """Count ``size`` more bytes against the quota, or QUOTA_EXCEEDED. One conditional UPDATE:
    concurrent uploads cannot both squeeze under the limit."""
    quota = runtime.current().settings.drive_quota_bytes
    await _usage_row(organization_id)
    changed = await execute(
        'UPDATE "drive_usage" SET "used" = "used" + ? '
        'WHERE "organization_id" = ? AND "used" + "reserved" + ? <= ?',
        [size, organization_id, size, quota],
    )
    if not changed:
        raise QuotaExceeded(
            f"Storing {size} more bytes would pass your organization's quota of {quota} bytes."
        )


async def reserve(organization_id: int, size: int) -> None:
    """Promise ``size`` bytes to an upload in progress, or QUOTA_EXCEEDED."""
    quota = runtime.current().settings.drive_quota_bytes
    await _usage_row(organization_id)
    changed = await execute(
        'UPDATE "drive_usage" SET "reserved" = "reserved" + ? '
        'WHERE "organization_id" = ? AND "used" + "reserved" + ? <= ?',
        [size, organization_id, size, quota],
    )
    if not changed:
        raise QuotaExceeded(
            f"Uploading {size} more bytes would pass your organization's quota of {quota} bytes."
        )


async def settle(organization_id: int, size: int) -> None:
    """A reserved upload completed: its bytes move from reserved to used."""
    await execute(
        'UPDATE "drive_usage" SET "reserved" = "reserved" - ?, "used" = "used" + ? '
        'WHERE "organization_id" = ?',
        [size, size, organization_id],
    )


async def unreserve(organization_id: int, size: int) -> None:
    await execute(
        'UPDATE "drive_usage" SET "reserved" = "reserved" - ? WHERE "organization_id" = ?',
        [size, organization_id],
    )


async def uncharge(organization_id: int, size: int) -> None:
    await execute(
        'UPDATE "drive_usage" SET "used" = "used" - ? WHERE "organization_id" = ?',
        [size, organization_id],
    )


async def usage(organization_id: int) -> tuple[int, int]:
    """(used, reserved) bytes of the organization."""
    row = await DriveUsage.filter(organization_id=organization_id).first()
    return (row.used, row.reserved) if row else (0, 0)


# -- files and versions -------------------------------------------------------------------------


async def add_version(
    file: DriveItem, blob: Blob, *, content_type: str, user_id: int, charged: bool = False
) -> FileVersion:
    """A new current version of ``file`` (inside the caller's transaction). Charges the quota
    unless ``charged`` (an upload session reserved it)."""
    if not charged:
        await charge(file.organization_id, blob.size)
    last = await FileVersion.filter(item_id=file.id).order_by("-number").first()
    version = await FileVersion.create(
        item_id=file.id,
        number=(last.number + 1) if last else 1,
        blob_id=blob.id,
        size=blob.size,
        sha256=blob.sha256,
        content_type=content_type,
        created_by_id=user_id,
    )
    file.current_version_id = version.id
    file.size = blob.size
    file.sha256 = blob.sha256
    file.content_type = content_type
    file.modified_by_id = user_id
    await file.save(
        update_fields=[
            "current_version_id",
            "size",
            "sha256",
            "content_type",
            "modified_by_id",
            "updated_at",
        ]
    )
    return version


async def store_file(
    tx: Transaction,
    *,
    folder: DriveItem,
    name: str,
    content_type: str,
    staged: Staged,
    user_id: int,
    on_conflict: OnConflict,
    charged: bool = False,
) -> tuple[DriveItem, bool]:
    """Staged bytes become a new file in ``folder`` or, with NEW_VERSION and a file of that
    name there, its new version. Returns (file, created). Inside ``tx``."""
    blob = await claim_blob(tx, folder.organization_id, staged)
    existing = None
    if on_conflict == OnConflict.NEW_VERSION:
        existing = await DriveItem.filter(
            live_parent_id=folder.id, name_key=name_key(name), kind=ItemKind.FILE
        ).first()
    if existing is not None:
        await add_version(
            existing, blob, content_type=content_type, user_id=user_id, charged=charged
        )
        return existing, False
    file = await insert_item(
        parent=folder,
        name=name,
        kind=ItemKind.FILE,
        owner_id=user_id,
        on_conflict=OnConflict.FAIL if on_conflict == OnConflict.NEW_VERSION else on_conflict,
    )
    await add_version(file, blob, content_type=content_type, user_id=user_id, charged=charged)
    return file, True


# -- events -------------------------------------------------------------------------------------


class Change(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    RENAMED = "RENAMED"
    MOVED = "MOVED"
    DELETED = "DELETED"
    RESTORED = "RESTORED"
    SHARED = "SHARED"
    UNSHARED = "UNSHARED"


def item_snapshot(item: DriveItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "organizationId": item.organization_id,
        "kind": item.kind.value if hasattr(item.kind, "value") else str(item.kind),
        "name": item.name,
        "parentId": item.parent_id,
        "ownerId": item.owner_id,
        "size": item.size,
        "contentType": item.content_type,
        "sha256": item.sha256,
        "trashedAt": item.trashed_at.isoformat() if item.trashed_at else None,
        "updatedAt": (item.updated_at or datetime.now()).isoformat(),
    }


async def publish_change(
    tx: Transaction,
    change: Change,
    item: DriveItem,
    actor_id: int,
    *,
    also: set[int] | None = None,
) -> None:
    """Tell everyone who can see ``item`` (and ``also``: people who just lost access) about a
    change, on their user channels, after commit. Call it while the item's permissions still
    reach its audience (before an unshare or a purge)."""
    from resolvers.drive.access import audience

    event = {
        "type": "drive.changed",
        "change": change.value,
        "item": item_snapshot(item),
        "actorId": actor_id,
    }
    for user_id in (await audience(item)) | (also or set()):
        tx.publish(user_channel(user_id), event)
