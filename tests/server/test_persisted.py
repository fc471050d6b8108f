"""Automatic persisted queries (``server/persisted.py``): a hash nobody registered is
PERSISTED_QUERY_NOT_FOUND, the retry with the document registers it, a hash alone then runs it
by POST, GET and WebSocket, and a GET by hash carries an ETag that answers 304."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

from models.identity import Organization
from models.persisted import PersistedQuery
from server.persisted import sweep_unused
from tests.client import PASSWORD, Api, WSClient, unique_email

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


def fresh(query: str = "query Me { viewer { id } }") -> str:
    """A document no other test registered (a comment makes it unique; it still validates)."""
    return f"{query} # {uuid.uuid4().hex}"


def codes(r: object) -> list[str]:
    return [e["extensions"]["code"] for e in r.json()["errors"]]  # type: ignore[attr-defined]


async def test_unknown_hash_is_not_found_and_the_retry_registers_it(api: Api) -> None:
    owner = await api.sign_up()
    query = fresh()
    ext = apq(query)

    first = await api.http.post("/graphql", json={"extensions": ext}, headers=owner.headers)
    assert first.status_code == 404, first.text
    assert codes(first) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert not await PersistedQuery.filter(sha256=sha256(query)).exists()

    retried = await api.http.post(
        "/graphql", json={"query": query, "extensions": ext}, headers=owner.headers
    )
    assert retried.status_code == 200
    assert retried.json()["data"] == {"viewer": {"id": owner.user_id}}
    stored = await PersistedQuery.get(sha256=sha256(query))
    assert stored.text == query

    by_hash = await api.http.post("/graphql", json={"extensions": ext}, headers=owner.headers)
    assert by_hash.status_code == 200, by_hash.text
    assert by_hash.json()["data"] == {"viewer": {"id": owner.user_id}}


async def test_a_hash_alone_runs_for_another_principal_with_its_own_answer(api: Api) -> None:
    ada = await api.sign_up(name="Ada")
    bob = await api.sign_up(name="Bob")
    query = fresh("{ viewer { displayName } }")
    ext = apq(query)
    await api.http.post("/graphql", json={"query": query, "extensions": ext}, headers=ada.headers)

    r = await api.http.post("/graphql", json={"extensions": ext}, headers=bob.headers)
    assert r.json()["data"] == {"viewer": {"displayName": "Bob"}}


async def test_wrong_hash_is_refused_and_registers_nothing(api: Api) -> None:
    organizations = await Organization.all().count()
    mutation = (
        "mutation { signUp(input: {"
        f'email: "{unique_email()}", password: "{PASSWORD}", displayName: "H", '
        'organizationName: "H"}) { accessToken } }'
    )
    wrong = apq(fresh("{ __typename }"))
    r = await api.http.post("/graphql", json={"query": mutation, "extensions": wrong})
    assert r.status_code == 400
    assert codes(r) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert await Organization.all().count() == organizations
    assert not await PersistedQuery.filter(sha256=sha256(mutation)).exists()
    digest = wrong["persistedQuery"]["sha256Hash"]  # type: ignore[index]
    assert not await PersistedQuery.filter(sha256=digest).exists()


async def test_a_document_that_does_not_validate_is_not_registered(api: Api) -> None:
    owner = await api.sign_up()
    query = fresh("{ viewer { noSuchField } }")
    r = await api.http.post(
        "/graphql", json={"query": query, "extensions": apq(query)}, headers=owner.headers
    )
    assert codes(r) == ["GRAPHQL_VALIDATION_FAILED"]
    assert not await PersistedQuery.filter(sha256=sha256(query)).exists()
    again = await api.http.post("/graphql", json={"extensions": apq(query)}, headers=owner.headers)
    assert codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_malformed_extension_and_unknown_version(api: Api) -> None:
    r = await api.http.post(
        "/graphql", json={"query": "{ __typename }", "extensions": {"persistedQuery": "abc"}}
    )
    assert (r.status_code, codes(r)) == (400, ["BAD_REQUEST"])
    v2 = {"persistedQuery": {"version": 2, "sha256Hash": sha256("{ __typename }")}}
    r = await api.http.post("/graphql", json={"extensions": v2})
    assert (r.status_code, codes(r)) == (400, ["PERSISTED_QUERY_NOT_SUPPORTED"])


async def test_get_by_hash_has_an_etag_and_answers_304_when_it_matches(api: Api) -> None:
    owner = await api.sign_up()
    query = fresh()
    ext = json.dumps(apq(query))
    missing = await api.http.get("/graphql", params={"extensions": ext}, headers=owner.headers)
    assert (missing.status_code, codes(missing)) == (404, ["PERSISTED_QUERY_NOT_FOUND"])
    assert "etag" not in missing.headers

    await api.http.post(
        "/graphql", json={"query": query, "extensions": apq(query)}, headers=owner.headers
    )
    got = await api.http.get("/graphql", params={"extensions": ext}, headers=owner.headers)
    assert got.status_code == 200, got.text
    assert got.json()["data"] == {"viewer": {"id": owner.user_id}}
    etag = got.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert got.headers["cache-control"].startswith("private")
    assert "Authorization" in got.headers["vary"]

    again = await api.http.get(
        "/graphql", params={"extensions": ext}, headers={**owner.headers, "if-none-match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    stale = await api.http.get(
        "/graphql",
        params={"extensions": ext},
        headers={**owner.headers, "if-none-match": '"something-else"'},
    )
    assert stale.status_code == 200 and stale.headers["etag"] == etag

    # Another principal's answer differs, and so does its tag.
    bob = await api.sign_up(name="Bob")
    other = await api.http.get("/graphql", params={"extensions": ext}, headers=bob.headers)
    assert other.status_code == 200 and other.headers["etag"] != etag


async def test_get_by_hash_of_a_mutation_is_refused(api: Api) -> None:
    owner = await api.sign_up()
    mutation = fresh("mutation { viewerUpdate(input: {}) { errors { code } } }")
    # Registered (by POST, where mutations run)...
    await api.http.post(
        "/graphql", json={"query": mutation, "extensions": apq(mutation)}, headers=owner.headers
    )
    # ...but not run over GET.
    r = await api.http.get(
        "/graphql", params={"extensions": json.dumps(apq(mutation))}, headers=owner.headers
    )
    assert r.status_code == 405


async def test_document_id_names_a_registered_hash(api: Api) -> None:
    owner = await api.sign_up()
    query = fresh()
    await api.http.post(
        "/graphql", json={"query": query, "extensions": apq(query)}, headers=owner.headers
    )
    r = await api.http.post(
        "/graphql", json={"documentId": f"sha256:{sha256(query)}"}, headers=owner.headers
    )
    assert r.json()["data"] == {"viewer": {"id": owner.user_id}}
    unknown = await api.http.post(
        "/graphql", json={"documentId": "not-a-hash"}, headers=owner.headers
    )
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_websocket_subscribe_by_hash(server: str, api: Api) -> None:
    owner = await api.sign_up()
    query = fresh("subscription { organizationEvents { __typename } }")
    ws = await WSClient.connect(server)
    try:
        await ws.init({"authorization": f"Bearer {owner.access_token}"})
        await ws.send({"id": "1", "type": "subscribe", "payload": {"extensions": apq(query)}})
        refused = await ws.receive()
        assert refused["type"] == "error" and refused["id"] == "1"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

        await api.http.post(
            "/graphql", json={"query": "{ __typename }", "extensions": apq("{ __typename }")}
        )
        await ws.send(
            {
                "id": "2",
                "type": "subscribe",
                "payload": {"query": query, "extensions": apq(query)},
            }
        )
        await ws.send({"id": "3", "type": "subscribe", "payload": {"extensions": apq(query)}})
        # Both run: no error for either (a subscription sends nothing until an event).
        await ws.send(
            {
                "id": "4",
                "type": "subscribe",
                "payload": {"extensions": apq("{ __typename }")},
            }
        )
        answered = await ws.receive()
        assert answered["id"] == "4" and answered["type"] == "next", answered
        assert answered["payload"]["data"] == {"__typename": "Query"}
        assert await PersistedQuery.filter(sha256=sha256(query)).exists()
    finally:
        await ws.close()


async def test_a_document_over_the_size_limit_runs_but_is_not_registered(api: Api) -> None:
    # A long comment: within the token limit, over persisted_query_max_bytes (64 KiB).
    query = "{ __typename } #" + "x" * (64 * 1024)
    r = await api.http.post("/graphql", json={"query": query, "extensions": apq(query)})
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}
    assert not await PersistedQuery.filter(sha256=sha256(query)).exists()


async def test_documents_unused_for_the_keeping_time_are_swept(api: Api) -> None:
    used, unused = fresh("{ __typename }"), fresh("{ __typename }")
    for query in (used, unused):
        await api.http.post("/graphql", json={"query": query, "extensions": apq(query)})
    long_ago = datetime.now(UTC) - timedelta(days=31)
    await PersistedQuery.filter(sha256=sha256(unused)).update(last_used_at=long_ago)

    assert await sweep_unused() >= 1

    assert await PersistedQuery.filter(sha256=sha256(used)).exists()
    assert not await PersistedQuery.filter(sha256=sha256(unused)).exists()
