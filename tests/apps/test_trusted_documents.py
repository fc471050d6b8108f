"""Trusted documents per app (``resolvers/apps/trusted_documents.py``, ``server/persisted.py``):
manifests in GraphQL Codegen's and Relay's formats, all or nothing; an app set to trusted
documents only (or an organization requiring them) runs its documents by id and nothing else;
people's own sessions are unaffected; another organization's app is NOT_FOUND."""

from __future__ import annotations

import hashlib
from typing import Any

from models.apps import App
from models.identity import Organization
from models.persisted import TrustedDocument
from tests.apps.helpers import app_global_id, bot_token, create_app
from tests.client import Account, Api, WSClient

SCOPES = ["profile:read", "messenger:read"]
"""What the bots of these tests may do: read the viewer (no test here is about scopes)."""
VIEWER = "query Viewer { viewer { id displayName } }"
TYPENAME = "query Typename { __typename }"
OTHER = "query Other { other: __typename }"

UPLOAD = """mutation($input: AppTrustedDocumentsUploadInput!) {
  appTrustedDocumentsUpload(input: $input) {
    appId documents { id documentId } errors { code message field } } }"""
LIST = """query($appId: ID!, $first: Int, $after: String) {
  appTrustedDocuments(appId: $appId, first: $first, after: $after) {
    edges { node { id documentId sha256 operationName text } }
    pageInfo { hasNextPage endCursor } } }"""
DELETE = """mutation($input: AppTrustedDocumentsDeleteInput!) {
  appTrustedDocumentsDelete(input: $input) { deletedDocumentIds errors { code field } } }"""
ONLY = """mutation($input: AppTrustedDocumentsOnlySetInput!) {
  appTrustedDocumentsOnlySet(input: $input) { appId only errors { code } } }"""
REQUIRE = """mutation($require: Boolean!) {
  organizationTrustedDocumentsRequire(input: {require: $require}) {
    organization { settings { trustedDocumentsRequired } } errors { code } } }"""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def codegen(*docs: str) -> dict[str, str]:
    """A ``persisted-documents.json`` as GraphQL Codegen's client preset writes it."""
    return {sha256(d): d for d in docs}


async def upload(api: Api, who: Account, app_id: str, manifest: Any, **extra: Any) -> Any:
    data = await api.gql(
        UPLOAD, {"input": {"appId": app_id, "manifest": manifest, **extra}}, token=who.access_token
    )
    payload = data["appTrustedDocumentsUpload"]
    documents = payload["documents"]
    payload["documentIds"] = None if documents is None else [d["documentId"] for d in documents]
    return payload


async def set_only(api: Api, who: Account, app_id: str, only: bool) -> Any:
    data = await api.gql(ONLY, {"input": {"appId": app_id, "only": only}}, token=who.access_token)
    return data["appTrustedDocumentsOnlySet"]


def error_codes(r: Any) -> list[str]:
    return [e["extensions"]["code"] for e in r.json().get("errors", [])]


async def run_as(api: Api, token: str, body: dict[str, Any]) -> Any:
    return await api.http.post("/graphql", json=body, headers={"authorization": f"Bearer {token}"})


