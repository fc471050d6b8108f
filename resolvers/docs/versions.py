"""Version history: automatic versions, named versions, and restoring one as a new edit.

- Automatic: every stored edit runs the ``versions`` hook; once ``settings.docs_version_minutes``
  have passed since the doc's last version (or its creation), it queues a ``docs.version`` job,
  which saves the doc as it is then. The job's key is the doc and the time of its last version,
  so however many edits arrive meanwhile one job is queued, and a version saved by other means
  first (a named one, a restore) makes it stale: it then does nothing.
- Named: ``docVersionCreate`` (editors) saves the doc as it is now under a name.
- Each version lists who changed the doc since the version before (``editors_since_version``,
  which the write path fills and a saved version empties).
- Restore (editors): the version's title and blocks (with their ids) replace the doc's through
  the one write path, as a new edit (origin RESTORE) that everyone editing sees live. In the
  same transaction the state right before it is saved as a RESTORE version, so history is never
  rewritten and a restore can itself be undone. Blocks equal to the version's at the start and
  at the end of the doc are left alone, so comments on them stay attached."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pycrdt import Doc

from adapters.settings import get_settings
from models.docs import Document, DocVersion, UpdateOrigin, VersionKind
from models.drive import DriveRole
from models.jobs import JobState
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.jobs import JobContext, do_enqueue, job_handler
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.docs.access import access_doc
from resolvers.docs.blocks import Block, block_array, insert_blocks, read_blocks, title_text
from resolvers.docs.hooks import DocWritten, on_doc_written
from resolvers.docs.store import do_doc_write
from resolvers.docs.stored import from_state, stored_doc

VERSION_JOB = "docs.version"
MAX_NAME = 200
LIST_FIELDS = (
    "id",
    "document_id",
    "number",
    "kind",
    "name",
    "revision",
    "title",
    "editor_ids",
    "created_by_id",
    "created_at",
)
"""What a list of versions reads (not the states, which may be large)."""


async def do_version_save(
    row: Document,
    kind: VersionKind,
    *,
    name: str | None,
    user_id: int | None,
    ydoc: Doc | None = None,
    revision: int | None = None,
    editor_ids: list[int] | None = None,
) -> DocVersion:
    """Save a version of ``row`` (locked by the caller, in its transaction): the doc as stored
    (or ``ydoc`` at ``revision``), and who changed it since the version before."""
    content = ydoc if ydoc is not None else await stored_doc(row)
    newest = await DocVersion.filter(document_id=row.id).order_by("-number").first()
    version = await DocVersion.create(
        document_id=row.id,
        number=(newest.number if newest else 0) + 1,
        kind=kind,
        name=name,
        revision=revision if revision is not None else row.revision,
        state=content.get_update(),
        title=str(title_text(content)),
        editor_ids=editor_ids if editor_ids is not None else list(row.editors_since_version),
        created_by_id=user_id,
    )
    row.editors_since_version = []
    row.last_version_at = now()
    await row.save(update_fields=["editors_since_version", "last_version_at", "updated_at"])
    return version


# -- automatic versions --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Restoring:
    number: int
    user_id: int
    editors_before: list[int]


_restoring: ContextVar[_Restoring | None] = ContextVar("hello_docs_restoring", default=None)
"""Set around a restore's write, so the hook saves the state before it (in its transaction)."""


MAX_REQUEUES = 5
"""Dead automatic-version jobs one write looks past before it gives up until the next write."""


@on_doc_written("versions")
async def on_written(tx: Transaction, written: DocWritten) -> None:
    row = written.document
    restoring = _restoring.get()
    if written.origin == UpdateOrigin.RESTORE and restoring is not None:
        before = await stored_doc(row, written.revision - 1)
        editors = [
            e
            for e in row.editors_since_version
            if e != restoring.user_id or e in restoring.editors_before
        ]
        await do_version_save(
            row,
            VersionKind.RESTORE,
            name=f"Before restoring version {restoring.number}",
            user_id=restoring.user_id,
            ydoc=before,
            revision=written.revision - 1,
            editor_ids=editors,
        )
        # The restore itself is the first change after that version.
        row.editors_since_version = [restoring.user_id]
        await row.save(update_fields=["editors_since_version"])
        return
    since = row.last_version_at or row.created_at
    if now() - since < timedelta(minutes=get_settings().docs_version_minutes):
        return
    after = since.isoformat()
    key = f"{row.id}:{after}"
    for _ in range(MAX_REQUEUES):
        job = await do_enqueue(
            VERSION_JOB,
            {"docId": row.id, "after": after},
            key=key,
            organization_id=row.organization_id,
        )
        if job.state != JobState.DEAD:
            return
        # That job died (its attempts spent): the next edit queues another, so automatic
        # versions of the doc do not stop for good.
        key = f"{row.id}:{after}:{job.id}"


