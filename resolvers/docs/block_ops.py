"""Block mutations for bots and integrations: ``docBlocksInsert``, ``docBlockUpdate``,
``docBlocksDelete`` and ``docBlocksMove``.

Each is one Yjs transaction on the live doc, stored and published through the one write path
(``store.do_doc_write``, origin BLOCKS), so people editing the doc see a bot's change at once
as a ``DocUpdateEvent``. Each takes the ``revision`` the caller based it on:

- a revision newer than the doc, or older than its snapshot (the log before it is gone), is
  STALE_REVISION and changes nothing;
- text (``docBlockUpdate``'s ``text`` or ``runs``) is rebased (``resolvers.docs.rebase``):
  the change is computed against the block's text at that revision and merged with what was
  typed since, never written over it;
- attributes (type, level, checked...) are plain values: the mutation sets them on the block
  as it is now, the newest write wins, as when two people set them;
- structure (insert, delete, move) is applied to the doc as it is now: ids name blocks, and a
  block deleted since is BLOCK_NOT_FOUND (its ``field`` names the input at fault).

Moves: Yjs cannot move a shared type, so a moved block is copied (same id, text, formatting,
children and client keys, ``block_clone``) and the original deleted, in one transaction. Every
edit stored before the move is carried along. An edit made inside the block by a client that
had not yet received the move (sent while the move was in flight) lands in the deleted
original and does not show; clients receive the move as soon as it is stored, so that window
is one round trip. Moves of blocks people are typing in should therefore be rare (a bot
reordering sections), and a bot that must not race typing can check ``revision`` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Array, Doc, Map, Text

from models.docs import Document, UpdateOrigin
from models.drive import DriveRole
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, ValidationFailed
from resolvers.core.idempotency import once, retry_safe_token
from resolvers.core.principal import require_principal
from resolvers.docs import store
from resolvers.docs.access import access_doc
from resolvers.docs.block_clone import restore, snapshot
from resolvers.docs.block_input import (
    ATTRIBUTE_OF_FIELD,
    ATTRIBUTES_OF,
    MAX_LIST,
    Reference,
    Visible,
    allowed_under,
    check_attributes,
    check_blocks,
    check_references,
    check_runs,
    where,
)
from resolvers.docs.blocks import (
    CHILD_TYPES,
    TEXT_TYPES,
    Block,
    BlockType,
    Located,
    Run,
    block_array,
    find_block,
    insert_blocks,
    read_block,
)
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.rebase import StaleRevision, capture, doc_at, replace_runs, replace_text

MAX_ID = 64


class BlockNotFound(DomainError):
    code = DocsErrorCode.BLOCK_NOT_FOUND
    default_message = "No such block in the doc (it may have been deleted)."


@dataclass
class BlocksWritten:
    id: int
    """The doc's id (what an idempotency record keeps)."""
    revision: int
    block_ids: list[str] = field(default_factory=list)
    changed: bool = True


@dataclass
class BlockPatch:
    """What ``docBlockUpdate`` changes: None leaves a field as it is; ``clear`` names the
    attributes set to null (removed)."""

    text: str | None = None
    runs: list[Run] | None = None
    type: BlockType | None = None
    values: dict[str, Any] = field(default_factory=dict)
    """API attribute names (``level``, ``fileId``...) to new values."""
    clear: set[str] = field(default_factory=set)


async def check_revision(document: Document, revision: int) -> None:
    """STALE_REVISION unless ``revision`` is between the doc's snapshot and its newest."""
    live = await store.load(document)
    if revision > live.revision:
        raise StaleRevision(
            f"Revision {revision} is newer than the doc (at {live.revision}): read it again."
        )
    if revision < document.snapshot_revision:
        raise StaleRevision(
            f"Revision {revision} is older than what the server keeps of the doc's history "
            f"(from {document.snapshot_revision}): read the doc again."
        )


def _located(ydoc: Doc, block_id: str, field: str) -> Located:
    found = find_block(ydoc, block_id) if block_id and len(block_id) <= MAX_ID else None
    if found is None:
        raise BlockNotFound(f"No block {block_id!r} in the doc.", field=field)
    return found


def _type_of(node: Map[Any] | None) -> BlockType | None:
    if node is None:
        return None
    try:
        return BlockType(str(node.get("type")))
    except ValueError:
        return None


