"""The end of an upload session: completing (join, verify, create the file), aborting, and
cleaning up expired sessions.

Completion can outlast a request (10 GiB takes a while to hash), so it runs as a task the
request waits for; asking again waits for the same task. The session row is claimed first with
a conditional UPDATE that stamps ``claimed_us``; ``result_item_id`` is the file once completed.
A claim older than ``CLAIM_LEASE`` (a process that died mid-completion) can be taken over. Only
the holder of the claim may finish or fail the session, so two completions at once never both
create a file or delete the other's bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta

from adapters.blobs import PartInfo
from models.drive import DriveItem, DriveRole, UploadPart, UploadSession, UploadStatus
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import NotFound
from resolvers.core.principal import require_principal
from resolvers.core.sql import execute
from resolvers.core.tx import transaction
from resolvers.drive import events, names, quota, storage
from resolvers.drive.access import access_item
from resolvers.drive.upload_sessions import (
    AlreadyCompleted,
    PartSizeMismatch,
    PartsMissing,
    Sha256Mismatch,
    SizeMismatch,
    UploadClosed,
    UploadInProgress,
    access_session,
    expected_size,
    now_us,
    part_count,
    stale_bound,
    state,
)
from resolvers.drive.uploads import target_folder

log = logging.getLogger("hello.drive")


class _LostClaim(Exception):
    """Someone else finished the session while we were completing it."""


# -- complete -----------------------------------------------------------------------------------

_running: dict[int, asyncio.Task[int]] = {}
"""Completions running in this process (handles only: the claim in the database is what other
processes see)."""


async def complete_session(ctx: Context, session_id: int) -> DriveItem:
    """Verify and turn the session into a file (or a version); completing a completed session
    returns the same file."""
    session = await access_session(ctx, session_id)
    for _ in range(20):  # about five seconds, well inside the operation timeout
        current = state(session)
        if current == "COMPLETED":
            return await _result(session)
        if current in ("ABORTED", "EXPIRED"):
            raise UploadClosed(field="uploadSessionId")
        task = _running.get(session.id)
        if task is None and current == "OPEN":
            stamp = now_us()
            claimed = await execute(
                'UPDATE "drive_upload_session" SET "claimed_us" = ? WHERE "id" = ? '
                'AND "status" = \'OPEN\' AND ("claimed_us" IS NULL OR "claimed_us" < ?)',
                [stamp, session.id, stale_bound()],
            )
            if claimed:
                task = asyncio.create_task(_complete(ctx, session, stamp))
                _running[session.id] = task
                task.add_done_callback(_forget(session.id))
        if task is not None:
            item_id = await asyncio.shield(task)
            return await DriveItem.get(id=item_id)
        # Another process is completing it: wait for its outcome for a while.
        await asyncio.sleep(0.25)
        session = await UploadSession.get(id=session.id)
    raise UploadInProgress(field="uploadSessionId")


def _forget(session_id: int) -> Callable[[asyncio.Task[int]], None]:
    def done(task: asyncio.Task[int]) -> None:
        _running.pop(session_id, None)
        if not task.cancelled():
            task.exception()  # retrieved: whoever awaited it reported it

    return done


async def _result(session: UploadSession) -> DriveItem:
    item = await DriveItem.filter(id=session.result_item_id).first()
    if item is None:
        raise NotFound(field="uploadSessionId")
    return item


async def _targets(ctx: Context, session: UploadSession) -> tuple[DriveItem | None, DriveItem]:
    """(file for a new version or None, folder), checked again: access may have changed."""
    if session.file_id is not None:
        file = (await access_item(ctx, session.file_id, DriveRole.EDITOR, field="fileId")).item
        return file, file
    return None, await target_folder(ctx, session.folder_id)


async def _complete(ctx: Context, session: UploadSession, stamp: int) -> int:
    principal = require_principal(ctx)
    store = storage.blobs()
    key = session.storage_key
    try:
        await _targets(ctx, session)
        parts = await store.multipart_parts(key, session.multipart_id)
        joined = None
        if parts or await store.size(key) is None:
            joined = await store.multipart_complete(
                key, session.multipart_id, _check_parts(session, parts)
            )
        # else: an earlier completion joined the parts and stopped; the object is there.
        if joined is not None:  # the store hashed the bytes while joining them
            size, sha256 = joined.size, joined.sha256
        else:  # read the object back (S3 keeps no SHA-256 of a multipart object)
            size, digest = 0, hashlib.sha256()
            async for chunk in store.get(key):
                size += len(chunk)
                digest.update(chunk)
            sha256 = digest.hexdigest()
    except BaseException:
        await _release(session.id, stamp)
        raise
    if size != session.size or sha256 != session.sha256:
        if await _abort(session, owner_stamp=stamp):
            log.info("upload session %s failed verification", session.id)
        if size != session.size:
            raise SizeMismatch(
                f"Received {size} bytes, not {session.size}.", field="uploadSessionId"
            )
        raise Sha256Mismatch(field="uploadSessionId")
    staged = storage.Staged(key, size, session.sha256)
    try:
        async with transaction() as tx:
            file, folder = await _targets(ctx, session)
            if file is not None:
                blob = await storage.claim_blob(tx, session.organization_id, staged)
                await storage.add_version(
                    file,
                    blob,
                    content_type=session.content_type,
                    user_id=principal.user_id,
                    charged=True,
                )
                item, created = file, False
            else:
                item, created = await storage.store_file(
                    tx,
                    folder=folder,
                    name=session.name,
                    content_type=session.content_type,
                    staged=staged,
                    user_id=principal.user_id,
                    on_conflict=names.OnConflict(session.on_conflict),
                    charged=True,
                )
            await quota.settle(session.organization_id, session.size)
            finished = await execute(
                'UPDATE "drive_upload_session" SET "status" = \'COMPLETED\', '
                '"result_item_id" = ?, "claimed_us" = NULL WHERE "id" = ? '
                'AND "status" = \'OPEN\' AND "claimed_us" = ?',
                [item.id, session.id, stamp],
            )
            if not finished:
                raise _LostClaim
            await UploadPart.filter(session_id=session.id).delete()
            await events.publish_change(
                tx,
                events.Change.CREATED if created else events.Change.UPDATED,
                item,
                principal.user_id,
            )
    except _LostClaim:
        raise UploadInProgress(field="uploadSessionId") from None
    except BaseException:
        await _release(session.id, stamp)
        raise
    return item.id


def _check_parts(session: UploadSession, parts: list[PartInfo]) -> list[PartInfo]:
    """The parts 1..n, each of its expected size, or PARTS_MISSING / PART_SIZE_MISMATCH."""
    by_number = {p.number: p for p in parts}
    count = part_count(session)
    missing = [n for n in range(1, count + 1) if n not in by_number]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        raise PartsMissing(
            f"{len(missing)} parts have not arrived: {shown}.", field="uploadSessionId"
        )
    wrong = [n for n in range(1, count + 1) if by_number[n].size != expected_size(session, n)]
    if wrong:
        raise PartSizeMismatch(
            f"Parts {', '.join(map(str, wrong[:20]))} have the wrong size; send them again.",
            field="uploadSessionId",
        )
    return [by_number[n] for n in range(1, count + 1)]


async def _release(session_id: int, stamp: int) -> None:
    """Give up a claim (the session stays open; completing may be tried again)."""
    try:
        await execute(
            'UPDATE "drive_upload_session" SET "claimed_us" = NULL '
            'WHERE "id" = ? AND "claimed_us" = ?',
            [session_id, stamp],
        )
    except Exception:
        log.exception("releasing the claim on upload session %s failed", session_id)


# -- abort and expiry ---------------------------------------------------------------------------


async def _abort(session: UploadSession, *, owner_stamp: int | None = None) -> bool:
    """Mark the session ABORTED (if it is open and not being completed, or claimed by
    ``owner_stamp``), give its reservation back and drop its bytes. False if someone else
    changed it first."""
    if owner_stamp is not None:
        condition, values = '"claimed_us" = ?', [owner_stamp]
    else:
        condition = '("claimed_us" IS NULL OR "claimed_us" < ?)'
        values = [stale_bound()]
    async with transaction():
        changed = await execute(
            'UPDATE "drive_upload_session" SET "status" = \'ABORTED\', "claimed_us" = NULL '
            f'WHERE "id" = ? AND "status" = \'OPEN\' AND {condition}',
            [session.id, *values],
        )
        if changed:
            await quota.unreserve(session.organization_id, session.size)
            await UploadPart.filter(session_id=session.id).delete()
    if changed:
        store = storage.blobs()
        await store.multipart_abort(session.storage_key, session.multipart_id)
        await store.delete(session.storage_key)
    return bool(changed)


async def abort_session(ctx: Context, session_id: int) -> UploadSession:
    """Give up an upload: its parts are deleted and its reservation given back. Aborting an
    aborted session is not an error; a completed one cannot be aborted."""
    session = await access_session(ctx, session_id)
    if session.status == UploadStatus.OPEN:
        await _abort(session)
        session = await UploadSession.get(id=session.id)
    if session.status == UploadStatus.COMPLETED:
        raise AlreadyCompleted(field="uploadSessionId")
    if session.status == UploadStatus.OPEN:  # a completion holds it
        raise UploadInProgress(field="uploadSessionId")
    return session


async def cleanup_expired_sessions(batch: int = 100) -> int:
    """Abort open sessions past their expiry (parts deleted, reservations given back) and
    forget closed ones a week after they expired. Safe to run in several processes at once:
    each session is claimed by a conditional UPDATE. Returns how many were aborted."""
    aborted = 0
    while True:
        expired = await UploadSession.filter(status=UploadStatus.OPEN, expires_at__lt=now()).limit(
            batch
        )
        progress = 0
        for session in expired:
            try:
                progress += await _abort(session)
            except Exception:
                log.exception("aborting expired upload session %s failed", session.id)
        aborted += progress
        # Sessions being completed right now stay open: stop rather than fetch them again.
        if len(expired) < batch or not progress:
            break
    await UploadSession.filter(
        status__in=[UploadStatus.COMPLETED, UploadStatus.ABORTED],
        expires_at__lt=now() - timedelta(days=7),
    ).delete()
    return aborted


async def cleanup_forever(interval_seconds: float = 300) -> None:
    """Run ``cleanup_expired_sessions`` every few minutes (from the app's lifespan)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await cleanup_expired_sessions()
        except Exception:
            log.exception("cleaning up upload sessions failed")
