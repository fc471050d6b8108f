"""Incoming webhooks: a chat admin makes a URL that posts into that chat as a bot; signed
posts are checked, each hook is rate limited, revoked URLs are 404 and other chats untouched."""

from __future__ import annotations

import time
from typing import Any

import pytest

from adapters.settings import get_settings
from models.messenger import Message
from models.webhooks import ChatIncomingWebhook
from resolvers.apps.incoming_webhooks import incoming_signature
from tests.apps.webhook_support import CHAT_CREATE
from tests.client import Account, Api

CREATE = """mutation($i: ChatIncomingWebhookCreateInput!) { chatIncomingWebhookCreate(input: $i) {
  chatIncomingWebhook { id name signed chatId botUserId } url signingSecret
  errors { code field } } }"""
REVOKE = """mutation($i: ChatIncomingWebhookRevokeInput!) { chatIncomingWebhookRevoke(input: $i) {
  chatIncomingWebhook { id } errors { code } } }"""
LIST = "query($c: ID!) { chatIncomingWebhooks(chatId: $c) { id name } }"
MESSAGES = """query($c: ID!) { chat(id: $c) { messages(first: 50) { messages {
  text sender { id displayName } } } } }"""


async def group(api: Api, owner: Account, members: list[str], name: str = "Alerts") -> str:
    data = await api.gql(
        CHAT_CREATE,
        {"i": {"kind": "GROUP", "name": name, "memberIds": members}},
        token=owner.access_token,
    )
    return data["chatCreate"]["chat"]["id"]


async def create_hook(api: Api, who: Account, chat_id: str, **extra: Any) -> dict[str, Any]:
    data = await api.gql(
        CREATE, {"i": {"chatId": chat_id, "name": "CI bot", **extra}}, token=who.access_token
    )
    return data["chatIncomingWebhookCreate"]


async def texts(api: Api, who: Account, chat_id: str) -> list[tuple[str, str]]:
    data = await api.gql(MESSAGES, {"c": chat_id}, token=who.access_token)
    return [(m["text"], m["sender"]["displayName"]) for m in data["chat"]["messages"]["messages"]]


async def test_a_hook_posts_into_its_chat_as_its_bot_and_stops_when_revoked(api: Api) -> None:
    owner = await api.sign_up(organization="Hooked")
    chat = await group(api, owner, [])
    other = await group(api, owner, [], name="Other")
    made = await create_hook(api, owner, chat)
    assert made["errors"] == [] and made["chatIncomingWebhook"]["signed"] is False
    url = made["url"]

    r = await api.http.post(url, json={"text": "build 42 passed"})
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True
    assert ("build 42 passed", "CI bot") in await texts(api, owner, chat)
    assert all(t != "build 42 passed" for t, _ in await texts(api, owner, other))
    listed = await api.gql(LIST, {"c": chat}, token=owner.access_token)
    assert [h["name"] for h in listed["chatIncomingWebhooks"]] == ["CI bot"]

    # Bad JSON is a 400 with a JSON error, and posts nothing
    before = await Message.all().count()
    r = await api.http.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_JSON"
    r = await api.http.post(url, json={"text": ""})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_TEXT"
    assert await Message.all().count() == before

    # Revoked: 404, like a token that never existed
    data = await api.gql(
        REVOKE, {"i": {"id": made["chatIncomingWebhook"]["id"]}}, token=owner.access_token
    )
    assert data["chatIncomingWebhookRevoke"]["errors"] == []
    r = await api.http.post(url, json={"text": "after revoke"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    r = await api.http.post("/hooks/incoming/hlw_made_up", json={"text": "x"})
    assert r.status_code == 404
    assert await Message.all().count() == before


async def test_signed_hooks_refuse_wrong_and_stale_signatures(api: Api) -> None:
    owner = await api.sign_up(organization="Signed")
    chat = await group(api, owner, [])
    made = await create_hook(api, owner, chat, signed=True)
    secret, url = made["signingSecret"], made["url"]
    assert secret and made["chatIncomingWebhook"]["signed"] is True
    now = int(time.time())
    before = await Message.all().count()
    for body in (
        {"text": "unsigned"},
        {"text": "wrong", "timestamp": now, "sign": "v1=00"},
        {
            "text": "stale",
            "timestamp": now - 600,
            "sign": incoming_signature(secret, now - 600, "stale"),
        },
        {"text": "swapped", "timestamp": now, "sign": incoming_signature(secret, now, "other")},
    ):
        r = await api.http.post(url, json=body)
        assert r.status_code == 401, body
        assert r.json()["error"]["code"] == "BAD_SIGNATURE"
    assert await Message.all().count() == before
    r = await api.http.post(
        url,
        json={
            "text": "signed",
            "timestamp": now,
            "sign": incoming_signature(secret, now, "signed"),
        },
    )
    assert r.status_code == 200, r.text
    assert ("signed", "CI bot") in await texts(api, owner, chat)


async def test_each_hook_is_rate_limited(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "incoming_webhook_rate_capacity", 2)
    monkeypatch.setattr(settings, "incoming_webhook_rate_refill_per_second", 0.001)
    owner = await api.sign_up(organization="Busy")
    chat = await group(api, owner, [])
    first = (await create_hook(api, owner, chat))["url"]
    second = (await create_hook(api, owner, chat))["url"]
    codes = [(await api.http.post(first, json={"text": f"n{i}"})).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    r = await api.http.post(first, json={"text": "again"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # Another hook has its own bucket
    assert (await api.http.post(second, json={"text": "mine"})).status_code == 200


async def test_only_the_chats_owner_and_admins_manage_hooks(api: Api) -> None:
    owner = await api.sign_up(organization="Strict")
    member = await api.add_member(owner, name="Mel")
    stranger = await api.sign_up(organization="Outside")
    chat = await group(api, owner, [member.user_id])
    before = await ChatIncomingWebhook.all().count()
    assert [e["code"] for e in (await create_hook(api, member, chat))["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in (await create_hook(api, stranger, chat))["errors"]] == ["NOT_FOUND"]
    assert await ChatIncomingWebhook.all().count() == before
    made = await create_hook(api, owner, chat)
    data = await api.gql(
        REVOKE, {"i": {"id": made["chatIncomingWebhook"]["id"]}}, token=stranger.access_token
    )
    assert data["chatIncomingWebhookRevoke"]["errors"] == [{"code": "NOT_FOUND"}]
    r = await api.http.post(made["url"], json={"text": "still works"})
    assert r.status_code == 200
