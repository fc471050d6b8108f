"""Faults injected into a running deployment, and what every subscriber got.

Two ``hello serve`` processes over a fresh PostgreSQL database and a ``redis-server`` of our own
on a free port (the machine's shared Redis is never touched), with ``chatEvents`` subscribers on
both (half replaying with ``afterSeq``, half live only) and senders going through both at a
steady rate. Each fault gets a chat of its own:

- ``none``: the same traffic without a fault, the yardstick for the rest;
- ``redis-5s`` / ``redis-15s``: Redis SIGKILLed, restarted empty after 5 / 15 s;
- ``kill-process``: one process SIGKILLed and started again (its subscribers reconnect to it
  with the last seq they saw, as clients do; senders go through the other meanwhile);
- ``pg-terminate``: every PostgreSQL backend of the test database terminated.

A send that fails is retried with the same idempotency key (through the other process), so it
commits once. Afterwards every subscriber must hold every committed message exactly once and in
order; ``recovery`` is the longest a message took to arrive after it was both acknowledged and
past the fault's end; ``db xact/s`` the database's transactions per second from the fault to the
end of the traffic (sends, and the subscribers' catch-ups while Redis is down). One implementation, two scales: ``test_faults.py`` runs ``SMALL`` in the
suite, ``make chaos`` (``python -m tests.reliability.chaos``) runs ``LARGE`` and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.client import Account, Api, WSClient
from tests.messenger.helpers import group
from tests.messenger.test_multiprocess import members
from tests.reliability.cluster import Cluster, cluster

EVENTS = """subscription($id: ID!, $after: Int) { chatEvents(chatId: $id, afterSeq: $after) {
  __typename ... on MessageAdded { message { seq } } } }"""
SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
  message { seq } errors { code message } } }"""
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Scale:
    subscribers: int  # per process
    senders: int
    rate: float  # messages per second, all senders together
    calm: float  # seconds of traffic before and after each fault
    outages: tuple[float, ...] = (5.0, 15.0)


# Each sender stays well under the per-user send rate (5/s), so nobody is throttled.
SMALL = Scale(subscribers=2, senders=4, rate=8.0, calm=1.5)
LARGE = Scale(subscribers=50, senders=8, rate=20.0, calm=3.0)


@dataclass
class Outcome:
    fault: str
    sent: int
    delivered: int  # (subscriber, message) pairs received, duplicates included
    expected: int  # sent x subscribers
    lost: int
    duplicated: int
    out_of_order: int
    failed_sends: int  # attempts that failed and were retried
    why: str  # the failed attempts' error codes
    stream_errors: int  # subscriptions the server ended with an error (then resumed)
    recovery: float  # seconds; inf if anything was lost
    db_rate: float = 0.0  # database transactions per second from the fault to the traffic's end
    readiness: list[tuple[int, str]] = field(default_factory=list)  # /readyz during the fault

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.out_of_order == 0


