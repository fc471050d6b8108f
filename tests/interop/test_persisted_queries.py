"""Automatic persisted queries (``server/persisted.py``) with Apollo Client 4's own
``PersistedQueryLink`` (``persisted_apollo.mjs`` next to this file): the first request sends
the hash alone and gets PERSISTED_QUERY_NOT_FOUND, the link retries with the document, which
registers it, and the next request of that operation goes by hash alone. With
``useGETForHashedQueries`` the hashed request is a GET whose answer carries an ETag.

Plain-HTTP checks of the protocol's edges are here too."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest

from models.identity import Organization
from models.persisted import PersistedQuery
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
async def test_apollo_persisted_query_link_registers_then_sends_the_hash_alone(
    apollo: Path, server: str, api: Api, mode: str
) -> None:
    owner = await api.sign_up(organization="Persisted")
    tag = uuid.uuid4().hex
    [seen] = await run_node(
        "persisted_apollo.mjs", f"{server}/graphql", owner.access_token, mode, tag
    )

    assert seen["first"]["viewer"]["id"] == owner.user_id
    assert seen["second"] == seen["first"]
    assert seen["third"]["viewer"]["organization"]["name"] == "Persisted"
    hashed = "GET" if mode == "get" else "POST"
    unknown, registering, known, unknown_org, registering_org = seen["requests"]
    # The hash alone, not known yet: NOT_FOUND, which the link understands...
    assert (unknown["method"], unknown["hasQuery"], unknown["status"]) == (hashed, False, 404)
    assert unknown["hash"] and unknown["codes"] == ["PERSISTED_QUERY_NOT_FOUND"]
    # ...so it retries with the document (always by POST), which registers it...
    assert (registering["method"], registering["hasQuery"]) == ("POST", True)
    assert (registering["status"], registering["codes"]) == (200, [])
    assert registering["hash"] == unknown["hash"]
    # ...and the next time the hash alone runs it.
    assert (known["method"], known["hasQuery"], known["status"]) == (hashed, False, 200)
    assert known["codes"] == []
    if mode == "get":
        assert known["etag"] and known["etag"].startswith('"')
        assert known["cacheControl"].startswith("private")
    else:
        assert known["etag"] is None  # a POST is not cacheable
    assert (unknown_org["status"], registering_org["status"]) == (404, 200)
    stored = await PersistedQuery.get(sha256=unknown["hash"])
    assert tag in stored.text


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE_JSON])
async def test_an_unknown_hash_alone_is_not_found_and_runs_nothing(api: Api, accept: str) -> None:
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
        assert r.status_code == 404, r.text
        assert r.headers["content-type"] == accept
        assert [e["extensions"]["code"] for e in r.json()["errors"]] == [
            "PERSISTED_QUERY_NOT_FOUND"
        ]
        assert r.json()["errors"][0]["message"] == "PersistedQueryNotFound"
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
    assert "etag" not in got.headers  # the document was sent: not a GET by id


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
