"""Webhooks end to end: an app subscribes with a verified URL, events of its bot's chats are
POSTed to a real receiver on loopback, signed, retried until a 2xx, logged, and redelivered."""

from __future__ import annotations

import json

import pytest

from resolvers.admin.events import AdminEventKind
from resolvers.messenger.events import MessengerEventKind
from tests.apps.receiver import FAIL_500, receiving
from tests.apps.webhook_support import deliveries, loopback_hooks, send, settled, setup
from tests.client import Api
from tests.timing import eventually

pytestmark = pytest.mark.usefixtures("loopback_hooks")
__all__ = ["loopback_hooks"]

ADDED = str(MessengerEventKind.MESSAGE_ADDED)


async def test_a_message_in_the_bots_chat_is_delivered_signed(api: Api) -> None:
    async with receiving() as receiver:
        # Given an app subscribed to new messages, its bot in a group
        s = await setup(api, receiver, [ADDED])
        verification = receiver.requests[0]
        assert verification.json["type"] == "url_verification"
        assert receiver.signature_ok(verification)

        # When someone posts there
        await send(api, s.owner, s.chat_id, "hello hooks")

        # Then one signed delivery arrives, carrying the event's snapshot
        await eventually(lambda: len(receiver.events) == 1, what="the delivery")
        got = receiver.events[0]
        assert receiver.signature_ok(got)
        body = got.json
        assert body["type"] == ADDED
        assert body["id"] == got.headers["hello-event-id"]
        assert body["data"]["message"]["text"] == "hello hooks"
        assert body["orderingKey"].startswith("chat:") and body["sequence"] >= 1
        assert set(body) >= {"id", "type", "createdAt", "organizationId", "data"}

        await eventually(lambda: settled(s.subscription_id), what="the delivery to settle")
        [row] = await deliveries(api, s.owner, s.subscription_id)
        assert row["eventId"] == body["id"]
        assert row["attempts"][0]["statusCode"] == 200
        assert json.loads(row["payload"]) == body


async def test_failures_are_retried_then_succeed_and_redeliver_sends_the_same_event(
    api: Api,
) -> None:
    async with receiving() as receiver:
        s = await setup(api, receiver, [ADDED])
        # Given a receiver that fails twice
        receiver.plan = [FAIL_500, FAIL_500]
        await send(api, s.owner, s.chat_id, "third time lucky")

        # Then the third attempt succeeds, and the log has all three
        await eventually(lambda: len(receiver.events) == 1, what="the successful attempt")

        await eventually(lambda: settled(s.subscription_id), what="the delivery to settle")
        [row] = await deliveries(api, s.owner, s.subscription_id)
        assert [a["statusCode"] for a in row["attempts"]] == [500, 500, 200]
        assert row["attempts"][0]["error"] == "HTTP_STATUS"
        assert row["attempts"][0]["responseExcerpt"] == "boom"
        ids = {r.headers["hello-event-id"] for r in receiver.requests[1:]}
        assert ids == {row["eventId"]}

        # When an admin redelivers it
        data = await api.gql(
            """mutation($i: WebhookRedeliverInput!) { webhookRedeliver(input: $i) {
              webhookDelivery { id state } errors { code } } }""",
            {"i": {"deliveryId": row["id"]}},
            token=s.owner.access_token,
        )
        assert data["webhookRedeliver"]["errors"] == []

        # Then the same event arrives again: a duplicate the receiver dedupes by its id
        await eventually(lambda: len(receiver.events) == 2, what="the redelivery")
        assert receiver.duplicates() == {row["eventId"]: 2}


async def test_events_of_one_chat_carry_increasing_sequences(api: Api) -> None:
    async with receiving() as receiver:
        s = await setup(api, receiver, [ADDED])
        for i in range(3):
            await send(api, s.owner, s.chat_id, f"n{i}")
        await eventually(lambda: len(receiver.events) == 3, what="three deliveries")
        # Deliveries may arrive in any order; the sequence restores the order of commits
        bodies = sorted((r.json for r in receiver.events), key=lambda b: b["sequence"])
        assert [b["data"]["message"]["text"] for b in bodies] == ["n0", "n1", "n2"]
        assert len({b["orderingKey"] for b in bodies}) == 1
        seqs = [b["sequence"] for b in bodies]
        assert seqs == list(range(seqs[0], seqs[0] + 3))


async def test_directory_events_reach_every_subscribed_app_of_the_organization(api: Api) -> None:
    async with receiving() as receiver:
        s = await setup(api, receiver, [str(AdminEventKind.DEPARTMENT_CHANGED)])
        await api.gql(
            """mutation($i: DepartmentCreateInput!) { departmentCreate(input: $i) {
              errors { code } } }""",
            {"i": {"name": "Platform"}},
            token=s.owner.access_token,
        )
        await eventually(lambda: len(receiver.events) == 1, what="the directory event")
        body = receiver.events[0].json
        assert body["type"] == AdminEventKind.DEPARTMENT_CHANGED
        assert body["data"]["department"]["name"] == "Platform"
        assert body["orderingKey"] == f"org:{body['organizationId']}"


async def test_the_event_types_are_every_modules_registered_kinds(api: Api) -> None:
    owner = await api.sign_up(organization="Catalog")
    data = await api.gql(
        "{ webhookEventTypes { name module description } }", token=owner.access_token
    )
    names = {t["name"]: t["module"] for t in data["webhookEventTypes"]}
    assert names[ADDED] == "messenger"
    assert names[AdminEventKind.DEPARTMENT_CHANGED] == "admin"
    assert {"messenger", "admin", "identity", "drive"} <= set(names.values())
    # A person's live state is not offered
    assert MessengerEventKind.TYPING not in names and MessengerEventKind.READ_UP_TO not in names
    assert all(t["description"] for t in data["webhookEventTypes"])
