"""Docs across processes: a ``hello serve`` killed (SIGKILL) mid-session loses no acknowledged
update; an update sent to one process reaches a subscriber of another, and writers on both
converge (the doc's row lock serializes them); with Redis down, updates are still stored and
reach subscribers by catch-up polling, and live delivery resumes once it is back."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from pycrdt import Doc

from models.docs import Document, DocUpdate
from resolvers.docs import store
from tests.client import Account, Api, WSClient
from tests.docs.helpers import PyClient, doc_ok, pk, unb64
from tests.docs.live_helpers import EVENTS_AFTER, share
from tests.drive.processes import hello_serve
from tests.reliability.cluster import RedisServer
from tests.services import missing, require_env


async def stream(url: str, who: Account, doc_id: str, after: int) -> WSClient:
    """A docEvents subscriber on the process at ``url``, replaying after ``after``: whatever
    is stored after it arrives, however long the subscription takes to confirm."""
    ws = await WSClient.connect(url)
    ack = await ws.init({"authorization": f"Bearer {who.access_token}"})
    assert ack["type"] == "connection_ack", ack
    await ws.subscribe(EVENTS_AFTER, {"d": doc_id, "after": after})
    return ws


async def collect(ws: WSClient, until: int, timeout: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not got or got[-1]["revision"] < until:
            msg = await ws.receive(timeout=timeout)
            assert msg["type"] == "next" and "errors" not in msg["payload"], msg
            event = msg["payload"]["data"]["docEvents"]
            if event["__typename"] == "DocUpdateEvent":
                got.append(event)
    return got


def word(n: int) -> str:
    return f"<{n}>"


async def test_a_killed_process_loses_no_acknowledged_update(api: Api, tmp_path: Path) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Durable")
    acknowledged: list[int] = []
    async with hello_serve() as (url, process), Api(url) as there:
        writers = [PyClient(there, ada, doc["id"]) for _ in range(4)]
        for w in writers:
            await w.sync()

        async def write(k: int, w: PyClient) -> None:
            n = k
            while True:
                try:
                    result = await w.edit(lambda d, n=n: w.paragraph().insert(0, word(n)))
                except Exception:
                    return  # the process died under the request: not acknowledged
                assert result["errors"] == [], result
                acknowledged.append(n)
                n += len(writers)

        tasks = [asyncio.create_task(write(k, w)) for k, w in enumerate(writers)]
        while len(acknowledged) < 40:
            await asyncio.sleep(0.005)
        # Killed mid-session, with requests in flight
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.gather(*tasks)
        process.wait(10)
    async with hello_serve() as (url, _), Api(url) as again:
        reader = PyClient(again, ada, doc["id"])
        await reader.sync()
        text = str(reader.paragraph())
    assert all(word(n) in text for n in acknowledged), (acknowledged, text)
    row = await Document.get(id=pk(doc["id"]))
    assert await DocUpdate.filter(document_id=row.id).count() == row.revision >= 41
    # What the database holds, rebuilt here from the log alone, is what the restart served
    store.forget(row.id)
    replica = PyClient(api, ada, doc["id"])
    await replica.sync()
    assert str(replica.paragraph()) == text


async def test_two_processes_share_updates_and_converge(api: Api, server: str) -> None:
    require_env("HELLO_TEST_DATABASE_URL")  # two processes share a server database
    require_env("HELLO_TEST_REDIS_URL")  # and a bus
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    doc = await doc_ok(api, ada, title="Both")
    await share(api, ada, doc["file"]["id"], bob, "EDITOR")
    async with hello_serve() as (url, _), Api(url) as there:
        here_ws = await stream(server, bob, doc["id"], 1)
        there_ws = await stream(url, ada, doc["id"], 1)
        try:
            here = [PyClient(api, ada, doc["id"]) for _ in range(3)]
            away = [PyClient(there, bob, doc["id"]) for _ in range(3)]
            for c in here + away:
                await c.sync()

            async def write(c: PyClient, tag: str) -> None:
                for i in range(10):
                    result = await c.edit(lambda d, i=i: c.paragraph().insert(0, f"{tag}{i} "))
                    assert result["errors"] == [], result

            await asyncio.gather(
                *(write(c, f"h{k}.") for k, c in enumerate(here)),
                *(write(c, f"a{k}.") for k, c in enumerate(away)),
            )
            assert (await Document.get(id=pk(doc["id"]))).revision == 61
            # Every subscriber, on either process, got revisions 2..61 once each, in order
            for ws in (here_ws, there_ws):
                got = await collect(ws, 61, timeout=30)
                assert [e["revision"] for e in got] == list(range(2, 62))
                rebuilt: Doc = Doc()
                first = await DocUpdate.get(document_id=pk(doc["id"]), revision=1)
                rebuilt.apply_update(bytes(first.data))
                for e in got:
                    rebuilt.apply_update(unb64(e["update"]))
                check = PyClient(api, ada, doc["id"])
                check.doc = rebuilt
                final_here = PyClient(api, ada, doc["id"])
                await final_here.sync()
                assert str(check.paragraph()) == str(final_here.paragraph())
            final_there = PyClient(there, bob, doc["id"])
            await final_there.sync()
            text = str(final_there.paragraph())
            assert all(f"{t}{k}.{i} " in text for t in "ha" for k in range(3) for i in range(10))
        finally:
            await here_ws.close()
            await there_ws.close()


async def test_with_redis_down_updates_are_stored_and_caught_up(api: Api, tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    redis = RedisServer(tmp_path)
    await redis.start()
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Outage")
    try:
        async with hello_serve(HELLO_REDIS_URL=redis.url) as (url, _), Api(url) as there:
            ws = await stream(url, ada, doc["id"], 1)
            try:
                writer = PyClient(there, ada, doc["id"])
                await writer.sync()
                r = await writer.edit(lambda d: writer.paragraph().insert(0, "before "))
                assert r["errors"] == [] and r["revision"] == 2
                assert [e["revision"] for e in await collect(ws, 2, 10)] == [2]
                # Redis goes away: writes are still acknowledged (stored), and the subscriber
                # gets them by polling the log
                redis.kill()
                for n, text in enumerate(("during1 ", "during2 ")):
                    r = await writer.edit(lambda d, t=text: writer.paragraph().insert(0, t))
                    assert r["errors"] == [] and r["revision"] == 3 + n, r
                assert [e["revision"] for e in await collect(ws, 4, 20)] == [3, 4]
                # Redis comes back (empty): live delivery resumes, with nothing skipped
                await redis.start()
                await asyncio.sleep(1)
                r = await writer.edit(lambda d: writer.paragraph().insert(0, "after "))
                assert r["errors"] == [] and r["revision"] == 5, r
                assert [e["revision"] for e in await collect(ws, 5, 20)] == [5]
            finally:
                await ws.close()
        reader = PyClient(api, ada, doc["id"])
        await reader.sync()
        assert str(reader.paragraph()) == "after during2 during1 before "
    finally:
        redis.kill()