class Subscriber:
    """A chatEvents client that, like a real one, reconnects with the last seq it saw."""

    def __init__(self, url: str, token: str, chat: str, after: int | None) -> None:
        self.url, self.token, self.chat, self.after = url, token, chat, after
        self.seqs: list[int] = []
        self.arrivals: dict[int, float] = {}
        self.errors: list[Any] = []
        self.live = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            after = self.seqs[-1] if self.seqs else self.after
            ws: WSClient | None = None
            try:
                ws = await WSClient.connect(self.url)
                if (await ws.init({"authorization": f"Bearer {self.token}"}))["type"] != (
                    "connection_ack"
                ):
                    raise ConnectionError("not acknowledged")
                await ws.subscribe(EVENTS, {"id": self.chat, "after": after})
                self.live.set()
                while True:
                    msg = await ws.receive(timeout=3600)
                    if msg["type"] == "next" and msg["payload"].get("errors"):
                        # The stream ended with an error (a dropped database connection, say):
                        # resubscribe with the last seq, as a client does.
                        self.errors.append(msg)
                        break
                    if msg["type"] == "next":
                        event = msg["payload"]["data"]["chatEvents"]
                        if event["__typename"] == "MessageAdded":
                            seq = int(event["message"]["seq"])
                            self.seqs.append(seq)
                            self.arrivals.setdefault(seq, time.monotonic())
                    elif msg["type"] in ("error", "complete"):
                        self.errors.append(msg)
                        break
            except (OSError, websockets.ConnectionClosed, TimeoutError):
                pass
            finally:
                if ws is not None:
                    await ws.close()
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@dataclass
class Traffic:
    apis: list[Api]
    senders: list[Account]
    chat: str
    acked: dict[int, float] = field(default_factory=dict)  # seq -> when the sender knew
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    async def send(self, i: int) -> int:
        who = self.senders[i % len(self.senders)]
        key = uuid.uuid4().hex
        variables = {"i": {"chatId": self.chat, "text": f"m{i}", "idempotencyKey": key}}
        for attempt in range(300):
            api = self.apis[(i + attempt) % len(self.apis)]
            try:
                r = await api.post(SEND, variables, token=who.access_token)
                body = r.json()
                payload = (body.get("data") or {}).get("messageSend") or {}
                if r.status_code == 200 and not body.get("errors") and not payload["errors"]:
                    seq = int(payload["message"]["seq"])
                    self.acked[seq] = time.monotonic()
                    return seq
                errors = body.get("errors") or payload.get("errors") or [{}]
                self.reasons[str(errors[0].get("extensions", errors[0]).get("code"))] += 1
            except (httpx.HTTPError, ValueError) as exc:
                self.reasons[type(exc).__name__] += 1
            self.failed += 1
            await asyncio.sleep(0.1)
        raise RuntimeError(f"message {i} could not be sent in 300 attempts")

    async def run(self, rate: float, stop: asyncio.Event) -> None:
        sends: list[asyncio.Task[int]] = []
        i = 0
        while not stop.is_set():
            sends.append(asyncio.create_task(self.send(i)))
            i += 1
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*sends)


async def run_fault(
    c: Cluster,
    scale: Scale,
    name: str,
    apis: list[Api],
    owner: Account,
    senders: list[Account],
    inject: Callable[[], Awaitable[None]],
    bound: float,
) -> Outcome:
    chat = await group(apis[0], owner, senders, name=name)
    subs = [
        Subscriber(url, owner.access_token, chat, 0 if n % 2 == 0 else None)
        for url in c.urls
        for n in range(scale.subscribers)
    ]
    traffic = Traffic(apis, senders, chat)
    try:
        # Probes until one reaches everyone: from then on each live-only subscriber is known
        # to be listening (its subscription is confirmed), so it must get every later message.
        async with asyncio.timeout(30):
            await asyncio.gather(*(s.live.wait() for s in subs))
            while True:
                probe = await traffic.send(0)
                waited = time.monotonic() + 1.0
                while time.monotonic() < waited and not all(probe in s.arrivals for s in subs):
                    await asyncio.sleep(0.05)
                if all(probe in s.arrivals for s in subs):
                    break
        stop = asyncio.Event()
        sending = asyncio.create_task(traffic.run(scale.rate, stop))
        await asyncio.sleep(scale.calm)
        xacts, since = await c.db_transactions(), time.monotonic()
        await inject()
        fault_end = time.monotonic()
        await asyncio.sleep(scale.calm)
        stop.set()
        db_rate = (await c.db_transactions() - xacts) / (time.monotonic() - since)
        await sending
        expected = sorted(seq for seq in traffic.acked if seq >= probe)
        deadline = time.monotonic() + bound + 10
        while time.monotonic() < deadline and not all(
            set(expected) <= s.arrivals.keys() for s in subs
        ):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a late duplicate would show up here
    finally:
        await asyncio.gather(*(s.stop() for s in subs))
    outcome = tally(name, expected, traffic, subs, fault_end)
    outcome.db_rate = db_rate
    return outcome


