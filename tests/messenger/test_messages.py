"""Messages: gap-free seq under concurrent senders, idempotent sends, paging both ways,
validation and the send rate limit."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.relay import GlobalID

from models.messenger import Chat, Message
from resolvers.messenger import messages as messages_module
from tests.client import Api
from tests.errors import payload_error
from tests.messenger.helpers import group, send

PAGE = """query($id: ID!, $first: Int, $after: Int, $last: Int, $before: Int) { chat(id: $id) {
  messages(first: $first, afterSeq: $after, last: $last, beforeSeq: $before) { messages { seq text } hasNewer hasOlder } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def test_concurrent_senders_get_gap_free_increasing_seq(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    sends = [send(api, who, chat, f"m{i}") for i in range(10) for who in (ada, bob)]
    results = await asyncio.gather(*sends)
    seqs = sorted(r["message"]["seq"] for r in results)
    assert seqs == list(range(1, 21))
    stored = [m.seq for m in await Message.filter(chat_id=pk(chat)).order_by("seq")]
    assert stored == list(range(1, 21))
    assert (await Chat.get(id=pk(chat))).last_seq == 20


async def test_a_retried_send_returns_the_first_message(api: Api) -> None:
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    first, again = await asyncio.gather(
        send(api, ada, chat, "once", idempotencyKey="retry-1"),
        send(api, ada, chat, "once", idempotencyKey="retry-1"),
    )
    assert first["message"]["id"] == again["message"]["id"]
    assert await Message.filter(chat_id=pk(chat)).count() == 1
    third = await send(api, ada, chat, "once", idempotencyKey="retry-1")
    assert third["message"] == first["message"]


async def test_bad_messages_are_refused_and_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    assert (await send(api, ada, chat, "   "))["errors"][0]["code"] == "EMPTY_MESSAGE"
    assert (await send(api, ada, chat, "x" * (150 * 1024 + 1)))["errors"][0]["code"] == "TOO_LONG"
    other_chat = await group(api, ada, [], name="Other")
    foreign = await send(api, ada, other_chat, "hi")
    r = await api.post(
        "mutation($i: MessageSendInput!) { messageSend(input: $i) { message { id } "
        "errors { code field } } }",
        {"i": {"chatId": chat, "text": "reply", "replyToId": foreign["message"]["id"]}},
        token=ada.access_token,
    )
    assert payload_error(r.json(), "messageSend") == {"code": "NOT_FOUND", "field": "replyToId"}
    assert (await Chat.get(id=pk(chat))).last_seq == 0


async def test_paging_forwards_and_backwards_by_seq(api: Api) -> None:
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    for i in range(1, 8):
        await send(api, ada, chat, f"m{i}")
    newest = (await api.gql(PAGE, {"id": chat, "last": 3}, token=ada.access_token))["chat"][
        "messages"
    ]
    assert [m["seq"] for m in newest["messages"]] == [5, 6, 7]
    assert newest["hasOlder"] is True
    older = (await api.gql(PAGE, {"id": chat, "last": 3, "before": 5}, token=ada.access_token))[
        "chat"
    ]["messages"]
    assert [m["seq"] for m in older["messages"]] == [2, 3, 4]
    after = (await api.gql(PAGE, {"id": chat, "first": 2, "after": 5}, token=ada.access_token))[
        "chat"
    ]["messages"]
    assert [m["seq"] for m in after["messages"]] == [6, 7] and after["hasNewer"] is False


async def test_sending_is_rate_limited_with_a_retry_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messages_module, "SEND_BURST", 3)
    monkeypatch.setattr(messages_module, "SEND_RATE", 0.1)
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    results = [await send(api, ada, chat, f"m{i}") for i in range(4)]
    assert [bool(r["message"]) for r in results] == [True, True, True, False]
    assert results[3]["errors"][0]["code"] == "THROTTLED"
    assert "retry in" in results[3]["errors"][0]["message"]
    assert (await Chat.get(id=pk(chat))).last_seq == 3
