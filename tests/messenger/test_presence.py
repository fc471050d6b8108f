"""Presence from WebSocket activity (ONLINE, AWAY, OFFLINE, last seen) and typing indicators."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from strawberry.relay import GlobalID

from adapters import runtime
from models.messenger import Chat, Message
from resolvers.messenger import presence
from resolvers.messenger.events import chat_channel
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.errors import payload_code
from tests.messenger.helpers import group, send
from tests.timing import eventually

PRESENCE = """query($ids: [ID!]!) { presence(userIds: $ids) {
  user { id } status lastSeenAt } }"""
TYPING = """mutation($i: TypingStartInput!) { typingStart(input: $i) {
  relayed errors { code field message } } }"""
EVENTS = """subscription($id: ID!) { chatEvents(chatId: $id) {
  __typename ... on Typing { user { id } } ... on MessageAdded { message { seq } } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def socket_for(server: str, who: Account) -> WSClient:
    ws = await WSClient.connect(server)
    assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
        "connection_ack"
    )
    return ws


async def status_of(api: Api, viewer: Account, who: Account) -> dict[str, object]:
    data = await api.gql(PRESENCE, {"ids": [who.user_id]}, token=viewer.access_token)
    return data["presence"][0]


async def wait_status(api: Api, viewer: Account, who: Account, status: str) -> dict[str, object]:
    async with asyncio.timeout(5):
        while True:
            found = await status_of(api, viewer, who)
            if found["status"] == status:
                return found
            await asyncio.sleep(0.02)


async def test_online_while_connected_then_offline_with_last_seen(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    assert await status_of(api, ada, bob) == {
        "user": {"id": bob.user_id},
        "status": "OFFLINE",
        "lastSeenAt": None,
    }
    ws = await socket_for(server, bob)
    try:
        online = await wait_status(api, ada, bob, "ONLINE")
        seen = datetime.fromisoformat(str(online["lastSeenAt"]))
        assert abs((datetime.now(UTC) - seen).total_seconds()) < 10
        # A second socket (another device) keeps them online when the first closes.
        second = await socket_for(server, bob)
        assert presence._local.sockets[pk(bob.user_id)] == 2
        await second.close()
        # The server runs in this process: once it has let the second socket go, it is done.
        await eventually(
            lambda: presence._local.sockets.get(pk(bob.user_id)) == 1, what="the close handled"
        )
        assert (await status_of(api, ada, bob))["status"] == "ONLINE"
    finally:
        await ws.close()
    offline = await wait_status(api, ada, bob, "OFFLINE")
    # Last seen stays: the second device's sign-in was the last action.
    assert str(offline["lastSeenAt"]) >= str(online["lastSeenAt"])


async def test_idle_connection_is_away_and_heartbeats_do_not_count_as_activity(
    server: str, api: Api
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    ws = await socket_for(server, bob)
    try:
        await wait_status(api, ada, bob, "ONLINE")
        # Given: bob's last action was long ago (and this process's throttle is reset).
        old = (datetime.now(UTC) - timedelta(seconds=presence.AWAY_AFTER + 60)).isoformat()
        await runtime.current().store.put(f"presence:active:{pk(bob.user_id)}", old, 60)
        presence._local.active_written.pop(pk(bob.user_id), None)
        assert (await status_of(api, ada, bob))["status"] == "AWAY"
        await ws.send({"type": "ping"})
        assert (await ws.receive())["type"] == "pong"
        assert (await status_of(api, ada, bob))["status"] == "AWAY"
        # An action (any other frame) makes him ONLINE again.
        await ws.subscribe(EVENTS, {"id": str(GlobalID("Chat", "999999999"))})
        await ws.receive()  # the subscription's error: the chat does not exist
        assert (await status_of(api, ada, bob))["status"] == "ONLINE"
    finally:
        await ws.close()


async def test_quiet_connections_are_kept_alive_by_their_process(
    server: str, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence, "ALIVE_REFRESH", 0.05)
    if presence._local.refresher is not None:
        presence._local.refresher.cancel()  # restart it with the short interval
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    ws = await socket_for(server, bob)
    try:
        await wait_status(api, ada, bob, "ONLINE")
        key = f"presence:alive:{pk(bob.user_id)}"
        store = runtime.current().store
        await store.forget(key)  # as if its expiry had come while bob's client sent nothing
        async with asyncio.timeout(5):
            while (await store.get_many([key]))[0] is None:
                await asyncio.sleep(0.02)
        assert (await status_of(api, ada, bob))["status"] == "ONLINE"
    finally:
        await ws.close()


async def test_presence_is_limited_to_the_viewers_organization(api: Api) -> None:
    ada = await api.sign_up(organization="Alpha")
    eve = await api.sign_up(organization="Beta")
    ids = [eve.user_id, "not-an-id", str(GlobalID("Chat", "1")), ada.user_id]
    got = (await api.gql(PRESENCE, {"ids": ids}, token=ada.access_token))["presence"]
    assert got[:3] == [None, None, None]
    assert got[3]["user"] == {"id": ada.user_id}


async def test_presence_asks_at_most_100_and_needs_sign_in(api: Api) -> None:
    ada = await api.sign_up()
    r = await api.post(PRESENCE, {"ids": [ada.user_id] * 101}, token=ada.access_token)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await api.post(PRESENCE, {"ids": [ada.user_id]})
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_typing_is_relayed_to_members_rate_limited_and_never_stored(
    server: str, api: Api
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    before = await Message.filter(chat_id=pk(chat)).count()
    ws = await socket_for(server, bob)
    try:
        await ws.subscribe(EVENTS, {"id": chat})
        await wait_subscribed(chat_channel(pk(chat)))
        first = await api.gql(TYPING, {"i": {"chatId": chat}}, token=ada.access_token)
        assert first["typingStart"] == {"relayed": True, "errors": []}
        got = await ws.receive()
        assert got["payload"]["data"]["chatEvents"] == {
            "__typename": "Typing",
            "user": {"id": ada.user_id},
        }
        # Within two seconds: succeeds, but nothing goes out; the next event is the message.
        again = await api.gql(TYPING, {"i": {"chatId": chat}}, token=ada.access_token)
        assert again["typingStart"] == {"relayed": False, "errors": []}
        await send(api, ada, chat, "hi")
        got = await ws.receive()
        assert got["payload"]["data"]["chatEvents"]["__typename"] == "MessageAdded"
    finally:
        await ws.close()
    assert await Message.filter(chat_id=pk(chat)).count() == before + 1


async def test_typing_needs_membership_and_the_same_organization(server: str, api: Api) -> None:
    ada = await api.sign_up(organization="Alpha")
    bob = await api.add_member(ada)
    cat = await api.add_member(ada, name="Cat")
    eve = await api.sign_up(organization="Beta")
    chat = await group(api, ada, [bob])
    ws = await socket_for(server, bob)
    try:
        await ws.subscribe(EVENTS, {"id": chat})
        await wait_subscribed(chat_channel(pk(chat)))
        for who, target in (
            (cat, chat),  # not a member
            (eve, chat),  # another organization
            (ada, "not-an-id"),
            (ada, str(GlobalID("User", str(pk(chat))))),  # an ID of another type
        ):
            r = await api.post(TYPING, {"i": {"chatId": target}}, token=who.access_token)
            assert payload_code(r.json(), "typingStart") == "NOT_FOUND", who
        r = await api.post(TYPING, {"i": {"chatId": chat}})
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # None of them reached the members: the next event is this message.
        await send(api, ada, chat, "still here")
        got = await ws.receive()
        assert got["payload"]["data"]["chatEvents"]["__typename"] == "MessageAdded"
    finally:
        await ws.close()


async def test_typing_in_a_disbanded_chat_is_a_typed_error(api: Api) -> None:
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    await Chat.filter(id=pk(chat)).update(disbanded_at=datetime.now(UTC))
    data = await api.gql(TYPING, {"i": {"chatId": chat}}, token=ada.access_token)
    assert data["typingStart"]["relayed"] is False
    assert [e["code"] for e in data["typingStart"]["errors"]] == ["CHAT_DISBANDED"]
