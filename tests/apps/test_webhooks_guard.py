"""The edges of webhook deliveries: SSRF (loopback refused unless allowed, at creation and at
delivery), bad input, and attempts that fail by timing out, answering too much or
redirecting, each recorded in the log."""

from __future__ import annotations

import ipaddress

import pytest

from adapters.settings import get_settings
from adapters.webhook_http import AllowList, is_public
from models.webhooks import WebhookDelivery, WebhookSubscription
from resolvers.messenger.events import MessengerEventKind
from tests.apps.helpers import app_global_id, create_app
from tests.apps.receiver import HUGE, NO_ECHO, REDIRECT, SLOW, receiving
from tests.apps.webhook_support import (
    deliveries,
    loopback_hooks,
    send,
    settled,
    setup,
    stored,
    subscribe,
)
from tests.client import Api
from tests.timing import eventually

__all__ = ["loopback_hooks"]

ADDED = str(MessengerEventKind.MESSAGE_ADDED)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
    ],
)
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_are_public_and_the_allow_list_takes_hosts_and_cidrs() -> None:
    assert is_public(ipaddress.ip_address("93.184.215.14"))
    assert is_public(ipaddress.ip_address("2606:4700::1111"))
    allow = AllowList.parse(["127.0.0.1", "10.0.0.0/8", "Hooks.Internal."])
    assert allow.allows_address(ipaddress.ip_address("10.9.9.9"))
    assert not allow.allows_address(ipaddress.ip_address("11.0.0.1"))
    assert allow.allows_host("hooks.internal")


async def test_loopback_is_refused_without_the_allow_list(api: Api) -> None:
    async with receiving() as receiver:
        owner = await api.sign_up(organization="Guarded")
        created = await create_app(owner)
        before = await WebhookSubscription.all().count()
        for url in (
            receiver.url,
            f"http://localhost:{receiver.port}/h",
            f"http://[::ffff:127.0.0.1]:{receiver.port}/",
        ):
            payload = await subscribe(api, owner, created, url, [ADDED])
            assert [e["code"] for e in payload["errors"]] == ["URL_NOT_ALLOWED"], url
        assert receiver.requests == []
        assert await WebhookSubscription.all().count() == before


