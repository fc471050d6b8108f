"""Null or an input error, never an internal one (security review, issue 10 item 7): global
IDs of types that are no object (``Node:1``), ``_entities`` of any entity type that does not
exist, and input values the schema refuses (``uploadSessionCreate(input: {size: -1})``)."""

from __future__ import annotations

import base64

from models.drive import UploadSession
from tests.client import Api
from tests.messenger.helpers import group


def gid(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_global_ids_of_no_object_type_are_null(api: Api) -> None:
    a = await api.sign_up()
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    # "Node:1" (the interface itself), a type that is no Node, an unknown one, and a real ID
    ids = [gid("Node", 1), gid("Query", 1), gid("Nope", 1), "Tm9kZTox", a.user_id]
    for token in (None, a.access_token):
        r = await api.post(query, {"ids": ids}, token=token)
        assert codes(r.json()) == [], r.json()
        found = r.json()["data"]["nodes"]
        assert found[:4] == [None] * 4
        assert found[4] == ({"id": a.user_id} if token else None)
        r = await api.post('{ node(id: "Tm9kZTox") { id } }', token=token)
        assert r.json()["data"] == {"node": None} and codes(r.json()) == []


async def test_entities_that_do_not_exist_are_null(api: Api) -> None:
    a = await api.sign_up()
    b = await api.add_member(a)
    chat = await group(api, a, [b])
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Chat { id } } }"
    representations = [
        {"__typename": "Chat", "id": gid("Chat", 999999)},  # no such chat
        {"__typename": "Chat", "id": chat},  # a chat of a
        {"__typename": "Chat", "id": a.user_id},  # a User's ID given as a Chat
        {"__typename": "Message", "id": gid("Message", 1)},
    ]
    for token, visible in ((None, None), (a.access_token, {"id": chat})):
        r = await api.post(query, {"r": representations}, token=token)
        assert codes(r.json()) == [], r.json()
        assert r.json()["data"]["_entities"] == [None, visible, None, None]


async def test_representations_of_no_entity_are_bad_user_input(api: Api) -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    bad = [{"__typename": "Nope", "id": "x"}, {"__typename": "Node", "id": "x"}, {"id": "x"}]
    r = await api.post(query, {"r": [*bad, {"__typename": "User", "id": gid("User", 999999)}]})
    body = r.json()
    assert codes(body) == ["BAD_USER_INPUT"] * 3, body
    assert [e["path"] for e in body["errors"]] == [["_entities", i] for i in range(3)]
    assert body["data"] == {"_entities": [None] * 4}


async def test_refused_input_values_are_bad_user_input_and_change_nothing(api: Api) -> None:
    a = await api.sign_up()
    before = await UploadSession.all().count()
    literal = """mutation { uploadSessionCreate(input: {size: -1, sha256: "00", name: "x"}) {
      session { id } errors { code } } }"""
    variable = """mutation($s: ByteCount!) { uploadSessionCreate(input: {size: $s, sha256: "00",
      name: "x"}) { session { id } errors { code } } }"""
    for token in (None, a.access_token):
        r = await api.post(literal, token=token)
        assert codes(r.json()) == ["BAD_USER_INPUT"], r.json()
        assert r.json()["data"] is None
        for size in (-1, 2**53, 1.5, "12"):
            r = await api.post(variable, {"s": size}, token=token)
            assert codes(r.json()) == ["BAD_USER_INPUT"], (size, r.json())
            assert r.json()["data"] is None
    assert await UploadSession.all().count() == before
