"""Figures 4 (fan-out) and 5 (memory per WebSocket): subscribers in separate client processes
(``bench.wsclient``, on the load core), messages sent through ``messageSend`` over HTTP."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bench.client import BenchError, Client
from bench.queries import CHAT_EVENTS, MESSAGE_SEND
from bench.seed import Dataset, Member
from bench.servers import Process
from bench.stats import latency_summary, per_item

WORKERS = 4
SENDERS = 50
"""Members who send the fan-out's messages, in turn: each stays far below the send limit."""
LIMIT_MS = 1000.0


class Pool:
    """Client processes holding subscriptions to one chat."""

    def __init__(self, procs: list[asyncio.subprocess.Process], urls: list[str]) -> None:
        self.procs = procs
        self.urls = urls
        self.size = 0

    @classmethod
    async def start(cls, urls: list[str], workers: int = WORKERS) -> Pool:
        """``workers`` processes, spread over the servers' URLs."""
        procs = []
        for _ in range(workers):
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.wsclient",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=2**28,
                )
            )
        ws = [u.replace("http://", "ws://") + "/graphql" for u in urls]
        return cls(procs, [ws[i % len(ws)] for i in range(workers)])

    async def _ask(
        self, proc: asyncio.subprocess.Process, command: dict[str, Any]
    ) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(orjson.dumps(command) + b"\n")
        await proc.stdin.drain()
        line = await proc.stdout.readline()
        if not line:
            raise BenchError("a WebSocket client process died")
        reply: dict[str, Any] = orjson.loads(line)
        return reply

    async def subscribe(
        self, subs: list[tuple[str, str]], deflate: bool = False, *, query: str = CHAT_EVENTS
    ) -> None:
        """Open one subscription per (token, chat), spread over the processes (``query``: a
        subscription taking the chat, or another object, as ``$chat``)."""
        shares = [subs[i :: len(self.procs)] for i in range(len(self.procs))]
        replies = await asyncio.gather(
            *(
                self._ask(
                    p,
                    {
                        "cmd": "open",
                        "url": url,
                        "subs": share,
                        "query": query,
                        "parallel": 25,
                        "deflate": deflate,
                    },
                )
                for p, url, share in zip(self.procs, self.urls, shares, strict=True)
            )
        )
        failed = sum(r["failed"] for r in replies)
        if failed:
            errors = [r["error"] for r in replies if r["error"]]
            raise BenchError(f"{failed} subscriptions failed to open: {errors[0]}")
        self.size += len(subs)

    async def report(self) -> tuple[list[int], int]:
        """Latencies (µs) received since the last report, and errors/closed connections."""
        replies = await asyncio.gather(*(self._ask(p, {"cmd": "report"}) for p in self.procs))
        latencies = [x for r in replies for x in r["latencies_us"]]
        broken = sum(r["errors"] + r["closed"] for r in replies)
        return latencies, broken

    async def collect(self, expected: int, timeout: float) -> tuple[list[int], int]:
        """Reports until ``expected`` latencies arrived or ``timeout`` passed."""
        got: list[int] = []
        broken = 0
        deadline = time.monotonic() + timeout
        while True:
            latencies, broken = await self.report()
            got += latencies
            if len(got) >= expected or time.monotonic() > deadline or broken:
                return got, broken
            await asyncio.sleep(0.25)

    async def close(self) -> None:
        for p in self.procs:
            if p.returncode is None and p.stdin is not None:
                try:
                    p.stdin.write(b'{"cmd":"close"}\n')
                    await p.stdin.drain()
                except (BrokenPipeError, ConnectionResetError):
                    pass
        for p in self.procs:
            try:
                await asyncio.wait_for(p.wait(), 30)
            except TimeoutError:
                p.kill()
                await p.wait()


