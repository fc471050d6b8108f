"""The block model: how a Hello doc is laid out as a Yjs document, the one layout every client
(web, mobile, bots, the server's block mutations) reads and writes. README, "Docs", has it as a
table.

The root holds ``title``, a ``Y.Text``, and ``blocks``, a ``Y.Array`` of blocks. A block is a
``Y.Map`` with:

- ``id``: a string unique in the doc (``new_block_id``), never changed;
- ``type``: one of ``BlockType``'s values (lowercase, as stored);
- ``text``: a ``Y.Text`` for the types in ``TEXT_TYPES``, with inline formatting as Yjs text
  attributes (``MARKS``: bold, italic, underline, strike, code, and link with its URL);
- ``children``: a ``Y.Array`` of blocks for the types in ``CHILD_TYPES`` (nested list items, a
  quote's blocks, a table's rows and a row's cells);
- the attributes of its type, plain values: ``level`` (heading, 1 to 6), ``checked`` (to-do),
  ``language`` (code), ``fileId`` (image, file: a Drive file's global ID), ``url`` (link),
  ``target`` (mention: the global ID of a User, a Chat or a Doc).

Readers ignore keys they do not know, so a client may keep its own there.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pycrdt import Array, Doc, Map, Text

TITLE = "title"
BLOCKS = "blocks"


class BlockType(StrEnum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    BULLETED_LIST_ITEM = "bulleted_list_item"
    NUMBERED_LIST_ITEM = "numbered_list_item"
    TODO = "todo"
    QUOTE = "quote"
    CODE = "code"
    DIVIDER = "divider"
    TABLE = "table"
    TABLE_ROW = "table_row"
    TABLE_CELL = "table_cell"
    IMAGE = "image"
    FILE = "file"
    MENTION = "mention"
    LINK = "link"


TEXT_TYPES = frozenset(BlockType) - {BlockType.DIVIDER, BlockType.TABLE, BlockType.TABLE_ROW}
"""Types with a ``text`` (an image's or a file's is its caption, a link's its label, a
mention's the name shown when the target cannot be seen)."""
CHILD_TYPES = frozenset(
    {
        BlockType.BULLETED_LIST_ITEM,
        BlockType.NUMBERED_LIST_ITEM,
        BlockType.TODO,
        BlockType.QUOTE,
        BlockType.TABLE,
        BlockType.TABLE_ROW,
    }
)
ATTRIBUTES = ("level", "checked", "language", "fileId", "url", "target")
MARKS = ("bold", "italic", "underline", "strike", "code", "link")
"""Inline formatting: each a Yjs text attribute, true when set (``link``: the URL)."""


def new_block_id() -> str:
    """A fresh block id: 12 URL-safe characters (72 random bits)."""
    return secrets.token_urlsafe(9)


@dataclass
class Run:
    """A stretch of text with one formatting."""

    text: str
    marks: dict[str, Any] = field(default_factory=dict)


@dataclass
class Block:
    """A block read out of (or to be written into) a Yjs document."""

    type: BlockType
    runs: list[Run] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)
    id: str = ""
    level: int | None = None
    checked: bool | None = None
    language: str | None = None
    file_id: str | None = None
    url: str | None = None
    target: str | None = None

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @classmethod
    def of(cls, type: BlockType, text: str = "", **values: Any) -> Block:
        return cls(type=type, runs=[Run(text)] if text else [], **values)


_KEYS = {
    "level": "level",
    "checked": "checked",
    "language": "language",
    "fileId": "file_id",
    "url": "url",
    "target": "target",
}


def title_text(doc: Doc) -> Text:
    return doc.get(TITLE, type=Text)


def block_array(doc: Doc) -> Array[Any]:
    return doc.get(BLOCKS, type=Array)


def _runs(text: Text) -> list[Run]:
    runs: list[Run] = []
    for part in text.diff():
        insert, attrs = part[0], part[1] if len(part) > 1 else None
        if not isinstance(insert, str):
            continue  # an embed: not part of the block model
        marks = {k: v for k, v in (attrs or {}).items() if k in MARKS and v not in (None, False)}
        if runs and runs[-1].marks == marks:
            runs[-1].text += insert
        else:
            runs.append(Run(insert, marks))
    return runs


