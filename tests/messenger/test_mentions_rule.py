"""One rule for mentions, however they are made: the ``mentionedUserIds`` list of
``messageSend`` and mention spans of rich content (in ``messageSend`` and ``messageEdit``) name
users of your organization, or the call is refused with INVALID_MENTION and nothing is written.
Another organization's user, an unknown id and a malformed one are refused alike (the list
accepted them silently while content refused them)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import GlobalID

from models.messenger import Chat, Message, MessageEdit, MessageMention
from tests.client import Account, Api
from tests.messenger.helpers import group

SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
  message { id text } errors { code field message } } }"""
EDIT = """mutation($i: MessageEditInput!) { messageEdit(input: $i) {
  message { id text } errors { code field message } } }"""
REFUSED = "A mention names no user of your organization."


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


def mention(user_id: str) -> dict[str, Any]:
    return {"blocks": [{"spans": [{"kind": "text", "text": "hi "}, mention_span(user_id)]}]}


def mention_span(user_id: str) -> dict[str, str]:
    return {"kind": "mention", "userId": user_id}


async def call(api: Api, who: Account, query: str, name: str, **input: Any) -> dict[str, Any]:
    data = await api.gql(query, {"i": input}, token=who.access_token)
    return data[name]


async def outsider_id(api: Api, kind: str, chat: str) -> str:
    if kind == "other organization":
        return (await api.sign_up(organization="Elsewhere")).user_id
    if kind == "unknown user":
        return str(GlobalID("User", "987654321"))
    if kind == "not a user id":
        return chat
    return "garbage"


async def snapshot(chat: str) -> tuple[int, int, int]:
    chat_pk = pk(chat)
    return (
        (await Chat.get(id=chat_pk)).last_seq,
        await Message.filter(chat_id=chat_pk).count(),
        await MessageMention.filter(chat_id=chat_pk).count(),
    )


@pytest.mark.parametrize(
    "kind", ["other organization", "unknown user", "not a user id", "malformed"]
)
async def test_send_refuses_outsiders_alike_in_the_list_and_in_content(api: Api, kind: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    outsider = await outsider_id(api, kind, chat)
    before = await snapshot(chat)

    by_list = await call(
        api,
        ada,
        SEND,
        "messageSend",
        chatId=chat,
        text="hi",
        mentionedUserIds=[bob.user_id, outsider],
    )
    by_content = await call(api, ada, SEND, "messageSend", chatId=chat, content=mention(outsider))

    assert by_list == {
        "message": None,
        "errors": [{"code": "INVALID_MENTION", "field": "mentionedUserIds", "message": REFUSED}],
    }
    assert by_content == {
        "message": None,
        "errors": [{"code": "INVALID_MENTION", "field": "content", "message": REFUSED}],
    }
    assert await snapshot(chat) == before


async def test_edit_refuses_an_outsider_and_changes_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    stranger = await api.sign_up(organization="Elsewhere")
    chat = await group(api, ada, [bob])
    sent = await call(api, ada, SEND, "messageSend", chatId=chat, content=mention(bob.user_id))
    mid = sent["message"]["id"]
    before = await snapshot(chat)

    edited = await call(
        api, ada, EDIT, "messageEdit", messageId=mid, content=mention(stranger.user_id)
    )

    assert edited == {
        "message": None,
        "errors": [{"code": "INVALID_MENTION", "field": "content", "message": REFUSED}],
    }
    stored = await Message.get(id=pk(mid))
    assert stored.text == sent["message"]["text"] and stored.edit_count == 0
    assert await MessageEdit.filter(message_id=stored.id).count() == 0
    assert await snapshot(chat) == before
    assert await MessageMention.filter(message_id=stored.id).values_list("user_id", flat=True) == [
        pk(bob.user_id)
    ]


async def test_colleagues_outside_the_chat_are_accepted_but_not_counted_either_way(
    api: Api,
) -> None:
    """The rule is about the organization; who counts as mentioned is the chat's business, and
    both ways of mentioning agree on it too."""
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    carol = await api.add_member(ada, name="Carol")  # a colleague, not in the chat
    chat = await group(api, ada, [bob])

    by_list = await call(
        api,
        ada,
        SEND,
        "messageSend",
        chatId=chat,
        text="hi",
        mentionedUserIds=[bob.user_id, carol.user_id],
    )
    both = {"blocks": [{"spans": [mention_span(bob.user_id), mention_span(carol.user_id)]}]}
    by_content = await call(api, ada, SEND, "messageSend", chatId=chat, content=both)

    for sent in (by_list, by_content):
        assert sent["errors"] == []
        mentioned = await MessageMention.filter(message_id=pk(sent["message"]["id"])).values_list(
            "user_id", flat=True
        )
        assert mentioned == [pk(bob.user_id)]
