"""Figure 13, Video meetings: signals relayed between two processes, and the time from
``meetingJoin`` to the first media frame.

Signals: a meeting of two seeded members; the addressee follows ``meetingEvents`` on the last
server (the second process on the services stack, where Redis carries the signal between
them), the sender sends ``meetingSignal`` (a trickled ICE candidate, told apart by its port)
to the first. Delay is from just before the sender's request to the event's arrival, both in
this process (one monotonic clock). Two figures:

- p50 and p99 delay at a steady ``RATE`` per second, each send on schedule (not after the
  previous answer). Baseline, measured in the same run against the same two processes: chat
  messages at the same rate from members of the seed's first group (``messageSend``; its
  per-person limit of 5/s is why they come from many senders), followed with ``chatEvents``
  by the same addressee. A signal is relayed and not stored; a message is stored (a row, the
  chat's counters) and fanned out: the ratio says what the relay costs against that.
- signals per second relayed with ``IN_FLIGHT`` requests outstanding (a closed loop): the
  count divided by the time from the first send to the last arrival. The bench servers raise
  ``meetings_signals_per_second`` out of the way (``bench/servers.py``).

First frame: two aiortc peers on loopback (``tests.meetings.peers.Peer``, the test
participant: numbered video frames and a tone) in a new meeting each time; the clock starts
when the second one calls ``meetingJoin`` and stops when both have received a frame from the
other (its OFFER, the ANSWER, ICE and DTLS on loopback, the first RTP decoded)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection, connect

from bench.client import Client
from bench.queries import CHAT_EVENTS, MESSAGE_SEND
from bench.seed import GROUP_SIZE, Dataset, Member
from bench.stats import percentile

RATE = 100.0
IN_FLIGHT = 32
SENDERS = 25
"""Chat senders of the baseline: 100 messages/s is 4/s each, under the per-person limit."""

CREATE = """mutation C($i: MeetingCreateInput!) { meetingCreate(input: $i) {
  meeting { id number } errors { code message } } }"""
JOIN = """mutation J($i: MeetingJoinInput!) { meetingJoin(input: $i) {
  participant { id } errors { code message } } }"""
SIGNAL = """mutation S($i: MeetingSignalInput!) { meetingSignal(input: $i) {
  seq errors { code message } } }"""
EVENTS = """subscription E($m: ID!) { meetingEvents(meetingId: $m) {
  __typename ... on MeetingSignalEvent { seq payload } } }"""


def candidate(n: int) -> str:
    return (
        f'{{"candidate":"candidate:1 1 udp 2130706431 192.0.2.1 {n % 65535 + 1} typ host",'
        '"sdpMid":"0","sdpMLineIndex":0}'
    )


def number_of(payload: str) -> int:
    """The n of ``candidate(n)`` (for n below 65535)."""
    return int(payload.split(" typ ")[0].rsplit(" ", 1)[1]) - 1


class Stream:
    """One ``graphql-transport-ws`` subscription; ``arrived[key]`` is when each item came."""

    def __init__(self, conn: ClientConnection, key: Callable[[dict[str, Any]], int | None]):
        self.conn = conn
        self.key = key
        self.arrived: dict[int, float] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, url: str, token: str, query: str, variables: dict[str, Any], key: Any
    ) -> Stream:
        ws_url = url.replace("http://", "ws://") + "/graphql"
        conn = await connect(
            ws_url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            compression=None,
            ping_interval=None,
            max_size=2**22,
        )
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await conn.send(orjson.dumps(init).decode())
        ack = orjson.loads(await conn.recv())
        assert ack["type"] == "connection_ack", ack
        start = {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": query, "variables": variables},
        }
        await conn.send(orjson.dumps(start).decode())
        return cls(conn, key)

    async def _read(self) -> None:
        async for raw in self.conn:
            msg = orjson.loads(raw)
            if msg.get("type") == "ping":
                await self.conn.send('{"type":"pong"}')
            if msg.get("type") != "next":
                continue
            k = self.key(msg["payload"].get("data") or {})
            if k is not None:
                self.arrived.setdefault(k, time.monotonic())

    async def wait(self, keys: list[int], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while any(k not in self.arrived for k in keys):
            if time.monotonic() > deadline:
                missing = sum(k not in self.arrived for k in keys)
                raise TimeoutError(f"{missing} of {len(keys)} never arrived")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self.reader.cancel()
        await self.conn.close()


def _signal_key(data: dict[str, Any]) -> int | None:
    event = data.get("meetingEvents") or {}
    if event.get("__typename") != "MeetingSignalEvent":
        return None
    return number_of(event["payload"])


def _message_key(data: dict[str, Any]) -> int | None:
    event = data.get("chatEvents") or {}
    text = ((event.get("message") or {}).get("text")) or ""
    return int(text.split()[1]) if text.startswith("meet ") else None


async def _payload(client: Client, query: str, variables: dict[str, Any], token: str) -> Any:
    data = await client.gql(query, variables, token=token)
    [payload] = data.values()
    if payload.get("errors"):
        raise RuntimeError(f"{query.split('(')[0]}: {payload['errors']}")
    return payload


async def _at_rate(
    rate: float, ns: list[int], send: Callable[[int], Coroutine[Any, Any, None]]
) -> dict[int, float]:
    """``send(n)`` for each of ``ns`` at ``rate`` per second, each on schedule; when each
    began."""
    loop = asyncio.get_running_loop()
    start, began = loop.time(), {}
    tasks: list[asyncio.Task[None]] = []
    for i, n in enumerate(ns):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        began[n] = time.monotonic()
        tasks.append(asyncio.create_task(send(n)))
    await asyncio.gather(*tasks)
    return began


def _delays(began: dict[int, float], arrived: dict[int, float]) -> tuple[float, float]:
    ms = sorted((arrived[n] - t) * 1000 for n, t in began.items())
    return percentile(ms, 0.5), percentile(ms, 0.99)


async def signals(
    urls: list[str], data: Dataset, *, count: int, runs: int, log: Callable[[str], None]
) -> dict[str, list[float]]:
    """Per run: signal delay p50/p99 at ``RATE``, chat message delay p50/p99 at the same
    rate, and signals/s with ``IN_FLIGHT`` outstanding."""
    first, last = Client(urls[0]), Client(urls[-1])
    sender, addressee = data.members[0], data.members[1]
    chat_senders: list[Member] = data.members[:GROUP_SIZE][:SENDERS]
    out: dict[str, list[float]] = {k: [] for k in ("p50", "p99", "chat50", "chat99", "rate")}
    async with first, last:
        meeting = (await _payload(first, CREATE, {"i": {}}, sender.token))["meeting"]
        await _payload(first, JOIN, {"i": {"meetingId": meeting["id"]}}, sender.token)
        joined = await _payload(last, JOIN, {"i": {"number": meeting["number"]}}, addressee.token)
        to = joined["participant"]["id"]
        events = await Stream.open(
            urls[-1], addressee.token, EVENTS, {"m": meeting["id"]}, _signal_key
        )
        # The sender's own stream keeps it present (no stream: taken out as stale)
        own = await Stream.open(urls[0], sender.token, EVENTS, {"m": meeting["id"]}, _signal_key)
        chat = await Stream.open(
            urls[-1], addressee.token, CHAT_EVENTS, {"chat": data.groups[0]}, _message_key
        )
        await asyncio.sleep(0.5)  # both subscriptions confirmed
        base = 0

        async def send_signal(n: int) -> None:
            variables = {
                "i": {
                    "meetingId": meeting["id"],
                    "to": to,
                    "kind": "ICE_CANDIDATE",
                    "payload": candidate(n),
                }
            }
            await _payload(first, SIGNAL, variables, sender.token)

        async def send_message(n: int) -> None:
            who = chat_senders[n % len(chat_senders)]
            text = {"input": {"chatId": data.groups[0], "text": f"meet {n}"}}
            await first.mutate("messageSend", MESSAGE_SEND, text, token=who.token)

        try:
            for run in range(runs):
                ns = list(range(base, base + count))
                began = await _at_rate(RATE, ns, send_signal)
                await events.wait(ns)
                p50, p99 = _delays(began, events.arrived)
                mbegan = await _at_rate(RATE, ns, send_message)
                await chat.wait(ns)
                c50, c99 = _delays(mbegan, chat.arrived)
                base += count
                # As fast as it goes: IN_FLIGHT requests outstanding
                ns = list(range(base, base + 4 * count))
                queue = list(ns)
                start = time.monotonic()

                async def worker(queue: list[int]) -> None:
                    while queue:
                        await send_signal(queue.pop())

                await asyncio.gather(*(worker(queue) for _ in range(IN_FLIGHT)))
                await events.wait(ns)
                rate = len(ns) / (max(events.arrived[n] for n in ns) - start)
                base += 4 * count
                for k, v in zip(out, (p50, p99, c50, c99, rate), strict=True):
                    out[k].append(v)
                log(
                    f"    run {run + 1}: signal p50 {p50:.1f} ms p99 {p99:.1f} ms, chat "
                    f"p50 {c50:.1f} ms p99 {c99:.1f} ms; {rate:.0f} signals/s"
                )
        finally:
            await events.close()
            await chat.close()
            await own.close()  # the stream closed: the sender leaves, and the meeting ends
    return out


async def first_frames(
    url: str, data: Dataset, *, joins: int, log: Callable[[str], None]
) -> list[float]:
    """Milliseconds from the second peer's ``meetingJoin`` to frames both ways, per join."""
    from tests.client import Api
    from tests.meetings.helpers import CREATE as CREATE_MEETING
    from tests.meetings.peers import Peer

    a, b = data.members[2], data.members[3]
    took: list[float] = []
    async with Api(url) as api:
        for _ in range(joins):
            created = await api.gql(CREATE_MEETING, {"input": {}}, token=a.token)
            meeting = created["meetingCreate"]["meeting"]
            one = Peer(api, url, meeting["id"], a.token)
            two = Peer(api, url, meeting["id"], b.token)
            try:
                await one.join()
                await two.join(number=meeting["number"])
                async with asyncio.timeout(60):
                    while len(one.first_frame_at) < 1 or len(two.first_frame_at) < 1:
                        await asyncio.sleep(0.002)
                done = max(one.first_frame_at[two.id], two.first_frame_at[one.id])
                took.append((done - two.joined_at) * 1000)
            finally:
                await two.close()
                await one.close()
    log(f"    join to first frame: median {statistics.median(took):.0f} ms over {joins} joins")
    return took
