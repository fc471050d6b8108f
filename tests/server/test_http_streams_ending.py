"""How an HTTP stream ends, as a WebSocket's operations do: signing out or a revoked session,
a deactivated user, removal from the chat, and a client that stops reading; and the operation
timeout, which bounds queries over a stream but not subscriptions. Each time the server keeps
nothing of the stream, and whoever is not concerned keeps theirs."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from typing import Any

import httpx

from adapters import runtime
from tests.client import Api, wait_subscribed
from tests.drive.transfer import setting
from tests.messenger.helpers import group, send
from tests.server.test_http_streams import (
    EVENTS,
    SSE_ACCEPT,
    EventStream,
    channel_of,
    chat_of_two,
    multipart,
    nothing_left,
    open_streams,
    sse,
    stream_request,
)

REMOVE = """mutation($i: ChatMembersRemoveInput!) { chatMembersRemove(input: $i) {
  errors { code } } }"""
DEACTIVATE = (
    """mutation($i: UserDeactivateInput!) { userDeactivate(input: $i) { errors { code } } }"""
)


async def ended_unauthenticated(stream: EventStream) -> None:
    name, data = await stream.event()
    assert name == "next", (name, data)
    assert [e["extensions"]["code"] for e in data["errors"]] == ["UNAUTHENTICATED"]
    assert await stream.event() == ("complete", None)
    assert await stream.event() == ("eof", None)


async def test_signing_out_ends_that_sessions_streams_only(api: Api, app: Any) -> None:
    # Given Bob's chatEvents open over SSE from two sessions (two devices)
    ada, bob, chat = await chat_of_two(api)
    laptop = await api.sign_in(bob.email)
    async with (
        sse(api, EVENTS, {"id": chat}, who=bob) as phone_stream,
        sse(api, EVENTS, {"id": chat}, who=laptop) as laptop_stream,
    ):
        await wait_subscribed(channel_of(chat), 2)

        # When the phone signs out
        await api.gql("mutation { signOut { signedOut } }", token=bob.access_token)

        # Then its stream ends with UNAUTHENTICATED, and the laptop's goes on
        await ended_unauthenticated(phone_stream)
        await send(api, ada, chat, "still there?")
        _name, data = await laptop_stream.event()
        assert data["data"]["chatEvents"]["message"]["text"] == "still there?"
        assert len(open_streams(app)) == 1
    await nothing_left(app, channel_of(chat))


async def test_a_deactivated_user_loses_every_stream(api: Api, app: Any) -> None:
    ada, bob, chat = await chat_of_two(api)
    async with (
        sse(api, EVENTS, {"id": chat}, who=bob) as stream,
        multipart(api, "subscription { viewerEvents { __typename } }", who=bob) as parts,
        sse(api, EVENTS, {"id": chat}, who=ada) as owners,
    ):
        await wait_subscribed(channel_of(chat), 2)
        result = await api.gql(DEACTIVATE, {"i": {"userId": bob.user_id}}, token=ada.access_token)
        assert result["userDeactivate"]["errors"] == []

        await ended_unauthenticated(stream)
        # Apollo's multipart protocol ends a subscription from the server with top-level errors
        part = await parts.part()
        while part == {}:
            part = await parts.part()
        assert part["payload"] is None
        assert [e["extensions"]["code"] for e in part["errors"]] == ["UNAUTHENTICATED"]
        assert await parts.part() == "end"

        # The owner's stream is untouched
        await send(api, ada, chat, "after")
        while (event := await owners.event())[1]["data"]["chatEvents"]["__typename"] != (
            "MessageAdded"
        ):
            pass
        assert event[1]["data"]["chatEvents"]["message"]["text"] == "after"


async def test_removal_from_the_chat_completes_its_stream(api: Api, app: Any) -> None:
    ada, bob, chat = await chat_of_two(api)
    async with sse(api, EVENTS, {"id": chat}, who=bob) as stream:
        await wait_subscribed(channel_of(chat))
        await send(api, ada, chat, "before")
        assert (await stream.event())[1]["data"]["chatEvents"]["message"]["text"] == "before"

        result = await api.gql(
            REMOVE, {"i": {"chatId": chat, "userIds": [bob.user_id]}}, token=ada.access_token
        )
        assert result["chatMembersRemove"]["errors"] == []

        # Bob sees the notice of his removal, then the subscription returns, as on a
        # WebSocket: `complete`, and the response ends
        _name, data = await stream.event()
        assert data["data"]["chatEvents"]["message"]["text"] == "Ada removed Bob"
        assert await stream.event() == ("complete", None)
        assert await stream.event() == ("eof", None)
    await send(api, ada, chat, "after")
    await nothing_left(app, channel_of(chat))


async def test_a_client_that_goes_away_mid_stream_leaves_nothing(api: Api, app: Any) -> None:
    ada, bob, chat = await chat_of_two(api)
    for _ in range(3):
        async with multipart(api, EVENTS, {"id": chat}, who=bob):
            await wait_subscribed(channel_of(chat))
        async with sse(api, EVENTS, {"id": chat}, who=bob, method="GET"):
            await wait_subscribed(channel_of(chat))
    await nothing_left(app, channel_of(chat))
    # And the server still serves the chat
    async with sse(api, EVENTS, {"id": chat}, who=bob) as stream:
        await wait_subscribed(channel_of(chat))
        await send(api, ada, chat, "hi")
        assert (await stream.event())[1]["data"]["chatEvents"]["message"]["seq"] == 1


# Large and random (no compression), so that few sends fill the buffers.
TEXT = base64.b64encode(os.urandom(100_000)).decode()


async def test_a_reader_that_stops_reading_is_cut_off(server: str, api: Api, app: Any) -> None:
    # Given a subscriber whose client reads nothing (httpx reads the socket only when asked)
    ada = await api.sign_up()
    senders = [ada, *[await api.add_member(ada, name=f"Sender {i}") for i in range(3)]]
    chat = await group(api, ada, senders[1:])
    channel = channel_of(chat)
    bus = runtime.current().bus
    async with httpx.AsyncClient(base_url=server, timeout=30) as slow:
        with setting("ws_send_timeout_seconds", 1.0):
            request = stream_request(SSE_ACCEPT, EVENTS, {"id": chat}, who=ada)
            async with slow.stream(**request) as response:
                assert response.status_code == 200
                await wait_subscribed(channel)

                # When messages keep coming
                sent = 0
                deadline = time.monotonic() + 60
                while bus.subscriber_count(channel):
                    assert time.monotonic() < deadline, f"still subscribed after {sent}"
                    errors = (await send(api, senders[sent % len(senders)], chat, TEXT))["errors"]
                    if errors and errors[0]["code"] == "THROTTLED":
                        await asyncio.sleep(0.1)
                        continue
                    assert errors == []
                    sent += 1

                # Then the server gave up on it (its subscription is gone, above); reading
                # again, the client gets what was on the wire, in order, then why it ended
                stream = EventStream(response)
                seen: list[int] = []
                try:
                    while True:
                        name, data = await stream.event()
                        assert name == "next", (name, data)
                        if "errors" in data:
                            break
                        seen.append(data["data"]["chatEvents"]["message"]["seq"])
                    assert [e["extensions"]["code"] for e in data["errors"]] == ["STREAM_STALLED"]
                    assert "afterSeq" in data["errors"][0]["message"]
                    assert await stream.event() == ("complete", None)
                    assert await stream.event() == ("eof", None)
                finally:
                    await stream.close()
                assert seen == list(range(1, len(seen) + 1)) and len(seen) < sent
    await nothing_left(app, channel)


async def test_the_operation_timeout_bounds_queries_not_subscriptions(api: Api) -> None:
    ada, bob, chat = await chat_of_two(api)
    with setting("operation_timeout_seconds", 0.2):
        # A subscription outlives the operation timeout: it is not one operation's work
        async with sse(api, EVENTS, {"id": chat}, who=bob) as stream:
            await wait_subscribed(channel_of(chat))
            await asyncio.sleep(0.5)
            await send(api, ada, chat, "late")
            _, data = await stream.event()
            assert data["data"]["chatEvents"]["message"]["text"] == "late"
    with setting("operation_timeout_seconds", 1e-6):
        # A query over a stream is cancelled past it, like over plain HTTP
        query = "{ viewer { chats(first: 5) { edges { node { id } } } } }"
        async with sse(api, query, who=ada) as stream:
            _name, data = await stream.event()
            assert [e["extensions"]["code"] for e in data["errors"]] == ["TIMEOUT"]
            assert await stream.event() == ("complete", None)
