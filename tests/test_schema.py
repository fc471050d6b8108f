"""The committed SDL, descriptions everywhere, and the federation subgraph."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from graphql_schema.schema import create_schema
from tests.client import Api

ROOT = Path(__file__).resolve().parent.parent
# Types and fields that Apollo Federation or GraphQL itself define, not us.
FOREIGN = {"_Service", "_Any", "_Entity", "_service", "_entities", "sdl"}


def test_schema_graphql_is_in_sync_with_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed.strip() == create_schema().as_str().strip(), "run `make schema` and commit"


def test_schema_modules_import_at_the_top_and_never_in_a_circle() -> None:
    """Imports hidden in functions once held 14 schema modules together in a circle. A module
    below another names the other's types with lazy types (graphql_schema/core/lazy.py); every
    import stands at the top of its file, and those (TYPE_CHECKING aside) run one way."""
    graph: dict[str, set[str]] = {}
    hidden: list[str] = []
    for path in sorted((ROOT / "graphql_schema").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                hidden += [
                    f"{module}:{n.lineno}"
                    for n in ast.walk(fn)
                    if isinstance(n, (ast.Import, ast.ImportFrom))
                ]
        graph[module] = {
            n.module
            for n in tree.body
            if isinstance(n, ast.ImportFrom)
            and n.module is not None
            and n.module.startswith("graphql_schema.")
        }
    assert hidden == [], "import at the top; a circle wants a lazy type (core/lazy.py)"
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a circle


def test_every_type_field_and_argument_is_described() -> None:
    schema = create_schema()._schema
    missing: list[str] = []
    for name, t in schema.type_map.items():
        if (
            name.startswith(("_", "link__"))
            or name in FOREIGN
            or name in {"String", "Int", "Float", "Boolean", "ID"}
        ):
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for fname, field in t.fields.items():
                if fname in FOREIGN:
                    continue
                if not field.description:
                    missing.append(f"{name}.{fname}")
                for aname, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in t.values.items() if not value.description]
    assert missing == [], missing


async def test_federation_subgraph_sdl_and_entities(api: Api) -> None:
    sdl = (await api.gql("{ _service { sdl } }"))["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
    assert 'type User implements Node @key(fields: "id")' in sdl
    a = await api.sign_up()
    b = await api.sign_up()
    query = (
        """query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }"""
    )
    reps = [{"__typename": "User", "id": a.user_id}, {"__typename": "User", "id": b.user_id}]
    got = (await api.gql(query, {"r": reps}, token=a.access_token))["_entities"]
    assert got == [{"id": a.user_id, "email": a.email}, None]
