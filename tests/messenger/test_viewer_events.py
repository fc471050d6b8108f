"""viewerEvents: one stream with everything that concerns the viewer, over a real WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.relay import GlobalID

from resolvers.messenger.events import chat_channel, user_channel
from resolvers.messenger.presence import presence_channel
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.messenger.helpers import group, send

VIEWER = """subscription { viewerEvents {
  __typename
  ... on ViewerChatEvent {
    chat { id lastSeq } mentionsYou
    event { __typename
      ... on MessageAdded { message { seq text } }
      ... on MembersChanged { added { id } removed { id } }
      ... on ReadUpTo { seq user { id } } } }
  ... on PresenceChanged { user { id } status } } }"""
MEMBERS_ADD = (
    """mutation($i: ChatMembersAddInput!) { chatMembersAdd(input: $i) { errors { code } } }"""
)
MEMBERS_REMOVE = """mutation($i: ChatMembersRemoveInput!) {
  chatMembersRemove(input: $i) { errors { code } } }"""
MARK_READ = """mutation($i: ChatMarkReadInput!) { chatMarkRead(input: $i) { readSeq } }"""
TYPING = """mutation($i: TypingStartInput!) { typingStart(input: $i) { relayed } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def viewer_stream(server: str, who: Account, chats: list[str] = ()) -> WSClient:  # type: ignore[assignment]
    ws = await WSClient.connect(server)
    assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
        "connection_ack"
    )
    await ws.subscribe(VIEWER)
    await wait_subscribed(user_channel(pk(who.user_id)))
    for chat in chats:
        await wait_subscribed(chat_channel(pk(chat)))
    return ws


async def next_event(ws: WSClient) -> dict[str, Any]:
    msg = await ws.receive(timeout=5)
    assert msg["type"] == "next", msg
    return msg["payload"]["data"]["viewerEvents"]


async def quiet(ws: WSClient, seconds: float = 0.3) -> bool:
    try:
        await ws.receive(timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_new_messages_of_every_chat_with_mentions(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    team = await group(api, ada, [bob], name="Team")
    other = await group(api, bob, [ada], name="Other")
    ws = await viewer_stream(server, ada, [team, other])
    try:
        await send(api, bob, team, "hello team")
        got = await next_event(ws)
        assert got["chat"]["id"] == team
        assert got["mentionsYou"] is False
        assert got["event"] == {
            "__typename": "MessageAdded",
            "message": {"seq": 1, "text": "hello team"},
        }
        await send(api, bob, other, "look, ada", mentionedUserIds=[ada.user_id])
        got = await next_event(ws)
        assert got["chat"] == {"id": other, "lastSeq": 1}
        assert got["mentionsYou"] is True
        # Typing is left to chatEvents of the open chat.
        await api.gql(TYPING, {"i": {"chatId": team}}, token=bob.access_token)
        assert await quiet(ws)
    finally:
        await ws.close()


async def test_read_positions_from_the_viewers_other_devices(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    await send(api, bob, chat, "one")
    await send(api, bob, chat, "two")
    ws = await viewer_stream(server, ada, [chat])
    try:
        await api.gql(MARK_READ, {"i": {"chatId": chat, "seq": 2}}, token=ada.access_token)
        got = await next_event(ws)
        assert got["event"] == {"__typename": "ReadUpTo", "seq": 2, "user": {"id": ada.user_id}}
        # Someone else's read receipt is for chatEvents, not for ada's stream.
        await api.gql(MARK_READ, {"i": {"chatId": chat, "seq": 2}}, token=bob.access_token)
        assert await quiet(ws)
    finally:
        await ws.close()


async def test_added_to_a_chat_streams_it_and_removal_stops_it(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, bob, [])
    ws = await viewer_stream(server, ada)
    try:
        data = await api.gql(
            MEMBERS_ADD, {"i": {"chatId": chat, "userIds": [ada.user_id]}}, token=bob.access_token
        )
        assert data["chatMembersAdd"]["errors"] == []
        got = await next_event(ws)
        assert got["chat"]["id"] == chat
        assert got["event"]["__typename"] == "MembersChanged"
        assert got["event"]["added"] == [{"id": ada.user_id}]
        await wait_subscribed(chat_channel(pk(chat)))
        await send(api, bob, chat, "welcome")
        # A system message about ada joining may come first.
        texts: list[str] = []
        async with asyncio.timeout(5):
            while "welcome" not in texts:
                event = (await next_event(ws))["event"]
                if event["__typename"] == "MessageAdded":
                    texts.append(event["message"]["text"])
        data = await api.gql(
            MEMBERS_REMOVE,
            {"i": {"chatId": chat, "userIds": [ada.user_id]}},
            token=bob.access_token,
        )
        assert data["chatMembersRemove"]["errors"] == []
        removed = None
        async with asyncio.timeout(5):
            while removed is None:
                event = (await next_event(ws))["event"]
                if event["__typename"] == "MembersChanged":
                    removed = event
        assert removed["removed"] == [{"id": ada.user_id}]
        await send(api, bob, chat, "after ada left")
        assert await quiet(ws)
    finally:
        await ws.close()


async def test_presence_of_people_the_viewer_chats_with(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cat = await api.add_member(ada, name="Cat")  # same organization, no chat with ada
    await group(api, ada, [bob])
    ws = await viewer_stream(server, ada)
    org = pk(ada.organization_id)
    await wait_subscribed(presence_channel(org))
    try:
        cat_ws = await WSClient.connect(server)
        await cat_ws.init({"authorization": f"Bearer {cat.access_token}"})
        await cat_ws.close()
        bob_ws = await WSClient.connect(server)
        await bob_ws.init({"authorization": f"Bearer {bob.access_token}"})
        got = await next_event(ws)
        assert got == {
            "__typename": "PresenceChanged",
            "user": {"id": bob.user_id},
            "status": "ONLINE",
        }
        await bob_ws.close()
        got = await next_event(ws)
        assert got == {
            "__typename": "PresenceChanged",
            "user": {"id": bob.user_id},
            "status": "OFFLINE",
        }
    finally:
        await ws.close()


async def test_another_organization_sees_nothing(server: str, api: Api) -> None:
    ada = await api.sign_up(organization="Alpha")
    bob = await api.add_member(ada)
    eve = await api.sign_up(organization="Beta")
    chat = await group(api, ada, [bob])
    ws = await viewer_stream(server, eve)
    try:
        await send(api, ada, chat, "secret")
        bob_ws = await WSClient.connect(server)
        await bob_ws.init({"authorization": f"Bearer {bob.access_token}"})
        await bob_ws.close()
        assert await quiet(ws, 0.5)
    finally:
        await ws.close()


async def test_viewer_events_need_a_signed_in_socket(server: str) -> None:
    ws = await WSClient.connect(server)
    try:
        await ws.send({"type": "connection_init", "payload": {}})
        assert await ws.closed_with() == 4403
    finally:
        await ws.close()


async def test_a_chat_created_with_the_viewer_streams_at_once(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    ws = await viewer_stream(server, ada)
    try:
        chat = await group(api, bob, [ada], name="Fresh")
        got = await next_event(ws)
        assert got["chat"]["id"] == chat
        assert got["event"]["__typename"] == "MembersChanged"
        assert {u["id"] for u in got["event"]["added"]} == {ada.user_id, bob.user_id}
        await wait_subscribed(chat_channel(pk(chat)))
        await send(api, bob, chat, "first words")
        event = (await next_event(ws))["event"]
        assert event == {"__typename": "MessageAdded", "message": {"seq": 1, "text": "first words"}}
    finally:
        await ws.close()
