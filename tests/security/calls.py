"""Operations built from the schema itself: which root fields take object IDs, a valid call
for each (IDs from a world's slots, other required values from samples by type and name), and
what came back, reduced to one outcome word.

The schema is the one the code builds now (not ``schema.graphql``), so a field added today is
in the matrix today."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import graphql
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from tests.client import PASSWORD, unique_email

# Outcome words. A typed error code (top level ``extensions.code`` or the first payload error
# code) is its own word, so the table can name any code.
OK = "OK"  # data, no error
NULL = "NULL"  # the field is null, no error (node-like lookups of something you may not see)
EMPTY = "EMPTY"  # an empty list or connection, no error
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
INTERNAL = "INTERNAL_SERVER_ERROR"


@cache
def schema() -> graphql.GraphQLSchema:
    from graphql_schema.schema import create_schema

    return create_schema()._schema


@dataclass(frozen=True)
class IdPath:
    """Where an ID goes in a call: the argument, then input fields; ``is_list`` for [ID!]."""

    path: tuple[str, ...]
    is_list: bool
    required: bool

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def _is_id(t: Any) -> bool:
    named = get_named_type(t)
    return isinstance(named, GraphQLScalarType) and named.name == "ID"


def _is_list(t: Any) -> bool:
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    return isinstance(t, GraphQLList)


def id_paths(root: str, field_name: str) -> list[IdPath]:
    """Every place an ID goes into this root field, through input objects (one level is all
    the schema uses; deeper nesting is followed all the same)."""
    field = schema().get_type(root).fields[field_name]  # type: ignore[union-attr]
    out: list[IdPath] = []

    def walk(prefix: tuple[str, ...], t: Any, required: bool, seen: frozenset[str]) -> None:
        named = get_named_type(t)
        if _is_id(t):
            out.append(IdPath(prefix, _is_list(t), required))
        elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
            for name, f in named.fields.items():
                walk(
                    (*prefix, name),
                    f.type,
                    required and graphql.is_required_input_field(f),
                    seen | {named.name},
                )

    for name, arg in field.args.items():
        walk((name,), arg.type, graphql.is_required_argument(arg), frozenset())
    return out


def fields_with_ids() -> dict[str, tuple[str, list[IdPath]]]:
    """Root field name -> (root type, its ID paths), for every query and mutation taking one."""
    out: dict[str, tuple[str, list[IdPath]]] = {}
    for root in ("Query", "Mutation"):
        for name in schema().get_type(root).fields:  # type: ignore[union-attr]
            paths = id_paths(root, name)
            if paths:
                assert name not in out, f"{name} is both a query and a mutation"
                out[name] = (root, paths)
    return out


def return_type_name(root: str, field_name: str) -> str:
    field = schema().get_type(root).fields[field_name]  # type: ignore[union-attr]
    return get_named_type(field.type).name


def node_type_names() -> list[str]:
    """Every type implementing ``Node``: each needs a slot in the ``node`` cases."""
    node = schema().get_type("Node")
    return sorted(t.name for t in schema().get_possible_types(node))  # type: ignore[arg-type]


# --- sample values for everything that is not an ID -------------------------------------------

ENUM_SAMPLES = {
    "Role": "MEMBER",
    "ChatRole": "ADMIN",
    "ChatKind": "GROUP",
    "DriveRole": "VIEWER",
    "ShareLinkRole": "VIEWER",
    "ShareLinkScope": "ORGANIZATION",
    "OnNameConflict": "RENAME",
}
STRING_SAMPLES = {
    "email": lambda: unique_email("matrix"),
    "password": lambda: PASSWORD,
    "newPassword": lambda: "another horse battery staple",
    "currentPassword": lambda: PASSWORD,
    "text": lambda: "hello from the matrix",
    "emoji": lambda: "👍",
    "query": lambda: "hello",
    "sha256": lambda: "0" * 64,
}


def sample(name: str, t: Any) -> Any:
    """A valid value for a required non-ID input of this name and type."""
    named = get_named_type(t)
    if isinstance(named, GraphQLInputObjectType):
        return {
            n: sample(n, f.type)
            for n, f in named.fields.items()
            if graphql.is_required_input_field(f) and not _is_id(f.type)
        }
    if isinstance(named, GraphQLEnumType):
        value = ENUM_SAMPLES.get(named.name, next(iter(named.values)))
        return [value] if _is_list(t) else value
    scalar = named.name
    if scalar == "String":
        value: Any = STRING_SAMPLES.get(name, lambda: f"Matrix {uuid.uuid4().hex[:8]}")()
    elif scalar in ("Int", "ByteCount"):
        value = 1
    elif scalar == "Boolean":
        value = False
    elif scalar == "DateTime":
        value = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    elif scalar == "JSON":
        value = {}
    elif scalar == "Upload":
        value = None  # sent as a multipart file part
    else:
        raise AssertionError(f"no sample value for scalar {scalar} ({name}): add one in calls.py")
    return [value] if _is_list(t) else value


def _set(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def build_variables(
    root: str, field_name: str, ids: dict[IdPath, str | None], values: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Variables for a call: required non-ID values sampled, then ``values`` (by dotted path),
    then the IDs (None leaves one out). Returns the variables and the Upload paths."""
    field = schema().get_type(root).fields[field_name]  # type: ignore[union-attr]
    variables: dict[str, Any] = {}
    uploads: list[str] = []
    for name, arg in field.args.items():
        if graphql.is_required_argument(arg) and not _is_id(arg.type):
            variables[name] = sample(name, arg.type)
        named = get_named_type(arg.type)
        if isinstance(named, GraphQLInputObjectType):
            uploads += [
                f"{name}.{n}"
                for n, f in named.fields.items()
                if get_named_type(f.type).name == "Upload"
            ]
    for dotted, value in values.items():
        _set(variables, tuple(dotted.split(".")), value)
    for path, value in ids.items():
        if value is not None:
            _set(variables, path.path, [value] if path.is_list else value)
    return variables, uploads


