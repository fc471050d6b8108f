"""A subscriber that stops reading is closed on purpose with 4008 (not dropped by a keepalive
with no close frame), and resumes with ``afterSeq`` without a gap."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from urllib.parse import urlsplit

import websockets
from strawberry.relay import GlobalID

from adapters import runtime
from resolvers.messenger.events import chat_channel
from server.stalled_sockets import STALLED_CLOSE_CODE
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.drive.transfer import setting
from tests.messenger.helpers import group, send

EVENTS = """subscription($id: ID!, $after: Int) { chatEvents(chatId: $id, afterSeq: $after) {
  __typename ... on MessageAdded { message { seq text } } } }"""
# Near the largest message, so that few sends fill the buffers, and random, so that
# permessage-deflate cannot shrink it.
TEXT = base64.b64encode(os.urandom(100_000)).decode()


async def signed_in(server: str, who: Account, *, receive_buffer: int | None = None) -> WSClient:
    """A real ``websockets`` client (its defaults: 20 s keepalive, at most 16 frames queued
    before it stops reading the socket), optionally on a socket with a small receive buffer,
    as a phone on a poor network has, so a stalled reader fills up quickly."""
    url = urlsplit(server)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    sock.connect_ex((url.hostname, url.port))
    conn = await websockets.connect(
        f"ws://{url.netloc}/graphql", sock=sock, subprotocols=["graphql-transport-ws"]
    )
    ws = WSClient(conn)
    assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
        "connection_ack"
    )
    return ws


async def test_a_subscriber_that_stops_reading_is_closed_with_4008(server: str, api: Api) -> None:
    # Given a chat and a subscriber to it on a socket the server cannot fill forever
    ada = await api.sign_up()
    # Several senders, so the per-sender rate limit does not slow the flood down.
    senders = [ada, *[await api.add_member(ada, name=f"Sender {i}") for i in range(3)]]
    chat = await group(api, ada, senders[1:])
    channel = chat_channel(int(GlobalID.from_id(chat).node_id))
    bus = runtime.current().bus
    with setting("ws_send_timeout_seconds", 1.0):
        ws = await signed_in(server, ada, receive_buffer=8192)
        await ws.subscribe(EVENTS, {"id": chat})
        await wait_subscribed(channel)

        # When the subscriber reads nothing while messages keep coming
        sent = 0
        deadline = time.monotonic() + 60
        while bus.subscriber_count(channel):
            assert time.monotonic() < deadline, f"still subscribed after {sent} messages"
            errors = (await send(api, senders[sent % len(senders)], chat, TEXT))["errors"]
            if errors and errors[0]["code"] == "THROTTLED":  # the per-sender rate limit
                await asyncio.sleep(0.1)
                continue
            assert errors == []
            sent += 1

    # Then the server gave up on it: reading again, the client gets the events that were on
    # the wire, in order, then a close frame that says why
    seen: list[int] = []
    try:
        while True:
            msg = await ws.receive(timeout=10)
            assert msg["type"] == "next", msg
            seen.append(msg["payload"]["data"]["chatEvents"]["message"]["seq"])
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None, f"no close frame: {closed!r}"
        assert closed.rcvd.code == STALLED_CLOSE_CODE == 4008
        assert "afterSeq" in closed.rcvd.reason
    assert seen == list(range(1, len(seen) + 1)) and len(seen) < sent

    # And it resumes from the last event it saw, missing nothing
    again = await signed_in(server, ada)
    try:
        await again.subscribe(EVENTS, {"id": chat, "after": seen[-1] if seen else 0})
        rest = []
        while len(rest) < sent - len(seen):
            msg = await again.receive(timeout=10)
            assert msg["type"] == "next", msg
            rest.append(msg["payload"]["data"]["chatEvents"]["message"]["seq"])
        assert seen + rest == list(range(1, sent + 1))
    finally:
        await again.close()
