"""Shared steps of the Messenger tests."""

from __future__ import annotations

from typing import Any

from tests.client import Account, Api

CHAT_CREATE = """mutation($i: ChatCreateInput!) { chatCreate(input: $i) {
  chat { id kind name } errors { code field message } } }"""
SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
  message { id seq text sender { id } createdAt } errors { code field message } } }"""


async def group(api: Api, owner: Account, members: list[Account], name: str = "Team") -> str:
    data = await api.gql(
        CHAT_CREATE,
        {"i": {"kind": "GROUP", "name": name, "memberIds": [m.user_id for m in members]}},
        token=owner.access_token,
    )
    assert data["chatCreate"]["errors"] == [], data
    return data["chatCreate"]["chat"]["id"]


async def send(api: Api, who: Account, chat_id: str, text: str, **extra: Any) -> dict[str, Any]:
    data = await api.gql(
        SEND, {"i": {"chatId": chat_id, "text": text, **extra}}, token=who.access_token
    )
    return data["messageSend"]
