"""Limits checked before execution, the cost report, the per-principal rate limit and the
operation timeout."""

from __future__ import annotations

import asyncio

import pytest

from adapters.settings import get_settings
from models.identity import Organization
from server.analysis import analyze
from tests.client import Api, count_queries


def code_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


def members(first: int, inner: str) -> str:
    return f"members(first: {first}) {{ nodes {{ {inner} }} }}"


async def test_every_response_reports_its_cost(api: Api) -> None:
    a = await api.sign_up()
    r = await api.post(
        "{ viewer { organization { " + members(10, "id organization { name }") + " } } }",
        token=a.access_token,
    )
    cost = r.json()["extensions"]["cost"]
    # viewer 1 + organization 1 + members 1 + 10 nodes + 10 organizations
    assert cost["requestedQueryCost"] == 23
    assert cost["maximumAvailable"] == get_settings().rate_limit_capacity
    assert cost["throttleStatus"]["currentlyAvailable"] <= cost["maximumAvailable"] - 23


async def test_token_limit(api: Api) -> None:
    query = "{ " + " ".join("__typename" for _ in range(2100)) + " }"
    r = await api.post(query)
    assert code_of(r.json()) == "TOKEN_LIMIT_EXCEEDED"
    assert r.json()["data"] is None


async def test_depth_limit(api: Api) -> None:
    a = await api.sign_up()
    inner = "id"
    for _ in range(3):  # each level: members > nodes > organization
        inner = f"organization {{ members(first: 1) {{ nodes {{ {inner} }} }} }}"
    ok = await api.post("{ viewer { " + inner + " } }", token=a.access_token)  # depth 11
    assert "errors" not in ok.json(), ok.json()
    deep = await api.post(
        "{ viewer { organization { " + members(1, inner) + " } } }", token=a.access_token
    )
    assert code_of(deep.json()) == "DEPTH_LIMIT_EXCEEDED"
    assert deep.json()["data"] is None


async def test_alias_limit(api: Api) -> None:
    fields = " ".join(f"a{i}: __typename" for i in range(16))
    assert code_of((await api.post("{ " + fields + " }")).json()) == "ALIAS_LIMIT_EXCEEDED"
    fields = " ".join(f"a{i}: __typename" for i in range(15))
    assert "errors" not in (await api.post("{ " + fields + " }")).json()


async def test_directive_limit(api: Api) -> None:
    fields = " ".join("__typename @include(if: true)" for _ in range(51))
    assert code_of((await api.post("{ " + fields + " }")).json()) == "DIRECTIVE_LIMIT_EXCEEDED"


async def test_cost_limit_before_anything_runs(api: Api) -> None:
    a = await api.sign_up()
    query = (
        "{ viewer { organization { "
        + members(100, "organization { " + members(8, "id") + " }")
        + " } } }"
    )
    with count_queries() as statements:
        r = await api.post(query, token=a.access_token)
    assert code_of(r.json()) == "COST_LIMIT_EXCEEDED"
    assert r.json()["errors"][0]["extensions"]["cost"] > 1000
    assert len(statements) == 1  # authentication only: nothing executed


async def test_node_limit(api: Api) -> None:
    a = await api.sign_up()
    query = (
        "query($n: Int) { viewer { organization { members(first: 100) { edges { node { organization { "
        "members(first: $n) { edges { node { id } } } } } } } } } }"
    )
    r = await api.post(query, {"n": 100}, token=a.access_token)
    assert code_of(r.json()) == "NODE_LIMIT_EXCEEDED"
    assert r.json()["errors"][0]["extensions"]["nodes"] == 100 + 100 * 100


async def test_fragments_are_counted(api: Api) -> None:
    from graphql import parse

    from graphql_schema.schema import create_schema

    schema = create_schema()._schema
    doc = parse(
        """query { viewer { ...V } } fragment V on User { organization { members(first: 5) { ...M } } }
        fragment M on UserConnection { nodes { id organization { id } } }"""
    )
    result = analyze(schema, doc, None, {})
    assert (result.cost, result.nodes, result.depth) == (1 + 1 + 1 + 5 + 5, 5, 6)


async def test_rate_limit_answers_429_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await api.sign_up()
    b = await api.sign_up()
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limit_capacity", 10)
    monkeypatch.setattr(settings, "rate_limit_refill_per_second", 0.5)
    from adapters import runtime

    # Buckets are created full at first use; make this user's fresh.
    await runtime.current().store.reset(f"rate:user:{a.user_id}")
    org_count = await Organization.all().count()
    statuses = []
    for _ in range(12):
        r = await api.post("{ viewer { id } }", token=a.access_token)
        statuses.append(r.status_code)
    assert statuses[:5] == [200] * 5, statuses
    assert statuses[-1] == 429, (statuses, r.json())
    limited = await api.post("{ viewer { id } }", token=a.access_token)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert code_of(limited.json()) == "RATE_LIMITED"
    assert limited.json()["data"] is None
    # Another principal has its own bucket.
    assert (await api.post("{ viewer { id } }", token=b.access_token)).status_code == 200
    assert await Organization.all().count() == org_count


async def test_operation_timeout(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    a = await api.sign_up()
    monkeypatch.setattr(get_settings(), "operation_timeout_seconds", 1e-6)
    r = await api.post(
        "{ viewer { organization { members { nodes { id } } } } }", token=a.access_token
    )
    body = r.json()
    assert code_of(body) == "TIMEOUT", body
    assert body["data"] is None


async def test_validation_errors_have_codes_and_suggestions_in_development(api: Api) -> None:
    r = await api.post("{ viewr { id } }")
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean 'viewer'" in error["message"]


async def test_parse_errors_have_a_code(api: Api) -> None:
    assert code_of((await api.post("{ viewer { ")).json()) == "GRAPHQL_PARSE_FAILED"


async def test_cached_validation_still_validates(api: Api) -> None:
    # The same invalid text twice: the second answer comes from the cache and is still an error.
    for _ in range(2):
        assert code_of((await api.post("{ nope }")).json()) == "GRAPHQL_VALIDATION_FAILED"
    await asyncio.sleep(0)
