"""Limits checked before execution, the cost report, the per-principal rate limit and the
operation timeout."""

from __future__ import annotations

import asyncio

import pytest

from adapters.settings import get_settings
from models.identity import Organization, User
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


# -- rate limits per app and per organization --------------------------------------------------

VIEWER_NAME = "{ viewer { displayName } }"
RENAME = """mutation($name: String!) { viewerUpdate(input: {displayName: $name}) {
  user { displayName } errors { code } } }"""


async def test_every_answer_shows_the_tightest_bucket_in_headers_and_cost(api: Api) -> None:
    # Given a member (the suite's buckets: the person's is the smallest)
    a = await api.sign_up()
    # When they ask something
    r = await api.post(VIEWER_NAME, token=a.access_token)
    # Then the headers show what remains of their own bucket, as extensions.cost does
    cost = r.json()["extensions"]["cost"]
    settings = get_settings()
    assert cost["throttleStatus"]["limit"] == "user"
    assert r.headers["ratelimit-limit"] == str(settings.rate_limit_capacity)
    assert int(r.headers["ratelimit-remaining"]) == cost["throttleStatus"]["currentlyAvailable"]
    assert int(r.headers["ratelimit-reset"]) >= 0
    # And every bucket it was metered by is listed
    assert [x["limit"] for x in cost["limits"]] == ["user", "organization"]
    org = cost["limits"][1]
    assert org["maximumAvailable"] == settings.rate_limit_org_capacity
    assert org["currentlyAvailable"] <= settings.rate_limit_org_capacity - 1


async def test_an_organization_shares_one_bucket(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an organization of two whose bucket holds 6 points, refilling slowly
    ada = await api.sign_up(name="Ada")
    bob = await api.add_member(ada, name="Bob")
    other = await api.sign_up(name="Olga")
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limit_org_capacity", 6)
    monkeypatch.setattr(settings, "rate_limit_org_refill_per_second", 0.01)
    # When Ada spends it
    statuses = [(await api.post(VIEWER_NAME, token=ada.access_token)).status_code for _ in range(6)]
    assert statuses == [200] * 6
    # Then Bob is refused too, with the organization's limit named, and nothing runs
    r = await api.post(RENAME, {"name": "Robert"}, token=bob.access_token)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == "organization"
    assert "organization" in error["message"]
    assert r.headers["ratelimit-remaining"] == "0"
    # (another organization's people are not affected, and Bob's name did not change)
    assert (await api.post(VIEWER_NAME, token=other.access_token)).status_code == 200
    from adapters import runtime
    from tests.apps.helpers import user_pk

    org_pk = (await User.get(id=user_pk(bob))).organization_id
    monkeypatch.undo()
    await runtime.current().store.reset(f"rate:org:{org_pk}")
    data = await api.gql(VIEWER_NAME, token=bob.access_token)
    assert data["viewer"]["displayName"] == "Bob"


async def test_an_app_shares_one_bucket_between_its_tokens(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.apps.helpers import bot_token, create_app

    # Given an app with two tokens, whose bucket holds 4 points
    owner = await api.sign_up()
    created = await create_app(owner, scopes=["messenger:read"])
    first, second = await bot_token(created), await bot_token(created)
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limit_app_capacity", 4)
    monkeypatch.setattr(settings, "rate_limit_app_refill_per_second", 0.01)
    # When the first token spends it
    for _ in range(4):
        r = await api.post("{ viewer { id } }", token=first)
        assert r.status_code == 200, r.text
    assert r.json()["extensions"]["cost"]["throttleStatus"]["limit"] == "app"
    # Then the second token is refused with the app's limit named
    r = await api.post("{ viewer { id } }", token=second)
    assert r.status_code == 429
    assert r.json()["errors"][0]["extensions"]["limit"] == "app"
    assert "this app" in r.json()["errors"][0]["message"]
    # And the person who made the app is not
    assert (await api.post("{ viewer { id } }", token=owner.access_token)).status_code == 200
    from adapters import runtime

    await runtime.current().store.reset(f"rate:app:{created.app.id}")