@job_handler(VERSION_JOB, max_attempts=5)
async def take_auto_version(ctx: JobContext) -> None:
    """Save an automatic version unless one was saved since the job was queued."""
    async with transaction():
        row = await Document.select_for_update().filter(id=int(ctx.args["docId"])).first()
        if row is None:
            return
        since = row.last_version_at or row.created_at
        if since.isoformat() != ctx.args["after"]:
            return  # stale: a version was saved meanwhile
        await do_version_save(row, VersionKind.AUTO, name=None, user_id=None)


# -- docVersionCreate ----------------------------------------------------------------------------


def check_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME:
        raise ValidationFailed(f"A version's name has 1 to {MAX_NAME} characters.", field="name")
    return clean


async def check_version_create(
    ctx: Context, *, doc_id: int | None, name: str, idempotency_key: str | None
) -> DocVersion:
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.EDITOR)
    clean = check_name(name)

    async def create() -> DocVersion:
        return await do_version_create(found.document.id, clean, principal.user_id)

    async def load(pk: int) -> DocVersion | None:
        return await DocVersion.filter(id=pk).first()

    fingerprint = {"docId": found.document.id, "name": clean}
    return await once(
        principal.user_id, "docVersionCreate", idempotency_key, create, load, input=fingerprint
    )


async def do_version_create(doc_id: int, name: str, user_id: int) -> DocVersion:
    async with transaction():
        row = await Document.select_for_update().get(id=doc_id)
        return await do_version_save(row, VersionKind.NAMED, name=name, user_id=user_id)


# -- docVersionRestore ---------------------------------------------------------------------------


def restore_change(version: Doc) -> Callable[[Doc], None]:
    """The change that makes a doc's title and blocks the version's (block ids kept)."""
    title = str(title_text(version))
    wanted = read_blocks(version)

    def change(ydoc: Doc) -> None:
        text = title_text(ydoc)
        if str(text) != title:
            del text[0 : len(text)]
            text.insert(0, title)
        array = block_array(ydoc)
        current = read_blocks(ydoc)
        if len(current) != len(array):  # entries that are not blocks: replace everything
            del array[0 : len(array)]
            insert_blocks(array, 0, wanted)
            return
        head = 0
        while head < min(len(current), len(wanted)) and current[head] == wanted[head]:
            head += 1
        tail = 0
        limit = min(len(current), len(wanted)) - head
        while tail < limit and current[-1 - tail] == wanted[-1 - tail]:
            tail += 1
        if len(current) - tail > head:
            del array[head : len(current) - tail]
        insert_blocks(array, head, wanted[head : len(wanted) - tail])

    return change


@dataclass
class Restored:
    doc_id: int
    revision: int
    saved: DocVersion | None
    """The RESTORE version of the state before (None when the doc equalled the version)."""


async def check_version_restore(ctx: Context, *, version_id: int | None) -> Restored:
    principal = require_principal(ctx)
    version = None
    if version_id is not None:
        version = await DocVersion.filter(
            id=version_id, document__organization_id=principal.organization_id
        ).first()
    if version is None:
        raise NotFound(field="versionId")
    found = await access_doc(ctx, version.document_id, DriveRole.EDITOR, field="versionId")
    token = _restoring.set(
        _Restoring(version.number, principal.user_id, list(found.document.editors_since_version))
    )
    try:
        written = await do_doc_write(
            found.document,
            principal.user_id,
            restore_change(from_state(bytes(version.state))),
            origin=UpdateOrigin.RESTORE,
        )
    finally:
        _restoring.reset(token)
    saved = None
    if written.changed:
        saved = (
            await DocVersion.filter(document_id=version.document_id, kind=VersionKind.RESTORE)
            .order_by("-number")
            .first()
        )
    return Restored(version.document_id, written.revision, saved)


# -- reading --------------------------------------------------------------------------------------


async def versions_page(
    document: Document, *, first: int | None, after: str | None
) -> Page[DocVersion]:
    """A doc's versions, newest first."""
    qs = DocVersion.filter(document_id=document.id).only(*LIST_FIELDS)
    return await paginate(qs, order=["-number"], first=first, after=after)


async def version_blocks(version_ids: list[int]) -> list[list[Block]]:
    """The blocks each version holds, read from its stored state (a DataLoader's batch
    function: one query for a page of versions)."""
    rows: list[Any] = await DocVersion.filter(id__in=version_ids).values_list("id", "state")
    states = {int(pk): bytes(state) for pk, state in rows}
    return [read_blocks(from_state(states[v])) if v in states else [] for v in version_ids]
