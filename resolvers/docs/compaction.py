"""Compaction: folding a doc's update log into its snapshot.

A hook of the write path queues the ``docs.compact`` job once the log after the snapshot holds
``settings.docs_compact_updates`` updates or ``settings.docs_compact_bytes`` bytes, one at a
time per doc (``Document.compaction_queued_at``; a mark older than ``STALE_QUEUED`` is taken
for a job that died and queued again).

The job reads the snapshot and the log up to the doc's revision R as it finds it, builds the
doc from them with pycrdt (outside any lock: writers only append above R), and then, under the
doc's row lock, stores the state as the snapshot at R and deletes the rows <= R, in one
transaction. Writers that committed meanwhile (revisions above R) stay in the log, so the doc
loads as before (snapshot + tail); a loaded doc that fell behind the compaction takes the
snapshot (``store._catch_up``). Re-running is harmless: a snapshot already at R does nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pycrdt import Doc

from adapters.settings import get_settings
from models.docs import Document, DocUpdate
from resolvers.core.clock import now
from resolvers.core.jobs import JobContext, do_enqueue, job_handler
from resolvers.core.tx import Transaction, transaction
from resolvers.docs.hooks import DocWritten, on_doc_written

COMPACT_JOB = "docs.compact"
STALE_QUEUED = timedelta(hours=1)


@on_doc_written("compaction")
async def queue_compaction(tx: Transaction, written: DocWritten) -> None:
    document = written.document
    settings = get_settings()
    if (
        document.log_count < settings.docs_compact_updates
        and document.log_bytes < settings.docs_compact_bytes
    ):
        return
    queued = document.compaction_queued_at
    if queued is not None and now() - queued < STALE_QUEUED:
        return
    await do_doc_compaction_queue(document, written.revision)


async def do_doc_compaction_queue(document: Document, revision: int) -> None:
    """Queue the job (in the open transaction) and mark the doc as having one."""
    document.compaction_queued_at = now()
    await Document.filter(id=document.id).update(compaction_queued_at=document.compaction_queued_at)
    await do_enqueue(
        COMPACT_JOB,
        {"docId": document.id},
        key=f"{document.id}:{revision}",
        organization_id=document.organization_id,
    )


@job_handler(COMPACT_JOB, max_attempts=5)
async def compact(ctx: JobContext) -> None:
    await do_doc_compact(int(ctx.args["docId"]))


async def do_doc_compact(doc_id: int) -> int | None:
    """Fold the log into the snapshot up to the doc's current revision; the revision folded to
    (None if the doc is gone or there was nothing to fold)."""
    document = await Document.filter(id=doc_id).first()
    if document is None:
        return None
    base = document.snapshot_revision
    target = document.revision
    if target <= base:
        await Document.filter(id=doc_id).update(compaction_queued_at=None)
        return None
    ydoc: Doc = Doc()
    if document.snapshot:
        ydoc.apply_update(bytes(document.snapshot))
    rows: list[Any] = (
        await DocUpdate.filter(document_id=doc_id, revision__gt=base, revision__lte=target)
        .order_by("revision")
        .values_list("data", flat=True)
    )
    folded_bytes = 0
    for data in rows:
        ydoc.apply_update(bytes(data))
        folded_bytes += len(data)
    state = ydoc.get_update()
    async with transaction():
        row = await Document.select_for_update().get(id=doc_id)
        if row.snapshot_revision != base:
            return None  # another compaction got there first
        deleted = await DocUpdate.filter(document_id=doc_id, revision__lte=target).delete()
        row.snapshot = state
        row.snapshot_revision = target
        row.log_count = max(row.log_count - deleted, 0)
        row.log_bytes = max(row.log_bytes - folded_bytes, 0)
        row.compaction_queued_at = None
        await row.save(
            update_fields=[
                "snapshot",
                "snapshot_revision",
                "log_count",
                "log_bytes",
                "compaction_queued_at",
                "updated_at",
            ]
        )
    return target
