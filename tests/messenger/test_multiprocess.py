"""Messenger through real ``hello`` processes.

Two ``hello serve`` processes on one PostgreSQL database and one Redis: a message sent through
one process reaches a subscriber on the other within a second, and 200 messages sent
concurrently through both arrive at every subscriber in ``seq`` order, none missing.

``hello demo`` run twice against a fresh SQLite file: it seeds, then changes nothing."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from redis.asyncio import Redis

from tests.client import PASSWORD, Account, Api, WSClient, unique_email
from tests.messenger.helpers import group, send
from tests.pg import create_database, drop_database
from tests.services import require_env
from tests.test_production import HELLO, ROOT, free_port

EVENTS = """subscription($id: ID!) { chatEvents(chatId: $id) {
  __typename ... on MessageAdded { message { seq text } } } }"""
USER_CREATE = """mutation($i: UserCreateInput!) { userCreate(input: $i) {
  user { id } errors { code message } } }"""
SENDERS = 10  # each sends 20: the per-user send burst, so nobody is throttled
PER_SENDER = 20


async def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(400):
            if process.poll() is not None:
                raise RuntimeError(f"hello serve exited with {process.returncode}")
            try:
                if (await client.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("hello serve did not start")


def hello_env(tmp: str, db_url: str, redis_url: str) -> dict[str, str]:
    """The environment of a ``hello serve`` on a test database and Redis, with a key prefix of
    its own, cheap password hashing and rate limits out of the way."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELLO_")},
        "HELLO_ENV": "development",
        "HELLO_DATA_DIR": tmp,
        "HELLO_DATABASE_URL": db_url,
        "HELLO_REDIS_URL": redis_url,
        "HELLO_REDIS_PREFIX": f"hello-mp-{uuid.uuid4().hex[:10]}:",
        "HELLO_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "HELLO_LOG_LEVEL": "WARNING",
        "HELLO_PASSWORD_HASH_TIME_COST": "1",
        "HELLO_PASSWORD_HASH_MEMORY_KIB": "8192",
        "HELLO_RATE_LIMIT_CAPACITY": "1000000",
        "HELLO_RATE_LIMIT_REFILL_PER_SECOND": "100000",
    }


async def forget_job_stream(env: dict[str, str]) -> None:
    """Delete the job stream that ``hello serve`` / ``hello worker`` made under the
    environment's Redis prefix (taskiq's Redis Streams broker creates it at start-up), so the
    shared Redis keeps nothing of a test."""
    if not env.get("HELLO_REDIS_URL"):
        return
    redis = Redis.from_url(env["HELLO_REDIS_URL"], socket_connect_timeout=2)
    try:
        await redis.delete(f"{env['HELLO_REDIS_PREFIX']}jobs")
    except OSError:
        pass  # a Redis of the test's own, gone with it
    finally:
        await redis.aclose()


