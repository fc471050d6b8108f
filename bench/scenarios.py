"""The scenarios of the benchmark, in the order they run. Each returns its figures.

To add one (Drive upload and download, issue item 7, is the next), write an
``async def name(bench: Bench) -> list[Figure]`` and register it in ``SCENARIOS``; ``--only
NAME`` then runs it alone, and its figures join the table and the results file."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bench import calendar as cal
from bench import docs as docs_bench
from bench import fanout as fan
from bench import meetings as meet
from bench import webhooks as hooks
from bench.client import BenchError, Client, LeanConnection
from bench.drive import drive
from bench.load import Target, measure_pair, pair_figures, run_wrk
from bench.memory import MESSAGES
from bench.queries import CHAT_LIST, MESSAGE_PAGE, MESSAGE_SEND, TYPENAME
from bench.report import Figure
from bench.runner import Bench, StackRun
from bench.servers import LOAD_CORE, start_yoga, yoga_missing
from bench.stats import paired_ratio, summarize
from bench.verify import first_difference

PLAIN = "plain Starlette, same process"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Callable[[Bench], Awaitable[list[Figure]]]


async def _data(client: Client, path: str, body: dict[str, Any], token: str | None) -> Any:
    r = await client.post_json(path, body, token)
    if r.status_code != 200:
        raise BenchError(f"{path} answered HTTP {r.status_code}: {r.text[:500]}")
    result = orjson.loads(r.content)
    if result.get("errors"):
        raise BenchError(f"{path} answered errors: {result['errors']}")
    return result["data"]


async def verify_same(
    hello: tuple[Client, str],
    other: tuple[Client, str],
    body: dict[str, Any],
    token: str | None,
    what: str,
) -> Any:
    """Both endpoints return the same ``data`` for this request, or the run stops: a figure
    compared with a baseline that does other work would mean nothing."""
    a = await _data(hello[0], hello[1], body, token)
    b = await _data(other[0], other[1], body, token)
    if difference := first_difference(a, b):
        raise BenchError(f"{what}: Hello and its baseline answer differently at {difference}")
    return a


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _screens(run: StackRun) -> list[tuple[str, dict[str, Any], str, Callable[[Any], int]]]:
    """(name, request body, plain endpoint, how many items the answer holds)."""
    return [
        (
            "chat list (20)",
            {"query": CHAT_LIST, "variables": {"first": 20}, "operationName": "ChatList"},
            "/bench/plain/chats",
            lambda d: len(d["viewer"]["chats"]["edges"]),
        ),
        (
            "message page (50)",
            {
                "query": MESSAGE_PAGE,
                "variables": {"chat": run.data.page_chat, "last": 50},
                "operationName": "MessagePage",
            },
            "/bench/plain/messages",
            lambda d: len(d["chat"]["messages"]["messages"]),
        ),
    ]


# --- 1 -----------------------------------------------------------------------------------------


async def graphql_tax(bench: Bench) -> list[Figure]:
    figures: list[Figure] = []
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        url, token = run.server.url, run.data.viewer.token
        async with Client(url) as client:
            for name, body, plain, items in _screens(run):
                data = await verify_same((client, "/graphql"), (client, plain), body, token, name)
                expected = int(name.split("(")[1].rstrip(")"))
                if items(data) != expected:
                    raise BenchError(f"{name}: {items(data)} items instead of {expected}")
        bench.log(f"  same data from Hello and the plain endpoints{run.label}")
        for name, body, plain, _ in _screens(run):
            a, b = await measure_pair(
                Target(f"Hello {name}", url + "/graphql", body, _auth(token), run.server),
                Target(f"plain {name}", url + plain, body, _auth(token), run.server),
                bench.settings.http,
                bench.log,
            )
            figures += pair_figures(f"1 GraphQL tax{run.label}", name, PLAIN, a, b)
    return figures


# --- 2 -----------------------------------------------------------------------------------------


async def engine(bench: Bench) -> list[Figure]:
    from bench.baseline import gid

    _, server = await bench.server(False)
    body = {
        "query": MESSAGE_PAGE,
        "variables": {"chat": gid("MemoryChat", 7), "last": 50},
        "operationName": "MessagePage",
    }
    what = f"message page (50 of {MESSAGES}) from memory"
    hello = Target("Hello (memory)", server.url + "/bench/memory/graphql", body, server=server)
    scenario = "2 engine vs peer"
    if missing := yoga_missing():
        runs = [
            await run_wrk(hello, seconds=bench.settings.http.seconds, connections=8)
            for _ in range(bench.settings.http.runs)
        ]
        return [Figure(scenario, f"{what}, req/s", summarize([r.rps for r in runs]), note=missing)]
    yoga = bench.track(await start_yoga(bench.fixture))
    try:
        async with Client(server.url) as a, Client(yoga.url) as b:
            data = await verify_same(
                (a, "/bench/memory/graphql"), (b, "/graphql"), body, None, "figure 2"
            )
            if len(data["chat"]["messages"]["messages"]) != 50:
                raise BenchError("figure 2: the page does not hold 50 messages")
            sizes = [
                len((await c.post_json(p, body)).content)
                for c, p in ((a, "/bench/memory/graphql"), (b, "/graphql"))
            ]
        bench.log(
            f"  same data from Hello and graphql-yoga; bodies {sizes[0]:,} and {sizes[1]:,} "
            "bytes (Hello's adds extensions.cost)"
        )
        runs_a, runs_b = await measure_pair(
            hello,
            Target("graphql-yoga", yoga.url + "/graphql", body, server=yoga),
            bench.settings.http,
            bench.log,
        )
    finally:
        bench.stop(yoga)
    return pair_figures(scenario, what, "graphql-yoga 5, Node.js 20", runs_a, runs_b)


# --- 3 -----------------------------------------------------------------------------------------


async def parse_validate(bench: Bench) -> list[Figure]:
    _, server = await bench.server(False)
    body = {"query": TYPENAME}
    async with Client(server.url) as client:
        await verify_same(
            (client, "/graphql"), (client, "/bench/plain/typename"), body, None, "figure 3"
        )
    a, b = await measure_pair(
        Target("Hello { __typename }", server.url + "/graphql", body, server=server),
        Target("raw JSON endpoint", server.url + "/bench/plain/typename", body, server=server),
        bench.settings.http,
        bench.log,
    )
    return pair_figures("3 parse and validate", "{ __typename }", "raw Starlette JSON", a, b)


# --- 4 -----------------------------------------------------------------------------------------


async def fanout(bench: Bench) -> list[Figure]:
    s = bench.settings
    results: dict[bool, fan.FanoutResult] = {}
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        servers = [run.server]
        if services:
            # The second server gets the other core (the load core): two servers on one core
            # could not show scale-out. The clients and the bench share the load core with it.
            servers.append(await bench.start_server(run.stack, "hello-2", core=LOAD_CORE))
        bench.log(
            "  "
            + ("Redis bus, two server processes" if services else "in-process bus, one process")
        )
        try:
            results[services] = await fan.fanout(
                servers,
                run.data,
                latency_messages=s.latency_messages,
                start_rate=s.fanout_start_rate,
                step_seconds=s.fanout_step_seconds,
                runs=s.runs,
                log=bench.log,
            )
        finally:
            for extra in servers[1:]:
                bench.stop(extra)
    members = f"{len((await bench.stack(False)).data.members) + 1:,} subscribers"
    figures = []
    local = results[False]
    for services, res in results.items():
        scenario = "4 fan-out" + (" (Redis, 2 processes)" if services else " (in-process bus)")
        compare = services  # the Redis figures next to the in-process ones of the same run
        for name, values, base in (
            (f"delivery p50 ms, 2 msg/s to {members}", res.latency_p50, local.latency_p50),
            (f"delivery p99 ms, 2 msg/s to {members}", res.latency_p99, local.latency_p99),
            ("max deliveries/s with p99 <= 1 s", res.max_rate, local.max_rate),
            ("server CPU per delivery, µs", res.cpu_us_per_delivery, local.cpu_us_per_delivery),
            ("SQL statements, first message of a cold sender", res.sql_cold, local.sql_cold),
            ("SQL statements, second message of that sender", res.sql_warm, local.sql_warm),
        ):
            figures.append(
                Figure(
                    scenario,
                    name,
                    summarize(values),
                    "in-process bus" if compare else "",
                    summarize(base) if compare else None,
                    paired_ratio(values, base) if compare and all(base) and all(values) else None,
                )
            )
    return figures


# --- 5 -----------------------------------------------------------------------------------------


async def memory(bench: Bench) -> list[Figure]:
    run = await bench.stack(False)
    counts = bench.settings.memory_counts
    figures = []
    # Without permessage-deflate, then with it offered as browsers do (the server decides
    # whether to accept: README, Benchmarks).
    for deflate in (False, True):
        per: dict[int, list[float]] = {c: [] for c in counts}
        for i in range(bench.settings.runs):
            server = await bench.start_server(run.stack, "hello-memory")
            try:
                how = "with" if deflate else "without"
                bench.log(f"  run {i + 1}, {how} permessage-deflate: a fresh server process")
                out = await fan.memory_per_socket(
                    server, run.data, counts, bench.log, deflate=deflate
                )
            finally:
                bench.stop(server)
            for c in counts:
                per[c].append(out[c])
        figures += [
            Figure(
                "5 memory",
                f"RSS per subscribed idle WebSocket at {c:,}"
                + (", client offers permessage-deflate" if deflate else "")
                + ", KiB",
                summarize(per[c]),
            )
            for c in counts
        ]
    return figures


# --- 6 -----------------------------------------------------------------------------------------


async def _count_sql(client: Client, path: str, body: dict[str, Any], token: str) -> int:
    await client.post_json("/bench/sql/start", {})
    try:
        await _data(client, path, body, token)
    finally:
        r = await client.post_json("/bench/sql/stop", {})
    return int(orjson.loads(r.content)["count"])


async def _send_many(run: StackRun, total: int, concurrency: int) -> float:
    """Seconds to send ``total`` messages through messageSend, ``concurrency`` at a time: each
    member writes into their team's chat, ten messages each at most per run (well inside the
    per-person send limit)."""
    members = run.data.members
    queue = iter(range(total))

    async def worker(connection: LeanConnection) -> None:
        for i in queue:
            who = i % len(members)
            await connection.mutate(
                "messageSend",
                MESSAGE_SEND,
                {"input": {"chatId": run.data.group_of(who), "text": f"load test message {i}"}},
                token=members[who].token,
            )

    # One connection per worker, each with a lean client (bench/client.py, LeanConnection).
    async with contextlib.AsyncExitStack() as stack:
        connections = [
            await stack.enter_async_context(LeanConnection(run.server.url))
            for _ in range(concurrency)
        ]
        started = time.monotonic()
        await asyncio.gather(*(worker(c) for c in connections))
        return time.monotonic() - started


async def database_work(bench: Bench) -> list[Figure]:
    figures: list[Figure] = []
    runs = bench.settings.runs
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        scenario = f"6 database work{run.label}"
        token = run.data.viewer.token
        async with Client(run.server.url) as client:
            for name, body, plain, items in _screens(run):
                screen = name.split(" (")[0]
                variable = "first" if "first" in body["variables"] else "last"
                counts: dict[int, tuple[list[float], list[float]]] = {}
                for size in (10, 100):
                    sized = {**body, "variables": {**body["variables"], variable: size}}
                    data = await _data(client, "/graphql", sized, token)
                    if items(data) != size:
                        raise BenchError(f"{screen} at {size}: {items(data)} items")
                    hello = [
                        float(await _count_sql(client, "/graphql", sized, token))
                        for _ in range(runs)
                    ]
                    base = [
                        float(await _count_sql(client, plain, sized, token)) for _ in range(runs)
                    ]
                    counts[size] = (hello, base)
                equal = summarize(counts[10][0]) == summarize(counts[100][0])
                for size, (hello, base) in counts.items():
                    figures.append(
                        Figure(
                            scenario,
                            f"SQL queries, {screen}, {variable} {size}",
                            summarize(hello),
                            PLAIN,
                            summarize(base),
                            paired_ratio(hello, base),
                            "equal at 10 and 100" if equal else "UNEQUAL at 10 and 100",
                        )
                    )
                if not equal:
                    bench.log(f"  warning: {screen} sends more queries for more items (N+1)")
        total = bench.settings.sends
        seconds = []
        cpu = []
        for i in range(runs):
            before = run.server.cpu_seconds()
            seconds.append(await _send_many(run, total, bench.settings.send_concurrency))
            cpu.append((run.server.cpu_seconds() - before) * 1e6 / total)
            bench.log(
                f"  run {i + 1}: {total:,} messages in {seconds[-1]:.1f} s, "
                f"{cpu[-1]:,.0f} µs of server CPU each"
            )
        figures.append(
            Figure(
                scenario,
                f"send {total:,} messages ({bench.settings.send_concurrency} at a time), s",
                summarize(seconds),
            )
        )
        figures.append(
            Figure(scenario, "messageSend, messages/s", summarize([total / s for s in seconds]))
        )
        figures.append(Figure(scenario, "messageSend, server CPU µs per message", summarize(cpu)))
    return figures


# --- 8 -----------------------------------------------------------------------------------------


def _by_hash(body: dict[str, Any]) -> dict[str, Any]:
    """The same request with its document named by its SHA-256 alone (APQ)."""
    digest = hashlib.sha256(body["query"].encode()).hexdigest()
    named = {k: v for k, v in body.items() if k != "query"}
    named["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    return named


async def persisted(bench: Bench) -> list[Figure]:
    """A document named by its persisted id against the same document sent in full: the id
    skips sending, hashing (as a dict key), parsing and validating the text."""
    figures: list[Figure] = []
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        url, token = run.server.url, run.data.viewer.token
        requests = [
            ("{ __typename }", {"query": TYPENAME}),
            ("message page (50)", _screens(run)[1][1]),
        ]
        async with Client(url) as client:
            for name, body in requests:
                # Registered once (APQ: the document with its hash), then the hash alone.
                await _data(client, "/graphql", {**body, **_by_hash(body)}, token)
                a = await _data(client, "/graphql", _by_hash(body), token)
                b = await _data(client, "/graphql", body, token)
                if difference := first_difference(a, b):
                    raise BenchError(f"{name}: by id and in full differ at {difference}")
        bench.log(f"  same data by persisted id and in full{run.label}")
        for name, body in requests:
            a_runs, b_runs = await measure_pair(
                Target(f"by id {name}", url + "/graphql", _by_hash(body), _auth(token), run.server),
                Target(f"in full {name}", url + "/graphql", body, _auth(token), run.server),
                bench.settings.http,
                bench.log,
            )
            scenario = f"8 persisted documents{run.label}"
            figures += pair_figures(scenario, f"{name} by id", "full document", a_runs, b_runs)
            # What the id saves on the wire, whatever the server's caches do.
            sizes = [float(len(orjson.dumps(b))) for b in (_by_hash(body), body)]
            figures.append(
                Figure(
                    scenario,
                    f"{name} by id, request body bytes",
                    summarize(sizes[:1]),
                    "full document",
                    summarize(sizes[1:]),
                    paired_ratio(sizes[:1], sizes[1:]),
                )
            )
    return figures


# --- 9 -----------------------------------------------------------------------------------------


async def webhooks(bench: Bench) -> list[Figure]:
    figures: list[Figure] = []
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        scenario = f"9 webhooks{run.label}"
        receiver = hooks.Receiver()
        await receiver.start()
        token = run.data.viewer.token
        async with Client(run.server.url) as client:
            r = await client.post_json("/bench/webhooks/app", {"variables": {}}, token=token)
            app = orjson.loads(r.content)["data"]
            for chat in run.data.groups:
                await _data(
                    client,
                    "/graphql",
                    {
                        "query": hooks.MEMBERS_ADD,
                        "variables": {"i": {"chatId": chat, "userIds": [app["botUserId"]]}},
                    },
                    token,
                )
            data = await _data(
                client,
                "/graphql",
                {
                    "query": hooks.SUBSCRIBE,
                    "variables": {
                        "i": {
                            "appId": app["appId"],
                            "url": f"http://127.0.0.1:{receiver.port}/hooks",
                            "eventTypes": ["message.added"],
                        }
                    },
                },
                token,
            )
            errors = data["webhookSubscriptionCreate"]["errors"]
            if errors:
                raise BenchError(f"webhookSubscriptionCreate: {errors}")
        total = bench.settings.sends
        rates = []
        p50 = []
        p99 = []
        for i in range(bench.settings.runs):
            receiver.delays.clear()
            started = time.monotonic()
            await _send_many(run, total, bench.settings.send_concurrency)
            deadline = time.monotonic() + 120
            while len(receiver.delays) < total and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # real time: the deliveries are real
            if len(receiver.delays) < total:
                raise BenchError(f"{len(receiver.delays)} of {total} deliveries in 120 s")
            rates.append(total / (receiver.last_at - started))
            ordered = sorted(receiver.delays)
            p50.append(ordered[len(ordered) // 2] * 1000)
            p99.append(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000)
            bench.log(
                f"  run {i + 1}: {total:,} deliveries at {rates[-1]:,.0f}/s, "
                f"p99 delay {p99[-1]:,.0f} ms"
            )
        if receiver.server is not None:
            receiver.server.close()
        figures.append(Figure(scenario, "deliveries per second", summarize(rates)))
        figures.append(Figure(scenario, "commit to delivery, p50 ms", summarize(p50)))
        figures.append(Figure(scenario, "commit to delivery, p99 ms", summarize(p99)))
    return figures


# --- 10 and 11 -----------------------------------------------------------------------------


async def _calendar_run(bench: Bench, services: bool) -> tuple[StackRun, list[cal.Screen]]:
    run = await bench.stack(services)
    people = [m.id for m in run.data.members[: cal.PEOPLE]]
    async with Client(run.server.url) as client:
        r = await client.post_json(
            "/bench/calendar/seed", {"variables": {"userIds": people}}, run.data.viewer.token
        )
        if r.status_code != 200:
            raise BenchError(f"calendar seed answered HTTP {r.status_code}: {r.text[:500]}")
        seeded = orjson.loads(r.content)["data"]
    if seeded["events"]:
        bench.log(f"  {seeded['events']:,} weekly series for {len(people)} people")
    return run, cal.screens(people, seeded["calendarIds"])


async def _calendar_screen(bench: Bench, scenario: str, indexes: list[int]) -> list[Figure]:
    figures: list[Figure] = []
    for services, index in ((s, i) for s in bench.stack_kinds() for i in indexes):
        run, screens = await _calendar_run(bench, services)
        screen = screens[index]
        url, token = run.server.url, run.data.viewer.token
        async with Client(url) as client:
            data = await verify_same(
                (client, "/graphql"), (client, screen.plain), screen.body, token, screen.name
            )
            if screen.size(data) == 0:
                raise BenchError(f"{screen.name}: an empty answer measures nothing")
            bench.log(
                f"  same data from Hello and the plain endpoint ({screen.size(data):,} items)"
            )
            sql = [
                float(await _count_sql(client, "/graphql", screen.body, token))
                for _ in range(bench.settings.runs)
            ]
            base_sql = [
                float(await _count_sql(client, screen.plain, screen.body, token))
                for _ in range(bench.settings.runs)
            ]
        a, b = await measure_pair(
            Target(f"Hello {screen.name}", url + "/graphql", screen.body, _auth(token), run.server),
            Target(
                f"plain {screen.name}", url + screen.plain, screen.body, _auth(token), run.server
            ),
            # A calendar request takes a hundred milliseconds or more (a thousand series
            # expanded): two connections keep the server busy without wrk's first seconds
            # passing before any answer.
            dataclasses.replace(bench.settings.http, connections=2, warmup=3),
            bench.log,
        )
        label = f"{scenario}{run.label}"
        figures += pair_figures(label, screen.name, PLAIN, a, b)
        figures.append(
            Figure(
                label,
                f"{screen.name}, SQL queries",
                summarize(sql),
                PLAIN,
                summarize(base_sql),
                paired_ratio(sql, base_sql),
            )
        )
    return figures


async def calendar(bench: Bench) -> list[Figure]:
    """freeBusy and the events week view against plain endpoints."""
    return await _calendar_screen(bench, "10 calendar", [0, 2])


async def findtimes(bench: Bench) -> list[Figure]:
    return await _calendar_screen(bench, "11 find meeting times", [1])


# --- 12 ----------------------------------------------------------------------------------------


async def docs(bench: Bench) -> list[Figure]:
    """One doc, 50 editors following it with docEvents, against the same 50 people in a
    group chat (``bench/docs.py``)."""
    s = bench.settings
    figures: list[Figure] = []
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        mine, base = await docs_bench.docs(
            run.server,
            run.data,
            latency_updates=s.latency_messages,
            start_rate=s.fanout_start_rate,
            step_seconds=s.fanout_step_seconds,
            runs=s.runs,
            log=bench.log,
        )
        scenario = f"12 docs{run.label}"
        chat = f"chat message to the same {docs_bench.EDITORS}"
        per_update = [x / docs_bench.EDITORS for x in mine["max"]]
        per_message = [x / docs_bench.EDITORS for x in base["max"]]
        for name, values, baseline in (
            (f"docUpdate to {docs_bench.EDITORS} editors, p50 ms at 2/s", mine["p50"], base["p50"]),
            (f"docUpdate to {docs_bench.EDITORS} editors, p99 ms at 2/s", mine["p99"], base["p99"]),
            ("max deliveries/s with p99 <= 1 s", mine["max"], base["max"]),
            ("max updates/s applied and fanned out (p99 <= 1 s)", per_update, per_message),
        ):
            figures.append(
                Figure(
                    scenario,
                    name,
                    summarize(values),
                    chat,
                    summarize(baseline),
                    paired_ratio(values, baseline) if all(values) and all(baseline) else None,
                )
            )
        figures.append(
            Figure(scenario, "server RSS per loaded doc of ~3 KB, KiB", summarize(mine["memory"]))
        )
    return figures


# --- 13 ----------------------------------------------------------------------------------------


async def meetings(bench: Bench) -> list[Figure]:
    """Signals relayed between two processes against chat messages between the same two, and
    the time from meetingJoin to the first media frame (``bench/meetings.py``)."""
    s = bench.settings
    figures: list[Figure] = []
    for services in bench.stack_kinds():
        run = await bench.stack(services)
        servers = [run.server]
        if services:
            servers.append(await bench.start_server(run.stack, "hello-2", core=LOAD_CORE))
        bench.log(
            "  "
            + ("Redis bus, two server processes" if services else "in-process bus, one process")
        )
        try:
            mine = await meet.signals(
                [p.url for p in servers],
                run.data,
                count=200 if s.sends < 10_000 else 1000,
                runs=s.runs,
                log=bench.log,
            )
        finally:
            for extra in servers[1:]:
                bench.stop(extra)
        joins = await meet.first_frames(
            run.server.url, run.data, joins=5 if s.sends < 10_000 else 20, log=bench.log
        )
        scenario = "13 meetings" + (" (Redis, 2 processes)" if services else " (in-process bus)")
        chat = f"chat message, {meet.SENDERS} senders"
        rate = f"{meet.RATE:.0f}/s"
        for name, values, baseline in (
            (f"meetingSignal delivery p50 ms at {rate}", mine["p50"], mine["chat50"]),
            (f"meetingSignal delivery p99 ms at {rate}", mine["p99"], mine["chat99"]),
        ):
            figures.append(
                Figure(
                    scenario,
                    name,
                    summarize(values),
                    chat,
                    summarize(baseline),
                    paired_ratio(values, baseline) if all(baseline) else None,
                )
            )
        figures.append(
            Figure(
                scenario,
                f"signals relayed per second, {meet.IN_FLIGHT} in flight",
                summarize(mine["rate"]),
            )
        )
        ordered = sorted(joins)
        figures.append(
            Figure(scenario, "meetingJoin to first frame both ways, median ms", summarize(joins))
        )
        figures.append(
            Figure(
                scenario,
                f"meetingJoin to first frame both ways, p90 ms of {len(joins)}",
                summarize([ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]]),
            )
        )
    return figures


SCENARIOS: list[Scenario] = [
    Scenario("tax", "1 GraphQL tax on a real screen", graphql_tax),
    Scenario("engine", "2 Engine against a peer (from memory)", engine),
    Scenario("parse", "3 Parse and validate cost", parse_validate),
    Scenario("fanout", "4 Fan-out to 1,000 subscribers", fanout),
    Scenario("memory", "5 Memory per WebSocket", memory),
    Scenario("dbwork", "6 Database work", database_work),
    Scenario("drive", "7 Drive upload and download, both blob stores", drive),
    Scenario("persisted", "8 Persisted documents: by id against in full", persisted),
    Scenario("calendar", "10 Calendar: freeBusy and a week view against plain endpoints", calendar),
    Scenario("findtimes", "11 Calendar: findMeetingTimes against a plain endpoint", findtimes),
    Scenario("docs", "12 Docs: 50 editors of one doc against a 50-member chat", docs),
    Scenario("meetings", "13 Video meetings: signal relay and join to first frame", meetings),
    # Last: its subscription stays in the stack's database.
    Scenario("webhooks", "9 Webhook deliveries to a local receiver", webhooks),
]
