"""Upload sessions: large files in parts, resumable until they expire (a day by default).

The client creates a session (its size is reserved against the quota), sends the parts (through
Hello on the local store, to presigned S3 URLs on S3, so bytes never pass through Hello there),
may ask which parts arrived, and completes it. Completing joins the parts, verifies size and
SHA-256 by reading the object back (on S3 that is the only way: S3 knows no SHA-256 of a
multipart object), and only then creates the file or version in one transaction. All state is in
the database and the store, so a session survives a restart and works across processes.

This module creates sessions and takes parts; ``completion`` completes, aborts and expires them.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from adapters import runtime
from adapters.blobs import PartInfo
from models.drive import DriveItem, DriveRole, ItemKind, UploadPart, UploadSession, UploadStatus
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.drive import names, quota, storage
from resolvers.drive.access import access_item
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.uploads import check_content_type, target_folder

log = logging.getLogger("hello.drive")

MIB = 1024 * 1024
S3_MIN_PART = 5 * MIB
MAX_PARTS = 10_000
"""S3's limit; local sessions keep to it too."""
CLAIM_LEASE = 3600
"""Seconds after which a completion that never finished may be taken over."""
MAX_PARTS_PER_PAGE = 1000
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PartsMissing(DomainError):
    code = DriveErrorCode.PARTS_MISSING
    default_message = "Some parts have not arrived."


class PartSizeMismatch(DomainError):
    code = DriveErrorCode.PART_SIZE_MISMATCH
    default_message = "A part has the wrong size."


class SizeMismatch(DomainError):
    code = DriveErrorCode.SIZE_MISMATCH
    default_message = "The uploaded bytes do not have the announced size."


class Sha256Mismatch(DomainError):
    code = DriveErrorCode.SHA256_MISMATCH
    default_message = "The uploaded bytes do not have the announced SHA-256."


class UploadClosed(DomainError):
    code = DriveErrorCode.UPLOAD_CLOSED
    default_message = "This upload session was aborted or has expired."


class UploadInProgress(DomainError):
    code = DriveErrorCode.UPLOAD_IN_PROGRESS
    default_message = "This upload is being completed; ask again in a moment."


class AlreadyCompleted(DomainError):
    code = DriveErrorCode.ALREADY_COMPLETED
    default_message = "This upload session is completed."


# -- shape --------------------------------------------------------------------------------------


