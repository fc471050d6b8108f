"""Bytes in and out of the blob store, deduplicated per organization, and the files and
versions that refer to them.

Bytes are written to the blob store *before* the database transaction that refers to them
(``stage``), and deleted only *after* the transaction that stops referring to them commits
(``Transaction.after_commit``). A crash in between leaves an unreferenced object in the store,
never a row pointing at missing bytes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from adapters import runtime
from adapters.blobs import BlobStore
from models.drive import Blob, DriveItem, FileVersion, ItemKind
from resolvers.core.errors import DomainError
from resolvers.core.sql import execute
from resolvers.core.tx import Transaction, transaction
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.names import OnConflict, name_key
from resolvers.drive.placement import insert_item
from resolvers.drive.quota import charge


class FileTooLarge(DomainError):
    code = DriveErrorCode.FILE_TOO_LARGE
    default_message = "The file is larger than allowed."


def blobs() -> BlobStore:
    return runtime.current().blobs


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
