"""Issue 14, step 5: what an idle subscribed WebSocket keeps, counted rather than timed.

Sockets signed in and subscribed to ``chatEvents``, after one event reached them all, are
examined in the server (it runs in the test's process): the handshake's headers are gone, the
context holds no DataLoaders and no connection payload, and the per-socket counts of tasks and
of the objects the lean version removed (a second Starlette ``WebSocket`` per socket, asyncio
``Event``s and deques, handshake requests with headers) stay where they are. RSS per socket is
the benchmark's (README, figure 5); this test keeps the savings from silently coming back."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import uuid
from collections import Counter, deque
from pathlib import Path

from starlette.websockets import WebSocket

from resolvers.core.context import Context
from tests.client import Api, wait_subscribed

SOCKETS = 24
CLIENTS = Path(__file__).with_name("ws_idle_clients.py")


def _counts() -> Counter[type]:
    return Counter(type(o) for o in gc.get_objects())


async def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)


async def test_an_idle_subscribed_socket_keeps_little(api: Api, server: str) -> None:
    from strawberry.relay import GlobalID

    from resolvers.messenger.events import chat_channel

    owner = await api.sign_up()
    bob = await api.add_member(owner)
    data = await api.gql(
        """mutation($i: ChatCreateInput!) { chatCreate(input: $i) { chat { id } } }""",
        {"i": {"kind": "GROUP", "name": "memory", "memberIds": [bob.user_id]}},
        token=owner.access_token,
    )
    chat = data["chatCreate"]["chat"]["id"]
    channel = chat_channel(int(GlobalID.from_id(chat).node_id))
    marker = f"probe-{uuid.uuid4().hex}"
    url = server.replace("http://", "ws://") + "/graphql"
    tokens = [owner.access_token, bob.access_token]

    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    before = _counts()
    # The clients run in a process of their own, so that only the server's objects count here.
    proc = subprocess.Popen(
        [sys.executable, str(CLIENTS), url, str(SOCKETS), chat, marker, *tokens],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert (await _line(proc)).strip() == "subscribed"
        await wait_subscribed(channel, SOCKETS)
        await api.gql(
            """mutation($i: MessageSendInput!) { messageSend(input: $i) { message { id } } }""",
            {"i": {"chatId": chat, "text": "hello, sockets"}},
            token=owner.access_token,
        )
        assert (await _line(proc)).strip() == f"got {SOCKETS}"
        await asyncio.sleep(0.2)  # let each operation return to waiting for the next event
        gc.collect()
        after = _counts()
        tasks = len(asyncio.all_tasks()) - tasks_before

        def per_socket(kind: type) -> float:
            return (after[kind] - before[kind]) / SOCKETS

        # One task for the connection and one for its subscription (strawberry's operation);
        # none of ours besides, and not the finished connection_init timer.
        assert tasks <= 2 * SOCKETS + 2, tasks
        # The socket's context: its principal and request id, no loaders, no init payload.
        contexts = [
            o for o in gc.get_objects() if isinstance(o, Context) and marker in o.meta.user_agent
        ]
        assert len(contexts) == SOCKETS
        for context in contexts:
            assert context.principal is not None
            assert context._loaders is None, "DataLoaders kept after the event was sent"
            assert context.connection_params is None
            # The handshake's headers are gone from the scope but for the host.
            assert [k for k, _ in context.request.scope["headers"]] == [b"host"]
        # Nothing else keeps the handshake's headers (uvicorn's and websockets' copies).
        probe = marker.encode()
        holders = [
            o
            for o in gc.get_objects()
            if isinstance(o, tuple | list)
            and o is not proc.args
            and any(isinstance(x, str | bytes) and probe in _b(x) for x in o)
        ]
        assert holders == []
        # Starlette's middleware stack built a second WebSocket per socket; the lean protocol
        # and bus subscription hold no asyncio Event or Queue, and one deque (strawberry's exit
        # stack) per idle socket where they held nine.
        assert per_socket(WebSocket) <= 1.1
        assert per_socket(asyncio.Event) <= 0.1
        assert per_socket(asyncio.Queue) <= 0.1
        assert per_socket(deque) <= 1.5
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        await asyncio.to_thread(proc.wait, 30)


def _b(x: str | bytes) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "replace")
