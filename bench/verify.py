"""Checks that a figure compares like with like. Pure functions, tested in ``tests/bench``."""

from __future__ import annotations

from typing import Any


def first_difference(a: Any, b: Any, path: str = "data") -> str | None:
    """Where two JSON values differ (a dotted path and the two values), or None if they are
    equal. Object keys may come in any order."""
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        # Key order aside: graphql-yoga's executor orders keys by when they resolved.
        if set(a) != set(b):
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            if found := first_difference(a[k], b[k], f"{path}.{k}"):
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if found := first_difference(x, y, f"{path}[{i}]"):
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"