class Sender:
    """Sends ``fanout <monotonic ns> <n>`` messages through ``messageSend``, round-robin over
    the senders and the servers."""

    def __init__(self, clients: list[Client], senders: list[Member], chat: str) -> None:
        self.clients = clients
        self.senders = senders
        self.chat = chat
        self.count = 0

    async def one(self) -> None:
        n = self.count
        self.count += 1
        client = self.clients[n % len(self.clients)]
        who = self.senders[n % len(self.senders)]
        text = f"fanout {time.monotonic_ns()} {n}"
        await client.mutate(
            "messageSend",
            MESSAGE_SEND,
            {"input": {"chatId": self.chat, "text": text}},
            token=who.token,
        )

    async def at_rate(self, rate: float, count: int) -> float:
        """``count`` messages at ``rate`` per second (each send starts on schedule, not after
        the previous answer). Returns the seconds the sending took."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for i in range(count):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one()))
        await asyncio.gather(*tasks)
        return max(loop.time() - start, count / rate)


@dataclass
class Step:
    rate: float
    sent: int
    delivered: int
    expected: int
    seconds: float
    p50_ms: float
    p99_ms: float
    broken: int = 0
    """Subscriptions that ended (cut off for falling too far behind, or closed)."""

    @property
    def passed(self) -> bool:
        return self.delivered == self.expected and self.p99_ms <= LIMIT_MS and not self.broken

    @property
    def deliveries_per_second(self) -> float:
        return self.delivered / self.seconds


async def _round(pool: Pool, sender: Sender, rate: float, count: int) -> Step:
    seconds = await sender.at_rate(rate, count)
    expected = count * pool.size
    latencies, broken = await pool.collect(expected, timeout=15)
    if not latencies:
        return Step(rate, count, 0, expected, seconds, float("inf"), float("inf"), broken)
    p50, p99 = latency_summary([x / 1000 for x in latencies])
    return Step(rate, count, len(latencies), expected, seconds, p50, p99, broken)


async def _drain(pool: Pool) -> None:
    """Wait until late deliveries of a failed step stopped arriving."""
    for _ in range(120):
        latencies, _ = await pool.report()
        if not latencies:
            return
        await asyncio.sleep(1)


@dataclass
class FanoutResult:
    latency_p50: list[float]
    latency_p99: list[float]
    max_rate: list[float]
    steps: list[list[Step]]
    cpu_us_per_delivery: list[float]
    """Server CPU (all server processes, user + system) during a latency round, per delivery;
    the round's messageSend requests are included."""
    sql_cold: list[float]
    """SQL statements, on every server, from sending the first message of a member no
    subscriber's connection has loaded yet until all subscribers received it."""
    sql_warm: list[float]
    """The same for that member's second message."""


class Subscribers:
    """The pool of subscriptions and the sender, reopened when a failed step cut some off."""

    def __init__(
        self,
        servers: list[Process],
        subs: list[tuple[str, str]],
        clients: list[Client],
        senders: list[Member],
        data: Dataset,
        log: Callable[[str], None],
    ) -> None:
        self.servers = servers
        self.subs = subs
        self.clients = clients
        self.senders = senders
        self.data = data
        self.log = log
        self.pool: Pool | None = None
        self.sender = Sender(clients, senders, data.big_chat)

    async def open(self) -> Pool:
        if self.pool is not None:
            await self.pool.close()
        self.pool = await _open_pool(
            self.servers, self.subs, self.clients, self.senders, self.data, self.log
        )
        self.sender = Sender(self.clients, self.senders, self.data.big_chat)
        return self.pool

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None


def cpu_seconds(servers: list[Process]) -> float:
    return sum(s.cpu_seconds() for s in servers)


async def max_rate(
    subscribers: Subscribers,
    *,
    start_rate: float,
    step_seconds: float,
    run: int,
    resolution: float = 0.10,
    ceiling: float = 512.0,
) -> tuple[float, list[Step]]:
    """The most deliveries per second with every message delivered and p99 <= 1 s: the rate
    doubles from ``start_rate`` until a step fails, then bisects between the best passing and
    the lowest failing rate until they are within ``resolution`` of each other."""
    assert subscribers.pool is not None
    passed: float | None = None
    failed: float | None = None
    best = 0.0
    steps: list[Step] = []
    rate = start_rate
    while True:
        count = max(1, round(rate * step_seconds))
        step = await _round(subscribers.pool, subscribers.sender, rate, count)
        steps.append(step)
        subscribers.log(
            f"    search run {run}: {rate:.3g} msg/s -> {step.delivered}/{step.expected} "
            f"delivered, p99 {step.p99_ms:,.0f} ms, {'pass' if step.passed else 'fail'}"
        )
        if step.passed:
            passed = rate
            best = max(best, step.deliveries_per_second)
        else:
            failed = rate
            await _drain(subscribers.pool)
            if step.broken:
                # Subscriptions were cut off: go on with a full set.
                await subscribers.open()
        if failed is None:
            if rate * 2 > ceiling:
                return best, steps
            rate *= 2
        elif passed is None:
            if rate / 2 < start_rate / 8:
                return best, steps
            rate /= 2
        elif failed <= passed * (1 + resolution):
            return best, steps
        else:
            rate = (passed + failed) / 2


async def sql_of_one_message(
    subscribers: Subscribers, sender: Member, clients: list[Client]
) -> int:
    """SQL statements on every server from one message of ``sender`` until every subscriber
    received it (the bench's own endpoints count them: ``bench.baseline``)."""
    pool = subscribers.pool
    assert pool is not None
    for c in clients:
        await c.post_json("/bench/sql/start", {})
    try:
        one = Sender(clients[:1], [sender], subscribers.data.big_chat)
        await one.one()
        got, broken = await pool.collect(pool.size, timeout=60)
        if len(got) < pool.size or broken:
            raise BenchError(f"only {len(got)} of {pool.size} subscribers got the message")
    finally:
        counts = [orjson.loads((await c.post_json("/bench/sql/stop", {})).content) for c in clients]
    return sum(int(c["count"]) for c in counts)


