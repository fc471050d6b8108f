"""Loaded docs and the one write path of their content.

Each process keeps the docs it serves loaded (``LiveDoc``: a pycrdt ``Doc`` and the revision it
holds), least recently used first out past ``settings.docs_open_per_process``. The database is
the truth: a loaded doc catches up with the log (rows after its revision) before it answers or
changes, so a process never serves less than what was acknowledged anywhere, and a doc that was
compacted past it takes the snapshot (merging a Yjs state into a doc that holds part of it is
harmless).

``do_doc_write`` is how content changes, whoever changes it (a client's update, a block
mutation, a restore): under the doc's row lock it catches up, applies the change to the loaded
doc, captures the update the change made (nothing, for an update already applied: a retried
request stores nothing twice), appends it to the log under the next revision, runs the
``hooks``, and publishes it on the doc's channel after commit. If anything fails, the loaded
doc, which may hold what the database does not, is dropped, and the next use reloads it."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pycrdt import Doc, merge_updates

from adapters.settings import get_settings
from models.docs import Document, DocUpdate, UpdateOrigin
from resolvers.core.channels import doc_channel
from resolvers.core.clock import now
from resolvers.core.errors import DomainError, NotFound, ValidationFailed
from resolvers.core.tx import transaction
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.events import DocsEventKind, DocUpdated
from resolvers.docs.hooks import DocWritten, doc_written

R = TypeVar("R")


@dataclass(eq=False)
class LiveDoc:
    id: int
    organization_id: int
    ydoc: Doc
    revision: int
    loop: asyncio.AbstractEventLoop
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_open: OrderedDict[int, LiveDoc] = OrderedDict()


def b64decode(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationFailed(
            "Not valid base64.", field=field, code=DocsErrorCode.INVALID_UPDATE
        ) from e


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def loaded(doc_id: int) -> LiveDoc | None:
    """The doc as this process holds it, if it does (for tests and benchmarks)."""
    return _open.get(doc_id)


def forget(doc_id: int) -> None:
    """Drop the loaded doc: the next use reloads it from the database."""
    _open.pop(doc_id, None)


def forget_all() -> None:
    _open.clear()


def _keep(live: LiveDoc) -> None:
    _open[live.id] = live
    _open.move_to_end(live.id)
    limit = get_settings().docs_open_per_process
    for doc_id in list(_open):
        if len(_open) <= limit:
            break
        if not _open[doc_id].lock.locked():
            del _open[doc_id]


async def _build(document: Document) -> LiveDoc:
    ydoc: Doc = Doc()
    live = LiveDoc(document.id, document.organization_id, ydoc, 0, asyncio.get_running_loop())
    await _catch_up(live)
    return live


async def _catch_up(live: LiveDoc) -> None:
    """Apply what the log holds beyond ``live.revision`` (the snapshot first when the log was
    compacted past it)."""
    rows: list[Any] = (
        await DocUpdate.filter(document_id=live.id, revision__gt=live.revision)
        .order_by("revision")
        .values_list("revision", "data")
    )
    if not rows or int(rows[0][0]) != live.revision + 1:
        document = await Document.filter(id=live.id).first()
        if document is None:
            raise NotFound(field="docId")
        if document.snapshot_revision > live.revision:
            if document.snapshot:
                live.ydoc.apply_update(bytes(document.snapshot))
            live.revision = document.snapshot_revision
            rows = (
                await DocUpdate.filter(document_id=live.id, revision__gt=live.revision)
                .order_by("revision")
                .values_list("revision", "data")
            )
    for revision, data in rows:
        if int(revision) <= live.revision:
            continue
        live.ydoc.apply_update(bytes(data))
        live.revision = int(revision)


async def _live(document: Document) -> LiveDoc:
    live = _open.get(document.id)
    if live is None or live.loop is not asyncio.get_running_loop():
        live = await _build(document)
    _keep(live)
    return live


async def load(document: Document) -> LiveDoc:
    """The doc loaded and caught up with everything stored (for reads: ``docSync``, blocks).
    Callers must not change ``ydoc``: content changes go through ``do_doc_write``."""
    live = await _live(document)
    if live.revision < document.revision or live.revision == 0:
        async with live.lock:
            await _catch_up(live)
    return live


@dataclass(slots=True)
class Written(Generic[R]):
    result: R
    revision: int
    changed: bool
    """False when the change changed nothing (nothing was stored or published)."""


async def do_doc_write(
    document: Document,
    author_id: int | None,
    change: Callable[[Doc], R],
    *,
    origin: UpdateOrigin,
    client_tag: str | None = None,
) -> Written[R]:
    """Run ``change`` on the loaded doc inside a Yjs transaction and store what it changed
    (see the module docstring). ``change`` may raise a ``DomainError`` to refuse."""
    live = await _live(document)
    async with live.lock:
        captured: list[bytes] = []
        try:
            async with transaction() as tx:
                row = await Document.select_for_update().get(id=document.id)
                if row.revision > live.revision:
                    await _catch_up(live)
                subscription = live.ydoc.observe(lambda event: captured.append(event.update))
                try:
                    with live.ydoc.transaction():
                        result = change(live.ydoc)
                finally:
                    live.ydoc.unobserve(subscription)
                if not captured:
                    return Written(result, row.revision, False)
                update = captured[0] if len(captured) == 1 else merge_updates(*captured)
                revision = row.revision + 1
                await DocUpdate.create(
                    document_id=row.id,
                    revision=revision,
                    data=update,
                    author_id=author_id,
                    origin=origin,
                )
                row.revision = revision
                row.log_count += 1
                row.log_bytes += len(update)
                row.edited_at = now()
                if author_id is not None and author_id not in row.editors_since_version:
                    row.editors_since_version = [*row.editors_since_version, author_id]
                await row.save(
                    update_fields=[
                        "revision",
                        "log_count",
                        "log_bytes",
                        "edited_at",
                        "editors_since_version",
                        "updated_at",
                    ]
                )
                await doc_written(tx, DocWritten(row, revision, author_id, origin, len(update)))
                event: DocUpdated = {
                    "type": DocsEventKind.UPDATE,
                    "docId": row.id,
                    "organizationId": row.organization_id,
                    "revision": revision,
                    "update": b64encode(update),
                    "authorId": author_id,
                    "origin": origin.value,
                    "clientTag": client_tag,
                }
                tx.publish(doc_channel(row.id), event)
        except BaseException as e:
            if captured or not isinstance(e, DomainError):
                forget(document.id)
            raise
        live.revision = revision
        document.revision = revision
    return Written(result, revision, True)


def apply_client_update(update: bytes) -> Callable[[Doc], None]:
    """The change ``docUpdate`` makes: a client's Yjs update applied as it is. A malformed one
    is INVALID_UPDATE and changes nothing (yrs decodes the whole update before integrating any
    of it)."""

    def change(ydoc: Doc) -> None:
        try:
            ydoc.apply_update(update)
        except ValueError as e:
            raise ValidationFailed(
                f"Not a valid Yjs update: {e}", field="update", code=DocsErrorCode.INVALID_UPDATE
            ) from e

    return change


def check_update_size(update: bytes) -> bytes:
    limit = get_settings().docs_max_update_bytes
    if len(update) > limit:
        raise ValidationFailed(
            f"An update may have at most {limit} bytes; send large changes in parts.",
            field="update",
            code=DocsErrorCode.UPDATE_TOO_LARGE,
        )
    if not update:
        raise ValidationFailed(
            "The update is empty.", field="update", code=DocsErrorCode.INVALID_UPDATE
        )
    return update
