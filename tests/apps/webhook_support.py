"""What the webhook tests share: settings for loopback receivers, and an app subscribed to a
receiver with its bot in a group chat."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.relay import GlobalID, to_base64

from adapters.settings import get_settings
from models.webhooks import DeliveryState, WebhookDelivery
from resolvers.apps.apps import CreatedApp
from tests.apps.helpers import app_global_id, create_app
from tests.apps.receiver import Receiver
from tests.client import Account, Api

CREATE = """mutation($i: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $i) {
  webhookSubscription { id url eventTypes appId } secret errors { code field message } } }"""
DELIVERIES = """query($s: ID!) { webhookDeliveries(subscriptionId: $s, first: 50) {
  edges { node { id eventId eventType state lastError payload
    attempts { number statusCode latencyMs responseExcerpt error errorMessage } } } } }"""
SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
  message { id } errors { code } } }"""
CHAT_CREATE = """mutation($i: ChatCreateInput!) { chatCreate(input: $i) {
  chat { id } errors { code message } } }"""
MEMBERS_REMOVE = """mutation($i: ChatMembersRemoveInput!) { chatMembersRemove(input: $i) {
  errors { code message } } }"""


@pytest.fixture
def loopback_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Receivers on loopback are allowed, and retries come quickly."""
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_allowed_hosts", ["127.0.0.1"])
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 0.05)
    monkeypatch.setattr(settings, "webhook_retry_cap_seconds", 0.2)
    yield


def user_gid(pk: int) -> str:
    return to_base64("User", pk)


@dataclass
class Setup:
    owner: Account
    created: CreatedApp
    chat_id: str
    subscription_id: str
    secret: str


async def subscribe(
    api: Api, owner: Account, created: CreatedApp, url: str, types: list[str], **extra: Any
) -> dict[str, Any]:
    data = await api.gql(
        CREATE,
        {"i": {"appId": app_global_id(created), "url": url, "eventTypes": types, **extra}},
        token=owner.access_token,
    )
    return data["webhookSubscriptionCreate"]


async def group_with_bot(api: Api, owner: Account, created: CreatedApp, name: str = "Ops") -> str:
    data = await api.gql(
        CHAT_CREATE,
        {
            "i": {
                "kind": "GROUP",
                "name": name,
                "memberIds": [user_gid(created.app.bot_user_id)],
            }
        },
        token=owner.access_token,
    )
    assert data["chatCreate"]["errors"] == [], data
    return data["chatCreate"]["chat"]["id"]


async def setup(api: Api, receiver: Receiver, types: list[str], org: str = "Hooks") -> Setup:
    owner = await api.sign_up(organization=org)
    created = await create_app(owner, name="Hook bot")
    chat_id = await group_with_bot(api, owner, created)
    payload = await subscribe(api, owner, created, receiver.url, types)
    assert payload["errors"] == [], payload
    receiver.secret = payload["secret"]
    return Setup(owner, created, chat_id, payload["webhookSubscription"]["id"], payload["secret"])


async def send(api: Api, account: Account, chat_id: str, text: str) -> None:
    data = await api.gql(SEND, {"i": {"chatId": chat_id, "text": text}}, token=account.access_token)
    assert data["messageSend"]["errors"] == [], data


async def deliveries(api: Api, account: Account, subscription_id: str) -> list[dict[str, Any]]:
    data = await api.gql(DELIVERIES, {"s": subscription_id}, token=account.access_token)
    return [e["node"] for e in data["webhookDeliveries"]["edges"]]


async def stored(subscription_id: str) -> list[WebhookDelivery]:
    """The subscription's deliveries as the database has them, newest first, with attempts.
    Tests wait on these rather than on ``webhookDeliveries``: a query the suite sends runs twice
    (compiled and graphql-core, which must agree), and a delivery in flight may change between
    the two. The API is asked once the state is final."""
    pk = int(GlobalID.from_id(subscription_id).node_id)
    return list(
        await WebhookDelivery.filter(subscription_id=pk)
        .order_by("-id")
        .prefetch_related("attempt_log")
    )


async def settled(subscription_id: str, count: int = 1) -> bool:
    """``count`` deliveries, none of them PENDING."""
    rows = await stored(subscription_id)
    return len(rows) == count and all(r.state != DeliveryState.PENDING for r in rows)