async def test_loopback_is_accepted_with_the_allow_list_and_refused_again_at_delivery(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with receiving() as receiver:
        settings = get_settings()
        monkeypatch.setattr(settings, "webhook_allowed_hosts", ["127.0.0.0/8"])
        s = await setup(api, receiver, [ADDED])
        # When the operator withdraws the allowance, deliveries are refused too
        monkeypatch.setattr(settings, "webhook_allowed_hosts", [])
        await send(api, s.owner, s.chat_id, "not sent")

        async def refused() -> bool:
            rows = await stored(s.subscription_id)
            return bool(rows and rows[0].attempt_log)

        await eventually(refused, what="a refused attempt")
        rows = await deliveries(api, s.owner, s.subscription_id)
        assert rows[0]["attempts"][0]["error"] == "ADDRESS_REFUSED"
        assert rows[0]["attempts"][0]["statusCode"] is None
        assert receiver.events == []


@pytest.mark.usefixtures("loopback_hooks")
async def test_bad_input_is_refused_and_nothing_is_stored(api: Api) -> None:
    async with receiving() as receiver:
        owner = await api.sign_up(organization="Picky")
        created = await create_app(owner)
        before = await WebhookSubscription.all().count()
        cases = [
            ("ftp://127.0.0.1/x", [ADDED], "INVALID_URL"),
            ("not a url", [ADDED], "INVALID_URL"),
            ("http://user:pw@127.0.0.1/x", [ADDED], "INVALID_URL"),
            (receiver.url, ["message.nope"], "INVALID_EVENT_TYPE"),
            (receiver.url, [], "INVALID_EVENT_TYPE"),
        ]
        for url, types, code in cases:
            payload = await subscribe(api, owner, created, url, types)
            assert [e["code"] for e in payload["errors"]] == [code], (url, types)
        # An endpoint that does not echo the challenge is not subscribed
        receiver.plan = [NO_ECHO]
        payload = await subscribe(api, owner, created, receiver.url, [ADDED])
        assert [e["code"] for e in payload["errors"]] == ["URL_VERIFICATION_FAILED"]
        assert await WebhookSubscription.all().count() == before
        # A member is not an admin
        member = await api.add_member(owner, name="Mo")
        payload = await subscribe(api, member, created, receiver.url, [ADDED])
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
        assert await WebhookSubscription.all().count() == before


@pytest.mark.usefixtures("loopback_hooks")
async def test_timeouts_oversized_answers_and_redirects_fail_and_are_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "webhook_timeout_seconds", 0.5)
    async with receiving() as receiver:
        receiver.slow_seconds = 2.0
        s = await setup(api, receiver, [ADDED])
        receiver.plan = [SLOW, HUGE, REDIRECT]
        await send(api, s.owner, s.chat_id, "eventually")

        await eventually(lambda: settled(s.subscription_id), timeout=20, what="the delivery")
        [row] = await deliveries(api, s.owner, s.subscription_id)
        got = [(a["error"], a["statusCode"]) for a in row["attempts"]]
        assert got == [
            ("TIMEOUT", None),
            ("RESPONSE_TOO_LARGE", 200),
            ("HTTP_STATUS", 302),
            (None, 200),
        ]
        assert len(row["attempts"][1]["responseExcerpt"]) == 1024
        assert len(receiver.events) == 1
        assert receiver.requests[-1].headers["hello-event-id"] == row["eventId"]


@pytest.mark.usefixtures("loopback_hooks")
async def test_update_reverifies_a_new_url_and_delete_stops_deliveries(api: Api) -> None:
    async with receiving() as receiver, receiving() as second:
        s = await setup(api, receiver, [ADDED])
        second.secret = s.secret
        data = await api.gql(
            """mutation($i: WebhookSubscriptionUpdateInput!) { webhookSubscriptionUpdate(
              input: $i) { webhookSubscription { url } errors { code } } }""",
            {"i": {"id": s.subscription_id, "url": second.url}},
            token=s.owner.access_token,
        )
        assert data["webhookSubscriptionUpdate"]["errors"] == []
        assert second.signature_ok(second.requests[0])  # verified with the same secret
        await send(api, s.owner, s.chat_id, "to the second")
        await eventually(lambda: len(second.events) == 1, what="delivery to the new URL")
        data = await api.gql(
            """mutation($i: WebhookSubscriptionDeleteInput!) { webhookSubscriptionDelete(
              input: $i) { deletedWebhookSubscriptionId errors { code } } }""",
            {"i": {"id": s.subscription_id}},
            token=s.owner.access_token,
        )
        assert (
            data["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] == s.subscription_id
        )
        # A marker: a new subscription to a third receiver, made after the delete
        async with receiving() as marker:
            fresh = await subscribe(api, s.owner, s.created, marker.url, [ADDED])
            assert fresh["errors"] == []
            await send(api, s.owner, s.chat_id, "nobody else listens")
            await eventually(lambda: len(marker.events) == 1, what="the marker's delivery")
            event_id = marker.events[0].headers["hello-event-id"]
        # The event went to the new subscription alone: the deleted one enqueued nothing
        assert await WebhookDelivery.filter(event_id=event_id).count() == 1
        assert len(second.events) == 1 and receiver.events == []
        data = await api.gql(
            "query($a: ID!) { webhookSubscriptions(appId: $a) { id } }",
            {"a": app_global_id(s.created)},
            token=s.owner.access_token,
        )
        assert data["webhookSubscriptions"] == [{"id": fresh["webhookSubscription"]["id"]}]
