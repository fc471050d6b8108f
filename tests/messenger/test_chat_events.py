"""chatEvents over a real WebSocket: replay after a seq, then live, with no gap and no
duplicate, also while messages are being sent during the switch."""

from __future__ import annotations

import asyncio

from strawberry.relay import GlobalID

from resolvers.messenger.events import chat_channel
from tests.client import Api, WSClient, wait_subscribed
from tests.messenger.helpers import group, send

EVENTS = """subscription($id: ID!, $after: Int) { chatEvents(chatId: $id, afterSeq: $after) {
  __typename ... on MessageAdded { message { seq text sender { id } } } } }"""


async def socket_for(server: str, token: str) -> WSClient:
    ws = await WSClient.connect(server)
    assert (await ws.init({"authorization": f"Bearer {token}"}))["type"] == "connection_ack"
    return ws


async def seqs(ws: WSClient, n: int) -> list[int]:
    out = []
    while len(out) < n:
        msg = await ws.receive(timeout=10)
        assert msg["type"] == "next", msg
        out.append(msg["payload"]["data"]["chatEvents"]["message"]["seq"])
    return out


async def test_replay_then_live_without_gap_or_duplicate(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    for i in range(5):
        await send(api, ada, chat, f"before {i}")
    ws = await socket_for(server, bob.access_token)
    try:
        await ws.subscribe(EVENTS, {"id": chat, "after": 2})
        # Messages keep coming while the subscription switches from replay to live.
        sending = asyncio.gather(*(send(api, ada, chat, f"during {i}") for i in range(10)))
        got = await seqs(ws, 13)
        await sending
        assert got == list(range(3, 16))
        await send(api, ada, chat, "after")
        assert await seqs(ws, 1) == [16]
    finally:
        await ws.close()


async def test_live_only_without_after_seq(server: str, api: Api) -> None:
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    await send(api, ada, chat, "old")
    ws = await socket_for(server, ada.access_token)
    try:
        await ws.subscribe(EVENTS, {"id": chat})
        await wait_subscribed(chat_channel(int(GlobalID.from_id(chat).node_id)))
        await send(api, ada, chat, "new")
        msg = await ws.receive(timeout=10)
        assert msg["payload"]["data"]["chatEvents"]["message"] == {
            "seq": 2,
            "text": "new",
            "sender": {"id": ada.user_id},
        }
    finally:
        await ws.close()


async def test_non_members_cannot_subscribe(server: str, api: Api) -> None:
    ada = await api.sign_up()
    outsider = await api.add_member(ada)
    stranger = await api.sign_up()
    chat = await group(api, ada, [])
    for who in (outsider, stranger):
        ws = await socket_for(server, who.access_token)
        try:
            op = await ws.subscribe(EVENTS, {"id": chat, "after": 0})
            msg = await ws.receive(timeout=10)
            assert msg["id"] == op
            errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        finally:
            await ws.close()
