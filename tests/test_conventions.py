"""The naming rule of domain functions, read from the source: ``access_x`` fetches and
authorizes, ``check_x`` validates and authorizes and then calls ``do_x``, and only ``do_x``
writes (rows, idempotency records aside, and events). A reader who sees ``check_`` knows that
nothing it runs, however deep, writes except through a ``do_``.

"Writes" is what our code can do to the world: the ORM's writes (``save``, ``create``,
``delete``, ``bulk_*``, ``get_or_create``, ``update_or_create``, a queryset's ``update``), raw
SQL execution, and events (``publish``, ``on_commit``). The call graph is
``tests/security/raised_codes.py``'s: names resolved through imports, followed transitively.
"""

from __future__ import annotations

import ast
from functools import cache

import pytest

from tests.security.raised_codes import Analysis, FuncNode

WRITES = {
    "save",
    "create",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "execute_query",
    "execute_script",
    "publish",
    "on_commit",
}
# ``.update(...)`` writes on a queryset (``Model.filter(...).update(...)``), not on a dict.
QUERYSETS = {"filter", "exclude", "all", "select_for_update", "only"}
# Runs the ``do_`` closure it is handed under an idempotency key (and writes the key's record):
# a place a ``check_`` reaches a write without naming a ``do_``. And the transaction a ``check_``
# may open to lock and read again before it calls a ``do_``: it publishes after commit only the
# events queued inside it, which only a ``do_`` queues.
ALLOWED = {"resolvers.core.idempotency.once", "resolvers.core.tx.transaction"}


@cache
def analysis() -> Analysis:
    return Analysis.load()


def _direct_writes(node: FuncNode) -> list[str]:
    found = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        attr = call.func.attr
        receiver = call.func.value
        on_queryset = (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Attribute)
            and receiver.func.attr in QUERYSETS
        )
        if attr in WRITES or (attr == "update" and on_queryset):
            found.append(f"line {call.lineno}: {ast.unparse(call.func)}(...)")
    return found


def writes(qual: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """Writes ``qual`` makes itself or through functions it calls that are not ``do_``."""
    a = analysis()
    module, node, owner = a.functions[qual]
    found = [f"{qual} {w}" for w in _direct_writes(node)]
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        target = a.resolve(module, call.func, owner)
        if target is None or target not in a.functions or target in seen | {qual}:
            continue
        if target.rpartition(".")[2].startswith("do_") or target in ALLOWED:
            continue
        found += writes(target, seen | {qual})
    return found


def _guards() -> list[str]:
    names = []
    for qual, (module, _, _) in analysis().functions.items():
        last = qual.rpartition(".")[2]
        if module.name.startswith("resolvers.") and last.startswith(("check_", "access_")):
            names.append(qual)
    return sorted(names)


GUARDS = _guards()


def test_the_rule_has_something_to_check() -> None:
    assert len(GUARDS) > 50
    # And the reading sees writes where they are: every do_ of Drive's sharing writes.
    assert writes("resolvers.drive.sharing.do_file_share")


@pytest.mark.parametrize("qual", GUARDS)
def test_check_and_access_functions_do_not_write(qual: str) -> None:
    found = writes(qual)
    assert not found, f"{qual} writes outside a do_ function:\n" + "\n".join(found)
