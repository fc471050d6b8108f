"""Interop: Apollo Client 4's ``HttpLink`` reads Hello's refusals as GraphQL errors.

Apollo asks for ``application/graphql-response+json`` first; a response in that media type is
read as a GraphQL response whatever its status, while a non-2xx ``application/json`` one would
be a bare ``ServerError`` with the body unread. So a missing or bad token, an over-limit
document, a parse error and throttling each reach the application as
``CombinedGraphQLErrors`` carrying Hello's ``extensions.code``.

The client is ``apollo_http.mjs`` next to this file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters import runtime
from adapters.settings import get_settings
from models.identity import Organization, User
from tests.client import PASSWORD, Api, unique_email
from tests.interop.node_apollo_http import node_packages, run_node

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
DEEP = (
    "query Deep { viewer { organization { members(first: 100) { nodes { organization { "
    "members(first: 100) { nodes { id } } } } } } } }"
)


@pytest.fixture(scope="module")
def apollo() -> Path:
    return node_packages("@apollo/client", "graphql", "rxjs")


async def run_cases(server: str, tmp_path: Path, cases: list[dict[str, Any]]) -> dict[str, Any]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    lines = await run_node("apollo_http.mjs", f"{server}/graphql", str(path))
    return {line["name"]: line for line in lines}


def graphql_errors(outcome: dict[str, Any]) -> list[str]:
    assert outcome["kind"] == "CombinedGraphQLErrors", outcome
    (answer,) = outcome["http"]
    assert answer["accept"].startswith(GRAPHQL_RESPONSE_JSON)
    assert answer["contentType"] == GRAPHQL_RESPONSE_JSON
    return outcome["codes"]


async def test_apollo_reads_401_400_and_field_errors_as_graphql_errors(
    apollo: Path, server: str, api: Api, tmp_path: Path
) -> None:
    owner = await api.sign_up()
    email = unique_email("never")
    organizations = await Organization.all().count()
    fields = f'email: "{email}", password: "{PASSWORD}", displayName: "N", organizationName: "X"'
    sign_up = "mutation SignUp { signUp(input: {" + fields + "}) { accessToken } }"
    cases = [
        {"name": "no token", "query": "query Audit { auditLog(first: 1) { edges { cursor } } }"},
        {"name": "bad token", "query": sign_up, "token": "hla_not_a_token"},
        {"name": "over limit", "query": DEEP, "token": owner.access_token},
        {"name": "parse error", "query": "query Broken { __typename }", "raw": "{ viewer { "},
        {"name": "fine", "query": "query Fine { viewer { id } }", "token": owner.access_token},
    ]
    seen = await run_cases(server, tmp_path, cases)

    # A field that needs a token: a field error (200, data present), read as GraphQL errors.
    assert graphql_errors(seen["no token"]) == ["UNAUTHENTICATED"]
    assert seen["no token"]["http"][0]["status"] == 200
    # A token that is not one: 401 at the edge, nothing executed.
    assert graphql_errors(seen["bad token"]) == ["UNAUTHENTICATED"]
    assert seen["bad token"]["http"][0]["status"] == 401
    assert seen["bad token"]["hasData"] is False
    assert await Organization.all().count() == organizations
    assert not await User.filter(email=email).exists()
    # Refused before execution: 400, no data.
    assert graphql_errors(seen["over limit"]) == ["NODE_LIMIT_EXCEEDED"]
    assert seen["over limit"]["http"][0]["status"] == 400
    assert graphql_errors(seen["parse error"]) == ["GRAPHQL_PARSE_FAILED"]
    assert seen["parse error"]["http"][0]["status"] == 400
    assert seen["parse error"]["hasData"] is False
    # And an operation that works still works through the same link.
    assert seen["fine"]["kind"] == "data"
    assert seen["fine"]["data"]["viewer"]["id"] == owner.user_id


async def test_apollo_reads_429_as_a_graphql_error(
    apollo: Path, server: str, api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await api.sign_up()
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limit_capacity", 5)
    monkeypatch.setattr(settings, "rate_limit_refill_per_second", 0.001)
    await runtime.current().store.reset(f"rate:user:{owner.user_id}")
    for _ in range(10):
        drained = await api.post("{ viewer { id } }", token=owner.access_token)
        if drained.status_code == 429:
            break
    assert drained.status_code == 429, drained.text

    seen = await run_cases(
        server,
        tmp_path,
        [{"name": "throttled", "query": "query Me { viewer { id } }", "token": owner.access_token}],
    )
    assert graphql_errors(seen["throttled"]) == ["RATE_LIMITED"]
    assert seen["throttled"]["http"][0]["status"] == 429
    assert seen["throttled"]["hasData"] is False