def _place(
    ydoc: Doc, parent_id: str | None, after_id: str | None, at_start: bool
) -> tuple[Array[Any], int, BlockType | None]:
    """The array blocks go into, the index there, and the parent block's type (None at the
    top level)."""
    if at_start and after_id is not None:
        raise ValidationFailed("Give afterId or atStart, not both.", field="atStart")
    parent_type: BlockType | None = None
    if parent_id is not None:
        parent = _located(ydoc, parent_id, "parentId")
        parent_type = _type_of(parent.node)
        children = parent.node.get("children")
        if parent_type not in CHILD_TYPES or not isinstance(children, Array):
            raise ValidationFailed(
                f"A {parent_type.value if parent_type else 'block'} block holds no children.",
                field="parentId",
            )
        array = children
    else:
        array = block_array(ydoc)
    if after_id is not None:
        after = _located(ydoc, after_id, "afterId")
        # pycrdt gives a new wrapper per read: arrays are compared by their block's id.
        if (after.parent.get("id") if after.parent is not None else None) != parent_id:
            raise ValidationFailed(
                "afterId is not a child of parentId (or of the top level when no parentId).",
                field="afterId",
            )
        return array, after.index + 1, parent_type
    return array, 0 if at_start else len(array), parent_type


# -- docBlocksInsert --------------------------------------------------------------------------


def _assign_ids(blocks: list[Block], make: Callable[[str], str], path: str = "") -> None:
    for i, block in enumerate(blocks):
        block.id = make(f"{path}{i}")
        _assign_ids(block.children, make, f"{path}{i}.")


def _fingerprint_block(block: Block) -> dict[str, Any]:
    return {
        "type": block.type.value,
        "runs": [[r.text, sorted(r.marks.items())] for r in block.runs],
        "children": [_fingerprint_block(c) for c in block.children],
        **{name: getattr(block, attr) for name, attr in ATTRIBUTE_OF_FIELD.items()},
    }


async def check_doc_blocks_insert(
    ctx: Context,
    *,
    doc_id: int | None,
    revision: int,
    parent_id: str | None,
    after_id: str | None,
    at_start: bool,
    blocks: list[Block],
    visible: Visible,
    idempotency_key: str | None,
) -> BlocksWritten:
    """Insert ``blocks`` (with their children) under ``parent_id`` (the top level when None),
    after ``after_id`` (at the end when None, at the start with ``at_start``)."""
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.EDITOR)
    document = found.document
    await check_revision(document, revision)
    # Checked against the parent as it is now, and again under the write lock (``change``).
    live = await store.load(document)
    _, _, parent_type = _place(live.ydoc, parent_id, after_id, at_start)
    refs: list[Reference] = []
    check_blocks(blocks, parent_type, refs)
    await check_references(refs, visible)

    def change(ydoc: Doc) -> list[str]:
        array, index, parent_type = _place(ydoc, parent_id, after_id, at_start)
        for i, block in enumerate(blocks):
            if not allowed_under(parent_type, block.type):
                raise ValidationFailed(
                    f"A {block.type.value} block cannot go {where(parent_type)}.",
                    field=f"blocks.{i}.type",
                )
        return insert_blocks(array, index, blocks)

    def derived_ids() -> list[str]:
        assert idempotency_key is not None
        _assign_ids(
            blocks,
            lambda path: retry_safe_token(
                "", "docBlocksInsert", idempotency_key, principal.user_id, document.id, path
            )[:12],
        )
        return [b.id for b in blocks]

    async def create() -> BlocksWritten:
        if idempotency_key is not None:
            derived_ids()
        written = await store.do_doc_write(
            document, principal.user_id, change, origin=UpdateOrigin.BLOCKS
        )
        return BlocksWritten(document.id, written.revision, written.result)

    async def load(pk: int) -> BlocksWritten | None:
        again = await access_doc(ctx, pk, DriveRole.EDITOR)
        return BlocksWritten(pk, again.document.revision, derived_ids())

    fingerprint = {
        "docId": document.id,
        "revision": revision,
        "parentId": parent_id,
        "afterId": after_id,
        "atStart": at_start,
        "blocks": [_fingerprint_block(b) for b in blocks],
    }
    try:
        return await once(
            principal.user_id,
            "docBlocksInsert",
            idempotency_key,
            create,
            load,
            input=fingerprint,
        )
    except BaseException as e:
        # With a key the write is a savepoint of ``once``'s transaction: if that failed after
        # the write, the loaded doc holds what rolled back.
        if idempotency_key is not None and not isinstance(e, DomainError):
            store.forget(document.id)
        raise


# -- docBlockUpdate ---------------------------------------------------------------------------


def _check_patch(patch: BlockPatch) -> list[Reference]:
    if patch.text is not None and patch.runs is not None:
        raise ValidationFailed("Give text or runs, not both.", field="runs")
    if patch.runs is not None:
        check_runs(BlockType.PARAGRAPH, Block(BlockType.PARAGRAPH, runs=patch.runs), "")
    if patch.text is not None:
        check_runs(BlockType.PARAGRAPH, Block.of(BlockType.PARAGRAPH, patch.text), "")
    refs: list[Reference] = []
    for name in ("fileId", "target"):
        if patch.values.get(name) is not None:
            # Checked again with the block's type under the write lock; visibility here.
            kinds = frozenset({"File"}) if name == "fileId" else frozenset({"User", "Chat", "Doc"})
            refs.append(Reference(patch.values[name], kinds, name))
    return refs


