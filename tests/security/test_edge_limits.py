"""The GraphQL edge never freezes and never answers a plain-text 500 (security review, issue
10 items 1 and 5): exploding fragments are refused before any analysis or validation that
could take long, over HTTP and WebSocket alike; bodies nest a bounded depth; integers past
Int are the client's bad input; a field that fails does not take its siblings down with it."""

from __future__ import annotations

import asyncio

import pytest

from adapters.settings import get_settings
from server.analysis import analyze
from tests.client import Api, WSClient
from tests.messenger.helpers import group, send

# Generous: today's code took minutes on these documents; a refusal takes milliseconds.
NOT_FROZEN_SECONDS = 5


def doubling_fragments(n: int) -> str:
    """``n`` fragments each spreading the next twice: 2^n expanded fields in n lines."""
    frags = [f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "query { viewer { ...F0 } } " + " ".join(frags) + f" fragment F{n} on User {{ id }}"


def code_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def test_exploding_fragments_are_refused_and_others_keep_being_served(api: Api) -> None:
    # Given a document of 30 doubling fragments (2^30 fields once expanded)
    attack = doubling_fragments(30)
    assert len(attack) < 2000

    # When it is sent while another client asks for `{ __typename }`
    async with asyncio.timeout(NOT_FROZEN_SECONDS):
        refused, other = await asyncio.gather(api.post(attack), api.post("{ __typename }"))

    # Then it is refused for its fragment spreads, and the other client was answered
    assert refused.status_code == 200
    assert code_of(refused.json()) == "FRAGMENT_LIMIT_EXCEEDED"
    assert refused.json()["data"] is None
    assert other.json()["data"] == {"__typename": "Query"}


async def test_fragments_within_the_limit_still_run(api: Api) -> None:
    a = await api.sign_up()
    # 2^6 = 64 spreads in all: an ordinary document
    r = await api.post(doubling_fragments(6), token=a.access_token)
    assert "errors" not in r.json(), r.json()
    assert r.json()["data"] == {"viewer": {"id": a.user_id}}


async def test_analysis_is_linear_in_the_document() -> None:
    from graphql import parse

    from graphql_schema.schema import create_schema

    schema = create_schema()._schema
    # Each fragment is worked out once: the figures of 2^60 fields, from 60 lines.
    analysis = analyze(schema, parse(doubling_fragments(60)), None, {})
    assert analysis.spreads == 2**61 - 1
    assert analysis.depth == 2  # viewer > id
    assert analysis.cost == 1


async def test_exploding_fragments_over_websocket_are_refused(api: Api) -> None:
    a = await api.sign_up()
    ws = await WSClient.connect(api.base_url)
    try:
        assert (await ws.init({"authorization": f"Bearer {a.access_token}"}))["type"] == (
            "connection_ack"
        )
        async with asyncio.timeout(NOT_FROZEN_SECONDS):
            op = await ws.subscribe(doubling_fragments(30))
            message = await ws.receive()
        assert message["id"] == op and message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "FRAGMENT_LIMIT_EXCEEDED"
        # The socket still serves.
        op = await ws.subscribe("{ __typename }")
        assert (await ws.receive())["payload"]["data"] == {"__typename": "Query"}
    finally:
        await ws.close()


async def test_integers_past_int_are_bad_user_input(api: Api) -> None:
    # A literal page size, a variable page size, and any other Int argument
    cases = [
        ("{ users(first: 99999999999999999999) { __typename } }", None),
        ("query($n: Int) { users(first: $n) { __typename } }", {"n": 99999999999999999999}),
        ('{ uploadSession(id: "x") { parts(start: 99999999999) { number } } }', None),
    ]
    for query, variables in cases:
        r = await api.post(query, variables)
        assert r.headers["content-type"].startswith("application/json"), r.text
        assert code_of(r.json()) == "BAD_USER_INPUT", (query, r.json())
        assert r.json()["data"] is None


async def test_figures_of_a_refused_document_are_json_safe(api: Api) -> None:
    # Page sizes multiply: some 2^93 nodes, past what orjson encodes (2^64) and what JSON
    # numbers hold exactly (2^53).
    inner = "id"
    for _ in range(3):
        inner = f"organization {{ members(first: 2147483647) {{ nodes {{ {inner} }} }} }}"
    r = await api.post("{ viewer { " + inner + " } }")
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "NODE_LIMIT_EXCEEDED", error
    assert error["extensions"]["nodes"] == 2**53 - 1


async def test_deeply_nested_json_is_a_bad_request(api: Api) -> None:
    deep = "[" * 1000 + "]" * 1000
    body = '{"query": "{ __typename }", "variables": {"a": ' + deep + "}}"
    r = await api.http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert code_of(r.json()) == "BAD_REQUEST"
    r = await api.http.get("/graphql", params={"query": "{ __typename }", "variables": deep})
    assert r.status_code == 400
    assert code_of(r.json()) == "BAD_REQUEST"
    # Nesting an input needs is fine; brackets inside strings do not count.
    ok = '{"query": "{ __typename }", "variables": {"a": [[[["[[[[[[[[[["]]]]}}'
    r = await api.http.post("/graphql", content=ok, headers={"content-type": "application/json"})
    assert r.json()["data"] == {"__typename": "Query"}


async def test_deeply_nested_websocket_message_closes_as_malformed(api: Api) -> None:
    a = await api.sign_up()
    ws = await WSClient.connect(api.base_url)
    assert (await ws.init({"authorization": f"Bearer {a.access_token}"}))["type"] == (
        "connection_ack"
    )
    await ws.conn.send('{"type": "ping", "payload": {"a": ' + "[" * 1000 + "]" * 1000 + "}}")
    # graphql-transport-ws: an unparseable message closes the socket with 4400
    assert await ws.closed_with() == 4400


async def test_a_failing_field_does_not_cancel_its_siblings_shared_rows(api: Api) -> None:
    # Given a message read by two members: the viewer and someone else
    owner = await api.sign_up()
    reader = await api.add_member(owner, name="Reader")
    other = await api.add_member(owner, name="Other")
    chat = await group(api, owner, [reader, other])
    message = (await send(api, owner, chat, "hello"))["message"]
    mark = "mutation($i: ChatMarkReadInput!) { chatMarkRead(input: $i) { readSeq } }"
    for who in (reader, other):
        await api.gql(mark, {"i": {"chatId": chat, "seq": message["seq"]}}, token=who.access_token)

    # When the viewer asks for every reader's chats (allowed for themselves only) and
    # organization (one row, shared by both readers through a DataLoader)
    query = """query($id: ID!) { node(id: $id) { ... on Message { readBy(first: 2) {
      chats(first: 1) { __typename } organization { id } } } } }"""
    for _ in range(3):
        r = await api.post(query, {"id": message["id"]}, token=reader.access_token)
        # Then the other reader's chats are FORBIDDEN, in JSON; nothing escapes as a 500
        assert r.status_code == 200, r.text
        body = r.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert body["data"] == {"node": None}


async def test_the_spread_limit_is_a_setting(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    a = await api.sign_up()
    monkeypatch.setattr(get_settings(), "max_fragment_spreads", 10)
    r = await api.post(doubling_fragments(3), token=a.access_token)  # 14 spreads
    assert code_of(r.json()) == "FRAGMENT_LIMIT_EXCEEDED"
    r = await api.post(doubling_fragments(2), token=a.access_token)  # 6 spreads
    assert r.json()["data"] == {"viewer": {"id": a.user_id}}


@pytest.mark.parametrize(
    ("document", "merged"),
    [
        # 490 copies of one field: 1.3 s in graphql-core's overlap check before this limit
        ("{ " + " ".join(["organization { id }"] * 490) + " }", 490),
        # 20 x 20 nested copies put 400 fields on viewer.organization (22 x 22 took 1.9 s)
        (
            "{ "
            + " ".join(["viewer { " + " ".join(["organization { id }"] * 20) + " }"] * 20)
            + " }",
            400,
        ),
        # the same in a fragment of an operation that is not the one chosen to run
        (
            "query Run { __typename } query Other { viewer { ...V } } "
            "fragment V on User { " + " ".join(["organization { id }"] * 40) + " }",
            40,
        ),
    ],
)
async def test_fields_merged_on_one_path_are_bounded(api: Api, document: str, merged: int) -> None:
    # Given documents whose validation time grows with the square of the fields merged on one
    # response path, each within the token, cost and spread limits
    a = await api.sign_up()

    # When one is sent (naming the harmless operation where there are two), beside `{ __typename }`
    async with asyncio.timeout(NOT_FROZEN_SECONDS):
        refused, other = await asyncio.gather(
            api.http.post(
                "/graphql",
                json={"query": document, "operationName": "Run" if "Run" in document else None},
                headers={"authorization": f"Bearer {a.access_token}"},
            ),
            api.post("{ __typename }"),
        )

    # Then it is refused before validation, naming the count, and the other client is served
    body = refused.json()
    assert code_of(body) == "FIELD_REPEAT_LIMIT_EXCEEDED", body
    assert f"{merged} fields are written" in body["errors"][0]["message"]
    assert other.json()["data"] == {"__typename": "Query"}


async def test_a_field_repeated_through_a_few_fragments_still_runs(api: Api) -> None:
    # Given a document where `id` reaches one selection set through five fragments, as
    # generated client code often does
    a = await api.sign_up()
    frags = " ".join(f"fragment P{i} on User {{ id displayName }}" for i in range(5))
    document = "query { viewer { " + " ".join(f"...P{i}" for i in range(5)) + " } } " + frags

    # When it is sent, then it runs
    r = await api.post(document, token=a.access_token)
    assert "errors" not in r.json(), r.json()
    assert r.json()["data"]["viewer"]["id"] == a.user_id


def test_repeated_fields_counts_what_each_definition_writes() -> None:
    from graphql import parse

    from server.analysis import repeated_fields

    doc = parse(
        "query { a: viewer { ...F } viewer { ...F id } } "
        "fragment F on User { id organization { id } organization { name } }"
    )
    # In the operation, each path holds one field written there (what the spreads bring is
    # counted in the fragment, once); the fragment writes `organization` twice
    assert repeated_fields(doc) == 2
    assert repeated_fields(parse("{ viewer { id } viewer { id } viewer { id } }")) == 3
    # inline fragments write into the path they sit in, nested copies multiply
    assert repeated_fields(parse("{ viewer { id ... on User { id ... { id } } } }")) == 3
    assert repeated_fields(parse("{ a { b { c } b { c } } a { b { c } } }")) == 3


async def test_fields_expanded_through_fragments_are_bounded(api: Api) -> None:
    # Given 8 doubling fragments (510 spreads, within their limit) whose last one holds 20
    # fields: 5,121 fields once expanded, with `viewer`
    frags = " ".join(f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(8))
    leaves = " ".join(f"f{i}: id" for i in range(20))
    document = f"query {{ viewer {{ ...F0 }} }} {frags} fragment F8 on User {{ {leaves} }}"

    # When it is sent, then it is refused for its fields before it runs
    body = (await api.post(document)).json()
    assert code_of(body) == "FIELD_LIMIT_EXCEEDED", body
    assert "5121 fields" in body["errors"][0]["message"]
