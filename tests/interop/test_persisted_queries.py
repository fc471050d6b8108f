"""Automatic persisted queries, which Hello does not keep yet (``server/persisted.py``): a
hash-only request answers PERSISTED_QUERY_NOT_SUPPORTED, so Apollo's ``PersistedQueryLink``
falls back to sending documents in full, by POST and by GET; a hash that comes with its
document runs the document (after checking the hash).

The Apollo client is ``persisted_apollo.mjs`` next to this file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from models.identity import Organization
from tests.client import PASSWORD, Api, unique_email
from tests.interop.node_apollo_http import node_packages, run_node

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


@pytest.fixture(scope="module")
def apollo() -> Path:
    return node_packages("@apollo/client", "graphql", "rxjs")


@pytest.mark.parametrize("mode", ["post", "get"])
async def test_apollo_persisted_query_link_falls_back(
    apollo: Path, server: str, api: Api, mode: str
) -> None:
    owner = await api.sign_up(organization="Persisted")
    [seen] = await run_node("persisted_apollo.mjs", f"{server}/graphql", owner.access_token, mode)

    assert seen["first"]["viewer"]["id"] == owner.user_id
    assert seen["second"]["viewer"]["organization"]["name"] == "Persisted"
    first, retried, second = seen["requests"]
    # The hash alone (by GET when asked), refused in a way the link understands...
    assert first["method"] == ("GET" if mode == "get" else "POST")
    assert (first["hasQuery"], first["status"]) == (False, 400)
    assert first["hash"] and first["codes"] == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    # ...so it sends the document instead, and stops hashing for the next operation.
    assert (retried["hasQuery"], retried["status"], retried["codes"]) == (True, 200, [])
    assert (second["hasQuery"], second["hash"], second["status"]) == (True, None, 200)


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE_JSON])
async def test_hash_only_request_is_not_supported(api: Api, accept: str) -> None:
    email = unique_email("hashed")
    mutation = (
        "mutation { signUp(input: {"
        f'email: "{email}", password: "{PASSWORD}", displayName: "H", organizationName: "H"'
        "}) { accessToken } }"
    )
    organizations = await Organization.all().count()
    extensions = persisted(mutation)

    posted = await api.http.post(
        "/graphql", json={"extensions": extensions}, headers={"accept": accept}
    )
    got = await api.http.get(
        "/graphql", params={"extensions": json.dumps(extensions)}, headers={"accept": accept}
    )
    for r in (posted, got):
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == accept
        assert [e["extensions"]["code"] for e in r.json()["errors"]] == [
            "PERSISTED_QUERY_NOT_SUPPORTED"
        ]
        assert ("data" in r.json()) is (accept == "application/json")
    assert await Organization.all().count() == organizations


async def test_hash_with_its_query_runs_the_query(api: Api) -> None:
    owner = await api.sign_up()
    query = "query Me { viewer { id } }"
    r = await api.http.post(
        "/graphql",
        json={"query": query, "extensions": persisted(query)},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json()["data"] == {"viewer": {"id": owner.user_id}}

    got = await api.http.get(
        "/graphql",
        params={"query": query, "extensions": json.dumps(persisted(query))},
        headers={**owner.headers, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert got.status_code == 200 and got.json()["data"] == {"viewer": {"id": owner.user_id}}


async def test_hash_that_is_not_the_query_s_is_refused(api: Api) -> None:
    organizations = await Organization.all().count()
    mutation = (
        "mutation { signUp(input: {"
        f'email: "{unique_email()}", password: "{PASSWORD}", displayName: "H", '
        'organizationName: "H"}) { accessToken } }'
    )
    r = await api.http.post(
        "/graphql", json={"query": mutation, "extensions": persisted("{ __typename }")}
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert await Organization.all().count() == organizations

    malformed = await api.http.post(
        "/graphql", json={"query": "{ __typename }", "extensions": {"persistedQuery": "abc"}}
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