def _apply_patch(node: Map[Any], parent: Map[Any] | None, patch: BlockPatch) -> None:
    """Check the patch against the block as it is now, then set type and attributes."""
    current = _type_of(node)
    if current is None:
        raise BlockNotFound(field="blockId")
    kind = patch.type or current
    children = node.get("children")
    kids = [c for c in children if isinstance(c, Map)] if isinstance(children, Array) else []
    if kind != current:
        if (current in TEXT_TYPES) != (kind in TEXT_TYPES):
            raise ValidationFailed(
                f"A {current.value} block cannot become a {kind.value} block "
                "(one has text, the other not): delete it and insert a new one.",
                field="type",
            )
        if not allowed_under(_type_of(parent), kind):
            raise ValidationFailed(
                f"A {kind.value} block cannot go {where(_type_of(parent))}.", field="type"
            )
        if kids and (
            kind not in CHILD_TYPES
            or not all(allowed_under(kind, t) for t in map(_type_of, kids) if t is not None)
        ):
            raise ValidationFailed(
                f"A {kind.value} block cannot hold this block's children.", field="type"
            )
    if (patch.text is not None or patch.runs is not None) and kind not in TEXT_TYPES:
        raise ValidationFailed(f"A {kind.value} block has no text.", field="text")
    allowed = ATTRIBUTES_OF.get(kind, frozenset())
    values: dict[str, Any] = {
        name: node.get(name) for name in ATTRIBUTE_OF_FIELD if name in allowed
    }
    if values.get("level") is not None:
        values["level"] = int(values["level"])
    for name in patch.clear:
        values[name] = None
    values.update(patch.values)
    checked = check_attributes(kind, values, "", [])
    if kind != current:
        node["type"] = kind.value
    for name in ATTRIBUTE_OF_FIELD:
        new = checked.get(name)
        if new is None:
            if name in node:
                del node[name]
        elif name == "level":
            if node.get(name) != float(new):
                node[name] = float(new)
        elif node.get(name) != new:
            node[name] = new
    if kind in TEXT_TYPES and not isinstance(node.get("text"), Text):
        node["text"] = Text()
    if kind in CHILD_TYPES and not isinstance(children, Array):
        node["children"] = Array()


async def check_doc_block_update(
    ctx: Context,
    *,
    doc_id: int | None,
    revision: int,
    block_id: str,
    patch: BlockPatch,
    visible: Visible,
) -> BlocksWritten:
    """Change a block's text (rebased from ``revision``), type or attributes."""
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.EDITOR)
    await check_references(_check_patch(patch), visible)
    text_update: bytes | None = None
    rebased = False
    if patch.text is not None or patch.runs is not None:
        base = await doc_at(found.document, revision)
        at_base = find_block(base, block_id) if block_id and len(block_id) <= MAX_ID else None
        if at_base is None:
            live = await store.load(found.document)
            _located(live.ydoc, block_id, "blockId")
            raise StaleRevision(f"Block {block_id!r} was not in the doc at revision {revision}.")
        text = at_base.node.get("text")
        if isinstance(text, Text):
            rebased = True
            runs, plain = patch.runs, patch.text
            text_update = capture(
                base,
                lambda: (
                    replace_runs(text, runs)
                    if runs is not None
                    else replace_text(text, plain or "")
                ),
            )
        # else: the block had no text at that revision (its type changed since): written on
        # the block as it is now, below.
    else:
        await check_revision(found.document, revision)

    def change(ydoc: Doc) -> None:
        loc = _located(ydoc, block_id, "blockId")
        _apply_patch(loc.node, loc.parent, patch)
        if text_update is not None:
            live_text = loc.node.get("text")
            before = live_text.diff() if isinstance(live_text, Text) else None
            ydoc.apply_update(text_update)
            if isinstance(live_text, Text) and live_text.diff() == before:
                # The change went into a text the doc no longer shows: the block was moved
                # (copied anew) since ``revision``. Refused rather than silently lost; the
                # loaded doc took the change in, so it is reloaded.
                store.forget(found.document.id)
                raise StaleRevision(
                    f"Block {block_id!r} was moved since revision {revision}: read it again."
                )
        elif not rebased and (patch.text is not None or patch.runs is not None):
            text = loc.node.get("text")
            assert isinstance(text, Text)
            if patch.runs is not None:
                replace_runs(text, patch.runs)
            else:
                replace_text(text, patch.text or "")

    written = await store.do_doc_write(
        found.document, principal.user_id, change, origin=UpdateOrigin.BLOCKS
    )
    return BlocksWritten(found.document.id, written.revision, [block_id], written.changed)


