"""Issue 10, item 2: a guest reads nothing of the directory, by any path.

``users`` refused a guest, but ``organization { members }`` listed everyone. Rather than test
the paths known today, this walks the schema: it introspects it, finds every field path from
``Query`` (bounded depth, no type twice on a path) that returns, or is a connection of, a User,
Department, Group, Chat, File or AuditEntry, or an interface or union that may hold one, and
queries each as a guest. Every such object in any answer must be one the guest may see: itself
(``can_see_user``: guests see only themselves), the chat it was added to, its own drive and
what was shared with it; never a department, a group or an audit entry. A field added later is
walked without anyone editing this test; one whose required argument the walk cannot fill
fails it, so that someone decides what to try there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from models.identity import Role
from tests.client import Account, Api
from tests.drive.sharing_helpers import (
    LINK_CREATE,
    department,
    folder,
    group,
    payload,
    share_ok,
    with_role,
)
from tests.messenger.helpers import CHAT_CREATE, send
from tests.messenger.helpers import group as chat_group

TARGETS = {"User", "Department", "Group", "Chat", "File", "AuditEntry"}
MAX_DEPTH = 5
WORD = "zeta"  # in every seeded name and text, so search fields have something to find
# Federation plumbing: `_service` returns SDL, not objects. Scheduling answers hold times and
# ids, no object of any type (a guest asking about anyone but itself gets NOT_FOUND there:
# tests/calendar/test_freebusy.py, the role matrix's freeBusy and findMeetingTimes rows).
SKIP_FIELDS = {("Query", "_service"), ("Query", "freeBusy"), ("Query", "findMeetingTimes")}
WINDOW = {"from": '"2026-01-01T00:00:00Z"', "to": '"2026-12-31T00:00:00Z"'}
# Errors that mean "nothing for you here"; anything else is a bug the walk reports.
REFUSALS = {"FORBIDDEN", "NOT_FOUND"}

INTROSPECT = """{ __schema { types { kind name
  fields { name args { name defaultValue type { ...T } } type { ...T } }
  possibleTypes { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""


@dataclass
class World:
    guest: Account
    allowed: dict[str, set[str]]
    hidden: dict[str, set[str]]
    link_token: str
    ids: list[str] = field(default_factory=list)


async def seed(api: Api) -> World:
    """An organization with a directory, chats and files; the guest is in one chat and has one
    folder shared with it (whose other grants name a department, a group and Bob)."""
    ada = await api.sign_up(name=f"Ada {WORD}")
    bob = await api.add_member(ada, name=f"Bob {WORD}")
    cy = await api.add_member(ada, name=f"Cy {WORD}")
    gus = await with_role(api, ada, Role.GUEST, f"Gus {WORD}")
    dept = await department(api, ada, f"Eng {WORD}", [bob, cy])
    grp = await group(api, ada, f"Ops {WORD}", [bob, cy])
    secret = await chat_group(api, ada, [bob, cy], name=f"Secret {WORD}")
    await send(api, bob, secret, f"secret {WORD} plans")
    shared_chat = await chat_group(api, ada, [bob, gus], name=f"Project {WORD}")
    await send(api, bob, shared_chat, f"hello {WORD} guest")
    # A direct chat with the guest: its `peer` (Ada) must stay hidden from the guest too.
    direct = await api.gql(
        CHAT_CREATE, {"i": {"kind": "DIRECT", "memberIds": [gus.user_id]}}, token=ada.access_token
    )
    direct_chat = direct["chatCreate"]["chat"]["id"]
    await send(api, ada, direct_chat, f"hi {WORD}")
    private = await folder(api, ada, f"Private {WORD}")
    shared = await folder(api, ada, f"Shared {WORD}")
    inner = await folder(api, ada, f"Inner {WORD}", shared)
    await share_ok(api, ada, shared, "EDITOR", user=gus)
    await share_ok(api, ada, shared, "EDITOR", user=bob)
    await share_ok(api, ada, shared, "VIEWER", departmentId=dept)
    await share_ok(api, ada, shared, "VIEWER", groupId=grp)
    link = await payload(api, LINK_CREATE, {"fileId": shared, "scope": "ORGANIZATION"}, bob)
    assert link["errors"] == [], link
    drive = await api.gql("{ drive { root { id } } }", token=ada.access_token)
    guest_root = await api.gql("{ drive { root { id } } }", token=gus.access_token)
    audit = await api.gql("{ auditLog(first: 5) { nodes { id } } }", token=ada.access_token)
    assert audit["auditLog"]["nodes"], "the seed should have left audit entries"
    hidden = {
        "User": {ada.user_id, bob.user_id, cy.user_id},
        "Department": {dept},
        "Group": {grp},
        "Chat": {secret},
        "File": {private, drive["drive"]["root"]["id"]},
        "AuditEntry": {a["id"] for a in audit["auditLog"]["nodes"]},
    }
    allowed = {
        "User": {gus.user_id},
        "Chat": {shared_chat, direct_chat},
        "File": {shared, inner, guest_root["drive"]["root"]["id"]},
    }
    ids = sorted({i for s in (*hidden.values(), *allowed.values()) for i in s})
    return World(gus, allowed, hidden, link["token"], ids)


# -- the walk ---------------------------------------------------------------------------------


def unwrap(t: dict[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    """(named type, is a list, outermost non-null)."""
    required, is_list = t["kind"] == "NON_NULL", False
    while t["kind"] in ("NON_NULL", "LIST"):
        is_list = is_list or t["kind"] == "LIST"
        t = t["ofType"]
    return t, is_list, required


class Schema:
    def __init__(self, types: list[dict[str, Any]]):
        self.types = {t["name"]: t for t in types}

    def possible(self, name: str) -> set[str]:
        t = self.types[name]
        if t["kind"] in ("INTERFACE", "UNION"):
            return {p["name"] for p in t["possibleTypes"] or []}
        return {name}

    def connection_node(self, name: str) -> str | None:
        """The node type of a Relay connection type, else None."""
        fields = {f["name"]: f for f in self.types[name].get("fields") or []}
        if "edges" not in fields or "pageInfo" not in fields:
            return None
        edge = self.types[unwrap(fields["edges"]["type"])[0]["name"]]
        node = next(f for f in edge["fields"] if f["name"] == "node")
        return str(unwrap(node["type"])[0]["name"])

    def holds_target(self, name: str) -> bool:
        node = self.connection_node(name) if self.types[name]["kind"] == "OBJECT" else None
        return bool(self.possible(node or name) & TARGETS)


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[tuple[str, str], ...]  # (argument, GraphQL literal)


def literal_for(arg: dict[str, Any], world: World) -> list[str] | None:
    """Values to try for a required argument: every seeded id for an ID (one query each),
    all of them for a list of IDs, the seeded word for text. None: the walk cannot fill it."""
    named, is_list, _ = unwrap(arg["type"])
    if named["name"] == "ID":
        quoted = [f'"{i}"' for i in world.ids]
        return ["[" + ", ".join(quoted) + "]"] if is_list else quoted
    if named["name"] == "String":
        return [f'"{world.link_token}"'] if arg["name"] == "token" else [f'"{WORD}"']
    if named["name"] == "Int":
        return ["20"]
    if named["name"] == "_Any" and is_list:
        # Federation's entry point, with every hidden object (AuditEntry is no entity).
        reps = [
            f'{{__typename: "{t}", id: "{i}"}}'
            for t, s in world.hidden.items()
            if t != "AuditEntry"
            for i in s
        ]
        return ["[" + ", ".join(reps) + "]"]
    return None


def steps_of(
    schema: Schema, f: dict[str, Any], world: World, *, below: bool = False
) -> Iterator[Step]:
    """The ways to ask field ``f``: once per value of its one required argument. ``below``:
    the ways worth walking further down, i.e. with the ids the guest may see (a hidden
    object answers null, below which there is nothing to ask)."""
    # Small pages keep deep paths under the cost limit; three items still show a leak.
    paging = (("first", "3"),) if any(a["name"] == "first" for a in f["args"]) else ()
    required = [a for a in f["args"] if unwrap(a["type"])[2] and a["defaultValue"] is None]
    # A time window (`events(calendarIds:, from:, to:)`): one fixed window, the ids walked.
    window = tuple(
        (a["name"], WINDOW.get(a["name"], f'"{WINDOW["from"][1:-1]}"'))
        for a in required
        if unwrap(a["type"])[0]["name"] == "DateTime"
    )
    required = [a for a in required if unwrap(a["type"])[0]["name"] != "DateTime"]
    paging = (*paging, *window)
    if not required:
        yield Step(f["name"], paging)
        return
    assert len(required) == 1, f"walk: teach it the arguments of {f['name']}"
    (arg,) = required
    values = literal_for(arg, world)
    assert values is not None, f"walk: no value to try for {f['name']}({arg['name']})"
    named, is_list, _ = unwrap(arg["type"])
    if below and named["name"] == "ID" and not is_list:
        # The guest's own objects of the type asked for: of the field's type (`chat(id:)`),
        # else of the type the argument names (`pinnedMessages(chatId:)`).
        wanted = schema.possible(unwrap(f["type"])[0]["name"]) & TARGETS or {
            arg["name"].removesuffix("Id").capitalize()
        }
        mine = {f'"{i}"' for t in wanted for i in world.allowed.get(t, set())}
        values = [v for v in values if v in mine]
    for v in values:
        yield Step(f["name"], ((arg["name"], v), *paging))


def target_selection(schema: Schema, name: str) -> str:
    node = schema.connection_node(name)
    if node is not None:
        return f"edges {{ node {{ {target_selection(schema, node)} }} }}"
    return "__typename ... on Node { id }"


def walk(schema: Schema, world: World) -> Iterator[tuple[list[Step], str]]:
    """Every (path, selection at its end) to query."""

    def visit(type_name: str, path: list[Step], seen: set[str]) -> Iterator[tuple[list[Step], str]]:
        if len(path) >= MAX_DEPTH:
            return
        is_connection = schema.connection_node(type_name) is not None
        for f in schema.types[type_name].get("fields") or []:
            if (type_name, f["name"]) in SKIP_FIELDS or f["name"].startswith("__"):
                continue
            if is_connection and f["name"] != "nodes":
                continue  # `edges` hold the same nodes; `pageInfo` holds none
            named = unwrap(f["type"])[0]
            if named["kind"] not in ("OBJECT", "INTERFACE", "UNION"):
                continue
            if schema.holds_target(named["name"]):
                for step in steps_of(schema, f, world):
                    yield [*path, step], target_selection(schema, named["name"])
            # Further down through objects only (an abstract type's members are reached from
            # their own fields), never through a type already on the path.
            if named["kind"] == "OBJECT" and named["name"] not in seen:
                for step in steps_of(schema, f, world, below=True):
                    yield from visit(named["name"], [*path, step], seen | {named["name"]})

    yield from visit("Query", [], {"Query"})


def document(path: list[Step], selection: str) -> str:
    out = selection
    for step in reversed(path):
        args = ", ".join(f"{a}: {v}" for a, v in step.args)
        out = f"{step.name}{f'({args})' if args else ''} {{ {out} }}"
    return "{ " + out + " }"


def found(value: Any) -> Iterator[tuple[str, str]]:
    """Every (typename, id) in an answer."""
    if isinstance(value, dict):
        if "__typename" in value and "id" in value:
            yield value["__typename"], value["id"]
        for v in value.values():
            yield from found(v)
    elif isinstance(value, list):
        for v in value:
            yield from found(v)


async def test_a_guest_sees_no_directory_by_any_path(api: Api) -> None:
    # Given an organization with people, departments, groups, chats, files and audit entries,
    # and a guest that was given one chat and one folder
    world = await seed(api)
    token = world.guest.access_token
    schema = Schema((await api.gql(INTROSPECT, token=token))["__schema"]["types"])

    # When the guest asks every field path that returns such objects
    leaks: list[str] = []
    failures: list[str] = []
    seen: dict[str, set[str]] = {}
    paths = 0
    for path, selection in walk(schema, world):
        paths += 1
        doc = document(path, selection)
        body = (await api.post(doc, token=token)).json()
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
        if codes - REFUSALS:
            failures.append(f"{doc}: {body['errors']}")
        for type_name, gid in found(body.get("data")):
            seen.setdefault(type_name, set()).add(gid)
            if type_name in TARGETS and gid not in world.allowed.get(type_name, set()):
                leaks.append(f"{type_name} {gid} via {doc}")

    # Then nothing outside what the guest was given comes back, by any path
    assert not failures, "\n".join(failures[:10])
    assert not leaks, f"{len(leaks)} leaks, e.g.:\n" + "\n".join(leaks[:10])
    # (and the walk did reach the guest's own things, so it is not vacuous)
    assert paths > 50, paths
    assert world.guest.user_id in seen["User"]
    assert world.allowed["Chat"] <= seen["Chat"]
    assert world.allowed["File"] <= seen["File"]


async def test_organization_members_lists_only_the_guest_itself(api: Api) -> None:
    # Given a guest in an organization of three
    world = await seed(api)
    query = "{ %s { members(first: 10) { nodes { id email displayName role } } } }"
    for root in ("organization", "viewer { organization"):
        doc = query % root + (" }" if root.startswith("viewer") else "")
        # When it lists the members
        data = await api.gql(doc, token=world.guest.access_token)
        org = data["viewer"]["organization"] if root.startswith("viewer") else data[root]
        # Then it finds itself only
        assert [n["id"] for n in org["members"]["nodes"]] == [world.guest.user_id]
