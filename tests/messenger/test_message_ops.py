"""Message features: rich content, threads, edit, recall, reactions, pins, forward, read
receipts; each with its permission rules, tenancy, and the events published after commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from strawberry.relay import GlobalID

from adapters import runtime
from models.identity import Organization
from models.messenger import (
    Chat,
    ChatMember,
    ChatPolicy,
    ChatRole,
    Message,
    MessageEdit,
    MessageMention,
    MessagePin,
    Reaction,
)
from resolvers.messenger import message_ops
from resolvers.messenger.events import MessengerEventKind, chat_channel
from tests.client import Account, Api, count_queries
from tests.messenger.helpers import CHAT_CREATE, group, send
from tests.timing import eventually

FIELDS = "id seq text content replyCount editCount recalledAt"
EDIT = f"""mutation($i: MessageEditInput!) {{ messageEdit(input: $i) {{
  message {{ {FIELDS} editHistory {{ text }} }} errors {{ code }} }} }}"""
RECALL = f"""mutation($i: MessageRecallInput!) {{ messageRecall(input: $i) {{
  message {{ {FIELDS} }} errors {{ code }} }} }}"""
REACT = """mutation($i: MessageReactionToggleInput!) { messageReactionToggle(input: $i) {
  message { reactions { emoji count viewerReacted users { id } } } errors { code } } }"""
PIN = """mutation($i: MessagePinInput!) { messagePin(input: $i) { message { id } errors { code } } }"""
UNPIN = """mutation($i: MessageUnpinInput!) { messageUnpin(input: $i) {
  message { id } errors { code } } }"""
PINNED = """query($c: ID!, $first: Int, $after: String) {
  pinnedMessages(chatId: $c, first: $first, after: $after) {
    nodes { id } pageInfo { hasNextPage endCursor } } }"""
FORWARD = """mutation($i: MessageForwardInput!) { messageForward(input: $i) {
  messages { id seq text } errors { code } } }"""
RICH_SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
  message { id text content } errors { code field } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def op(api: Api, who: Account, query: str, name: str, **i: Any) -> dict[str, Any]:
    return (await api.gql(query, {"i": i}, token=who.access_token))[name]


async def refusal(api: Api, who: Account, query: str, variables: dict[str, Any]) -> str:
    """Why the operation was refused: a mutation says so in its payload, a query (which keeps
    NOT_FOUND top-level) in ``errors``."""
    body = (await api.post(query, variables, token=who.access_token)).json()
    if query.lstrip().startswith("mutation"):
        assert not body.get("errors"), body
        return str(next(iter(body["data"].values()))["errors"][0]["code"])
    return str(body["errors"][0]["extensions"]["code"])


@asynccontextmanager
async def events_of(chat_gid: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Collect what the bus carries on a chat's channel while the block runs. A mutation
    publishes its events before it answers, and the bus keeps one publisher's order, so once
    a marker published after the block arrives, every event of the block (a late duplicate
    too) has: no fixed wait."""
    got: list[dict[str, Any]] = []
    bus = runtime.current().bus
    channel = chat_channel(pk(chat_gid))
    marker = {"type": "test.marker", "id": uuid.uuid4().hex}
    async with bus.subscribe(channel) as sub:

        async def pump() -> None:
            async for event in sub:
                got.append(event)

        task = asyncio.create_task(pump())
        try:
            yield got
            await bus.publish(channel, marker)
            await eventually(lambda: marker in got, what="the marker event")
            got.remove(marker)
        finally:
            task.cancel()