def part_size_for(size: int) -> int:
    """The part size of a new session: the setting (4 MiB), at least 5 MiB on S3, and large
    enough that no file needs more than 10 000 parts."""
    part = runtime.current().settings.upload_part_bytes
    if storage.blobs().kind == "s3":
        part = max(part, S3_MIN_PART)
    needed = -(-size // MAX_PARTS)
    if needed > part:
        part = -(-needed // MIB) * MIB
    return part


def part_count(session: UploadSession) -> int:
    return max(1, -(-session.size // session.part_size))


def expected_size(session: UploadSession, number: int) -> int:
    count = part_count(session)
    return session.part_size if number < count else session.size - session.part_size * (count - 1)


def now_us() -> int:
    return int(time.time() * 1_000_000)


def stale_bound() -> int:
    """Claims stamped before this are older than the lease."""
    return now_us() - CLAIM_LEASE * 1_000_000


def state(session: UploadSession) -> str:
    """OPEN, COMPLETING, COMPLETED, ABORTED or EXPIRED (an open session past its expiry that
    the cleanup has not aborted yet)."""
    if session.status != UploadStatus.OPEN:
        return str(session.status.value)
    claim = session.claimed_us
    if claim is not None and claim >= stale_bound():
        return "COMPLETING"
    if session.expires_at <= now():
        return "EXPIRED"
    return "OPEN"


# -- create -------------------------------------------------------------------------------------


async def create_session(
    ctx: Context,
    *,
    name: str | None,
    size: int,
    sha256: str,
    folder_id: int | None,
    content_type: str | None,
    file_id: int | None,
    on_conflict: names.OnConflict,
    idempotency_key: str | None,
) -> UploadSession:
    """A new upload session, its size reserved against the quota. With ``file_id`` the upload
    becomes a new version of that file (you must be its editor)."""
    principal = require_principal(ctx)
    settings = runtime.current().settings
    if size <= 0:
        raise ValidationFailed(
            "Sessions upload at least one byte (send empty files with fileUpload).",
            field="size",
            code=DriveErrorCode.INVALID_SIZE,
        )
    if size > settings.drive_max_file_bytes:
        raise storage.FileTooLarge(
            f"Files are limited to {settings.drive_max_file_bytes} bytes.", field="size"
        )
    digest = sha256.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise ValidationFailed(
            "SHA-256 is 64 hexadecimal characters.",
            field="sha256",
            code=DriveErrorCode.INVALID_SHA256,
        )
    clean_type = check_content_type(content_type)
    if file_id is not None:
        file = (await access_item(ctx, file_id, DriveRole.EDITOR, field="fileId")).item
        if file.kind != ItemKind.FILE:
            raise ValidationFailed(
                "New versions are for files.", field="fileId", code=DriveErrorCode.NOT_A_FILE
            )
        clean_name = file.name
        folder_pk = file.parent_id
        folder_name = ""
    else:
        clean_name = names.check_name(name or "")
        folder = await target_folder(ctx, folder_id)
        folder_pk, folder_name = folder.id, folder.name
    store = storage.blobs()

    async def create() -> UploadSession:
        # The name is checked here, inside ``once``: a retry after this very upload completed
        # (its file has the name by then) gets its first session back, not NAME_TAKEN.
        taken = (
            await DriveItem.filter(
                live_parent_id=folder_pk, name_key=names.name_key(clean_name)
            ).first()
            if file_id is None
            else None
        )
        if taken is not None and (
            on_conflict == names.OnConflict.FAIL
            or (on_conflict == names.OnConflict.NEW_VERSION and taken.kind != ItemKind.FILE)
        ):
            raise names.NameTaken(
                f"{folder_name} already has an item named {clean_name!r}.", field="name"
            )
        key = storage.new_key(principal.organization_id)
        multipart_id = await store.multipart_create(key)
        try:
            async with transaction():
                await quota.reserve(principal.organization_id, size)
                return await UploadSession.create(
                    token=secrets.token_hex(24),
                    organization_id=principal.organization_id,
                    user_id=principal.user_id,
                    folder_id=folder_pk if file_id is None else None,
                    file_id=file_id,
                    name=clean_name,
                    content_type=clean_type,
                    size=size,
                    sha256=digest,
                    part_size=part_size_for(size),
                    storage_key=key,
                    multipart_id=multipart_id,
                    on_conflict=on_conflict.value,
                    expires_at=now() + timedelta(seconds=settings.upload_session_ttl_seconds),
                )
        except BaseException:
            await store.multipart_abort(key, multipart_id)
            raise

    async def load(pk: int) -> UploadSession | None:
        return await UploadSession.filter(id=pk).first()

    fields = {
        "name": clean_name if file_id is None else None,
        "size": size,
        "sha256": digest,
        "folderId": folder_id,
        "contentType": clean_type,
        "fileId": file_id,
        "onConflict": on_conflict,
    }
    return await once(
        principal.user_id, "uploadSessionCreate", idempotency_key, create, load, input=fields
    )


async def access_session(
    ctx: Context, session_id: int | None, *, field: str = "uploadSessionId"
) -> UploadSession:
    """One of the viewer's own upload sessions; anyone else's is NOT_FOUND."""
    principal = require_principal(ctx)
    found = (
        await UploadSession.filter(
            id=session_id, user_id=principal.user_id, organization_id=principal.organization_id
        ).first()
        if session_id is not None
        else None
    )
    if found is None:
        raise NotFound(field=field)
    return found


# -- parts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartState:
    number: int
    size: int
    url: str | None
    received: bool


async def received_parts(session: UploadSession) -> dict[int, int]:
    """Part number -> size of the parts that arrived: UploadPart rows when parts go through
    Hello, the store's own list on S3."""
    if storage.blobs().kind == "local":
        rows = await UploadPart.filter(session_id=session.id).values_list("number", "size")
        return {int(n): int(s) for n, s in rows}
    parts = await storage.blobs().multipart_parts(session.storage_key, session.multipart_id)
    return {p.number: p.size for p in parts}


async def part_states(
    session: UploadSession, *, base_url: str, start: int = 1, count: int = MAX_PARTS_PER_PAGE
) -> list[PartState]:
    """Parts ``start`` .. ``start + count - 1``: expected size, where to PUT them (while the
    session is open) and whether they arrived."""
    count = max(0, min(count, MAX_PARTS_PER_PAGE))
    last = min(part_count(session), start + count - 1)
    numbers = range(max(1, start), last + 1)
    arrived = await received_parts(session) if session.status == UploadStatus.OPEN else {}
    is_open = state(session) == "OPEN"
    expires = int((session.expires_at - now()).total_seconds())
    store = storage.blobs()
    out = []
    for n in numbers:
        url = None
        if is_open:
            url = (
                await store.multipart_part_url(
                    session.storage_key, session.multipart_id, n, expires
                )
                or f"{base_url.rstrip('/')}/uploads/{session.token}/parts/{n}"
            )
        size = expected_size(session, n)
        out.append(PartState(n, size, url, arrived.get(n) == size))
    return out


async def receive_part(
    ctx: Context, token: str, number: int, chunks: AsyncIterable[bytes]
) -> PartInfo:
    """Store one part sent through Hello (``PUT /uploads/{token}/parts/{n}``). Only the
    session's user may send it, and it must have exactly the part's size."""
    principal = require_principal(ctx)
    session = await UploadSession.filter(token=token, user_id=principal.user_id).first()
    if session is None:
        raise NotFound()
    if state(session) != "OPEN":
        raise UploadClosed()
    if not 1 <= number <= part_count(session):
        raise ValidationFailed(
            f"Parts are numbered 1 to {part_count(session)}.", code=DriveErrorCode.INVALID_PART
        )
    expected = expected_size(session, number)

    async def counted() -> AsyncIterator[bytes]:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > expected:
                raise PartSizeMismatch(f"Part {number} has {expected} bytes, no more.")
            yield chunk
        if size != expected:
            raise PartSizeMismatch(f"Part {number} has {expected} bytes, not {size}.")

    try:
        info = await storage.blobs().multipart_put(
            session.storage_key, session.multipart_id, number, counted()
        )
    except FileNotFoundError as e:  # the session was completed or aborted meanwhile
        raise UploadClosed() from e
    etag = info.etag[:200]
    rows = UploadPart.filter(session_id=session.id, number=number)
    if not await rows.update(size=info.size, etag=etag):
        try:
            await UploadPart.create(session_id=session.id, number=number, size=info.size, etag=etag)
        except IntegrityError:
            await rows.update(size=info.size, etag=etag)
    return info
