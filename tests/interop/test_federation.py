"""Interop: Hello composes as a Federation 2 subgraph and serves through Hive Gateway.

Hello runs in production mode with ``HELLO_GATEWAY_SECRET`` (the mode in which the gateway's
secret matters), next to ``colors``, a tiny strawberry subgraph that extends ``User`` by its key
with ``favoriteColor`` and lists fans of a color. The MIT composer
(``@theguild/federation-composition``) composes both live ``_service { sdl }``; Hive Gateway
(``@graphql-hive/gateway``, started once, with ``federation/gateway.config.ts``) serves the
supergraph. Through the gateway: a query that spans both subgraphs, the gateway's own calls to
Hello's ``_entities`` (secret and client token both passed), a mutation, denials that change
nothing, and subscriptions that receive live messages: clients reach the gateway over SSE or
WebSocket, the gateway reaches Hello over SSE with the client's token (``gateway.config.ts``
says why)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.client import PASSWORD, Account, Api, WSClient, unique_email
from tests.interop.federation import servers
from tests.interop.federation.colors import FAVORITES

VIEWER = "{ viewer { id displayName favoriteColor } }"
FANS = 'query { fansOf(color: "teal") { id displayName favoriteColor } }'
SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
  message { seq text sender { displayName favoriteColor } } errors { code } } }"""
EVENTS = """subscription($chat: ID!, $after: Int) { chatEvents(chatId: $chat, afterSeq: $after) {
  __typename ... on MessageAdded { message { seq text sender { displayName favoriteColor } } } } }"""
USER_CREATE = """mutation($i: UserCreateInput!) { userCreate(input: $i) {
  user { id } errors { code message } } }"""
CHAT_CREATE = """mutation($i: ChatCreateInput!) { chatCreate(input: $i) {
  chat { id } errors { code message } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Chat { lastSeq messages(last: 100) {
  messages { seq text } } } } }"""
SIGN_IN = """mutation($i: SignInInput!) { signIn(input: $i) { accessToken errors { code } } }"""
SESSIONS = "{ viewer { sessions { ip userAgent current } } }"
TIMEOUT = 15


@dataclass
class Federation:
    hello: str
    colors: str
    composition: servers.Composition
    gateway: str | None


@pytest.fixture(scope="module")
async def federation(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Federation]:
    """Hello and colors up, composed, and Hive Gateway on the supergraph (when it composed)."""
    node = servers.node_modules()
    tmp = tmp_path_factory.mktemp("federation")
    async with servers.hello_production(tmp) as hello, servers.colors_subgraph() as colors:
        composition = await servers.compose(node, {"hello": hello, "colors": colors})
        if composition.returncode != 0:
            yield Federation(hello, colors, composition, None)
            return
        supergraph = tmp / "supergraph.graphql"
        supergraph.write_text(composition.supergraph)
        async with servers.hive_gateway(node, supergraph) as gateway:
            yield Federation(hello, colors, composition, gateway)


@dataclass
class People:
    ada: Account  # owner of Acme, likes teal
    bob: Account  # member of Acme
    eve: Account  # owner of another organization
    chat: str  # a group of Ada and Bob


@pytest.fixture(scope="module")
async def people(federation: Federation) -> People:
    async with Api(federation.hello.removesuffix("/graphql")) as api:
        ada = await api.sign_up(organization="Acme", name="Ada")
        eve = await api.sign_up(organization="Elsewhere", name="Eve")
        email = unique_email("bob")
        created = await api.gql(
            USER_CREATE,
            {"i": {"email": email, "displayName": "Bob", "password": PASSWORD}},
            token=ada.access_token,
        )
        assert created["userCreate"]["errors"] == [], created
        bob = await api.sign_in(email)
        chat = await api.gql(
            CHAT_CREATE,
            {"i": {"kind": "GROUP", "name": "Federated", "memberIds": [bob.user_id]}},
            token=ada.access_token,
        )
        assert chat["chatCreate"]["errors"] == [], chat
    FAVORITES.clear()
    FAVORITES[ada.user_id] = "teal"
    return People(ada, bob, eve, chat["chatCreate"]["chat"]["id"])


def gateway_url(federation: Federation) -> str:
    if federation.gateway is None:
        pytest.fail(f"composition failed, no gateway to test:\n{federation.composition.errors}")
    return federation.gateway


