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
import importlib
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson
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
# Not writes of their own: ``once`` runs the ``do_`` closure it is handed under an idempotency
# key (and writes the key's record); ``transaction`` opens one, so a ``check_`` may lock rows and
# call its ``do_`` inside, and publishes on commit only the events the ``do_`` recorded.
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


# Event kinds (README, "For contributors"). Each module's ``resolvers/<m>/events.py`` declares
# the ``type`` of its events once, in a StrEnum named ``<Module>EventKind``; everything else
# compares with its members, so a kind's string is written in one place only.

ROOT = Path(__file__).resolve().parents[1]
# Where code that builds or reads events lives (tests may spell kinds: they check the wire).
EVENT_CODE = ("resolvers", "subscriptions", "graphql_schema", "server", "adapters", "models")


@dataclass(frozen=True)
class Kind:
    value: str
    member: str  # Enum.MEMBER
    path: Path
    line: int


def _is_kind_enum(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.ClassDef)
        and node.name.endswith("EventKind")
        and any(isinstance(b, ast.Name) and b.id == "StrEnum" for b in node.bases)
    )


@cache
def declared_kinds() -> tuple[Kind, ...]:
    found = []
    for path in sorted((ROOT / "resolvers").glob("*/events.py")):
        for cls in ast.parse(path.read_text()).body:
            if not _is_kind_enum(cls):
                continue
            assert isinstance(cls, ast.ClassDef)
            for stmt in cls.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    for target in stmt.targets:
                        assert isinstance(target, ast.Name)
                        member = f"{cls.name}.{target.id}"
                        found.append(Kind(stmt.value.value, member, path, stmt.lineno))
    return tuple(found)


def event_modules() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "resolvers").glob("*/events.py"))


def test_each_module_declares_its_event_kinds_once() -> None:
    assert {"admin", "drive", "identity", "messenger"} <= set(event_modules())
    enums = {k.member.partition(".")[0] for k in declared_kinds()}
    assert enums == {f"{m.capitalize()}EventKind" for m in event_modules()}
    values = [k.value for k in declared_kinds()]
    twice = sorted({v for v in values if values.count(v) > 1})
    assert not twice, f"event kinds declared more than once: {twice}"
    assert "message.added" in values and len(values) >= 18


def test_an_event_kind_is_spelled_only_where_it_is_declared() -> None:
    """A kind's string appears as a literal in its enum and nowhere else of the code: builders
    and consumers name the member, so a renamed or misspelled kind cannot go unnoticed."""
    kinds = {k.value: k for k in declared_kinds()}
    found = []
    for top in EVENT_CODE:
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Constant) or node.value not in kinds:
                    continue
                kind = kinds[node.value]
                if path == kind.path and node.lineno == kind.line:
                    continue  # the declaration itself
                where = path.relative_to(ROOT)
                found.append(f"{where}:{node.lineno}: {node.value!r}, write {kind.member}")
    assert not found, "event kinds spelled outside their enum member:\n" + "\n".join(found)


def test_each_event_kind_has_one_typed_payload() -> None:
    """``<Module>Event``, the union of a module's payload TypedDicts, has one member per kind,
    its ``type`` the kind's literal: what ``is_<module>_event`` lets through is what mypy knows."""
    for module in event_modules():
        events = importlib.import_module(f"resolvers.{module}.events")
        enum = getattr(events, f"{module.capitalize()}EventKind")
        union = getattr(events, f"{module.capitalize()}Event")
        payloads = typing.get_args(union) or (union,)
        typed = [t for p in payloads for t in typing.get_args(typing.get_type_hints(p)["type"])]
        assert len(typed) == len(set(typed)), f"{module}: one TypedDict per kind"
        assert set(typed) == set(enum), f"{module}: without a payload {set(enum) - set(typed)}"


def test_a_kind_travels_as_its_plain_string() -> None:
    """On the wire a kind is its string, byte for byte; after a JSON round trip the member
    still compares (and hashes) equal, so consumers need not know which bus carried it."""
    from resolvers.messenger import events

    event = events.typing(7, 9)
    wire = orjson.dumps(event)
    assert wire == b'{"type":"typing","chatId":7,"userId":9}'
    received = orjson.loads(wire)
    assert type(received["type"]) is str
    assert received["type"] == events.MessengerEventKind.TYPING
    assert received == event
    assert received["type"] in {events.MessengerEventKind.TYPING}
