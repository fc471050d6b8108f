"""Keyset pagination: cursors hold the sort key of the last row seen, never an offset, so pages
stay correct while rows are inserted and cost the same at any depth."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from resolvers.core.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool


def _encode_value(v: Any) -> list[Any]:
    if isinstance(v, datetime):
        return ["d", v.isoformat()]
    if isinstance(v, bool) or v is None:
        return ["b", v]
    if isinstance(v, int):
        return ["i", v]
    return ["s", str(v)]


def _decode_value(pair: Any) -> Any:
    tag, v = pair
    if tag == "d":
        return datetime.fromisoformat(v)
    if tag == "i" and isinstance(v, int):
        return v
    if tag in ("s", "b"):
        return v
    raise ValueError(tag)


def encode_cursor(values: tuple[Any, ...]) -> str:
    raw = orjson.dumps([_encode_value(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int, field: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = tuple(_decode_value(p) for p in orjson.loads(raw))
        if len(values) != width:
            raise ValueError("width")
        return values
    except (ValueError, TypeError, orjson.JSONDecodeError) as e:
        raise ValidationFailed("This cursor is not valid for this list.", field=field) from e


def _after(order: list[str], values: tuple[Any, ...], reverse: bool) -> Q:
    """Rows strictly after ``values`` in ``order`` (or before, when ``reverse``)."""
    clauses = []
    for i, spec in enumerate(order):
        name = spec.lstrip("-")
        descending = spec.startswith("-") != reverse
        cond = {f"{name}__{'lt' if descending else 'gt'}": values[i]}
        for prev_spec, prev_value in zip(order[:i], values[:i], strict=True):
            cond[prev_spec.lstrip("-")] = prev_value
        clauses.append(Q(**cond))
    result = clauses[0]
    for clause in clauses[1:]:
        result |= clause
    return result


def page_size(first: int | None, last: int | None) -> tuple[int, bool]:
    """Returns (size, backward). ``first`` defaults to 20; at most 100 either way."""
    if first is not None and last is not None:
        raise ValidationFailed("Pass either first or last, not both.", field="last")
    n = last if last is not None else first
    if n is None:
        n = DEFAULT_PAGE
    if n < 0 or n > MAX_PAGE:
        raise ValidationFailed(
            f"Page size must be between 0 and {MAX_PAGE}.",
            field="last" if last is not None else "first",
        )
    return n, last is not None


async def paginate(
    qs: QuerySet[Any],
    *,
    order: list[str],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Page[Any]:
    """One page of ``qs`` in ``order`` (field names, ``-`` for descending; the last one must be
    unique, usually ``id``). Exactly one query."""
    size, backward = page_size(first, last)
    names = [s.lstrip("-") for s in order]
    if after is not None:
        qs = qs.filter(_after(order, decode_cursor(after, len(order), "after"), reverse=False))
    if before is not None:
        qs = qs.filter(_after(order, decode_cursor(before, len(order), "before"), reverse=True))
    if backward:
        flipped = [s[1:] if s.startswith("-") else f"-{s}" for s in order]
        rows = list(await qs.order_by(*flipped).limit(size + 1))
        more = len(rows) > size
        rows = rows[:size][::-1]
        has_next, has_previous = before is not None, more
    else:
        rows = list(await qs.order_by(*order).limit(size + 1)) if size else []
        more = len(rows) > size
        rows = rows[:size]
        has_next, has_previous = more, after is not None
    cursors = [encode_cursor(tuple(getattr(r, n) for n in names)) for r in rows]
    return Page(items=rows, cursors=cursors, has_next=has_next, has_previous=has_previous)


def page_of_sorted(
    rows: list[T],
    key: Callable[[T], tuple[Any, ...]],
    width: int,
    *,
    first: int | None,
    after: str | None,
) -> Page[T]:
    """A keyset page of rows already loaded in descending ``key`` order (``key`` unique): for
    short lists that one batched query loads whole for a page of parents (a file's grants and
    links), so the response stays bounded and cursors stay stable as rows are added."""
    size, _ = page_size(first, None)
    if after is not None:
        mark = decode_cursor(after, width, "after")
        try:
            rows = [r for r in rows if key(r) < mark]
        except TypeError as e:  # a cursor of another list: values of other types
            raise ValidationFailed("This cursor is not valid for this list.", field="after") from e
    chosen = rows[:size]
    return Page(
        items=chosen,
        cursors=[encode_cursor(key(r)) for r in chosen],
        has_next=len(rows) > size,
        has_previous=after is not None,
    )
