"""Where a comment sits: a range of one block's text, held as two Yjs relative positions
(pycrdt sticky indexes), so it stays on its text while people type around it.

Offsets in the API are UTF-16 code units, as Yjs and JavaScript count them (``"😀".length`` is
2), so a client passes the selection its Yjs editor reports; pycrdt counts UTF-8 bytes, and
the conversions are here.

The start sticks to the first character of the range (``Assoc.AFTER``) and the end to the last
(``Assoc.BEFORE``): text typed inside the range widens it, text typed at either edge stays
outside, as in every editor that highlights comments. When the range's text is deleted the two
positions meet and the anchor is *detached* (its quote is then the text it had); when the whole
block is deleted (or replaced, as a move or a restore may do) it is detached too."""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import Assoc, Doc, StickyIndex, Text

from resolvers.core.errors import ValidationFailed
from resolvers.docs.blocks import find_block
from resolvers.docs.errors import DocsErrorCode

MAX_QUOTE = 1000
"""The stored quote keeps at most this many characters."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _char_index(text: str, units: int, field: str) -> int:
    """The index in ``text`` (code points) of ``units`` UTF-16 code units; refused inside a
    surrogate pair or past the end."""
    count = 0
    for i, ch in enumerate(text):
        if count == units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > units:
            raise ValidationFailed(
                "An offset falls inside a character (UTF-16 surrogate pair).", field=field
            )
    if count == units:
        return len(text)
    raise ValidationFailed("An offset is past the end of the block's text.", field=field)


def _char_ids(text: Text) -> list[tuple[int, int]]:
    """The Yjs ID (client, clock) of each character of ``text``, in order.

    pycrdt 0.14 (yrs with UTF-8 offsets) is not consistent with itself about sticky indexes:
    it finds the item holding an offset by UTF-8 bytes but adds the rest of the offset to the
    item's clock, which counts UTF-16 units, and ``get_index`` mixes them the same way back.
    Right for ASCII, wrong after an emoji or a CJK character inside one item. So the IDs are
    worked out here: asked at each character's byte offset, an item's first character comes
    back exact and the others shifted by a constant (clock minus byte offset), which marks
    where items begin; within an item the clock then advances by UTF-16 units."""
    content = str(text)
    ids: list[tuple[int, int]] = []
    at = 0
    base: tuple[int, int, int] | None = None  # the item's (client, clock - byte, first clock)
    units = 0  # UTF-16 units since the item's first character
    for ch in content:
        item = text.sticky_index(at, Assoc.AFTER).to_json()["item"]
        client, clock = int(item["client"]), int(item["clock"])
        if base is None or base[0] != client or base[1] != clock - at:
            base, units = (client, clock - at, clock), 0
        ids.append((client, base[2] + units))
        units += 2 if ord(ch) > 0xFFFF else 1
        at += len(ch.encode("utf-8"))
    return ids


def _encode(char_id: tuple[int, int], assoc: Assoc) -> bytes:
    client, clock = char_id
    data = {"item": {"client": client, "clock": clock}, "assoc": int(assoc.value)}
    return StickyIndex.from_json(data).encode()


def _units_of_bytes(text: str, offset: int) -> int:
    """UTF-16 code units of the first ``offset`` UTF-8 bytes of ``text``."""
    return utf16_len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


@dataclass(frozen=True)
class Placed:
    """A new anchor: its two encoded positions and the text it covers now."""

    block_id: str
    start: bytes
    end: bytes
    quote: str


def block_text(ydoc: Doc, block_id: str) -> Text | None:
    found = find_block(ydoc, block_id)
    if found is None:
        return None
    text = found.node.get("text")
    return text if isinstance(text, Text) else None


def place(ydoc: Doc, block_id: str, start: int, end: int, field: str = "anchor") -> Placed:
    """Anchor ``[start, end)`` (UTF-16 units) of the block's text. Read-only on ``ydoc``."""
    text = block_text(ydoc, block_id)
    if text is None:
        if find_block(ydoc, block_id) is None:
            raise ValidationFailed(
                "The doc has no such block.",
                field=f"{field}.blockId",
                code=DocsErrorCode.BLOCK_NOT_FOUND,
            )
        raise ValidationFailed("That block has no text to comment on.", field=f"{field}.blockId")
    content = str(text)
    if not 0 <= start < end:
        raise ValidationFailed(
            "A range needs 0 <= start < end (at least one character).", field=f"{field}.start"
        )
    first = _char_index(content, start, f"{field}.start")
    last = _char_index(content, end, f"{field}.end")
    ids = _char_ids(text)
    return Placed(
        block_id=block_id,
        start=_encode(ids[first], Assoc.AFTER),
        end=_encode(ids[last - 1], Assoc.BEFORE),
        quote=content[first:last][:MAX_QUOTE],
    )


@dataclass(frozen=True)
class Resolved:
    """An anchor as the doc stands now. ``start``/``end`` are None when its block is gone."""

    block_id: str
    start: int | None
    end: int | None
    quote: str
    detached: bool


_Block = tuple[Text, str, dict[tuple[int, int], int]]
"""A block's text, its content and where each character (by Yjs ID) is, in UTF-16 units."""


class Resolver:
    """Resolves anchors against one state of a doc (each block's characters read once)."""

    def __init__(self, ydoc: Doc, revision: int = 0) -> None:
        self.ydoc = ydoc
        self.revision = revision
        self._blocks: dict[str, _Block | None] = {}

    def _block(self, block_id: str) -> _Block | None:
        if block_id not in self._blocks:
            text = block_text(self.ydoc, block_id)
            if text is None:
                self._blocks[block_id] = None
            else:
                content = str(text)
                where: dict[tuple[int, int], int] = {}
                units = 0
                for ch, char_id in zip(content, _char_ids(text), strict=True):
                    where[char_id] = units
                    units += 2 if ord(ch) > 0xFFFF else 1
                self._blocks[block_id] = (text, content, where)
        return self._blocks[block_id]

    def _offset(self, data: bytes, found: _Block) -> int | None:
        text, content, where = found
        try:
            sticky = StickyIndex.decode(data, text)
            item = sticky.to_json().get("item")
            if item is not None:
                char_id = (int(item["client"]), int(item["clock"]))
                if char_id in where:  # the character is there: exact
                    at = where[char_id]
                    if sticky.assoc == Assoc.BEFORE:
                        at += _unit_len_at(content, at)
                    return at
            # Deleted: yrs counts the bytes of the text before where it was.
            return _units_of_bytes(content, sticky.get_index())
        except BaseException as e:  # pycrdt raises a PanicException (a BaseException)
            # A position whose text was replaced (its block deleted and made anew) has no
            # offset in yrs, which panics: the anchor is detached. Nothing else is swallowed.
            if type(e).__name__ != "PanicException":
                raise
            return None

    def resolve(self, block_id: str, start: bytes, end: bytes, quote: str) -> Resolved:
        """Where the anchor is now. Read-only."""
        found = self._block(block_id)
        if found is None:
            return Resolved(block_id, None, None, quote, True)
        a, b = self._offset(start, found), self._offset(end, found)
        if a is None or b is None:
            return Resolved(block_id, None, None, quote, True)
        if b <= a:
            return Resolved(block_id, a, a, quote, True)
        content = found[1]
        now = content[_char_index(content, a, "start") : _char_index(content, b, "end")]
        return Resolved(block_id, a, b, now, False)


def _unit_len_at(content: str, units: int) -> int:
    """The UTF-16 length of the character starting at ``units``."""
    return 2 if ord(content[_char_index(content, units, "at")]) > 0xFFFF else 1