async def through(
    federation: Federation,
    query: str,
    variables: dict[str, Any] | None = None,
    who: Account | None = None,
) -> dict[str, Any]:
    """One operation through the gateway, as a client sends it: the token in ``authorization``."""
    headers = who.headers if who else {}
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        r = await client.post(
            gateway_url(federation),
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
    assert r.status_code == 200, r.text
    return r.json()


async def history(federation: Federation, people: People) -> dict[str, Any]:
    """The chat's messages, read by Ada from Hello itself (not through the gateway)."""
    async with Api(federation.hello.removesuffix("/graphql")) as api:
        data = await api.gql(HISTORY, {"id": people.chat}, token=people.ada.access_token)
    return data["node"]


async def last_seq(federation: Federation, people: People) -> int:
    return (await history(federation, people))["lastSeq"]


async def test_hello_and_a_second_subgraph_compose_without_errors(
    federation: Federation,
) -> None:
    composed = federation.composition
    assert composed.returncode == 0, composed.errors
    assert composed.errors == ""
    sdl = composed.supergraph
    assert 'HELLO @join__graph(name: "hello"' in sdl
    assert 'COLORS @join__graph(name: "colors"' in sdl
    assert "favoriteColor: String @join__field(graph: COLORS)" in sdl
    # Both subgraphs own User by its key; the supergraph joins them on it.
    assert '@join__type(graph: HELLO, key: "id")' in sdl
    assert '@join__type(graph: COLORS, key: "id")' in sdl


async def test_the_gateway_in_production_shows_no_schema(federation: Federation) -> None:
    """Hello's production rules hold at the gateway too: no introspection, no "did you mean",
    no GraphiQL page; otherwise the gateway would hand out the SDL Hello keeps to itself."""
    introspection = await through(federation, "{ __schema { types { name } } }")
    assert introspection.get("data") is None, introspection
    assert "Query" not in json.dumps(introspection)
    typo = await through(federation, "{ viewr { id } }")
    assert typo["errors"], typo
    assert "viewer" not in json.dumps(typo)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        page = await client.get(gateway_url(federation), headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower() and "<html" not in page.text.lower(), page.text


async def test_a_query_spans_hello_and_the_extension(
    federation: Federation, people: People
) -> None:
    body = await through(federation, VIEWER, who=people.ada)
    assert body == {
        "data": {
            "viewer": {"id": people.ada.user_id, "displayName": "Ada", "favoriteColor": "teal"}
        }
    }
    # Without the header the gateway sends none: Hello sees an anonymous caller.
    assert await through(federation, VIEWER) == {"data": {"viewer": None}}


async def test_the_gateway_reads_hello_entities_as_the_client(
    federation: Federation, people: People
) -> None:
    """``fansOf`` starts in colors; the names come from Hello's ``_entities``, which in
    production answers only with the gateway secret, and shows only what the client's token
    may see."""
    body = await through(federation, FANS, who=people.bob)
    assert body == {
        "data": {
            "fansOf": [{"id": people.ada.user_id, "displayName": "Ada", "favoriteColor": "teal"}]
        }
    }
    # Someone of another organization: Hello resolves Ada to null, so the gateway has no
    # name to give (`displayName` is non-null: the whole list goes) and nothing leaks.
    hidden = await through(federation, FANS, who=people.eve)
    assert hidden["data"] is None, hidden
    assert "Ada" not in json.dumps(hidden)


async def test_hello_sees_the_client_address_and_agent_not_the_gateway(
    federation: Federation, people: People
) -> None:
    """Sign-in through the gateway records the client's address and User-Agent. Hello trusts
    X-Forwarded-For from loopback (uvicorn's default), so this test's client, on loopback too,
    stands for a load balancer in front of the gateway that names the client 203.0.113.7."""
    headers = {"x-forwarded-for": "203.0.113.7", "user-agent": "federation-test/1.0"}
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        r = await client.post(
            gateway_url(federation),
            json={
                "query": SIGN_IN,
                "variables": {"i": {"email": people.bob.email, "password": PASSWORD}},
            },
            headers=headers,
        )
    signed_in = r.json()["data"]["signIn"]
    assert signed_in["errors"] == [], r.text
    async with Api(federation.hello.removesuffix("/graphql")) as api:
        data = await api.gql(SESSIONS, token=signed_in["accessToken"])
    current = [s for s in data["viewer"]["sessions"] if s["current"]]
    assert current == [{"ip": "203.0.113.7", "userAgent": "federation-test/1.0", "current": True}]


async def test_a_mutation_runs_as_the_client(federation: Federation, people: People) -> None:
    before = await last_seq(federation, people)
    body = await through(
        federation, SEND, {"i": {"chatId": people.chat, "text": "via the gateway"}}, people.bob
    )
    sent = body["data"]["messageSend"]
    assert sent["errors"] == [], body
    assert sent["message"] == {
        "seq": before + 1,
        "text": "via the gateway",
        "sender": {"displayName": "Bob", "favoriteColor": None},
    }
    assert await last_seq(federation, people) == before + 1


async def test_a_denied_mutation_changes_nothing(federation: Federation, people: People) -> None:
    before = await history(federation, people)
    variables = {"i": {"chatId": people.chat, "text": "let me in"}}
    outsider = await through(federation, SEND, variables, people.eve)
    anonymous = await through(federation, SEND, variables)
    # Another organization's chat does not exist for Eve; nobody may send anonymously.
    assert outsider == {
        "data": {"messageSend": {"message": None, "errors": [{"code": "NOT_FOUND"}]}}
    }
    assert anonymous["data"] is None, anonymous
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert await history(federation, people) == before


class SseSubscription:
    """A GraphQL over SSE client (distinct connections): one POST whose ``next`` events land
    in a queue, read by one task of its own from start to end."""

    def __init__(self, url: str, query: str, variables: dict[str, Any], who: Account | None):
        self.events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._read(url, query, variables, who))

    async def _read(
        self, url: str, query: str, variables: dict[str, Any], who: Account | None
    ) -> None:
        headers = {"accept": "text/event-stream", **(who.headers if who else {})}
        body = {"query": query, "variables": variables}
        try:
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT, read=None)) as client,
                client.stream("POST", url, json=body, headers=headers) as r,
            ):
                assert r.status_code == 200, await r.aread()
                event, data = "", []
                async for line in r.aiter_lines():
                    if line.startswith("event:"):
                        event = line.removeprefix("event:").strip()
                    elif line.startswith("data:"):
                        data.append(line.removeprefix("data:").strip())
                    elif line == "" and event:
                        if event == "complete":
                            return
                        await self.events.put(json.loads("\n".join(data)))
                        event, data = "", []
        finally:
            await self.events.put(None)

    async def next(self) -> dict[str, Any]:
        event = await asyncio.wait_for(self.events.get(), TIMEOUT)
        if event is None:
            self.task.result()  # the reader's failure, if it failed
            pytest.fail("the stream ended before the expected event")
        return event

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def test_a_subscription_receives_live_messages(
    federation: Federation, people: People
) -> None:
    before = await last_seq(federation, people)
    variables = {"chat": people.chat, "after": before}
    stream = SseSubscription(gateway_url(federation), EVENTS, variables, people.ada)
    try:
        # afterSeq closes the race between subscribing and the first send; the second message
        # is sent only once the first arrived, so it can only come live.
        for n in (1, 2):
            text = f"live {n}"
            await through(
                federation, SEND, {"i": {"chatId": people.chat, "text": text}}, people.bob
            )
            assert await stream.next() == {
                "data": {
                    "chatEvents": {
                        "__typename": "MessageAdded",
                        "message": {
                            "seq": before + n,
                            "text": text,
                            "sender": {"displayName": "Bob", "favoriteColor": None},
                        },
                    }
                }
            }
    finally:
        await stream.close()


