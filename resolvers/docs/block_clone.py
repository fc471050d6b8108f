"""Copying a block inside a Yjs document, for ``docBlocksMove``: Yjs has no move, so a moved
block is written again at its new place (same id, same text with its formatting and embeds,
same children, and every key a client keeps in it, known to the block model or not) and the
original is deleted, in one transaction."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Map, Text

Snapshot = tuple[str, Any]


def snapshot(value: Any) -> Snapshot:
    """Everything in ``value`` (a shared type or a plain value), as plain data."""
    if isinstance(value, Map):
        return ("map", {k: snapshot(v) for k, v in value.items()})
    if isinstance(value, Array):
        return ("array", [snapshot(v) for v in value])
    if isinstance(value, Text):
        return ("text", [(p[0], p[1] if len(p) > 1 else None) for p in value.diff()])
    return ("value", value)


def _prelim(snap: Snapshot) -> Any:
    kind, data = snap
    if kind == "map":
        return Map({k: _prelim(v) for k, v in data.items()})
    if kind == "array":
        return Array()
    if kind == "text":
        return Text()
    return data


def _fill(target: Any, snap: Snapshot) -> None:
    kind, data = snap
    if kind == "map":
        for key, child in data.items():
            if child[0] != "value":
                _fill(target.get(key), child)
    elif kind == "array":
        for i, child in enumerate(data):
            target.insert(i, _prelim(child))
            if child[0] != "value":
                _fill(target[i], child)
    elif kind == "text":
        at = 0
        for insert, attrs in data:
            if isinstance(insert, str):
                target.insert(at, insert, dict(attrs or {}))
                at += len(insert.encode())
            else:
                target.insert_embed(at, insert, dict(attrs or {}))
                at += 1


def restore(array: Array[Any], index: int, snap: Snapshot) -> None:
    """Insert the value ``snap`` holds at ``index`` of ``array`` (inside a transaction)."""
    array.insert(index, _prelim(snap))
    if snap[0] != "value":
        _fill(array[index], snap)