def selection(t: Any, depth: int = 0) -> str:
    """Enough of a result to tell OK from NULL or EMPTY, and payload errors."""
    named = get_named_type(t)
    if not isinstance(
        named, GraphQLObjectType | graphql.GraphQLInterfaceType | graphql.GraphQLUnionType
    ):
        return ""
    if isinstance(named, GraphQLObjectType) and depth == 0:
        fields = named.fields
        parts = ["__typename"]
        if "errors" in fields:
            parts.append(_errors_selection(fields["errors"].type))
        if "nodes" in fields:
            parts.append("nodes { __typename }")
        elif "edges" in fields:
            parts.append("edges { cursor }")
        return "{ " + " ".join(parts) + " }"
    return "{ __typename }"


def _errors_selection(t: Any) -> str:
    named = get_named_type(t)
    has_code = isinstance(named, GraphQLObjectType | graphql.GraphQLInterfaceType) and (
        "code" in named.fields
    )
    return "errors { message field" + (" code" if has_code else "") + " }"


def document(root: str, field_name: str, variables: dict[str, Any], select: str | None) -> str:
    field = schema().get_type(root).fields[field_name]  # type: ignore[union-attr]
    decl = ", ".join(f"${n}: {a.type}" for n, a in field.args.items() if n in variables)
    use = ", ".join(f"{n}: ${n}" for n in field.args if n in variables)
    op = "query" if root == "Query" else "mutation"
    head = f"{op} Matrix({decl})" if decl else f"{op} Matrix"
    call = f"{field_name}({use})" if use else field_name
    return f"{head} {{ {call} {select if select is not None else selection(field.type)} }}"


async def send(api: Any, token: str, query: str, variables: dict[str, Any], uploads: list[str]):
    """POST the operation; as a GraphQL multipart request when it carries an Upload."""
    headers = {"authorization": f"Bearer {token}"}
    if not uploads:
        return await api.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    mapping = {str(i): [f"variables.{p}"] for i, p in enumerate(uploads)}
    for p in uploads:
        _set(variables, tuple(p.split(".")), None)
    files = {str(i): ("matrix.txt", b"matrix bytes\n", "text/plain") for i in range(len(uploads))}
    return await api.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps(mapping),
        },
        files=files,
        headers={**headers, "x-hello-csrf": "1"},
    )


def outcome(status: int, body: Any, field_name: str) -> tuple[str, str]:
    """(outcome word, the message that came with it) for one response."""
    if status >= 500 or not isinstance(body, dict):
        return f"HTTP_{status}", str(body)[:300]
    errors = body.get("errors") or []
    for e in errors:
        if (e.get("extensions") or {}).get("code") == INTERNAL:
            return INTERNAL, e.get("message", "")
    if errors:
        e = errors[0]
        ext = e.get("extensions") or {}
        return ext.get("code") or "ERROR", f"{e.get('message')} [{ext.get('field')}]"
    value = (body.get("data") or {}).get(field_name)
    if value is None:
        return NULL, ""
    if isinstance(value, list):
        if not value:
            return EMPTY, ""
        return (NULL, "") if all(v is None for v in value) else (OK, "")
    if isinstance(value, dict):
        payload_errors = value.get("errors") or []
        if payload_errors:
            e = payload_errors[0]
            return e.get("code") or "ERROR", f"{e.get('message')} [{e.get('field')}]"
        for key in ("nodes", "edges"):
            if key in value and not value[key]:
                return EMPTY, ""
    return OK, ""
