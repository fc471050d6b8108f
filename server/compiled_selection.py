"""Generated code for a selection on an object type (compiled execution, ``server/compiled.py``).

``_execute_fields`` walks a list of compiled fields for every object it completes: per field it
reads the field's kind, calls its fast read or its resolver and its completer through
attributes, and keeps the response key in a variable. On a 50-message page that loop runs for
every message, sender and reaction. So for each object selection the compiler writes one
Python function with the selection unrolled, the field list and its names as constants:

* ``__typename``: the type's name, a constant;
* a plain leaf of a built-in scalar (``server.compiled_leaves.leaf_inline``): the attribute
  read inline and its Python type checked inline; anything else (an error reading it, a value
  of another type) through the field's own completion (its fast read's), as before;
* another plain field or a node ID: its fast read (``_Field.fast``);
* a resolver called directly with ``(self, info)`` or ``(info)`` (``_Field.direct``): called
  inline with its ``LazyInfo``; any other resolver through ``_Field.resolve``;
* the completion of a built-in scalar's value of the exact Python type it passes unchanged,
  and of an object its completion accepted before (of a class whose instances are never
  awaitable, not cast: ``plain`` of the object completer): inline; any other value through
  ``_Field.complete``.

Everything else is what ``_execute_fields`` does, in the same order: a fast read that misses
takes the general path (``_execute_field``); errors are located, pathed and either collected
or raised to the nearest nullable parent by ``_handle_field_error``; the awaitables of a
selection are gathered with ``_gather_fields`` and, when an error escapes, settled in the
background. The generated text takes the schema's and the document's names only as ``repr``
of strings, and a Python attribute name only when it is an identifier and not a keyword.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, is_leaf_type

from server.compiled_leaves import unchanged_type

__all__ = ["generate"]

_INT_RANGE = "-2147483648 <= {v} <= 2147483647"
_generated = 0


def _attribute_ok(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _leaf_check(type_: Any, value: str) -> str | None:
    """An inline test that the completion of ``value`` for ``type_`` is the value itself, or
    None when there is none (the completion is called)."""
    non_null = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if non_null else type_
    if not is_leaf_type(named):
        return None
    unchanged = unchanged_type(named.coerce_output_value)
    if unchanged is None:
        return None
    test = f"type({value}) is {unchanged.__name__}"
    if unchanged is int:
        test = f"({test} and {_INT_RANGE.format(v=value)})"
    if not non_null:
        test = f"({value} is None or {test})"
    return test


def generate(fields: list[Any], helpers: dict[str, Any]) -> Callable[..., Any]:
    """The executor of ``fields`` (compiled ``_Field``s of one object type): called as
    ``execute(run, source, path, fields)``, like ``_execute_fields``. ``helpers`` are the
    functions of ``server.compiled`` it calls."""
    global _generated
    namespace: dict[str, Any] = dict(helpers)
    lines = [
        "def execute(run, source, path, fields):",
        "    results = {}",
        "    pending = ()",
        "    try:",
    ]
    emit = lines.append
    type_name = fields[0].parent_name if fields else ""
    for k, field in enumerate(fields):
        key = repr(field.response_name)
        if field.typename:
            emit(f"        results[{key}] = {field.parent_name!r}")
            continue
        namespace[f"F{k}"] = field
        field_path = f"_tuple_new(Path, (path, {key}, {field.parent_name!r}))"
        inline = getattr(field, "inline", None)
        if field.fast is not None:
            if inline is not None and _attribute_ok(inline[0]):
                attribute, check, complete = inline
                namespace[f"C{k}"] = complete
                emit("        try:")
                emit(f"            v = source.{attribute}")
                emit("        except Exception:")
                emit("            v = MISS")
                emit("        else:")
                emit(f"            if not ({check.format(v='v')}):")
                emit(f"                v = C{k}(v)")
            else:
                namespace[f"R{k}"] = field.fast
                emit(f"        v = R{k}(source)")
            emit("        if v is MISS:")
            emit(f"            v = _execute_field(run, F{k}, source, {field_path})")
            emit("            if type(v) not in _SYNC and _is_awaitable(v):")
            emit(f"                pending += ({key},)")
            emit(f"        results[{key}] = v")
            continue
        direct = getattr(field, "direct", None)
        if direct is not None:
            with_self, call, definition = direct
            namespace[f"P{k}"] = call
            namespace[f"D{k}"] = definition
            # LazyInfo(F, run, fp, D) without its __init__ (server/compiled_info.py).
            make_info = (
                f"info = _new(LazyInfo); info._maker = F{k}; info._run = run;"
                f" info._path = fp; info._field = D{k}"
            )
            resolve = f"P{k}(source, info)" if with_self else f"P{k}(info)"
        else:
            make_info = None
            namespace[f"P{k}"] = field.resolve
            resolve = f"P{k}(run, source, fp)"
        namespace[f"Q{k}"] = field.complete
        check = _leaf_check(field.return_type, "r")
        emit(f"        fp = {field_path}")
        if make_info is not None:
            emit(f"        {make_info}")
        emit("        try:")
        emit(f"            r = {resolve}")
        branch = "if"
        if check is not None:
            emit(f"            if {check}:")
            emit("                pass")
            branch = "elif"
        plain = getattr(field.complete, "plain", None)
        if plain is not None:
            # An object of a class its completion accepted (not awaitable, not cast): its
            # selection at once, as the completion would run it.
            namespace[f"A{k}"], namespace[f"X{k}"], namespace[f"S{k}"] = plain
            emit(
                f"            if type(r) in A{k} and '__await__' not in r.__dict__"
                " and getattr(r, _TYPE_CAST, None) is None:"
            )
            emit(f"                r = X{k}(run, r, fp, S{k})")
            emit("                if type(r) is not dict:")
            emit(f"                    r = _await_completed(run, F{k}, fp, r)")
            emit(f"                    pending += ({key},)")
            branch = "elif"
        emit(f"            {branch} type(r) not in _SYNC and _is_awaitable(r):")
        emit(f"                r = _complete_awaitable(run, F{k}, fp, r)")
        emit(f"                pending += ({key},)")
        emit("            else:")
        emit(f"                r = Q{k}(run, r, fp)")
        emit("                if type(r) not in _SYNC and _is_awaitable(r):")
        emit(f"                    r = _await_completed(run, F{k}, fp, r)")
        emit(f"                    pending += ({key},)")
        emit("        except Exception as raw_error:")
        emit(f"            _handle_field_error(run, raw_error, F{k}, fp)")
        emit("            r = None")
        emit(f"        results[{key}] = r")
    emit("        pass")
    emit("    except Exception:")
    emit("        _settle_in_background([results[n] for n in pending if n in results])")
    emit("        raise")
    emit("    if pending:")
    emit("        return _gather_fields(results, list(pending))")
    emit("    return results")
    _generated += 1
    code = compile("\n".join(lines), f"<selection {_generated} on {type_name}>", "exec")
    exec(code, namespace)  # the text is made above from repr()s of names only
    execute: Callable[..., Any] = namespace["execute"]
    execute.__doc__ = "\n".join(lines)
    return execute
