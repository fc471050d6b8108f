"""Who receives what: nothing from a write that rolled back, nothing of another organization,
and nothing more of a chat once the app's bot left it, even what was already queued."""

from __future__ import annotations

import pytest
from strawberry.relay import GlobalID

from models.messenger import Chat
from models.webhooks import WebhookDelivery, WebhookSubscription
from resolvers.core.tx import transaction
from resolvers.messenger.events import MessengerEventKind
from resolvers.messenger.messages import do_message_send
from tests.apps.helpers import app_global_id, create_app, user_pk
from tests.apps.receiver import FAIL_500, receiving
from tests.apps.webhook_support import (
    MEMBERS_REMOVE,
    deliveries,
    loopback_hooks,
    send,
    settled,
    setup,
    stored,
    subscribe,
    user_gid,
)
from tests.client import Api
from tests.timing import eventually

pytestmark = pytest.mark.usefixtures("loopback_hooks")
__all__ = ["loopback_hooks"]

ADDED = str(MessengerEventKind.MESSAGE_ADDED)
MEMBERS = str(MessengerEventKind.MEMBERS_CHANGED)


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


class Boom(Exception):
    pass


async def test_a_write_that_rolls_back_delivers_nothing(api: Api) -> None:
    async with receiving() as receiver:
        s = await setup(api, receiver, [ADDED])
        chat = await Chat.get(id=pk(s.chat_id))

        # When a message is written and its transaction then rolls back
        with pytest.raises(Boom):
            async with transaction():
                await do_message_send(chat, user_pk(s.owner), "never", None, set())
                raise Boom

        # Then no delivery exists, and the next committed message is the only one received
        assert not await WebhookDelivery.filter(subscription_id=pk(s.subscription_id)).exists()
        await send(api, s.owner, s.chat_id, "committed")
        await eventually(lambda: len(receiver.events) == 1, what="the committed message")
        texts = [r.json["data"]["message"]["text"] for r in receiver.events]
        assert texts == ["committed"]


async def test_chat_events_go_only_to_apps_whose_bot_is_in_the_chat(api: Api) -> None:
    async with receiving() as receiver:
        s = await setup(api, receiver, [ADDED])
        # Given a chat of the same organization without the bot
        data = await api.gql(
            """mutation($i: ChatCreateInput!) { chatCreate(input: $i) { chat { id } } }""",
            {"i": {"kind": "GROUP", "name": "No bots", "memberIds": []}},
            token=s.owner.access_token,
        )
        other_chat = data["chatCreate"]["chat"]["id"]
        await send(api, s.owner, other_chat, "private")
        await send(api, s.owner, s.chat_id, "public")
        await eventually(lambda: len(receiver.events) == 1, what="the bot's chat's message")
        assert [r.json["data"]["message"]["text"] for r in receiver.events] == ["public"]
        # Enqueued with each message or never: one delivery, the public one
        await eventually(lambda: settled(s.subscription_id), what="the delivery to settle")
        assert len(await deliveries(api, s.owner, s.subscription_id)) == 1


async def test_another_organizations_app_and_subscription_are_not_found(api: Api) -> None:
    async with receiving() as receiver, receiving() as stranger_receiver:
        s = await setup(api, receiver, [ADDED])
        stranger = await api.sign_up(organization="Elsewhere")
        before = await WebhookSubscription.all().count()

        # A stranger cannot subscribe to the app, list its subscriptions or read its log
        payload = await subscribe(api, stranger, s.created, stranger_receiver.url, [ADDED])
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
        assert await WebhookSubscription.all().count() == before
        assert stranger_receiver.requests == []
        r = await api.post(
            "query($a: ID!) { webhookSubscriptions(appId: $a) { id } }",
            {"a": app_global_id(s.created)},
            token=stranger.access_token,
        )
        assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        r = await api.post(
            "query($s: ID!) { webhookDeliveries(subscriptionId: $s) { edges { node { id } } } }",
            {"s": s.subscription_id},
            token=stranger.access_token,
        )
        assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        data = await api.gql(
            """mutation($i: WebhookSubscriptionDeleteInput!) { webhookSubscriptionDelete(
              input: $i) { errors { code } } }""",
            {"i": {"id": s.subscription_id}},
            token=stranger.access_token,
        )
        assert data["webhookSubscriptionDelete"]["errors"] == [{"code": "NOT_FOUND"}]
        assert await WebhookSubscription.filter(id=pk(s.subscription_id)).exists()

        # And the stranger's own app, subscribed to messages, receives none of the first
        # organization's, though a stranger's chat of its own delivers
        theirs = await create_app(stranger, name="Their bot")
        mine = await subscribe(api, stranger, theirs, stranger_receiver.url, [ADDED])
        assert mine["errors"] == []
        await send(api, s.owner, s.chat_id, "ours only")
        await eventually(lambda: len(receiver.events) == 1, what="our delivery")
        # Enqueued with the message or never: the stranger's subscription has no delivery
        theirs_id = pk(mine["webhookSubscription"]["id"])
        assert not await WebhookDelivery.filter(subscription_id=theirs_id).exists()
        assert stranger_receiver.events == []


async def test_a_bot_removed_from_a_chat_stops_receiving_at_once(api: Api) -> None:
    async with receiving() as receiver:
        s = await setup(api, receiver, [ADDED, MEMBERS])
        # Given a delivery that keeps failing, so that its retry is queued
        receiver.plan = [FAIL_500] * 1000
        await send(api, s.owner, s.chat_id, "queued")

        async def failed_once() -> bool:
            rows = await stored(s.subscription_id)
            return any(len(r.attempt_log) >= 1 for r in rows)

        await eventually(failed_once, what="a failed attempt")

        # When the owner removes the bot from the chat
        data = await api.gql(
            MEMBERS_REMOVE,
            {"i": {"chatId": s.chat_id, "userIds": [user_gid(s.created.app.bot_user_id)]}},
            token=s.owner.access_token,
        )
        assert data["chatMembersRemove"]["errors"] == []
        await send(api, s.owner, s.chat_id, "after removal")

        # Then the queued retry is cancelled and nothing sent afterwards is enqueued
        await eventually(lambda: settled(s.subscription_id), what="the retry to be cancelled")
        rows = await deliveries(api, s.owner, s.subscription_id)
        assert [r["eventType"] for r in rows] == [ADDED]
        assert rows[0]["state"] == "CANCELLED"
        assert "no longer in the chat" in rows[0]["lastError"]
        assert receiver.events == []
