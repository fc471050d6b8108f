"""The leaves of compiled execution (``server/compiled.py``): reading and serializing a plain
field or a relay node ID straight from its source, without a resolve call.

Each fast leaf returns the completed value, or ``MISS`` for anything unusual (a null in a
non-null field, an error, a value the scalar refuses), which then takes the general path and
is reported exactly as graphql-core reports it.

graphql-core's built-in scalars return a value of their own Python type unchanged (``String``
and ``ID`` a ``str``, ``Boolean`` a ``bool``, ``Int`` an ``int`` within 32 bits), so for those
the exact type is checked inline and the serializer is called only for anything else; the
answer is the one the serializer gives. Global IDs are remembered per type
(``server.execution.global_id_of``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLLeafType, Undefined
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.schema.types.base_scalars import isoformat

from server.execution import encoded_of, global_id_of, node_attr, node_attrs_known

__all__ = ["MISS", "fast_leaf", "fast_node_id", "leaf_inline", "unchanged_type", "within_int"]

MISS = object()

# The Python type a built-in serializer returns unchanged.
_UNCHANGED: dict[Any, type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
    serialize_int: int,
}

Fast = Callable[[Any], Any]


def unchanged_type(coerce: Callable[[Any], Any]) -> type | None:
    """The Python type a built-in serializer returns unchanged (``int`` only within 32
    bits, ``within_int``), or None."""
    return _UNCHANGED.get(coerce)


def within_int(value: Any) -> bool:
    return GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT


def _completing(coerce: Callable[[Any], Any], non_null: bool) -> Fast:
    """The completion of a value read (graphql-core's rules, MISS where it would fail)."""

    def complete(value: Any) -> Any:
        if value is None:
            return MISS if non_null else None
        try:
            coerced = coerce(value)
        except Exception:
            return MISS
        return MISS if coerced is None or coerced is Undefined else coerced

    return complete


def leaf_inline(
    getter: Callable[[Any, str], Any], name: str, leaf: GraphQLLeafType, non_null: bool
) -> tuple[str, str, Fast] | None:
    """What ``fast_leaf`` does, for generated code (``server/compiled_selection.py``) to do
    inline: the attribute to read, a test (a template of ``{v}``) that the value read is its
    own completion, and the completion of any other value (MISS where it would fail); None
    when the read is not a plain ``getattr`` of a built-in scalar."""
    coerce = leaf.coerce_output_value
    unchanged = _UNCHANGED.get(coerce)
    if getter is not getattr or unchanged is None:
        return None
    test = f"type({{v}}) is {unchanged.__name__}"
    if unchanged is int:
        test += f" and {GRAPHQL_MIN_INT} <= {{v}} <= {GRAPHQL_MAX_INT}"
    return name, test, _completing(coerce, non_null)


def fast_leaf(
    getter: Callable[[Any, str], Any], name: str, leaf: GraphQLLeafType, non_null: bool
) -> Fast:
    """The completed value of the attribute ``name`` (read with ``getter``, strawberry's
    default resolver) of a leaf type, or MISS."""
    coerce = leaf.coerce_output_value
    complete = _completing(coerce, non_null)
    unchanged = _UNCHANGED.get(coerce)
    if getter is not getattr:

        def fast_getter(source: Any) -> Any:
            try:
                value = getter(source, name)
            except Exception:
                return MISS
            return complete(value)

        return fast_getter
    if unchanged is int:

        def fast_int(source: Any) -> Any:
            try:
                value = getattr(source, name)
            except Exception:
                return MISS
            if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
                return value
            return complete(value)

        return fast_int
    if coerce is isoformat:  # strawberry's DateTime, Date and Time
        return _fast_isoformat(name, complete)
    if unchanged is not None:

        def fast_unchanged(source: Any) -> Any:
            try:
                value = getattr(source, name)
            except Exception:
                return MISS
            if type(value) is unchanged:
                return value
            return complete(value)

        return fast_unchanged

    def fast_attribute(source: Any) -> Any:
        try:
            value = getattr(source, name)
        except Exception:
            return MISS
        return complete(value)

    return fast_attribute


# isoformat() of the datetimes met, by (datetime, its UTC offset): equal aware datetimes with
# the same offset have the same wall time, so the same isoformat (naive ones: offset None).
# Those in UTC itself (tzinfo is datetime.UTC) by the datetime alone, which no tuple key
# equals. Exact datetimes only (a subclass may format itself). Bounded: emptied when full.
_isoformats: dict[datetime | tuple[datetime, Any], str] = {}
ISOFORMATS = 4096


def _fast_isoformat(name: str, complete: Fast) -> Fast:
    def fast_datetime(source: Any) -> Any:
        try:
            value = getattr(source, name)
        except Exception:
            return MISS
        if type(value) is not datetime:
            return complete(value)
        key: Any
        if value.tzinfo is UTC:  # the common case: equal values, equal isoformat()
            key = value
        else:
            try:
                key = (value, value.utcoffset())
            except Exception:
                return complete(value)
        found = _isoformats.get(key)
        if found is None:
            found = complete(value)
            if type(found) is str:
                if len(_isoformats) >= ISOFORMATS:
                    _isoformats.clear()
                _isoformats[key] = found
        return found

    return fast_datetime


def fast_node_id(type_name: str, leaf: GraphQLLeafType, non_null: bool) -> Fast:
    """The global ID of a plain ``relay.Node`` source (``server.execution.node_id_of``), or
    MISS."""
    complete = _completing(leaf.coerce_output_value, non_null)
    as_id = leaf.coerce_output_value is serialize_id
    attrs = node_attrs_known()
    known = encoded_of(type_name)  # emptied in place when full, never replaced

    def fast_id(source: Any) -> Any:
        try:
            cls = type(source)
            attr = attrs.get(cls)
            if attr is None:
                attr = node_attr(cls)  # decided once (None again for a class not plain)
                if attr is None:
                    return MISS
            node_id = getattr(source, attr)
            kind = type(node_id)
            value = known.get(node_id) if kind is int or kind is str else None
            if value is None:
                value = global_id_of(type_name, node_id)
        except Exception:
            return MISS
        if as_id and type(value) is str:
            return value
        return complete(value)

    return fast_id