def read_block(node: Map[Any]) -> Block | None:
    """The block a ``Y.Map`` holds, or None when it is not a block (no known ``type``)."""
    try:
        kind = BlockType(str(node.get("type")))
    except ValueError:
        return None
    block = Block(type=kind, id=str(node.get("id") or ""))
    text = node.get("text")
    if isinstance(text, Text):
        block.runs = _runs(text)
    children = node.get("children")
    if isinstance(children, Array):
        block.children = read_blocks_of(children)
    for key, attr in _KEYS.items():
        value = node.get(key)
        if value is not None:
            setattr(block, attr, int(value) if key == "level" else value)
    return block


def read_blocks_of(array: Array[Any]) -> list[Block]:
    out: list[Block] = []
    for node in array:
        if isinstance(node, Map):
            block = read_block(node)
            if block is not None:
                out.append(block)
    return out


def read_blocks(doc: Doc) -> list[Block]:
    """The document's blocks, as a tree."""
    return read_blocks_of(block_array(doc))


def walk(blocks: list[Block]) -> Iterator[Block]:
    """Every block, depth first, in document order."""
    for block in blocks:
        yield block
        yield from walk(block.children)


def _prelim(block: Block) -> Map[Any]:
    if not block.id:
        block.id = new_block_id()
    values: dict[str, Any] = {"id": block.id, "type": block.type.value}
    if block.type in TEXT_TYPES:
        values["text"] = Text()
    if block.type in CHILD_TYPES:
        values["children"] = Array()
    for key, attr in _KEYS.items():
        value = getattr(block, attr)
        if value is not None:
            values[key] = float(value) if key == "level" else value
    return Map(values)


def _fill(node: Map[Any], block: Block) -> None:
    text = node.get("text")
    if isinstance(text, Text):
        at = 0
        for run in block.runs:
            # Yjs gives inserted text the formatting of the text before it: each mark the run
            # lacks goes as None, or a plain run after a bold one would come out bold.
            text.insert(at, run.text, {mark: run.marks.get(mark) or None for mark in MARKS})
            at += len(run.text.encode())  # pycrdt indexes text in UTF-8 bytes
    children = node.get("children")
    if isinstance(children, Array) and block.children:
        insert_blocks(children, len(children), block.children)


def insert_blocks(array: Array[Any], index: int, blocks: list[Block]) -> list[str]:
    """Insert ``blocks`` (with their children) at ``index`` of ``array``, inside the caller's
    Yjs transaction; blocks without an id get one. Returns the ids of the top-level ones."""
    ids: list[str] = []
    for offset, block in enumerate(blocks):
        array.insert(index + offset, _prelim(block))
        _fill(array[index + offset], block)
        ids.append(block.id)
    return ids


@dataclass
class Located:
    """Where a block is: the array holding it, its index there, its map, and its parent
    block's map (None at the top level)."""

    array: Array[Any]
    index: int
    node: Map[Any]
    parent: Map[Any] | None


def find_block(doc: Doc, block_id: str) -> Located | None:
    """The block with ``block_id``, searched depth first."""
    return _find(block_array(doc), block_id, None)


def _find(array: Array[Any], block_id: str, parent: Map[Any] | None) -> Located | None:
    for index, node in enumerate(array):
        if not isinstance(node, Map):
            continue
        if node.get("id") == block_id:
            return Located(array, index, node, parent)
        children = node.get("children")
        if isinstance(children, Array):
            found = _find(children, block_id, node)
            if found is not None:
                return found
    return None


def new_content(title: str, blocks: list[Block] | None = None) -> Doc:
    """A new document with ``title`` and ``blocks`` (one empty paragraph when none)."""
    doc: Doc = Doc()
    with doc.transaction():
        title_text(doc).insert(0, title)
        insert_blocks(block_array(doc), 0, blocks or [Block.of(BlockType.PARAGRAPH)])
    return doc


def plain_text(doc: Doc) -> str:
    """The title and every block's text, one line per block, for search and previews."""
    lines = [str(title_text(doc))]
    lines.extend(b.text for b in walk(read_blocks(doc)) if b.type in TEXT_TYPES)
    return "\n".join(lines)


def search_key(text: str) -> str:
    """``text`` as search compares it: NFKC, case-folded (CJK is matched by substring)."""
    return unicodedata.normalize("NFKC", text).casefold()