async def fanout(
    servers: list[Process],
    data: Dataset,
    *,
    latency_messages: int,
    start_rate: float,
    step_seconds: float,
    runs: int,
    log: Callable[[str], None],
) -> FanoutResult:
    """Every member of "All hands" (1,000 and the viewer) subscribes to its chatEvents, spread
    over the servers; messages go through the servers in turn."""
    subs = [(m.token, data.big_chat) for m in [data.viewer, *data.members]]
    clients = [Client(s.url, connections=64) for s in servers]
    senders = data.members[:SENDERS]
    result = FanoutResult([], [], [], [], [], [], [])
    subscribers = Subscribers(servers, subs, clients, senders, data, log)
    try:
        pool = await subscribers.open()
        # Members past the senders have sent nothing yet: no connection has loaded them.
        cold = data.members[SENDERS : SENDERS + runs]
        for run in range(runs):
            result.sql_cold.append(float(await sql_of_one_message(subscribers, cold[run], clients)))
            result.sql_warm.append(float(await sql_of_one_message(subscribers, cold[run], clients)))
            log(
                f"    SQL run {run + 1}: first message of a cold sender "
                f"{result.sql_cold[-1]:.0f} statements, second {result.sql_warm[-1]:.0f}"
            )
        for run in range(runs):
            cpu = cpu_seconds(servers)
            step = await _round(pool, subscribers.sender, 2.0, latency_messages)
            cpu = cpu_seconds(servers) - cpu
            if step.delivered != step.expected:
                raise BenchError(
                    f"fan-out lost messages at 2 messages/s: {step.delivered} of {step.expected}"
                )
            result.latency_p50.append(step.p50_ms)
            result.latency_p99.append(step.p99_ms)
            result.cpu_us_per_delivery.append(cpu * 1e6 / step.delivered)
            log(
                f"    latency run {run + 1}: p50 {step.p50_ms:.1f} ms, p99 {step.p99_ms:.1f} ms, "
                f"{result.cpu_us_per_delivery[-1]:.0f} µs CPU per delivery"
            )
        for run in range(runs):
            best, steps = await max_rate(
                subscribers, start_rate=start_rate, step_seconds=step_seconds, run=run + 1
            )
            result.max_rate.append(best)
            result.steps.append(steps)
            log(f"    run {run + 1}: at most {best:,.0f} deliveries/s with p99 <= 1 s")
            pool = subscribers.pool or await subscribers.open()
    finally:
        await subscribers.close()
        for c in clients:
            await c.http.aclose()
    return result


async def _open_pool(
    servers: list[Process],
    subs: list[tuple[str, str]],
    clients: list[Client],
    senders: list[Member],
    data: Dataset,
    log: Callable[[str], None],
) -> Pool:
    pool = await Pool.start([s.url for s in servers])
    await pool.subscribe(subs)
    # Every subscription is live once one message per sender reached everybody (this also
    # warms each subscriber's per-connection loaders with the senders, as in a chat where the
    # same people talk).
    sender = Sender(clients, senders, data.big_chat)
    await sender.at_rate(20.0, len(senders))
    expected = len(senders) * pool.size
    got, broken = await pool.collect(expected, timeout=120)
    if len(got) < expected or broken:
        await pool.close()
        raise BenchError(
            f"subscriptions not live: {len(got)} of {expected} warm-up deliveries arrived"
        )
    log(f"    {pool.size} subscribers live")
    return pool


async def memory_per_socket(
    server: Process,
    data: Dataset,
    counts: list[int],
    log: Callable[[str], None],
    *,
    deflate: bool = False,
) -> dict[int, float]:
    """One run on a fresh server: RSS before, then after ``counts[0]``, ``counts[1]``, …
    subscribed connections (each count the total so far). KiB per connection at each count.
    ``deflate``: the clients offer permessage-deflate (as browsers do)."""
    client = Client(server.url)
    pool: Pool | None = None
    try:
        members = [data.viewer, *data.members]
        sender = Sender([client], data.members[:SENDERS], data.big_chat)
        # Warm up: the first connection and delivery import and allocate what every later one
        # shares.
        warm = await Pool.start([server.url], workers=1)
        await warm.subscribe([(members[0].token, data.big_chat)])
        await sender.at_rate(10, 1)
        await warm.collect(1, timeout=30)
        await warm.close()
        await asyncio.sleep(1.0)
        before = server.rss_kib()
        pool = await Pool.start([server.url])
        out: dict[int, float] = {}
        for total in counts:
            new = total - pool.size
            subs = [
                (members[(pool.size + i) % len(members)].token, data.big_chat) for i in range(new)
            ]
            await pool.subscribe(subs, deflate)
            await pool.report()  # forget deliveries so far
            await sender.at_rate(10, 1)
            got, broken = await pool.collect(pool.size, timeout=60)
            if len(got) < pool.size or broken:
                raise BenchError(f"only {len(got)} of {pool.size} connections got the message")
            await asyncio.sleep(2.0)
            after = server.rss_kib()
            out[total] = per_item(before, after, total)
            each = out[total]
            log(f"    {total} connections: RSS {before:,} -> {after:,} KiB, {each:.1f} KiB each")
        return out
    finally:
        if pool is not None:
            await pool.close()
        await client.http.aclose()