# -- docBlocksDelete --------------------------------------------------------------------------


def _check_ids(block_ids: list[str]) -> list[str]:
    """The ids, once each, within the limits."""
    if not block_ids:
        raise ValidationFailed("Name at least one block.", field="blockIds")
    if len(block_ids) > MAX_LIST:
        raise ValidationFailed(f"Name at most {MAX_LIST} blocks at once.", field="blockIds")
    return list(dict.fromkeys(block_ids))


async def check_doc_blocks_delete(
    ctx: Context, *, doc_id: int | None, revision: int, block_ids: list[str]
) -> BlocksWritten:
    """Delete blocks (with their children). Every id must be in the doc, or nothing is
    deleted."""
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.EDITOR)
    wanted = _check_ids(block_ids)
    await check_revision(found.document, revision)

    def change(ydoc: Doc) -> None:
        for block_id in wanted:
            _located(ydoc, block_id, f"blockIds.{block_ids.index(block_id)}")
        for block_id in wanted:
            loc = find_block(ydoc, block_id)
            if loc is not None:  # None: inside a block deleted just before
                del loc.array[loc.index]

    written = await store.do_doc_write(
        found.document, principal.user_id, change, origin=UpdateOrigin.BLOCKS
    )
    return BlocksWritten(found.document.id, written.revision, wanted, written.changed)


# -- docBlocksMove ----------------------------------------------------------------------------


async def check_doc_blocks_move(
    ctx: Context,
    *,
    doc_id: int | None,
    revision: int,
    block_ids: list[str],
    parent_id: str | None,
    after_id: str | None,
    at_start: bool,
) -> BlocksWritten:
    """Move blocks, in the order given, under ``parent_id`` (the top level when None) after
    ``after_id`` (at the end when None, at the start with ``at_start``), keeping their ids."""
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.EDITOR)
    wanted = _check_ids(block_ids)
    await check_revision(found.document, revision)

    def change(ydoc: Doc) -> None:
        moving = [
            _located(ydoc, block_id, f"blockIds.{block_ids.index(block_id)}") for block_id in wanted
        ]
        for loc in moving:
            children = loc.node.get("children")
            inside = (
                isinstance(children, Array)
                and parent_id is not None
                and find_block_in(children, parent_id)
            )
            if parent_id == loc.node.get("id") or inside:
                raise ValidationFailed(
                    "A block cannot move into itself or into a block inside it.",
                    field="parentId",
                )
        if after_id is not None and after_id in wanted:
            raise ValidationFailed("A block cannot move after a moved block.", field="afterId")
        # Checked where they go before anything changes; found again after the deletions.
        _, _, parent_type = _place(ydoc, parent_id, after_id, at_start)
        for loc, block_id in zip(moving, wanted, strict=True):
            kind = _type_of(loc.node)
            if kind is not None and not allowed_under(parent_type, kind):
                raise ValidationFailed(
                    f"A {kind.value} block cannot go {where(parent_type)}.",
                    field=f"blockIds.{block_ids.index(block_id)}",
                )
        # A block listed together with a block around it moves with that one only.
        top = [
            loc
            for loc in moving
            if not any(
                other is not loc
                and isinstance(other.node.get("children"), Array)
                and find_block_in(other.node.get("children"), str(loc.node.get("id")))
                for other in moving
            )
        ]
        copies = [snapshot(loc.node) for loc in top]
        for loc in top:
            again = find_block(ydoc, str(loc.node.get("id")))
            assert again is not None
            del again.array[again.index]
        array, index, _ = _place(ydoc, parent_id, after_id, at_start)
        for offset, copy in enumerate(copies):
            restore(array, index + offset, copy)

    written = await store.do_doc_write(
        found.document, principal.user_id, change, origin=UpdateOrigin.BLOCKS
    )
    return BlocksWritten(found.document.id, written.revision, wanted, written.changed)


def find_block_in(array: Any, block_id: str) -> bool:
    """Whether ``block_id`` is somewhere in ``array`` (at any depth)."""
    for node in array:
        if not isinstance(node, Map):
            continue
        if node.get("id") == block_id:
            return True
        children = node.get("children")
        if isinstance(children, Array) and find_block_in(children, block_id):
            return True
    return False


def read_blocks_by_id(ydoc: Doc, block_ids: Iterable[str]) -> list[Block]:
    """The blocks still in the doc among ``block_ids``, as they are now."""
    out: list[Block] = []
    for block_id in block_ids:
        loc = find_block(ydoc, block_id)
        block = read_block(loc.node) if loc is not None else None
        if block is not None:
            out.append(block)
    return out