@asynccontextmanager
async def two_servers(tmp: str, *, prefix: str | None = None) -> AsyncIterator[tuple[str, str]]:
    """Two ``hello serve`` on a fresh database and Redis (keys under ``prefix`` if given)."""
    base = require_env("HELLO_TEST_DATABASE_URL")
    redis_url = require_env("HELLO_TEST_REDIS_URL")
    name = f"hello_mp_{uuid.uuid4().hex[:10]}"
    db_url = await create_database(base, name)
    env = hello_env(tmp, db_url, redis_url)
    if prefix is not None:
        env["HELLO_REDIS_PREFIX"] = prefix
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [HELLO, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        urls = []
        for _ in range(2):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [HELLO, "serve", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            await _wait_healthy(url, process)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        await drop_database(base, name)
        await forget_job_stream(env)


async def subscriber(url: str, who: Account, chat: str) -> WSClient:
    ws = await WSClient.connect(url)
    assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
        "connection_ack"
    )
    await ws.subscribe(EVENTS, {"id": chat})
    return ws


async def received(ws: WSClient, timeout: float) -> dict[str, object]:
    msg = await ws.receive(timeout=timeout)
    assert msg["type"] == "next", msg
    return msg["payload"]["data"]["chatEvents"]["message"]


async def members(api: Api, owner: Account, n: int) -> list[Account]:
    out = []
    for i in range(n):
        email = unique_email("mp")
        data = await api.gql(
            USER_CREATE,
            {"i": {"email": email, "displayName": f"Sender {i}", "password": PASSWORD}},
            token=owner.access_token,
        )
        assert data["userCreate"]["errors"] == [], data
        out.append(await api.sign_in(email))
    return out


async def test_two_processes_deliver_every_message_in_order(tmp_path: object) -> None:
    async with (
        asyncio.timeout(180),
        two_servers(str(tmp_path)) as (url_a, url_b),
        Api(url_a) as api_a,
        Api(url_b) as api_b,
    ):
        ada = await api_a.sign_up()
        senders = await members(api_a, ada, SENDERS)
        chat = await group(api_a, ada, senders)
        on_a = await subscriber(url_a, ada, chat)
        on_b = await subscriber(url_b, ada, chat)
        try:
            # The subscriptions are confirmed asynchronously: probe until B hears A.
            seq = 0
            async with asyncio.timeout(10):
                while True:
                    sent = await send(api_a, ada, chat, f"probe {seq}")
                    seq = sent["message"]["seq"]
                    try:
                        got = await received(on_b, timeout=1.0)
                        break
                    except TimeoutError:
                        continue
            # Drain the probes so both subscribers stand at the same seq.
            for ws in (on_a, on_b):
                last = got["seq"] if ws is on_b else 0
                while last < seq:
                    last = int((await received(ws, timeout=5))["seq"])  # type: ignore[call-overload]
            # Through B, a message reaches the subscriber on A within a second too.
            await send(api_b, ada, chat, "from b")
            assert (await received(on_a, timeout=1.0))["seq"] == seq + 1
            assert (await received(on_b, timeout=1.0))["seq"] == seq + 1
            # And through A to the subscriber on B, within a second.
            await send(api_a, ada, chat, "from a")
            assert (await received(on_a, timeout=1.0))["seq"] == seq + 2
            assert (await received(on_b, timeout=1.0))["seq"] == seq + 2
            start = seq + 2

            async def burst(i: int, who: Account) -> None:
                api = api_a if i % 2 == 0 else api_b
                results = await asyncio.gather(
                    *(send(api, who, chat, f"{i}-{j}") for j in range(PER_SENDER))
                )
                assert all(r["errors"] == [] for r in results), results

            total = SENDERS * PER_SENDER
            sending = asyncio.gather(*(burst(i, s) for i, s in enumerate(senders)))
            results = await asyncio.gather(collect(on_a, total), collect(on_b, total), sending)
            expected = list(range(start + 1, start + total + 1))
            assert results[0] == expected
            assert results[1] == expected
        finally:
            await on_a.close()
            await on_b.close()


async def collect(ws: WSClient, n: int) -> list[int]:
    seqs: list[int] = []
    while len(seqs) < n:
        seqs.append(int((await received(ws, timeout=15))["seq"]))  # type: ignore[call-overload]
    return seqs


def test_hello_demo_seeds_once(tmp_path: object) -> None:
    from pathlib import Path

    tmp = Path(str(tmp_path))
    db = tmp / "demo.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELLO_")},
        "HELLO_DATA_DIR": str(tmp),
        "HELLO_DATABASE_URL": f"sqlite://{db}",
        "HELLO_PASSWORD_HASH_TIME_COST": "1",
        "HELLO_PASSWORD_HASH_MEMORY_KIB": "8192",
    }

    def hello(*args: str) -> str:
        done = subprocess.run(
            [HELLO, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    hello("migrate")
    first = hello("demo")
    assert "demo@hello.test" in first and "password:" in first and "signIn" in first

    def snapshot() -> dict[str, object]:
        with sqlite3.connect(db) as conn:
            q = conn.execute
            return {
                "orgs": q("SELECT name FROM organization").fetchall(),
                "users": q("SELECT email, role FROM users ORDER BY email").fetchall(),
                "departments": q("SELECT name FROM department ORDER BY name").fetchall(),
                "chats": q("SELECT kind, name, last_seq FROM chat ORDER BY id").fetchall(),
                "members": q("SELECT COUNT(*) FROM chat_member").fetchone(),
                "messages": q("SELECT chat_id, seq, text FROM message ORDER BY id").fetchall(),
                "audit": q("SELECT COUNT(*) FROM audit_entry").fetchone(),
            }

    seeded = snapshot()
    assert seeded["orgs"] == [("Hello Demo",)]
    assert [u[0] for u in seeded["users"]] == [  # type: ignore[attr-defined]
        "ada@hello.test",
        "demo@hello.test",
        "dieter@hello.test",
        "grace@hello.test",
        "susan@hello.test",
    ]
    assert seeded["departments"] == [("Design",), ("Engineering",)]
    assert seeded["chats"] == [("GROUP", "Welcome to Hello", 5), ("DIRECT", "", 3)]
    assert seeded["members"] == (7,)
    seqs = [(m[0], m[1]) for m in seeded["messages"]]  # type: ignore[attr-defined]
    group_id, direct_id = seqs[0][0], seqs[-1][0]
    assert seqs == [(group_id, s) for s in range(1, 6)] + [(direct_id, s) for s in range(1, 4)]
    # The administrative acts went through the domain functions: they are audited.
    assert seeded["audit"][0] > 0  # type: ignore[index]

    again = hello("demo")
    assert "already seeded; nothing changed" in again
    assert snapshot() == seeded
