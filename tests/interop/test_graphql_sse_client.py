"""Interop: the reference GraphQL-over-SSE client (``graphql-sse`` on Node, distinct connections
mode) with Hello: it receives chat messages live, sees the stream complete when its user is
removed from the chat, runs a query over SSE, and reads the error that ends a revoked session's
stream instead of retrying.

The client is ``sse_chat.mjs`` next to this file; its packages are pinned in
``package-lock.json`` and installed with ``npm ci`` on first use (``node_apollo_http.py``)."""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

import pytest

from tests.client import Account, Api, wait_subscribed
from tests.interop.node_apollo_http import HERE, node_packages
from tests.messenger.helpers import group, send
from tests.server.test_http_streams import EVENTS, channel_of

TIMEOUT = 25  # seconds for any line or exit; the scripts give up after 20


@pytest.fixture(scope="module")
def sse_packages() -> None:
    node_packages("graphql-sse", "@apollo/client", "graphql")


class NodeLines:
    """``node <script> <args>`` as a subprocess, read one JSON line at a time."""

    def __init__(self, proc: asyncio.subprocess.Process, script: str) -> None:
        self.proc, self.script = proc, script

    @classmethod
    async def start(cls, script: str, *args: str) -> NodeLines:
        node = shutil.which("node")
        assert node
        proc = await asyncio.create_subprocess_exec(
            node,
            str(HERE / script),
            *args,
            cwd=HERE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc, script)

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout
        raw = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        if not raw:
            await self.fail("the client exited before printing the expected line")
        return json.loads(raw)

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)

    async def fail(self, message: str) -> None:
        code = await self.exit_code()
        assert self.proc.stderr
        err = (await self.proc.stderr.read()).decode(errors="replace")
        pytest.fail(f"node {self.script}: {message} (exit {code}):\n{err}")

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def sse_client(server: str, who: Account | None, query: str, **variables: Any) -> NodeLines:
    token = who.access_token if who else ""
    return await NodeLines.start(
        "sse_chat.mjs", f"{server}/graphql", token, query, json.dumps(variables)
    )


async def test_graphql_sse_client_receives_messages_live_then_completes(
    sse_packages: None, server: str, api: Api
) -> None:
    # Given Bob's graphql-sse client subscribed to a chat
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    chat = await group(api, ada, [bob])
    client = await sse_client(server, bob, EVENTS, id=chat)
    try:
        assert await client.line() == {"connected": True}
        await wait_subscribed(channel_of(chat))

        # When Ada writes, Then each message arrives as it is sent
        for seq, text in ((1, "one"), (2, "two")):
            await send(api, ada, chat, text)
            result = (await client.line())["next"]
            assert result["data"] == {
                "chatEvents": {"__typename": "MessageAdded", "message": {"seq": seq, "text": text}}
            }

        # And when Bob is removed from the chat, the client sees the operation complete
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


async def test_graphql_sse_client_runs_a_query(sse_packages: None, server: str, api: Api) -> None:
    ada = await api.sign_up()
    client = await sse_client(server, ada, "{ viewer { id displayName } }")
    try:
        assert await client.line() == {"connected": True}
        result = (await client.line())["next"]
        assert result["data"] == {"viewer": {"id": ada.user_id, "displayName": "Ada"}}
        assert await client.line() == {"complete": True}
    finally:
        await client.kill()


async def test_graphql_sse_client_reads_why_a_revoked_stream_ended(
    sse_packages: None, server: str, api: Api
) -> None:
    ada = await api.sign_up()
    client = await sse_client(server, ada, "subscription { viewerEvents { __typename } }")
    try:
        # (registered for revocation before the response starts: "connected" says it is)
        assert await client.line() == {"connected": True}
        await api.gql("mutation { signOut { signedOut } }", token=ada.access_token)
        result = (await client.line())["next"]
        assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
        assert await client.line() == {"complete": True}
    finally:
        await client.kill()

    # And a new stream with the signed-out token is refused before it starts (401)
    client = await sse_client(server, ada, "subscription { viewerEvents { __typename } }")
    try:
        line = await client.line()
        assert line["status"] == 401, line
        assert await client.exit_code() == 1
    finally:
        await client.kill()
