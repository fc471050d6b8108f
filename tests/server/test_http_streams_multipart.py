"""Apollo's multipart subscriptions over the real app with httpx streaming: payload parts,
``{}`` heartbeats while nothing happens, the closing delimiter, and nothing left behind. The
helpers and the SSE tests are in ``test_http_streams.py``; Apollo Client itself in
``tests/interop/test_apollo_subscription.py``."""

from __future__ import annotations

from typing import Any

import pytest

from server import http_streams
from tests.client import Api, wait_subscribed
from tests.messenger.helpers import send
from tests.server.test_http_streams import EVENTS, channel_of, chat_of_two, multipart, nothing_left


async def test_multipart_subscription_payloads_heartbeats_and_end(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_streams.MultipartFraming, "heartbeat_seconds", 0.2)
    ada, bob, chat = await chat_of_two(api)
    async with multipart(api, EVENTS, {"id": chat}, who=bob) as stream:
        await wait_subscribed(channel_of(chat))
        # Heartbeats while nothing happens
        assert await stream.part() == {}
        await send(api, ada, chat, "hello")
        part = await stream.part()
        while part == {}:
            part = await stream.part()
        assert part["payload"]["data"] == {
            "chatEvents": {"__typename": "MessageAdded", "message": {"seq": 1, "text": "hello"}}
        }
    await nothing_left(app, channel_of(chat))

    # A query ends with the closing delimiter after its one payload
    async with multipart(api, "{ viewer { id } }", who=ada) as stream:
        part = await stream.part()
        while part == {}:
            part = await stream.part()
        assert part["payload"]["data"] == {"viewer": {"id": ada.user_id}}
        assert await stream.part() == "end"


async def test_multipart_refusals_are_payload_errors_then_the_end(api: Api) -> None:
    ada, _, chat = await chat_of_two(api)
    async with multipart(api, "subscription { noSuchField }", who=ada) as stream:
        part = await stream.part()
        while part == {}:
            part = await stream.part()
        codes = [e["extensions"]["code"] for e in part["payload"]["errors"]]
        assert codes == ["GRAPHQL_VALIDATION_FAILED"]
        assert await stream.part() == "end"
    # Signed out: the subscription needs a principal
    async with multipart(api, EVENTS, {"id": chat}) as stream:
        part = await stream.part()
        while part == {}:
            part = await stream.part()
        assert part["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await stream.part() == "end"
