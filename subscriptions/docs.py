"""docEvents: a doc's live edits, awareness and access changes, with replay and no gap.

The subscription is confirmed before anything is read, so a client that subscribes and then
calls ``docSync`` misses nothing: an update committed meanwhile is in the sync's answer, in the
stream, or both (applying a Yjs update twice changes nothing).

Revisions: the stream tracks the highest revision it delivered (``seen``). With
``afterRevision`` it first replays every stored update after it from the log, in order (if the
log was compacted past it: one update holding the whole doc, as snapshot + tail, under the
doc's revision); without it, ``seen`` starts at the doc's revision as read before subscribing.
Live updates at or below ``seen`` are dropped; one that skips revisions (publishes from two
processes can arrive out of order, or one was published while the bus was away) makes the
stream read the gap from the log first (a writer holds the doc's row until commit, so the lower
revisions are committed). Those reads are shared by the doc's subscribers in this process that
ask at the same time, as ``subscriptions/messenger.py`` does for chats.

Access: the stream also listens on the subscriber's user channel, where Drive tells everyone
who could see an item (and those who just lost access) that it was shared, unshared, moved or
trashed (``resolvers/drive/events.py``). A Drive change of the doc or of a folder above it, or
a ``DocAccessChanged`` on the doc's channel, makes it check the subscriber's role again (one
``access_doc``): gone, the stream ends with NOT_FOUND at once; changed (editor to viewer), a
``DocRoleChanged`` tells the client. A deactivated account's sockets are closed by the socket
registry (``server/sockets.py``). Leaving a group or department that held the share publishes no
Drive event, so before it delivers anything the stream checks again when its last check is older
than ``ACCESS_RECHECK_SECONDS``: that bounds what someone receives after losing access so.

Redis down (``subscriptions/core.py``): on ``CATCH_UP`` the stream reads the log after
``seen`` (every update is recovered, nothing is lost: the log is the truth) and checks access
again when it has something to show, and at least every ``ACCESS_RECHECK_SECONDS`` otherwise
(a Drive change published during the outage was lost). Awareness published during an outage
is lost (it is ephemeral by design: clients resend their state periodically).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from models.docs import Document, DocUpdate
from models.drive import DriveRole
from resolvers.core.channels import doc_channel, user_channel
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.docs.access import access_doc
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.events import DocChannelEvent, DocsEventKind, DocUpdated, is_docs_event
from resolvers.docs.store import b64encode, load
from resolvers.drive.access import path_ids
from resolvers.drive.events import is_drive_event
from subscriptions.core import CatchUp
from subscriptions.viewer import Merger

REPLAY_BATCH = 200
# How long a catch-up read waits for other catch-ups of the same doc to join it (their poll
# clocks tick together, see subscriptions/messenger.py).
GATHER_SECONDS = 0.02
# While the bus is degraded, access is checked again at least this often even when there is
# nothing to deliver (a removal published during the outage was lost).
ACCESS_RECHECK_SECONDS = 30.0
# What Drive changes can change someone's access to the items below.
_ACCESS_CHANGES = frozenset({"SHARED", "UNSHARED", "MOVED", "DELETED", "RESTORED"})


@dataclass(frozen=True, slots=True)
class DocRoleChanged:
    """The subscriber's role on the doc changed (not a bus payload: one subscriber's own)."""

    role: DriveRole


class DocAccessLost(DomainError):
    """The subscriber can no longer see the doc: the stream ends with this error."""

    code = NotFound.code
    default_message = "You can no longer see this doc; its events end here."


DocStreamItem = DocChannelEvent | DocRoleChanged


def update_event(
    doc_pk: int, org: int, revision: int, data: bytes, author_id: int | None, origin: str
) -> DocUpdated:
    return {
        "type": DocsEventKind.UPDATE,
        "docId": doc_pk,
        "organizationId": org,
        "revision": revision,
        "update": b64encode(data),
        "authorId": author_id,
        "origin": origin,
        "clientTag": None,
    }


async def _log_after(doc_pk: int, org: int, after: int) -> list[DocUpdated]:
    out: list[DocUpdated] = []
    while True:
        rows: list[Any] = (
            await DocUpdate.filter(document_id=doc_pk, revision__gt=after)
            .order_by("revision")
            .limit(REPLAY_BATCH)
            .values_list("revision", "data", "author_id", "origin")
        )
        for revision, data, author_id, origin in rows:
            after = int(revision)
            out.append(
                update_event(
                    doc_pk,
                    org,
                    after,
                    bytes(data),
                    int(author_id) if author_id is not None else None,
                    str(getattr(origin, "value", origin)),
                )
            )
        if len(rows) < REPLAY_BATCH:
            return out


async def _whole(document: Document) -> DocUpdated:
    """The doc as one update (snapshot + tail), under the revision it holds."""
    live = await load(document)
    async with live.lock:
        data, revision = live.ydoc.get_update(), live.revision
    return update_event(document.id, document.organization_id, revision, data, None, "IMPORT")


class _SharedRead:
    """One read of a doc's log for every catch-up of that doc that asked before it started."""

    def __init__(self, doc_pk: int, gather: float) -> None:
        self.doc_pk = doc_pk
        self.loop = asyncio.get_running_loop()
        self.waiters: list[int] = []
        self.task = asyncio.ensure_future(self._run(gather))
        self.task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _run(
        self, gather: float
    ) -> tuple[Document | None, list[DocUpdated], DocUpdated | None]:
        try:
            await asyncio.sleep(gather)
        finally:
            if _shared_reads.get(self.doc_pk) is self:
                del _shared_reads[self.doc_pk]
        after = min(self.waiters)
        document = await Document.filter(id=self.doc_pk).first()
        if document is None or document.revision <= after:
            return document, [], None
        rows = await _log_after(self.doc_pk, document.organization_id, after)
        # A waiter whose revision the log no longer holds (compacted past it) gets the whole doc.
        first = rows[0]["revision"] if rows else document.revision + 1
        behind = any(a + 1 < first and a < document.revision for a in self.waiters)
        whole = await _whole(document) if behind else None
        return document, rows, whole


