"""Interop: Apollo Client 4's ``HttpLink`` receives subscriptions over Apollo's multipart
subscription protocol from Hello (no WebSocket link at all): chat messages live, the end when the
user is removed from the chat, and the server's error when the session is revoked.

The client is ``apollo_subscription.mjs`` next to this file; packages from ``package-lock.json``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.client import Account, Api, wait_subscribed
from tests.interop.node_apollo_http import node_packages
from tests.interop.test_graphql_sse_client import NodeLines
from tests.messenger.helpers import group, send
from tests.server.test_http_streams import EVENTS, channel_of


@pytest.fixture(scope="module")
def apollo_packages() -> None:
    node_packages("@apollo/client", "graphql", "rxjs")


async def apollo_client(server: str, who: Account, query: str, **variables: Any) -> NodeLines:
    return await NodeLines.start(
        "apollo_subscription.mjs",
        f"{server}/graphql",
        who.access_token,
        query,
        json.dumps(variables),
    )


async def connected(client: NodeLines) -> None:
    """The response Apollo got: a multipart subscription stream, asked for by its own Accept."""
    answer = (await client.line())["connected"]
    assert answer["status"] == 200, answer
    assert answer["contentType"].startswith("multipart/mixed"), answer
    assert "subscriptionSpec=1.0" in answer["accept"], answer


async def test_apollo_http_link_receives_a_subscription_over_multipart(
    apollo_packages: None, server: str, api: Api
) -> None:
    # Given Bob's Apollo Client subscribed to a chat through its HttpLink
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    chat = await group(api, ada, [bob])
    client = await apollo_client(server, bob, EVENTS, id=chat)
    try:
        await connected(client)
        await wait_subscribed(channel_of(chat))

        # When Ada writes, Then Apollo emits each message
        for seq, text in ((1, "one"), (2, "two")):
            await send(api, ada, chat, text)
            result = (await client.line())["next"]
            assert result == {
                "data": {
                    "chatEvents": {
                        "__typename": "MessageAdded",
                        "message": {"__typename": "Message", "seq": seq, "text": text},
                    }
                },
                "error": None,
            }

        # And removing Bob from the chat completes the subscription
        await api.gql(
            """mutation($i: ChatMembersRemoveInput!) { chatMembersRemove(input: $i) {
            errors { code } } }""",
            {"i": {"chatId": chat, "userIds": [bob.user_id]}},
            token=ada.access_token,
        )
        notice = (await client.line())["next"]
        assert notice["data"]["chatEvents"]["message"]["text"] == "Ada removed Bob"
        assert await client.line() == {"complete": True}
        assert await client.exit_code() == 0
    finally:
        await client.kill()


async def test_apollo_reads_the_servers_end_of_a_revoked_subscription(
    apollo_packages: None, server: str, api: Api
) -> None:
    ada = await api.sign_up()
    client = await apollo_client(server, ada, "subscription { viewerEvents { __typename } }")
    try:
        await connected(client)
        await api.gql("mutation { signOut { signedOut } }", token=ada.access_token)
        # Apollo reports the top-level errors of the last part as protocol errors, then ends
        result = (await client.line())["next"]
        assert result["data"] is None
        assert result["error"]["name"] == "CombinedProtocolErrors"
        assert result["error"]["codes"] == ["UNAUTHENTICATED"]
        assert await client.line() == {"complete": True}
    finally:
        await client.kill()
