"""The client side of ``test_ws_memory.py``, in a process of its own so that its objects do not
count as the server's: opens ``count`` graphql-transport-ws sockets to ``url``, signs each in
with a token, subscribes each to ``chatEvents``, prints ``subscribed``; then prints ``got N``
once every socket has received an event, and holds them open until stdin closes."""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.client import ClientConnection, connect

CHAT_EVENTS = """subscription($chat: ID!) { chatEvents(chatId: $chat) {
  __typename ... on MessageAdded { message { id text sender { id displayName } } } } }"""


async def main(url: str, count: int, chat: str, marker: str, tokens: list[str]) -> None:
    sockets: list[ClientConnection] = []
    for i in range(count):
        ws = await connect(
            url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            additional_headers={"x-probe": marker, "user-agent": f"probe {marker}"},
            proxy=None,
            ping_interval=None,
        )
        sockets.append(ws)
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {tokens[i % 2]}"}}
        await ws.send(json.dumps(init))
        assert '"connection_ack"' in await asyncio.wait_for(ws.recv(), 10)
        payload = {"query": CHAT_EVENTS, "variables": {"chat": chat}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    print("subscribed", flush=True)
    got = 0
    for ws in sockets:
        if '"next"' in await asyncio.wait_for(ws.recv(), 30):
            got += 1
    print(f"got {got}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for ws in sockets:
        await ws.close()


if __name__ == "__main__":
    url, count, chat, marker, *tokens = sys.argv[1:]
    asyncio.run(main(url, int(count), chat, marker, tokens))
