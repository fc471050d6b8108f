"""``@requiresScope``: declared on every root field, shown in the SDL, and checked before
execution for tokens (never for a person's own sign-in), over HTTP and WebSocket, through
``node``/``nodes`` too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import GraphQLObjectType, parse

from graphql_schema.core.scopes import NODE_SCOPES, PUBLIC_ROOT_FIELDS, field_scopes
from graphql_schema.schema import create_schema
from resolvers.core.scopes import SCOPES
from server.scope_check import needed_scopes
from tests.apps.helpers import bot_token, create_app
from tests.apps.test_personal_tokens import create
from tests.client import Account, Api, WSClient
from tests.messenger.helpers import group, send

ROOT = Path(__file__).resolve().parent.parent.parent
MESSAGES = """query($id: ID!) { chat(id: $id) { messages(last: 50) { messages { text } } } }"""


def _schema() -> Any:
    return create_schema()._schema


def test_every_root_field_declares_its_scopes_or_is_public() -> None:
    schema = _schema()
    scopes = field_scopes(schema)
    undeclared = []
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        assert isinstance(root, GraphQLObjectType)
        for name in root.fields:
            key = f"{root.name}.{name}"
            declared = (root.name, name) in scopes
            if key in PUBLIC_ROOT_FIELDS:
                assert not declared, f"{key} is public and needs a scope: pick one"
            elif not declared:
                undeclared.append(key)
    assert undeclared == [], (
        "root fields without @requiresScope (add directives=needs(...) where the field is "
        "defined, or list it in graphql_schema.core.scopes.PUBLIC_ROOT_FIELDS): "
        + ", ".join(undeclared)
    )
    assert {s for found in scopes.values() for s in found} <= set(SCOPES)


def test_every_node_type_has_a_read_scope() -> None:
    schema = _schema()
    node_types = [
        t.name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    ]
    assert sorted(set(node_types) - set(NODE_SCOPES)) == [], "add them to NODE_SCOPES"
    assert set(NODE_SCOPES.values()) <= set(SCOPES)


def test_the_sdl_carries_the_directive() -> None:
    # The committed schema.graphql (what `make schema` writes; test_schema checks it is fresh)
    sdl = (ROOT / "schema.graphql").read_text()
    assert "directive @requiresScope(scopes: [String!]!) on FIELD_DEFINITION" in sdl
    assert '@composeDirective(name: "@requiresScope")' in sdl
    assert 'MessageSendPayload! @requiresScope(scopes: ["messenger:write"])' in sdl


def test_needed_scopes_follow_fragments_and_node_type_conditions() -> None:
    schema = _schema()
    document = parse(
        """
        query A { ...F node(id: "x") { ...M ... on Node { ... on File { name } } } }
        query B { viewer { id } }
        fragment F on Query { drive { id } viewer { ...F2 } }
        fragment F2 on User { chats(first: 1) { nodes { id } } }
        fragment M on Message { text }
        """
    )
    assert needed_scopes(schema, document, "A") == {"drive:read", "messenger:read"}
    assert needed_scopes(schema, document, "B") == frozenset()


def errors_of(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["extensions"]["code"], e["extensions"].get("missingScopes")) for e in body["errors"]]


async def chat_with_message(api: Api) -> tuple[Account, str, str]:
    ada = await api.sign_up(name="Ada")
    bob = await api.add_member(ada, name="Bob")
    chat = await group(api, ada, [bob])
    sent = await send(api, ada, chat, "hello")
    return ada, chat, sent["message"]["id"]


async def test_a_token_without_the_scope_is_refused_before_anything_runs(api: Api) -> None:
    # Given a chat and a token of Ada's that may only read messages
    ada, chat, _ = await chat_with_message(api)
    token = (await create(api, ada.access_token, scopes=["messenger:read"]))["token"]
    variables = {"i": {"chatId": chat, "text": "from a script"}}
    # When the token sends a message
    r = await api.post(
        """mutation($i: MessageSendInput!) { messageSend(input: $i) { message { id } } }""",
        variables,
        token=token,
        headers={"accept": "application/graphql-response+json"},
    )
    # Then the whole operation is FORBIDDEN, naming the missing scope
    assert r.status_code == 403
    body = r.json()
    assert errors_of(body) == [("FORBIDDEN", ["messenger:write"])]
    assert "messenger:write" in body["errors"][0]["message"]
    assert "data" not in body
    # And no message was sent
    texts = await api.gql(MESSAGES, {"id": chat}, token=ada.access_token)
    assert [m["text"] for m in texts["chat"]["messages"]["messages"]] == ["hello"]
    # And reading, which it may, works
    assert (await api.gql(MESSAGES, {"id": chat}, token=token))["chat"] is not None


async def test_every_missing_scope_is_named_and_nested_fields_count(api: Api) -> None:
    ada = await api.sign_up()
    token = (await create(api, ada.access_token, scopes=["profile:read"]))["token"]
    r = await api.post("{ viewer { chats(first: 1) { nodes { id } } } drive { id } }", token=token)
    assert errors_of(r.json()) == [("FORBIDDEN", ["drive:read", "messenger:read"])]
    assert r.json()["data"] is None
    # Whom the token acts as is public
    assert (await api.gql("{ viewer { id } }", token=token))["viewer"]["id"] == ada.user_id


async def test_a_sign_in_session_is_never_stopped_by_scopes(api: Api) -> None:
    # Given a member signed in (no admin scope in their role)
    owner = await api.sign_up()
    member = await api.add_member(owner)
    # When they call an admin mutation
    body = (
        await api.post(
            """mutation { userCreate(input: {email: "x@example.test", displayName: "X",
               password: "correct horse battery", role: MEMBER}) { user { id } errors { code } } }""",
            token=member.access_token,
        )
    ).json()
    # Then it is the resolver that refuses, in the payload, as always
    assert body["data"]["userCreate"]["errors"] == [{"code": "FORBIDDEN"}]


async def test_a_token_never_exceeds_its_users_role(api: Api) -> None:
    # Given an app whose bot token asks for admin scopes (a bot is a member)
    owner = await api.sign_up()
    created = await create_app(owner, scopes=["admin:read", "directory:read"])
    token = await bot_token(created)
    r = await api.post("{ auditLog(first: 1) { nodes { id } } }", token=token)
    assert errors_of(r.json()) == [("FORBIDDEN", ["admin:read"])]


async def test_node_reads_only_the_types_a_token_covers(api: Api) -> None:
    # Given a message, and a token of Ada's that may read Drive only
    ada, _, message_id = await chat_with_message(api)
    token = (await create(api, ada.access_token, scopes=["drive:read"]))["token"]
    # When it selects on Message through node, inline or through a named fragment
    for query in (
        "query($id: ID!) { node(id: $id) { ... on Message { text } } }",
        "query($id: ID!) { nodes(ids: [$id]) { ...M } } fragment M on Message { text }",
    ):
        r = await api.post(query, {"id": message_id}, token=token)
        # Then it is refused before execution
        assert errors_of(r.json()) == [("FORBIDDEN", ["messenger:read"])], query
    # And without selecting on the type it learns nothing: null, as if hidden
    found = await api.gql(
        "query($id: ID!) { node(id: $id) { __typename id } }", {"id": message_id}, token=token
    )
    assert found["node"] is None
    # While a token that may read messages reads it, and Ada's sign-in too
    reader = (await create(api, ada.access_token, scopes=["messenger:read"]))["token"]
    query = "query($id: ID!) { node(id: $id) { ... on Message { text } } }"
    assert (await api.gql(query, {"id": message_id}, token=reader))["node"] == {"text": "hello"}
    assert (await api.gql(query, {"id": message_id}, token=ada.access_token))["node"] == {
        "text": "hello"
    }


async def test_a_subscription_is_refused_over_websocket(api: Api, server: str) -> None:
    # Given a token that may read profiles only
    ada, chat, _ = await chat_with_message(api)
    token = (await create(api, ada.access_token, scopes=["profile:read"]))["token"]
    ws = await WSClient.connect(server)
    try:
        assert (await ws.init({"authorization": f"Bearer {token}"}))["type"] == "connection_ack"
        # When it subscribes to a chat's events
        op = await ws.subscribe(
            "subscription($id: ID!) { chatEvents(chatId: $id) { __typename } }", {"id": chat}
        )
        # Then the subscribe is answered with FORBIDDEN naming the scope
        message = await ws.receive()
        assert message["id"] == op
        assert message["type"] == "error"
        assert [
            (e["extensions"]["code"], e["extensions"]["missingScopes"]) for e in message["payload"]
        ] == [("FORBIDDEN", ["messenger:read"])]
    finally:
        await ws.close()


async def test_introspection_names_the_scopes_for_graphiql(api: Api) -> None:
    # Introspection carries no applied directives, so the description says it too
    data = await api.gql('{ __type(name: "Mutation") { fields { name description } } }')
    fields = {f["name"]: f["description"] for f in data["__type"]["fields"]}
    assert fields["messageSend"].endswith("A token needs the scope `messenger:write`.")
    assert "A token needs" not in fields["signIn"]