_shared_reads: dict[int, _SharedRead] = {}


async def missed_updates(doc_pk: int, after: int, *, gather: float = 0.0) -> list[DocUpdated]:
    """The doc's stored updates after revision ``after``, in order (or the whole doc first when
    the log was compacted past it), read once for the concurrent readers of this doc in this
    process. Raises NotFound if the doc is gone."""
    shared = _shared_reads.get(doc_pk)
    if shared is None or shared.loop is not asyncio.get_running_loop():
        shared = _shared_reads[doc_pk] = _SharedRead(doc_pk, gather)
    shared.waiters.append(after)
    document, rows, whole = await asyncio.shield(shared.task)
    if document is None:
        raise DocAccessLost(field="docId")
    mine = [r for r in rows if r["revision"] > after]
    first = mine[0]["revision"] if mine else None
    gap = (first is not None and first != after + 1) or (not mine and document.revision > after)
    if gap and whole is not None and whole["revision"] > after:
        return [whole, *(r for r in mine if r["revision"] > whole["revision"])]
    return mine


async def doc_events(
    ctx: Context, doc_id: int | None, after_revision: int | None = None
) -> AsyncIterator[DocStreamItem]:
    principal = require_principal(ctx)
    if after_revision is not None and after_revision < 0:
        raise ValidationFailed("A revision is 0 or more.", field="afterRevision")
    found = await access_doc(ctx, doc_id)
    doc_pk = found.document.id
    role = found.role
    watched = set(path_ids(found.item))
    channel, mine = doc_channel(doc_pk), user_channel(principal.user_id)

    async def recheck() -> DocRoleChanged | None:
        """The subscriber's role again (their groups and departments read afresh)."""
        nonlocal role, watched
        ctx.cache.pop("drive.grantees", None)
        try:
            now = await access_doc(ctx, doc_pk)
        except (NotFound, Forbidden) as e:
            raise DocAccessLost(field="docId") from e
        watched = set(path_ids(now.item))
        if now.role == role:
            return None
        role = now.role
        return DocRoleChanged(role)

    merger = Merger()
    try:
        await merger.add([channel, mine])
        seen = found.document.revision
        if after_revision is not None:
            current = await Document.filter(id=doc_pk).values_list("revision", flat=True)
            if current and after_revision > int(cast(Any, current[0])):
                raise ValidationFailed(
                    "afterRevision is ahead of the doc: it is not a revision of this doc.",
                    field="afterRevision",
                    code=DocsErrorCode.STALE_REVISION,
                )
            seen = after_revision
            for stored in await missed_updates(doc_pk, seen):
                yield stored
                seen = stored["revision"]
        checked_at = time.monotonic()
        while True:
            got = await merger.queue.get()
            if isinstance(got, BaseException):
                raise got
            source, payload = got
            if isinstance(payload, CatchUp):
                merger.catch_up_queued = False
                missed = await missed_updates(doc_pk, seen, gather=GATHER_SECONDS)
                if missed or time.monotonic() - checked_at > ACCESS_RECHECK_SECONDS:
                    checked_at = time.monotonic()
                    changed = await recheck()
                    if changed is not None:
                        yield changed
                for stored in missed:
                    if stored["revision"] > seen:
                        yield stored
                        seen = stored["revision"]
                continue
            if source == mine:
                if (
                    is_drive_event(payload)
                    and payload["change"] in _ACCESS_CHANGES
                    and int(payload["item"]["id"]) in watched
                ):
                    checked_at = time.monotonic()
                    changed = await recheck()
                    if changed is not None:
                        yield changed
                continue
            if not is_docs_event(payload):
                continue
            event = cast(DocChannelEvent, payload)  # a doc channel carries doc events only
            if (
                event["type"] == DocsEventKind.ACCESS
                or time.monotonic() - checked_at > ACCESS_RECHECK_SECONDS
            ):
                # Also before delivering anything when the last check is old: a change of the
                # subscriber's groups or departments publishes no Drive event, so this bounds
                # what they receive after losing access that way.
                checked_at = time.monotonic()
                changed = await recheck()
                if changed is not None:
                    yield changed
                if event["type"] == DocsEventKind.ACCESS:
                    continue
            if event["type"] == DocsEventKind.UPDATE:
                revision = event["revision"]
                if revision <= seen:
                    continue  # delivered already (replay, gap fill or catch-up)
                if revision > seen + 1:
                    for filled in await missed_updates(doc_pk, seen):
                        if seen < filled["revision"] < revision:
                            yield filled
                            seen = filled["revision"]
                    if revision <= seen:
                        continue  # the whole doc, filled in, holds it already
                seen = revision
            yield event
    finally:
        await merger.close()