async def test_upload_codegen_and_relay_manifests_then_list_them(api: Api) -> None:
    owner = await api.sign_up()
    created = await create_app(owner, scopes=SCOPES)
    app_id = app_global_id(created)

    done = await upload(api, owner, app_id, codegen(VIEWER, TYPENAME))
    assert done["errors"] == []
    assert done["appId"] == app_id
    assert done["documentIds"] == sorted([sha256(VIEWER), sha256(TYPENAME)])
    relay = await upload(api, owner, app_id, {"8f2c1a": OTHER})
    assert relay["errors"] == [] and relay["documentIds"] == ["8f2c1a"]

    page = (await api.gql(LIST, {"appId": app_id, "first": 2}, token=owner.access_token))[
        "appTrustedDocuments"
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (
        await api.gql(
            LIST,
            {"appId": app_id, "after": page["pageInfo"]["endCursor"]},
            token=owner.access_token,
        )
    )["appTrustedDocuments"]
    nodes = [e["node"] for e in page["edges"] + rest["edges"]]
    assert {n["documentId"] for n in nodes} == {sha256(VIEWER), sha256(TYPENAME), "8f2c1a"}
    other = next(n for n in nodes if n["documentId"] == "8f2c1a")
    assert other["sha256"] == sha256(OTHER) and other["operationName"] == "Other"


async def test_the_same_idempotency_key_answers_the_first_upload(api: Api) -> None:
    owner = await api.sign_up()
    created = await create_app(owner, scopes=SCOPES)
    app_id = app_global_id(created)
    first = await upload(api, owner, app_id, codegen(VIEWER), idempotencyKey="k1")
    again = await upload(api, owner, app_id, codegen(VIEWER), idempotencyKey="k1")
    assert first == again and first["errors"] == []
    other = await upload(api, owner, app_id, codegen(TYPENAME), idempotencyKey="k1")
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await TrustedDocument.filter(app_id=created.app.id).count() == 1


async def test_malformed_manifests_store_nothing_and_name_the_entry(api: Api) -> None:
    owner = await api.sign_up()
    created = await create_app(owner, scopes=SCOPES)
    app_id = app_global_id(created)
    bad_hash = "0" * 64
    cases: list[tuple[Any, str, str | None]] = [
        (["not", "an", "object"], "MANIFEST_INVALID", "manifest"),
        ("a string", "MANIFEST_INVALID", "manifest"),
        ({}, "MANIFEST_INVALID", "manifest"),
        ({"abc": 42}, "MANIFEST_INVALID", "manifest.abc"),
        ({bad_hash: VIEWER}, "DOCUMENT_HASH_MISMATCH", f"manifest.{bad_hash}"),
        ({"p1": "query { viewer { "}, "DOCUMENT_INVALID", "manifest.p1"),
        ({"p2": "{ viewer { noSuchField } }"}, "DOCUMENT_INVALID", "manifest.p2"),
        ({"p3": "fragment F on Query { __typename }"}, "DOCUMENT_INVALID", "manifest.p3"),
        ({"p4": "{ __typename }" + " " * 70_000}, "DOCUMENT_TOO_LARGE", "manifest.p4"),
        ({f"k{i}": TYPENAME for i in range(1001)}, "TOO_MANY_DOCUMENTS", "manifest"),
    ]
    for manifest, code, field in cases:
        # A good entry next to the bad one: all or nothing.
        if isinstance(manifest, dict) and len(manifest) < 1000 and manifest:
            manifest = {**codegen(TYPENAME), **manifest}
        done = await upload(api, owner, app_id, manifest)
        assert done["documentIds"] is None, manifest
        assert [(e["code"], e["field"]) for e in done["errors"]] == [(code, field)], done
    assert await TrustedDocument.filter(app_id=created.app.id).count() == 0

    several = await upload(api, owner, app_id, {"a": 1, "b": "{ nope }", **codegen(VIEWER)})
    assert [(e["code"], e["field"]) for e in several["errors"]] == [
        ("MANIFEST_INVALID", "manifest.a"),
        ("DOCUMENT_INVALID", "manifest.b"),
    ]
    assert await TrustedDocument.filter(app_id=created.app.id).count() == 0


async def test_a_member_cannot_upload_and_another_organization_s_app_is_not_found(
    api: Api,
) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    created = await create_app(owner, scopes=SCOPES)
    app_id = app_global_id(created)
    stranger = await api.sign_up(organization="Other")

    denied = await upload(api, member, app_id, codegen(VIEWER))
    assert [e["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    hidden = await upload(api, stranger, app_id, codegen(VIEWER))
    assert [e["code"] for e in hidden["errors"]] == ["NOT_FOUND"]
    not_an_app = await upload(api, owner, owner.user_id, codegen(VIEWER))
    assert [e["code"] for e in not_an_app["errors"]] == ["NOT_FOUND"]
    only = await set_only(api, stranger, app_id, True)
    assert [e["code"] for e in only["errors"]] == ["NOT_FOUND"]
    listed = await api.post(LIST, {"appId": app_id}, token=stranger.access_token)
    assert error_codes(listed) == ["NOT_FOUND"]
    assert await TrustedDocument.filter(app_id=created.app.id).count() == 0
    assert (await App.get(id=created.app.id)).trusted_documents_only is False

    forbidden = await api.gql(REQUIRE, {"require": True}, token=member.access_token)
    assert [e["code"] for e in forbidden["organizationTrustedDocumentsRequire"]["errors"]] == [
        "FORBIDDEN"
    ]
    org = await Organization.get(id=created.app.organization_id)
    assert org.require_trusted_documents is False


async def test_a_trusted_only_app_runs_its_documents_by_id_and_nothing_else(api: Api) -> None:
    owner = await api.sign_up()
    created = await create_app(owner, scopes=SCOPES, name="Deploy bot")
    app_id = app_global_id(created)
    token = await bot_token(created)
    await upload(api, owner, app_id, {**codegen(VIEWER), "relay-typename": TYPENAME})

    # Not restricted yet: any document runs, and so do its own by id.
    assert (await run_as(api, token, {"query": OTHER})).status_code == 200
    assert (await run_as(api, token, {"documentId": "relay-typename"})).json()["data"] == {
        "__typename": "Query"
    }

    done = await set_only(api, owner, app_id, True)
    assert done == {"appId": app_id, "only": True, "errors": []}
    shown = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on App { trustedDocumentsOnly } } }",
        {"id": app_id},
        token=owner.access_token,
    )
    assert shown["node"] == {"trustedDocumentsOnly": True}

    refused = await run_as(api, token, {"query": OTHER})
    assert (refused.status_code, error_codes(refused)) == (400, ["TRUSTED_DOCUMENT_REQUIRED"])
    assert "data" not in refused.json() or refused.json()["data"] is None
    # Even one of its own documents, sent as text without its id.
    text_only = await run_as(api, token, {"query": VIEWER})
    assert error_codes(text_only) == ["TRUSTED_DOCUMENT_REQUIRED"]
    unknown = await run_as(api, token, {"documentId": "nope"})
    assert error_codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]
    # An APQ registration is no way around it.
    apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256(OTHER)}}
    sneaked = await run_as(api, token, {"query": OTHER, "extensions": apq})
    assert error_codes(sneaked) == ["PERSISTED_QUERY_NOT_FOUND"]

    by_hash = await run_as(
        api,
        token,
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(VIEWER)}}},
    )
    assert by_hash.json()["data"]["viewer"]["displayName"] == "Deploy bot"
    by_document_id = await run_as(api, token, {"documentId": f"sha256:{sha256(VIEWER)}"})
    assert by_document_id.json()["data"]["viewer"]["displayName"] == "Deploy bot"
    by_relay_id = await run_as(api, token, {"documentId": "relay-typename"})
    assert by_relay_id.json()["data"] == {"__typename": "Query"}
    got = await api.http.get(
        "/graphql",
        params={"documentId": "relay-typename"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200 and got.headers["etag"]

    # The owner's own session is not an app: unaffected.
    assert (await api.post(OTHER, token=owner.access_token)).status_code == 200

    # Deleting a document makes its id unknown at once.
    gone = await api.gql(
        DELETE,
        {"input": {"appId": app_id, "documentIds": ["relay-typename", "never-there"]}},
        token=owner.access_token,
    )
    assert gone["appTrustedDocumentsDelete"] == {
        "deletedDocumentIds": ["relay-typename"],
        "errors": [],
    }
    after = await run_as(api, token, {"documentId": "relay-typename"})
    assert error_codes(after) == ["PERSISTED_QUERY_NOT_FOUND"]

    # Turned off again: anything runs.
    await set_only(api, owner, app_id, False)
    assert (await run_as(api, token, {"query": OTHER})).status_code == 200


async def test_the_organization_can_require_trusted_documents_of_every_app(api: Api) -> None:
    owner = await api.sign_up()
    first = await create_app(owner, scopes=SCOPES, name="One")
    second = await create_app(owner, scopes=SCOPES, name="Two")
    await upload(api, owner, app_global_id(first), codegen(VIEWER))
    one, two = await bot_token(first), await bot_token(second)
    stranger = await api.sign_up(organization="Elsewhere")
    foreign = await bot_token(await create_app(stranger, scopes=SCOPES, name="Foreign"))

    done = await api.gql(REQUIRE, {"require": True}, token=owner.access_token)
    assert done["organizationTrustedDocumentsRequire"] == {
        "organization": {"settings": {"trustedDocumentsRequired": True}},
        "errors": [],
    }
    try:
        assert error_codes(await run_as(api, one, {"query": OTHER})) == [
            "TRUSTED_DOCUMENT_REQUIRED"
        ]
        assert error_codes(await run_as(api, two, {"query": VIEWER})) == [
            "TRUSTED_DOCUMENT_REQUIRED"
        ]
        ok = await run_as(api, one, {"documentId": sha256(VIEWER)})
        assert ok.json()["data"]["viewer"]["displayName"] == "One"
        # Another app's document is not this app's.
        assert error_codes(await run_as(api, two, {"documentId": sha256(VIEWER)})) == [
            "PERSISTED_QUERY_NOT_FOUND"
        ]
        # People, and apps of other organizations, are not restricted.
        assert (await api.post(OTHER, token=owner.access_token)).status_code == 200
        assert (await run_as(api, foreign, {"query": OTHER})).status_code == 200
    finally:
        await api.gql(REQUIRE, {"require": False}, token=owner.access_token)
    assert (await run_as(api, two, {"query": VIEWER})).status_code == 200


async def test_a_trusted_only_app_over_websocket(server: str, api: Api) -> None:
    owner = await api.sign_up()
    created = await create_app(owner, scopes=SCOPES)
    app_id = app_global_id(created)
    await upload(api, owner, app_id, {"t1": TYPENAME})
    await set_only(api, owner, app_id, True)
    token = await bot_token(created)
    ws = await WSClient.connect(server)
    try:
        await ws.init({"authorization": f"Bearer {token}"})
        await ws.send({"id": "1", "type": "subscribe", "payload": {"query": TYPENAME}})
        refused = await ws.receive()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        await ws.send({"id": "2", "type": "subscribe", "payload": {"documentId": "t1"}})
        answered = await ws.receive()
        assert answered["id"] == "2" and answered["payload"]["data"] == {"__typename": "Query"}
    finally:
        await ws.close()