async def test_rich_content_is_validated_rendered_and_mentions_count(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob Stone")
    chat = await group(api, ada, [bob])
    content = {
        "blocks": [
            {
                "spans": [
                    {"kind": "bold", "text": "Hi "},
                    {"kind": "mention", "userId": bob.user_id},
                ]
            },
            {"spans": [{"kind": "link", "text": "docs", "url": "https://example.com/a"}]},
        ]
    }
    sent = await op(api, ada, RICH_SEND, "messageSend", chatId=chat, content=content)
    assert sent["errors"] == []
    assert sent["message"]["text"] == "Hi @Bob Stone\ndocs"
    assert sent["message"]["content"] == content
    mid = pk(sent["message"]["id"])
    assert await MessageMention.filter(message_id=mid).values_list("user_id", flat=True) == [
        pk(bob.user_id)
    ]

    stranger = await api.sign_up()
    bad = [
        {"blocks": [{"spans": [{"kind": "link", "text": "x", "url": "javascript:alert(1)"}]}]},
        {"blocks": [{"spans": [{"kind": "blink", "text": "x"}]}]},
        {"blocks": [{"spans": [{"kind": "text", "text": "x", "color": "red"}]}]},
        {"blocks": []},
        ["not", "an", "object"],
    ]
    for c in bad:
        refused = await op(api, ada, RICH_SEND, "messageSend", chatId=chat, content=c)
        assert refused["errors"] == [{"code": "INVALID_CONTENT", "field": "content"}], c
    # Someone outside the organization: the mention rule (tests/messenger/test_mentions_rule.py).
    c = {"blocks": [{"spans": [{"kind": "mention", "userId": stranger.user_id}]}]}
    refused = await op(api, ada, RICH_SEND, "messageSend", chatId=chat, content=c)
    assert refused["errors"] == [{"code": "INVALID_MENTION", "field": "content"}]
    assert (await Chat.get(id=pk(chat))).last_seq == 1


async def test_threads_count_replies_and_page_them(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    root = (await send(api, ada, chat, "root"))["message"]["id"]
    async with events_of(chat) as seen:
        replies = [
            (await send(api, who, chat, f"r{i}", threadRootId=root))["message"]
            for i, who in enumerate([bob, ada, bob])
        ]
    updates = [e for e in seen if e["type"] == MessengerEventKind.MESSAGE_UPDATED]
    assert [u["message"]["replyCount"] for u in updates] == [1, 2, 3]
    stored = await Message.get(id=pk(root))
    assert stored.reply_count == 3 and stored.last_reply_at is not None
    page = await api.gql(
        """query($id: ID!) { node(id: $id) { ... on Message { replyCount lastReplyAt
          thread(first: 2) { messages { text } hasNewer }
          rest: thread(first: 5, afterSeq: 3) { messages { text } hasNewer } } } }""",
        {"id": root},
        token=bob.access_token,
    )
    node = page["node"]
    assert node["replyCount"] == 3 and node["lastReplyAt"]
    assert [m["text"] for m in node["thread"]["messages"]] == ["r0", "r1"]
    assert node["thread"]["hasNewer"] is True
    assert [m["text"] for m in node["rest"]["messages"]] == ["r2"]

    # Roots are top-level messages of the same chat: no reply to a reply, no other chat.
    other = await group(api, ada, [], name="Other")
    foreign = (await send(api, ada, other, "elsewhere"))["message"]["id"]
    for bad_root in (replies[0]["id"], foreign, chat):
        code = await refusal(
            api, ada, RICH_SEND, {"i": {"chatId": chat, "text": "x", "threadRootId": bad_root}}
        )
        assert code == "NOT_FOUND"
    assert (await Chat.get(id=pk(chat))).last_seq == 4
    assert (await Message.get(id=pk(root))).reply_count == 3


async def test_edit_keeps_history_within_the_window_and_the_limit(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    mid = (await send(api, ada, chat, "v0"))["message"]["id"]
    async with events_of(chat) as seen:
        edited = await op(api, ada, EDIT, "messageEdit", messageId=mid, text="v1")
    assert edited["errors"] == []
    assert edited["message"]["text"] == "v1" and edited["message"]["editCount"] == 1
    assert edited["message"]["editHistory"] == [{"text": "v0"}]
    assert [e["type"] for e in seen] == [MessengerEventKind.MESSAGE_UPDATED]

    # Not the sender: refused, nothing changes.
    denied = await op(api, bob, EDIT, "messageEdit", messageId=mid, text="hijack")
    assert denied["errors"] == [{"code": "NOT_SENDER"}]
    stored = await Message.get(id=pk(mid))
    assert stored.text == "v1" and stored.edit_count == 1
    assert await MessageEdit.filter(message_id=pk(mid)).count() == 1

    for i in range(2, 21):
        assert (await op(api, ada, EDIT, "messageEdit", messageId=mid, text=f"v{i}"))[
            "errors"
        ] == []
    limit = await op(api, ada, EDIT, "messageEdit", messageId=mid, text="v21")
    assert limit["errors"] == [{"code": "TOO_MANY_EDITS"}]
    stored = await Message.get(id=pk(mid))
    assert stored.text == "v20" and stored.edit_count == 20

    other = (await send(api, ada, chat, "late"))["message"]["id"]
    await Organization.filter(id=pk(ada.organization_id)).update(message_edit_window_minutes=0)
    late = await op(api, ada, EDIT, "messageEdit", messageId=other, text="too late")
    assert late["errors"] == [{"code": "EDIT_WINDOW_PASSED"}]
    assert (await Message.get(id=pk(other))).text == "late"


async def test_recall_by_sender_in_window_or_chat_admin_any_time(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cy = await api.add_member(ada, name="Cy")
    chat = await group(api, ada, [bob, cy])
    mid = (await send(api, bob, chat, "secret"))["message"]["id"]
    await op(api, bob, EDIT, "messageEdit", messageId=mid, text="secret 2")

    denied = await op(api, cy, RECALL, "messageRecall", messageId=mid)
    assert denied["errors"] == [{"code": "NOT_ALLOWED"}]
    assert (await Message.get(id=pk(mid))).recalled_at is None

    async with events_of(chat) as seen:
        done = await op(api, bob, RECALL, "messageRecall", messageId=mid)
    assert done["errors"] == []
    assert done["message"]["text"] == "" and done["message"]["content"] is None
    assert done["message"]["recalledAt"]
    assert [e["type"] for e in seen] == [MessengerEventKind.MESSAGE_RECALLED]
    stored = await Message.get(id=pk(mid))
    assert stored.text == "" and stored.recalled_by_id == pk(bob.user_id)
    assert await MessageEdit.filter(message_id=pk(mid)).count() == 0
    again = await op(api, bob, RECALL, "messageRecall", messageId=mid)
    assert again["errors"] == [{"code": "RECALLED"}]

    # After the window the sender cannot; the chat's owner (or an admin) still can.
    old = (await send(api, bob, chat, "old"))["message"]["id"]
    await Organization.filter(id=pk(ada.organization_id)).update(message_recall_window_minutes=0)
    late = await op(api, bob, RECALL, "messageRecall", messageId=old)
    assert late["errors"] == [{"code": "RECALL_WINDOW_PASSED"}]
    assert (await Message.get(id=pk(old))).text == "old"
    await ChatMember.filter(chat_id=pk(chat), user_id=pk(cy.user_id)).update(role=ChatRole.ADMIN)
    assert (await op(api, cy, RECALL, "messageRecall", messageId=old))["errors"] == []
    assert (await op(api, ada, RECALL, "messageRecall", messageId=mid))["errors"] == [
        {"code": "RECALLED"}
    ]


async def test_reactions_toggle_summarize_and_are_limited(api: Api, monkeypatch: Any) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    mid = (await send(api, ada, chat, "react to me"))["message"]["id"]
    async with events_of(chat) as seen:
        await op(api, ada, REACT, "messageReactionToggle", messageId=mid, emoji="👍")
        both = await op(api, bob, REACT, "messageReactionToggle", messageId=mid, emoji="👍")
    assert both["message"]["reactions"] == [
        {
            "emoji": "👍",
            "count": 2,
            "viewerReacted": True,
            "users": [{"id": ada.user_id}, {"id": bob.user_id}],
        }
    ]
    assert [e["reactions"][0]["count"] for e in seen] == [1, 2]
    off = await op(api, ada, REACT, "messageReactionToggle", messageId=mid, emoji="👍")
    assert off["message"]["reactions"][0]["count"] == 1
    assert off["message"]["reactions"][0]["viewerReacted"] is False

    for emoji in ("", "x" * 33):
        bad = await op(api, ada, REACT, "messageReactionToggle", messageId=mid, emoji=emoji)
        assert bad["errors"] == [{"code": "INVALID_EMOJI"}]
    monkeypatch.setattr(message_ops, "MAX_EMOJI", 2)
    await op(api, ada, REACT, "messageReactionToggle", messageId=mid, emoji="🎉")
    full = await op(api, ada, REACT, "messageReactionToggle", messageId=mid, emoji="🚀")
    assert full["errors"] == [{"code": "TOO_MANY_REACTIONS"}]
    assert sorted(await Reaction.filter(message_id=pk(mid)).values_list("emoji", flat=True)) == [
        "🎉",
        "👍",
    ]


async def test_pins_by_group_admins_or_anyone_in_direct_chats(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    mid = (await send(api, bob, chat, "pin me"))["message"]["id"]
    denied = await op(api, bob, PIN, "messagePin", messageId=mid)
    assert denied["errors"] == [{"code": "NOT_ALLOWED"}]
    assert not await MessagePin.filter(chat_id=pk(chat)).exists()

    async with events_of(chat) as seen:
        assert (await op(api, ada, PIN, "messagePin", messageId=mid))["errors"] == []
        assert (await op(api, ada, PIN, "messagePin", messageId=mid))["errors"] == []
    assert [(e["type"], e["pinned"]) for e in seen] == [(MessengerEventKind.MESSAGE_PINNED, True)]
    pinned = await api.gql(PINNED, {"c": chat}, token=bob.access_token)
    assert pinned["pinnedMessages"]["nodes"] == [{"id": mid}]
    assert (await op(api, bob, UNPIN, "messageUnpin", messageId=mid))["errors"] == [
        {"code": "NOT_ALLOWED"}
    ]
    assert (await op(api, ada, UNPIN, "messageUnpin", messageId=mid))["errors"] == []
    unpinned = await api.gql(PINNED, {"c": chat}, token=bob.access_token)
    assert unpinned["pinnedMessages"]["nodes"] == []

    direct = await api.gql(
        CHAT_CREATE, {"i": {"kind": "DIRECT", "memberIds": [ada.user_id]}}, token=bob.access_token
    )
    dm = direct["chatCreate"]["chat"]["id"]
    dm_msg = (await send(api, ada, dm, "hello"))["message"]["id"]
    assert (await op(api, bob, PIN, "messagePin", messageId=dm_msg))["errors"] == []
    in_dm = await api.gql(PINNED, {"c": dm}, token=ada.access_token)
    assert in_dm["pinnedMessages"]["nodes"] == [{"id": dm_msg}]


async def test_pinned_messages_page_newest_pin_first(api: Api) -> None:
    # Given three messages pinned in the order 2, 0, 1
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    mids = [(await send(api, bob, chat, f"m{i}"))["message"]["id"] for i in range(3)]
    for i in (2, 0, 1):
        assert (await op(api, ada, PIN, "messagePin", messageId=mids[i]))["errors"] == []

    # When Bob reads them two at a time
    page = (await api.gql(PINNED, {"c": chat, "first": 2}, token=bob.access_token))[
        "pinnedMessages"
    ]
    after = page["pageInfo"]["endCursor"]
    rest = (await api.gql(PINNED, {"c": chat, "first": 2, "after": after}, token=bob.access_token))[
        "pinnedMessages"
    ]

    # Then the newest pin comes first and the pages neither overlap nor leave one out
    assert [n["id"] for n in page["nodes"]] == [mids[1], mids[0]]
    assert page["pageInfo"]["hasNextPage"]
    assert [n["id"] for n in rest["nodes"]] == [mids[2]]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_forward_copies_into_chats_you_are_in_once(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    source = await group(api, ada, [bob], name="Source")
    a = await group(api, ada, [], name="A")
    b = await group(api, ada, [], name="B")
    await send(api, ada, b, "already here")
    mid = (await send(api, bob, source, "worth sharing"))["message"]["id"]
    first = await op(
        api, ada, FORWARD, "messageForward", messageId=mid, chatIds=[a, b], idempotencyKey="f1"
    )
    assert first["errors"] == []
    assert [(m["seq"], m["text"]) for m in first["messages"]] == [
        (1, "worth sharing"),
        (2, "worth sharing"),
    ]
    again = await op(
        api, ada, FORWARD, "messageForward", messageId=mid, chatIds=[a, b], idempotencyKey="f1"
    )
    assert again["messages"] == first["messages"]
    copies = await Message.filter(forwarded_from_id=pk(mid))
    assert {c.chat_id for c in copies} == {pk(a), pk(b)}
    assert all(c.sender_id == pk(ada.user_id) for c in copies)

    # Bob is not in chat A: nothing is sent anywhere.
    code = await refusal(api, bob, FORWARD, {"i": {"messageId": mid, "chatIds": [source, a]}})
    assert code == "NOT_FOUND"
    assert (await Chat.get(id=pk(source))).last_seq == 1
    assert (await Chat.get(id=pk(a))).last_seq == 1


async def test_read_receipts_are_batched(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cy = await api.add_member(ada, name="Cy")
    chat = await group(api, ada, [bob, cy])
    for i in range(6):
        await send(api, ada, chat, f"m{i}")
    await ChatMember.filter(chat_id=pk(chat), user_id=pk(bob.user_id)).update(read_seq=4)
    query = """query($id: ID!, $n: Int) { chat(id: $id) { messages(first: $n) {
      messages { seq readCount readBy { id } reactions { emoji } editHistory { text } } } } }"""
    counts = []
    for n in (2, 6):
        with count_queries() as statements:
            page = await api.gql(query, {"id": chat, "n": n}, token=ada.access_token)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    rows = page["chat"]["messages"]["messages"]
    assert [r["readCount"] for r in rows] == [1, 1, 1, 1, 0, 0]
    assert rows[0]["readBy"] == [{"id": bob.user_id}]
    # Bob sees Ada as a reader (she sent it: she has read it); the sender is not counted.
    mine = (await send(api, bob, chat, "from bob"))["message"]["id"]
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Message { readCount readBy { id } } } }",
        {"id": mine},
        token=bob.access_token,
    )
    assert node["node"] == {"readCount": 0, "readBy": []}


async def test_other_organizations_and_non_members_see_and_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    outsider = await api.add_member(ada, name="Out")
    stranger = await api.sign_up()
    chat = await group(api, ada, [])
    mine = await group(api, stranger, [], name="Theirs")
    mid = (await send(api, ada, chat, "private"))["message"]["id"]
    await op(api, ada, PIN, "messagePin", messageId=mid)
    for who in (outsider, stranger):
        node = await api.gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": mid}, token=who.access_token
        )
        assert node["node"] is None
        attempts = [
            (EDIT, {"messageId": mid, "text": "x"}),
            (RECALL, {"messageId": mid}),
            (REACT, {"messageId": mid, "emoji": "👍"}),
            (PIN, {"messageId": mid}),
            (UNPIN, {"messageId": mid}),
            (RICH_SEND, {"chatId": chat, "text": "x", "threadRootId": mid}),
        ]
        if who is stranger:
            attempts.append((FORWARD, {"messageId": mid, "chatIds": [mine]}))
        for query, variables in attempts:
            assert await refusal(api, who, query, {"i": variables}) == "NOT_FOUND", query
        assert await refusal(api, who, PINNED, {"c": chat}) == "NOT_FOUND"
    # Nor can Ada forward into the other organization's chat.
    assert (
        await refusal(api, ada, FORWARD, {"i": {"messageId": mid, "chatIds": [mine]}})
        == "NOT_FOUND"
    )
    stored = await Message.get(id=pk(mid))
    assert stored.text == "private" and stored.recalled_at is None and stored.edit_count == 0
    assert not await Reaction.filter(message_id=pk(mid)).exists()
    assert await MessagePin.filter(message_id=pk(mid)).exists()
    assert (await Chat.get(id=pk(chat))).last_seq == 1
    assert (await Chat.get(id=pk(mine))).last_seq == 0


async def test_send_rules_and_disbanded_groups_apply_to_every_write(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    target = await group(api, ada, [bob], name="Admins talk")
    mid = (await send(api, bob, chat, "hello"))["message"]["id"]
    await Chat.filter(id=pk(target)).update(send_policy=ChatPolicy.ADMINS)
    assert (await send(api, bob, target, "may I?"))["errors"][0]["code"] == "ADMINS_ONLY"
    refused = await op(api, bob, FORWARD, "messageForward", messageId=mid, chatIds=[target])
    assert refused["errors"] == [{"code": "ADMINS_ONLY"}]
    assert (await Chat.get(id=pk(target))).last_seq == 0

    await Chat.filter(id=pk(chat)).update(disbanded_at=datetime.now(UTC))
    assert (await send(api, bob, chat, "still?"))["errors"][0]["code"] == "CHAT_DISBANDED"
    for query, name, extra in [
        (EDIT, "messageEdit", {"text": "x"}),
        (RECALL, "messageRecall", {}),
        (REACT, "messageReactionToggle", {"emoji": "👍"}),
    ]:
        result = await op(api, bob, query, name, messageId=mid, **extra)
        assert result["errors"] == [{"code": "CHAT_DISBANDED"}], name
    assert (await op(api, ada, PIN, "messagePin", messageId=mid))["errors"] == [
        {"code": "CHAT_DISBANDED"}
    ]
    stored = await Message.get(id=pk(mid))
    assert stored.text == "hello" and stored.recalled_at is None and stored.edit_count == 0
    assert not await Reaction.filter(message_id=pk(mid)).exists()
    assert not await MessagePin.filter(message_id=pk(mid)).exists()
    assert (await Chat.get(id=pk(chat))).last_seq == 1
    # Reading a disbanded group stays possible, so does forwarding out of it.
    copied = await op(api, ada, FORWARD, "messageForward", messageId=mid, chatIds=[target])
    assert copied["errors"] == [] and copied["messages"][0]["text"] == "hello"
