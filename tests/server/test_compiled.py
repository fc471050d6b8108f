"""The compiled executor (``server/compiled.py``) on a small schema made for its hard cases:
each query runs compiled and through graphql-core (with Hello's execution context), and the
test checks both the answer it expects and that the two encode to the same bytes. The whole
suite checks the same on Hello's own schema (``server/differential.py``); the last tests here
go through the real server."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse, validate
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.utils.await_maybe import await_maybe

from server import compiled, differential
from server.execution import install
from tests.client import Api


@strawberry.type
class Item:
    id: int
    name: str | None
    secret: strawberry.Private[str] = "hidden"

    @strawberry.field
    def must(self) -> str:
        if self.id == 2:
            raise ValueError(f"no must for {self.id}")
        return f"m{self.id}"

    @strawberry.field
    async def later(self, info: strawberry.Info, times: int = 1) -> str:
        return f"{info.path.key}:{self.name}*{times}:{info.variable_values.get('t')}"

    @strawberry.field
    async def broken(self) -> str | None:
        raise RuntimeError(f"broken {self.id}")


@strawberry.type
class Other:
    code: str


Thing = Annotated[Item | Other, strawberry.union("Thing")]


@strawberry.enum
class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


ITEMS = [Item(id=1, name="one"), Item(id=2, name=None), Item(id=3, name="three")]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def loose_items(self) -> list[Item | None] | None:
        return ITEMS

    @strawberry.field
    async def things(self) -> list[Thing]:
        return [ITEMS[0], Other(code="x"), ITEMS[2]]

    @strawberry.field
    def sized(self, size: Size = Size.SMALL, count: int | None = None) -> str:
        return f"{size.value}/{count}"

    @strawberry.field
    def nothing(self) -> str:
        return None  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def first(self) -> str:
        LOG.append("first")
        return "1"

    @strawberry.mutation
    def second(self) -> str:
        LOG.append("second")
        return "2"


LOG: list[str] = []
SCHEMA = install(strawberry.Schema(Query, Mutation))


async def both(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
    """The compiled result, after checking graphql-core's encodes to the same bytes."""
    return await both_on(SCHEMA, query, variables)


async def both_on(
    schema: strawberry.Schema,
    query: str,
    variables: dict[str, Any] | None = None,
    context: Any = None,
) -> ExecutionResult:
    """``both`` on any schema, with a context for the resolvers."""
    document = parse(query)
    assert not validate(schema._schema, document)
    expected = await await_maybe(
        execute(
            schema._schema,
            document,
            variable_values=variables,
            context_value=context,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            executor_class=schema.execution_context_class,
        )
    )
    found = compiled.compile_operation(schema, document, None, variables)
    assert found is not None, "the compiler refused the document"
    actual = await compiled.execute(found[0], found[1], context, None)
    assert differential.encode(actual) == differential.encode(expected)
    return actual


def errors_of(result: ExecutionResult) -> list[tuple[str, list[Any] | None]]:
    return [(e.message, e.path) for e in result.errors or []]


async def test_non_null_propagates_to_the_nearest_nullable_parent() -> None:
    strict = await both("{ items { id must } }")
    assert strict.data is None  # [Item!]! : nothing nullable below the root
    assert errors_of(strict) == [("no must for 2", ["items", 1, "must"])]
    loose = await both("{ looseItems { id must } }")
    assert loose.data == {"looseItems": [{"id": 1, "must": "m1"}, None, {"id": 3, "must": "m3"}]}
    assert errors_of(loose) == [("no must for 2", ["looseItems", 1, "must"])]
    root = await both("{ nothing }")
    assert root.data is None
    assert errors_of(root) == [
        ("Cannot return null for non-nullable field Query.nothing.", ["nothing"])
    ]


async def test_errors_in_lists_are_located_and_pathed() -> None:
    result = await both("{ looseItems { id b: broken } }")
    assert result.data == {"looseItems": [{"id": i, "b": None} for i in (1, 2, 3)]}
    assert errors_of(result) == [(f"broken {i}", ["looseItems", i - 1, "b"]) for i in (1, 2, 3)]
    assert [e.locations[0].column for e in result.errors or [] if e.locations] == [19] * 3


