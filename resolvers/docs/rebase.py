"""Rebasing a block mutation on what was typed since the revision it was based on.

A bot reads a doc at revision R, computes new text for a block, and sends it with R. Since R,
people may have typed into that block. Writing the bot's text over the block would silently
drop their typing, so the server instead rebuilds the doc as it was at R (``doc_at``: the
snapshot, then the log up to R), turns the bot's change into the smallest set of deletions
and insertions against the block's text at R (``replace_text``, a character diff by
``difflib``), and takes the Yjs update that makes. Applied to the live doc, Yjs merges it with
everything typed since R like any two concurrent edits: a character the bot kept and a person
deleted stays deleted, a person's insertion between characters the bot kept stays, and only
the stretches the bot replaced are replaced.

pycrdt indexes text in UTF-8 bytes (embeds count one), so every character offset is mapped to
its index first (``_offsets``).
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any

from pycrdt import Doc, Text

from models.docs import Document, DocUpdate
from resolvers.core.errors import DomainError
from resolvers.docs.blocks import MARKS, Run
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.store import load


class StaleRevision(DomainError):
    code = DocsErrorCode.STALE_REVISION
    default_message = "This revision cannot be rebased on: read the doc again."

    def __init__(self, message: str | None = None, *, field: str | None = "revision") -> None:
        super().__init__(message, field=field)


def copy_of(ydoc: Doc) -> Doc:
    """A private copy of ``ydoc`` (its whole state), to change without touching the original."""
    copy: Doc = Doc()
    copy.apply_update(ydoc.get_update())
    return copy


async def doc_at(document: Document, revision: int) -> Doc:
    """The doc as it was at ``revision``, as a private copy. STALE_REVISION when ``revision`` is
    newer than the doc or older than its snapshot (the log before it is gone)."""
    live = await load(document)
    if revision > live.revision:
        raise StaleRevision(
            f"Revision {revision} is newer than the doc (at {live.revision}): read it again."
        )
    if revision == live.revision:
        return copy_of(live.ydoc)
    # Compaction may fold the log into the snapshot between our two reads: read again once.
    for _ in range(2):
        row = await Document.filter(id=document.id).first()
        if row is None or revision < row.snapshot_revision:
            break
        rows: list[Any] = (
            await DocUpdate.filter(
                document_id=document.id,
                revision__gt=row.snapshot_revision,
                revision__lte=revision,
            )
            .order_by("revision")
            .values_list("revision", "data")
        )
        expected = list(range(row.snapshot_revision + 1, revision + 1))
        if [int(r[0]) for r in rows] != expected:
            continue
        old: Doc = Doc()
        if row.snapshot and row.snapshot_revision:
            old.apply_update(bytes(row.snapshot))
        for _, data in rows:
            old.apply_update(bytes(data))
        return old
    raise StaleRevision(
        f"Revision {revision} is older than what the server keeps of the doc's history: "
        "read the doc again and send the change based on its current revision."
    )


def capture(ydoc: Doc, change: Callable[[], None]) -> bytes | None:
    """Run ``change`` on ``ydoc`` in one transaction; the Yjs update it made (None for none)."""
    made: list[bytes] = []
    subscription = ydoc.observe(lambda event: made.append(event.update))
    try:
        with ydoc.transaction():
            change()
    finally:
        ydoc.unobserve(subscription)
    return made[0] if made else None


def _offsets(text: Text) -> tuple[str, list[int]]:
    """The text's characters (embeds left out) and, for each character and for the end, its
    index in pycrdt's units."""
    chars: list[str] = []
    offsets: list[int] = []
    at = 0
    for part in text.diff():
        insert = part[0]
        if not isinstance(insert, str):
            at += 1  # an embed
            continue
        for ch in insert:
            chars.append(ch)
            offsets.append(at)
            at += len(ch.encode())
    offsets.append(at)
    return "".join(chars), offsets


def replace_text(text: Text, new: str) -> None:
    """Make ``text`` read ``new`` with a minimal character diff: what did not change is kept
    (so concurrent edits around it merge), the formatting of kept characters too."""
    old, offsets = _offsets(text)
    if old == new:
        return
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    # Back to front, so that the offsets of what comes before stay valid.
    for tag, i1, i2, j1, j2 in reversed(opcodes):
        if tag == "equal":
            continue
        start, end = offsets[i1], offsets[i2]
        if end > start:
            del text[start:end]
        if j2 > j1:
            text.insert(start, new[j1:j2])


def _marks_at(text: Text) -> list[dict[str, Any]]:
    """The formatting of each character (embeds left out)."""
    out: list[dict[str, Any]] = []
    for part in text.diff():
        insert, attrs = part[0], part[1] if len(part) > 1 else None
        if not isinstance(insert, str):
            continue
        marks = {k: v for k, v in (attrs or {}).items() if k in MARKS and v not in (None, False)}
        out.extend(marks for _ in insert)
    return out


def replace_runs(text: Text, runs: list[Run]) -> None:
    """Make ``text`` read the runs' text (``replace_text``), then format each run where its
    characters' formatting differs (marks it lacks are removed)."""
    replace_text(text, "".join(r.text for r in runs))
    current = _marks_at(text)
    _, offsets = _offsets(text)
    at = 0
    for run in runs:
        end = at + len(run.text)
        if any(m != run.marks for m in current[at:end]):
            wanted = {mark: run.marks.get(mark) for mark in MARKS}
            text.format(offsets[at], offsets[end], wanted)
        at = end
