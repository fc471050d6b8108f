"""The frame hub (issue 14, step 2, ``server/frame_hub.py``): one bus subscription per chat per
process however many ``chatEvents`` subscribers, frames byte for byte those of strawberry's
path, a slow consumer cut off by the rule while the others go on, and a subscriber completing
mid-stream. Over real WebSockets against the server of the test's process."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from typing import Any

from adapters import runtime
from resolvers.messenger.events import chat_channel
from tests.client import Api, WSClient, wait_subscribed
from tests.drive.transfer import setting
from tests.messenger.helpers import group, send
from tests.messenger.test_live_sharing import pk, socket_for
from tests.messenger.test_multiprocess import members, two_servers
from tests.services import require_env
from tests.subscriptions.test_stalled_sockets import signed_in

SELECTION = """__typename ... on MessageAdded { message { seq text sender { id displayName } } }
  ... on MembersChanged { added { id displayName } removed { id } }"""
HUB = f"""subscription($id: ID!, $after: Int) {{ chatEvents(chatId: $id, afterSeq: $after) {{
  {SELECTION} }} }}"""
# The same operation with its root field behind a fragment: the hub leaves it to strawberry.
PLAIN = f"""subscription($id: ID!, $after: Int) {{ ...Root }}
fragment Root on Subscription {{ chatEvents(chatId: $id, afterSeq: $after) {{ {SELECTION} }} }}"""


def bus_subscriptions(channel: str) -> list[Any]:
    entry = runtime.current().bus._channels.get(channel)
    return list(entry.subscribers) if entry is not None else []


async def raw(ws: WSClient, timeout: float = 10) -> str:
    text = await asyncio.wait_for(ws.conn.recv(), timeout)
    assert isinstance(text, str)
    return text


def comparable(frame: str) -> Any:
    """A frame with its id and the rate limit's remaining points (the two operations took
    their points one after the other) left out."""
    message = json.loads(frame)
    message.pop("id", None)
    payload = message.get("payload")
    cost = payload.get("extensions", {}).get("cost") if isinstance(payload, dict) else None
    if cost:
        cost["throttleStatus"].pop("currentlyAvailable")
    return message


async def test_one_bus_subscription_per_chat_however_many_subscribers(
    server: str, api: Api
) -> None:
    ada = await api.sign_up()
    people = [await api.add_member(ada, name=f"Member {i}") for i in range(3)]
    chat = await group(api, ada, people)
    channel = chat_channel(pk(chat))
    sockets = [await socket_for(server, who) for who in [ada, *people]]
    try:
        for ws in sockets:
            await ws.subscribe(HUB, {"id": chat})
            await ws.subscribe(HUB, {"id": chat})  # two on each socket
        await wait_subscribed(channel, 2 * len(sockets))
        subs = bus_subscriptions(channel)
        assert len(subs) == 1 and subs[0].weight == 8
        sent = await send(api, ada, chat, "to everyone")
        for ws in sockets:
            got = {(m := await ws.receive())["id"]: m for _ in range(2)}
            assert sorted(got) == ["1", "2"]
            for message in got.values():
                data = message["payload"]["data"]["chatEvents"]
                assert data["message"]["seq"] == sent["message"]["seq"]
    finally:
        for ws in sockets:
            await ws.close()
    async with asyncio.timeout(5):
        while bus_subscriptions(channel):  # the last one gone, the bus subscription goes
            await asyncio.sleep(0.01)


async def test_frames_are_byte_for_byte_those_of_strawberrys_path(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cy = await api.add_member(ada, name="Cy")
    chat = await group(api, ada, [bob])
    channel = chat_channel(pk(chat))
    await send(api, ada, chat, "before")
    await send(api, bob, chat, "before, too")
    ws = await socket_for(server, ada)
    try:
        # Replay then live, through the hub (1) and through strawberry (2), on one socket.
        hub = await ws.subscribe(HUB, {"id": chat, "after": 0})
        plain = await ws.subscribe(PLAIN, {"id": chat, "after": 0})
        await wait_subscribed(channel, 2)
        assert len(bus_subscriptions(channel)) == 2  # the hub's, and strawberry's own
        await send(api, bob, chat, "live")
        await api.gql(
            """mutation($i: ChatMembersAddInput!) { chatMembersAdd(input: $i) {
              errors { code } } }""",
            {"i": {"chatId": chat, "userIds": [cy.user_id]}},
            token=ada.access_token,
        )
        await send(api, ada, chat, "after the change")
        frames: dict[str, list[str]] = {hub: [], plain: []}
        while not all(f and "after the change" in f[-1] for f in frames.values()):
            frame = await raw(ws)
            frames[json.loads(frame)["id"]].append(frame)
        assert len(frames[hub]) >= 5
        first_hub, *rest_hub = frames[hub]
        first_plain, *rest_plain = frames[plain]
        assert "extensions" in first_hub and comparable(first_hub) == comparable(first_plain)
        assert rest_hub == [f.replace(f'"id":"{plain}"', f'"id":"{hub}"') for f in rest_plain]

        # Errors: a chat one is not in ends with the same next-with-errors and complete, and
        # an operation the checks refuse gets the same error message.
        other = await group(api, bob, [cy])
        for query in (HUB, PLAIN):
            await ws.subscribe(query, {"id": other})
        by_id: dict[str, list[Any]] = {}
        while sum(len(v) for v in by_id.values()) < 4:
            frame = await raw(ws)
            assert json.loads(frame)["id"] not in (hub, plain), frame
            by_id.setdefault(json.loads(frame)["id"], []).append(comparable(frame))
        hub_end, plain_end = by_id.values()
        assert [m["type"] for m in hub_end] == ["next", "complete"]
        assert hub_end == plain_end
        assert hub_end[0]["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        refused = []
        for query in (HUB, PLAIN):
            await ws.subscribe(query, {})  # $id is required
            refused.append(comparable(await raw(ws)))
        assert refused[0] == refused[1] and refused[0]["type"] == "error"
    finally:
        await ws.close()


async def test_a_slow_consumer_is_cut_off_while_the_others_go_on(server: str, api: Api) -> None:
    ada = await api.sign_up()
    senders = [ada, *[await api.add_member(ada, name=f"Sender {i}") for i in range(3)]]
    chat = await group(api, ada, senders[1:])
    channel = chat_channel(pk(chat))
    bus = runtime.current().bus
    text = base64.b64encode(os.urandom(100_000)).decode()  # incompressible, near the limit
    with setting("bus_queue_size", 3), setting("ws_send_timeout_seconds", 60.0):
        slow = await signed_in(server, ada, receive_buffer=8192)
        fast = await socket_for(server, senders[1])
        try:
            await slow.subscribe(HUB, {"id": chat})
            await fast.subscribe(HUB, {"id": chat})
            await wait_subscribed(channel, 2)
            got: list[int] = []

            async def keep_reading() -> None:
                while True:
                    message = await fast.receive(timeout=30)
                    got.append(message["payload"]["data"]["chatEvents"]["message"]["seq"])

            reading = asyncio.create_task(keep_reading())
            sent, deadline = 0, time.monotonic() + 60
            while bus.subscriber_count(channel) == 2:  # until the slow one is cut off
                assert time.monotonic() < deadline, f"not cut off after {sent} messages"
                errors = (await send(api, senders[sent % len(senders)], chat, text))["errors"]
                if errors and errors[0]["code"] == "THROTTLED":
                    await asyncio.sleep(0.1)
                    continue
                assert errors == []
                sent += 1
            assert bus.subscriber_count(channel) == 1
            await send(api, ada, chat, "still going")
            sent += 1
            async with asyncio.timeout(30):
                while len(got) < sent:
                    await asyncio.sleep(0.01)
            reading.cancel()
            assert got == list(range(1, sent + 1))  # the fast one lost nothing

            # The slow one reads again: the events that were on the wire, in order, then the
            # overflow error and the end of its stream.
            seqs: list[int] = []
            while True:
                message = await slow.receive(timeout=10)
                if message["type"] != "next" or "errors" in message["payload"]:
                    break
                seqs.append(message["payload"]["data"]["chatEvents"]["message"]["seq"])
            assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) < sent
            assert message["payload"]["errors"][0]["extensions"]["code"] == (
                "SUBSCRIPTION_OVERFLOW"
            )
            assert (await slow.receive())["type"] == "complete"
        finally:
            await slow.close()
            await fast.close()


async def test_a_subscriber_completing_mid_stream_leaves_the_others(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    chat = await group(api, ada, [bob])
    channel = chat_channel(pk(chat))
    mine = await socket_for(server, ada)
    theirs = await socket_for(server, bob)
    try:
        first = await mine.subscribe(HUB, {"id": chat})
        second = await mine.subscribe(HUB, {"id": chat})
        await theirs.subscribe(HUB, {"id": chat})
        await wait_subscribed(channel, 3)
        one = (await send(api, ada, chat, "one"))["message"]["seq"]
        assert {(await mine.receive())["id"] for _ in range(2)} == {first, second}
        assert (await theirs.receive())["payload"]["data"]["chatEvents"]["message"]["seq"] == one

        await mine.send({"id": first, "type": "complete"})
        async with asyncio.timeout(5):
            while bus_subscriptions(channel)[0].weight != 2:
                await asyncio.sleep(0.01)
        two = (await send(api, bob, chat, "two"))["message"]["seq"]
        three = (await send(api, bob, chat, "three"))["message"]["seq"]
        after = [await mine.receive() for _ in range(2)]
        assert [m["id"] for m in after] == [second, second]
        assert [m["payload"]["data"]["chatEvents"]["message"]["seq"] for m in after] == [
            two,
            three,
        ]
        seqs = [(await theirs.receive())["payload"]["data"]["chatEvents"]["message"]["seq"]]
        seqs.append((await theirs.receive())["payload"]["data"]["chatEvents"]["message"]["seq"])
        assert seqs == [two, three]
        # The id is free again: subscribing with it starts afresh.
        await mine.send(
            {
                "id": first,
                "type": "subscribe",
                "payload": {"query": HUB, "variables": {"id": chat, "after": two}},
            }
        )
        again = await mine.receive()
        assert again["id"] == first
        assert again["payload"]["data"]["chatEvents"]["message"]["seq"] == three
    finally:
        await mine.close()
        await theirs.close()


async def test_two_processes_over_redis_hold_one_bus_subscription_each(tmp_path: object) -> None:
    from redis.asyncio import Redis

    prefix = f"hello-hub-{uuid.uuid4().hex[:10]}:"
    redis = Redis.from_url(require_env("HELLO_TEST_REDIS_URL"))

    async def processes_listening(key: str, count: int) -> None:
        async with asyncio.timeout(15):
            while (await redis.pubsub_numsub(key))[0][1] != count:
                await asyncio.sleep(0.05)

    async with (
        asyncio.timeout(180),
        two_servers(str(tmp_path), prefix=prefix) as (url_a, url_b),
        Api(url_a) as api_a,
        Api(url_b) as api_b,
    ):
        ada = await api_a.sign_up()
        people = await members(api_a, ada, 3)
        chat = await group(api_a, ada, people)
        key = prefix + chat_channel(pk(chat))
        await send(api_a, ada, chat, "before anyone listens")
        on_b = [await socket_for(url_b, who) for who in [ada, *people]]
        on_a = [await socket_for(url_a, who) for who in people[:2]]
        try:
            # With afterSeq, whatever the timing, each gets every message once, in order.
            for ws in on_a + on_b:
                await ws.subscribe(HUB, {"id": chat, "after": 0})
            await processes_listening(key, 2)  # one Redis subscription per process
            across = (await send(api_b, people[0], chat, "through B"))["message"]["seq"]
            also = (await send(api_a, people[1], chat, "through A"))["message"]["seq"]
            for ws in on_a + on_b:
                seqs: list[int] = []
                while not seqs or seqs[-1] < also:
                    message = await ws.receive(timeout=10)
                    seqs.append(message["payload"]["data"]["chatEvents"]["message"]["seq"])
                assert seqs == list(range(1, also + 1)) and across in seqs

            # A's subscribers leave: A's Redis subscription goes, B's stays and still delivers.
            for ws in on_a:
                await ws.close()
            await processes_listening(key, 1)
            last = (await send(api_a, ada, chat, "after A's left"))["message"]["seq"]
            for ws in on_b:
                message = await ws.receive(timeout=10)
                assert message["payload"]["data"]["chatEvents"]["message"]["seq"] == last
        finally:
            for ws in on_a + on_b:
                await ws.close()
            await redis.aclose()
