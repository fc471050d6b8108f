"""Catch-ups while Redis is down cost one read per chat per process, not one per subscriber
(issue 12, follow-up: 100 subscribers of one chat polling on their own made sends time out).

The server's bus is replaced for each test by one whose Redis refuses connections (port 1 on
loopback): a real outage of the bus, on both stacks, that touches no shared Redis. Its
subscribers start degraded and poll the database every ``POLL_SECONDS`` (jittered)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from strawberry.relay import GlobalID

from adapters import runtime
from adapters.bus import EventBus
from resolvers.messenger.events import chat_channel
from subscriptions.core import POLL_SECONDS
from tests.client import Api, WSClient, count_queries, wait_subscribed
from tests.messenger.helpers import group, send
from tests.messenger.test_chat_events import socket_for

SUBSCRIBERS = 16
CHAT_EVENTS = """subscription($id: ID!) { chatEvents(chatId: $id) {
  __typename ... on MessageAdded { message { seq } } } }"""
VIEWER_EVENTS = """subscription { viewerEvents { __typename
  ... on ViewerChatEvent { event { __typename ... on MessageAdded { message { seq } } } } } }"""


@pytest.fixture
async def bus_down(server: str) -> AsyncIterator[EventBus]:
    services = runtime.current()
    healthy = services.bus
    down = EventBus("redis://127.0.0.1:1/0", prefix=f"catch-up-{time.monotonic_ns()}:")
    await down.connect()
    services.bus = down
    try:
        yield down
    finally:
        services.bus = healthy
        await down.disconnect(drain_seconds=0.1)


def message_reads(statements: list[str]) -> int:
    """Catch-up reads of a chat's messages (``stored_messages``: after a seq, in order)."""
    return sum(
        1 for s in statements if 'FROM "message"' in s and '"seq">' in s and 'ORDER BY "seq"' in s
    )


def membership_reads(statements: list[str]) -> int:
    """The catch-up's check that its subscribers are still members (by member row id)."""
    return sum(1 for s in statements if 'FROM "chat_member" WHERE "id" IN' in s)


def most_ticks(seconds: float) -> int:
    # A channel's clock ticks at least 0.5 x POLL_SECONDS apart (the jitter's lower bound).
    return int(seconds / (0.5 * POLL_SECONDS)) + 1


async def received(ws: WSClient, field: str, n: int) -> list[int]:
    seqs: list[int] = []
    while len(seqs) < n:
        msg = await ws.receive(timeout=15)
        assert msg["type"] == "next", msg
        event = msg["payload"]["data"][field]
        event = event.get("event", event)  # viewerEvents wrap a chat's event
        if event and event["__typename"] == "MessageAdded":
            seqs.append(event["message"]["seq"])
    return seqs


async def test_subscribers_of_one_chat_share_each_catch_up_read(
    server: str, api: Api, bus_down: EventBus
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    channel = chat_channel(int(GlobalID.from_id(chat).node_id))
    # Given many chatEvents subscribers of one chat on this process while Redis is down
    sockets = [await socket_for(server, bob.access_token) for _ in range(SUBSCRIBERS)]
    try:
        for ws in sockets:
            await ws.subscribe(CHAT_EVENTS, {"id": chat})
        await wait_subscribed(channel, SUBSCRIBERS)
        with count_queries() as statements:
            started = time.monotonic()
            # When messages are sent (their publishes wait for Redis) and the polls run
            first = await send(api, ada, chat, "one")
            second = await send(api, ada, chat, "two")
            got = await asyncio.gather(*(received(ws, "chatEvents", 2) for ws in sockets))
            await asyncio.sleep(POLL_SECONDS * 1.5)  # at least one more, idle, tick
            elapsed = time.monotonic() - started
        # Then every subscriber got both, once and in order, from the database
        expected = [first["message"]["seq"], second["message"]["seq"]]
        assert got == [expected] * SUBSCRIBERS
        # and each tick of the chat's clock cost one read of its messages and one membership
        # check for all of them (one each per subscriber would be SUBSCRIBERS times as many)
        reads = message_reads(statements)
        assert 1 <= reads <= most_ticks(elapsed) < SUBSCRIBERS / 2, (reads, elapsed)
        assert 1 <= membership_reads(statements) <= most_ticks(elapsed)
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_removed_subscriber_is_cut_off_by_the_shared_catch_up(
    server: str, api: Api, bus_down: EventBus
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    channel = chat_channel(int(GlobalID.from_id(chat).node_id))
    # Given Ada and Bob subscribed to their chat while Redis is down
    ada_ws = await socket_for(server, ada.access_token)
    bob_ws = await socket_for(server, bob.access_token)
    try:
        await ada_ws.subscribe(CHAT_EVENTS, {"id": chat})
        await bob_ws.subscribe(CHAT_EVENTS, {"id": chat})
        await wait_subscribed(channel, 2)
        # When Bob is removed (the members.changed event waits for Redis) and Ada sends
        removed = await api.gql(
            """mutation($i: ChatMembersRemoveInput!) { chatMembersRemove(input: $i) {
              errors { code } } }""",
            {"i": {"chatId": chat, "userIds": [bob.user_id]}},
            token=ada.access_token,
        )
        assert removed["chatMembersRemove"]["errors"] == []
        sent = (await send(api, ada, chat, "after Bob left"))["message"]["seq"]
        # Then the catch-up they share delivers it to Ada (after the notice of the removal),
        # and ends Bob's stream without either
        assert await received(ada_ws, "chatEvents", sent) == list(range(1, sent + 1))
        ended = await bob_ws.receive(timeout=15)
        assert ended["type"] == "complete", ended
    finally:
        await ada_ws.close()
        await bob_ws.close()


async def test_viewer_streams_share_the_chat_read_with_each_other(
    server: str, api: Api, bus_down: EventBus
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    channel = chat_channel(int(GlobalID.from_id(chat).node_id))
    # Given many viewerEvents streams of Bob (his devices) while Redis is down
    sockets = [await socket_for(server, bob.access_token) for _ in range(SUBSCRIBERS)]
    try:
        for ws in sockets:
            await ws.subscribe(VIEWER_EVENTS)
        await wait_subscribed(channel, SUBSCRIBERS)
        with count_queries() as statements:
            # When Ada sends, one message at a time, each reaching every stream by polling
            seqs = []
            for text in ("one", "two", "three"):
                seqs.append((await send(api, ada, chat, text))["message"]["seq"])
                got = await asyncio.gather(*(received(ws, "viewerEvents", 1) for ws in sockets))
                assert got == [[seqs[-1]]] * SUBSCRIBERS
        # Then the streams read the chat's new messages together: a read or two per message,
        # not one per stream (each still reads its own list of chats: membership)
        reads = message_reads(statements)
        assert 1 <= reads <= 2 * len(seqs), reads
    finally:
        for ws in sockets:
            await ws.close()
