"""What happens when an update is stored, beyond storing it: the parts of Docs that react to
every edit (compaction of the log, automatic versions, the search index) register here, and the
write path (``store``) calls ``doc_written`` inside its transaction, after the update row and
the document's counters are written and before commit. A hook may enqueue jobs or change rows
in the same transaction; a hook that raises refuses the whole write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from models.docs import Document, UpdateOrigin
from resolvers.core.tx import Transaction


@dataclass(slots=True)
class DocWritten:
    document: Document
    """The row as written now (``revision``, ``log_count``, ``log_bytes``, ``edited_at`` and
    ``editors_since_version`` are current)."""
    revision: int
    author_id: int | None
    origin: UpdateOrigin
    size: int
    """Bytes of the stored update."""


Hook = Callable[[Transaction, DocWritten], Awaitable[None]]
_hooks: list[tuple[str, Hook]] = []


def on_doc_written(name: str) -> Callable[[Hook], Hook]:
    """Register a hook (once per name)."""

    def register(hook: Hook) -> Hook:
        for i, (known, _) in enumerate(_hooks):
            if known == name:
                _hooks[i] = (name, hook)
                return hook
        _hooks.append((name, hook))
        return hook

    return register


async def doc_written(tx: Transaction, written: DocWritten) -> None:
    for _, hook in list(_hooks):
        await hook(tx, written)