async def test_an_anonymous_subscription_is_refused(federation: Federation, people: People) -> None:
    variables = {"chat": people.chat, "after": None}
    stream = SseSubscription(gateway_url(federation), EVENTS, variables, None)
    try:
        event = await stream.next()
    finally:
        await stream.close()
    assert event["data"] is None, event
    assert [e["extensions"]["code"] for e in event["errors"]] == ["UNAUTHENTICATED"]


async def test_a_websocket_client_of_the_gateway_signs_in_with_connection_init(
    federation: Federation, people: People
) -> None:
    """Clients may reach the gateway over graphql-transport-ws, with the token in the
    ``connection_init`` payload as Hello itself takes it; the gateway passes it on."""
    before = await last_seq(federation, people)
    ws = await WSClient.connect(gateway_url(federation).removesuffix("/graphql"))
    try:
        assert (await ws.init(people.ada.headers))["type"] == "connection_ack"
        op = await ws.subscribe(EVENTS, {"chat": people.chat, "after": before})
        await through(federation, SEND, {"i": {"chatId": people.chat, "text": "ws"}}, people.bob)
        message = await ws.receive(TIMEOUT)
        assert message["id"] == op and message["type"] == "next", message
        added = message["payload"]["data"]["chatEvents"]["message"]
        assert (added["seq"], added["text"]) == (before + 1, "ws")
    finally:
        await ws.close()