async def test_aliases_arguments_and_info() -> None:
    result = await both(
        "query ($t: Int) { a: items { l: later(times: 2) } b: sized(size: LARGE, count: $t)"
        " c: sized }",
        {"t": 7},
    )
    assert result.data == {
        "a": [{"l": f"l:{n}*2:7"} for n in ("one", None, "three")],
        "b": "large/7",
        "c": "small/None",
    }


async def test_fragments_on_unions_and_typename() -> None:
    result = await both(
        "{ things { __typename ... on Item { id ...named } ... on Other { code } } }"
        " fragment named on Item { name }"
    )
    assert result.data == {
        "things": [
            {"__typename": "Item", "id": 1, "name": "one"},
            {"__typename": "Other", "code": "x"},
            {"__typename": "Item", "id": 3, "name": "three"},
        ]
    }


@pytest.mark.parametrize("show", [True, False])
async def test_skip_and_include_with_variables(show: bool) -> None:
    result = await both(
        "query ($show: Boolean!) { items { id name @include(if: $show) must @skip(if: true) } }",
        {"show": show},
    )
    expected = [{"id": i.id, "name": i.name} if show else {"id": i.id} for i in ITEMS]
    assert result.data == {"items": expected}


async def test_mutations_run_their_fields_one_after_the_other() -> None:
    LOG.clear()
    document = parse("mutation { b: second a: first c: second }")
    found = compiled.compile_operation(SCHEMA, document, None)
    assert found is not None
    result = await compiled.execute(found[0], found[1], None, None)
    assert result.data == {"b": "2", "a": "1", "c": "2"}
    assert LOG == ["second", "first", "second"]


async def test_unsupported_documents_are_left_to_graphql_core() -> None:
    for query in (
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Item") { name } }',
        "{ items { id @deprecated } }",
        "query @skip(if: false) { items { id } }",
    ):
        assert compiled.compile_operation(SCHEMA, parse(query), None) is None, query
    assert compiled.compile_operation(SCHEMA, parse("{ items { id } }"), None) is not None


def test_a_difference_fails_loudly() -> None:
    one = ExecutionResult({"a": 1}, None)
    other = ExecutionResult({"a": 2}, None)
    differential.compare(one, ExecutionResult({"a": 1}, None), "{ a }", None)
    with pytest.raises(differential.DifferentialMismatch):
        differential.compare(one, other, "{ a }", None)
    assert differential.mismatches and "{ a }" in differential.mismatches[-1]
    differential.mismatches.clear()


def test_signed_urls_may_straddle_a_second_but_nothing_else_may_differ() -> None:
    """The two runs may sign a URL on either side of a second (the CI failure at stop 22):
    its signing time, expiry and signature may differ, its path and other parameters not."""

    def s3(date: str, sig: str, key: str = "k1") -> ExecutionResult:
        url = (
            f"http://s3/b/{key}?uploadId=u&partNumber=1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential=t%2F{date[:8]}%2Fus-east-1&X-Amz-Date={date}"
            f"&X-Amz-Expires=86399&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}"
        )
        return ExecutionResult({"parts": [{"url": url}]}, None)

    def local(exp: int, sig: str, v: int = 3) -> ExecutionResult:
        return ExecutionResult(
            {"downloadUrl": f"/files/RmlsZTox/content?v={v}&exp={exp}&sig={sig}"}, None
        )

    differential.compare(s3("20261203T185822Z", "9f03"), s3("20261203T185823Z", "c8dd"), "q", None)
    differential.compare(local(100, "ab"), local(101, "cd"), "q", None)
    with pytest.raises(differential.DifferentialMismatch):
        differential.compare(
            s3("20261203T185822Z", "9f"), s3("20261203T185822Z", "9f", "k2"), "q", None
        )
    with pytest.raises(differential.DifferentialMismatch):
        differential.compare(local(100, "ab"), local(100, "ab", v=4), "q", None)
    differential.mismatches.clear()


async def test_over_http_introspection_falls_back_and_queries_compile(api: Api) -> None:
    before = dict(compiled.stats)
    r = await api.http.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert r.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert compiled.stats["fallback"] == before["fallback"] + 1
    compared = differential.counts["compared"]
    r = await api.http.post(
        "/graphql", json={"query": "query Compiled_test_1 { __typename a: __typename }"}
    )
    assert r.json()["data"] == {"__typename": "Query", "a": "Query"}
    assert compiled.stats["compiled"] == before["compiled"] + 1
    assert differential.counts["compared"] == compared + 1