def tally(
    name: str, expected: list[int], traffic: Traffic, subs: list[Subscriber], fault_end: float
) -> Outcome:
    lost = duplicated = disordered = 0
    recovery = 0.0
    for s in subs:
        got = [seq for seq in s.seqs if seq >= expected[0]]
        lost += len(set(expected) - set(got))
        duplicated += len(got) - len(set(got))
        disordered += sum(1 for a, b in itertools.pairwise(got) if b <= a)
        for seq in expected:
            if seq in s.arrivals:
                since = max(traffic.acked[seq], fault_end)
                recovery = max(recovery, s.arrivals[seq] - since)
    return Outcome(
        fault=name,
        sent=len(expected),
        delivered=sum(len([q for q in s.seqs if q >= expected[0]]) for s in subs),
        expected=len(expected) * len(subs),
        lost=lost,
        duplicated=duplicated,
        out_of_order=disordered,
        failed_sends=traffic.failed,
        why=", ".join(f"{k} {n}" for k, n in traffic.reasons.most_common()),
        stream_errors=sum(len(s.errors) for s in subs),
        recovery=recovery if lost == 0 else float("inf"),
    )


async def run_all(
    scale: Scale, pg_base: str, tmp: Path, *, bound: float = 5.0, only: str | None = None
) -> tuple[list[Outcome], str]:
    """Every fault at ``scale``; returns the outcomes and the processes' last log lines."""
    async with cluster(pg_base, tmp) as c:
        apis = [Api(url) for url in c.urls]
        try:
            owner = await apis[0].sign_up()
            senders = await members(apis[0], owner, scale.senders)

            seen: list[tuple[int, str]] = []

            async def ready(api: Api) -> tuple[int, str]:
                r = await api.http.get("/readyz")
                return r.status_code, str(r.json().get("status"))

            def redis_down(seconds: float) -> Callable[[], Awaitable[None]]:
                async def inject() -> None:
                    c.redis.kill()
                    await asyncio.sleep(seconds / 2)
                    seen.extend([await ready(api) for api in apis])
                    await asyncio.sleep(seconds / 2)
                    await c.redis.start()

                return inject

            async def kill_process() -> None:
                c.kill_process(1)
                await asyncio.sleep(1.0)
                await c.start_process(1)

            async def pg_terminate() -> None:
                await c.terminate_pg_backends()

            async def nothing() -> None:
                pass

            # "none" first: the same traffic without a fault, the yardstick for the others.
            faults: list[tuple[str, Callable[[], Awaitable[None]]]] = [("none", nothing)]
            faults += [(f"redis-{s:g}s", redis_down(s)) for s in scale.outages]
            faults += [("kill-process", kill_process), ("pg-terminate", pg_terminate)]
            outcomes = []
            for name, inject in faults:
                if only is None or only == name:
                    seen.clear()
                    outcome = await run_fault(c, scale, name, apis, owner, senders, inject, bound)
                    outcome.readiness = list(seen)
                    outcomes.append(outcome)
            return outcomes, c.output()
        finally:
            for api in apis:
                await api.__aexit__(None, None, None)


def table(outcomes: list[Outcome]) -> str:
    rows: list[tuple[str, ...]] = [
        (
            *("fault", "sent", "delivered", "lost", "duplicated", "disordered"),
            *("streams ended", "failed sends", "recover s", "db xact/s", "why sends failed"),
        )
    ]
    for o in outcomes:
        rows.append(
            (
                o.fault,
                str(o.sent),
                f"{o.delivered}/{o.expected}",
                str(o.lost),
                str(o.duplicated),
                str(o.out_of_order),
                str(o.stream_errors),
                str(o.failed_sends),
                f"{o.recovery:.2f}",
                f"{o.db_rate:.0f}",
                o.why,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the test suite's scale")
    parser.add_argument("--only", help="one fault, e.g. redis-5s")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server not found (Debian: apt-get install redis-server)")
        return 2
    scale = SMALL if args.small else LARGE
    pg_base = os.environ.get("HELLO_TEST_DATABASE_URL", DEFAULT_PG)
    print(
        f"{scale.subscribers} chatEvents subscribers on each of 2 processes, {scale.senders} "
        f"senders, {scale.rate:g} messages/s, {scale.calm:g} s of traffic around each fault"
    )
    with tempfile.TemporaryDirectory(prefix="hello-chaos-") as tmp:
        outcomes, logs = asyncio.run(run_all(scale, pg_base, Path(tmp), only=args.only))
    print(table(outcomes))
    if not all(o.clean for o in outcomes):
        print(logs)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
