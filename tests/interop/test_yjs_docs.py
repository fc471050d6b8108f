"""Interop: stock ``yjs`` documents in Node.js co-edit a Hello doc with a Python pycrdt client.

Two ``Y.Doc``s, each connected through ``graphql-ws`` to its own Hello process, and a pycrdt
client over HTTP type 500 characters each at random places into the same paragraph at the same
time. All three end with the same content (the Node documents received everything live, through
``docEvents``), and the doc stored in the database, read by a fresh client after the processes
restarted, is that content.

On the services stack (PostgreSQL and Redis) the Node documents talk to two ``hello serve``
processes, restarted at the end. The embedded stack has one process by design (two processes
must not share a SQLite file), so there both talk to the test server, and the "restart" drops
the doc that process holds, so it is rebuilt from the database alone."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from pycrdt import Array, Doc, Map, Text

from models.drive import DriveRole
from resolvers.docs import store
from resolvers.docs.blocks import read_blocks
from tests.client import Api
from tests.docs.helpers import SYNC, PyClient, b64, doc_ok, pk, unb64
from tests.docs.test_contract import share
from tests.drive.processes import hello_serve
from tests.interop.node_apollo_http import HERE, node_packages

INSERTS = 500
TIMEOUT = 240  # seconds for any line of the script (it gives up itself after 240)


def ws_url(server: str) -> str:
    return server.replace("http://", "ws://") + "/graphql"


def on_services() -> bool:
    return bool(os.environ.get("HELLO_TEST_DATABASE_URL"))


@asynccontextmanager
async def processes(server: str, count: int) -> AsyncIterator[list[str]]:
    """``count`` Hello processes over the test database: fresh ``hello serve``s on the
    services stack, the test server itself on the embedded one."""
    if not on_services():
        yield [server] * count
        return
    async with AsyncExitStack() as stack:
        urls = [(await stack.enter_async_context(hello_serve()))[0] for _ in range(count)]
        yield urls


class NodePeers:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout
        raw = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        if not raw:
            code = await asyncio.wait_for(self.proc.wait(), 20)
            assert self.proc.stderr
            err = (await self.proc.stderr.read()).decode(errors="replace")
            pytest.fail(f"yjs_docs.mjs exited {code} early:\n{err}")
        return json.loads(raw)  # type: ignore[no-any-return]

    async def tell(self, text: str) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(text.encode() + b"\n")
        await self.proc.stdin.drain()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def stored(url: str, token: str, doc_id: str) -> Doc:
    """The doc as a fresh client gets it from ``url``: the whole state through docSync."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        r = await client.post(
            "/graphql",
            json={"query": SYNC, "variables": {"d": doc_id}},
            headers={"authorization": f"Bearer {token}"},
        )
    body = r.json()
    assert not body.get("errors"), body
    fresh: Doc = Doc()
    fresh.apply_update(unb64(body["data"]["docSync"]["update"]))
    return fresh


def paragraph(doc: Doc) -> str:
    node = doc.get("blocks", type=Array)[0]
    assert isinstance(node, Map)
    return str(node["text"])


async def type_in_python(client: PyClient, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(INSERTS):
        text = client.paragraph()

        def insert(_: Doc, text: Text = text) -> None:
            text.insert(rng.randint(0, len(text)), chr(ord("a") + rng.randrange(26)))

        result = await client.edit(insert)
        assert result["errors"] == [], result
        if i % 25 == 24:
            await client.sync()  # see what the others typed meanwhile


async def test_node_yjs_and_pycrdt_converge_across_processes(api: Api, server: str) -> None:
    node_packages("yjs", "y-protocols", "lib0", "graphql-ws", "ws")
    node = shutil.which("node")
    assert node
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cai = await api.add_member(ada, name="Cai")
    doc = await doc_ok(api, ada, title="Interop")
    for who in (bob, cai):
        await share(pk(doc["id"]), who.user_id, DriveRole.EDITOR)
    seed = random.randrange(1 << 30)

    async with processes(server, 2) as (one, two):
        proc = await asyncio.create_subprocess_exec(
            node,
            str(HERE / "yjs_docs.mjs"),
            ws_url(one),
            ada.access_token,
            ws_url(two),
            bob.access_token,
            doc["id"],
            str(INSERTS),
            str(seed),
            cwd=HERE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        peers = NodePeers(proc)
        try:
            assert await peers.line() == {"ready": True}
            python = PyClient(api, cai, doc["id"])
            await python.sync()
            await type_in_python(python, seed)
            typed = await peers.line()
            assert typed == {"typed": [INSERTS, INSERTS]}, (typed, seed)
            await python.sync()
            await peers.tell("check")
            a, b = await peers.line(), await peers.line()
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            await peers.stop()

        # Each Node document got every other edit live (docEvents), not from the final sync.
        assert a["liveComplete"] and b["liveComplete"], (a["received"], b["received"], seed)
        assert a["received"] >= 2 * INSERTS and b["received"] >= 2 * INSERTS
        # Three replicas, one content: 1,500 characters in the one paragraph.
        mine = str(python.paragraph())
        assert len(mine) == 3 * INSERTS
        assert a["text"] == b["text"] == mine, seed
        assert a["blocks"] == b["blocks"] == python.blocks.to_py()
        for peer in (a, b):  # and their whole Yjs states decode to the same blocks in pycrdt
            replica: Doc = Doc()
            replica.apply_update(unb64(peer["state"]))
            assert read_blocks(replica) == read_blocks(python.doc)
            assert str(replica.get("title", type=Text)) == "Interop" == peer["title"]
        expected = read_blocks(python.doc)

    # The processes are gone; what the database holds is the same doc.
    store.forget(pk(doc["id"]))
    async with processes(server, 2) as urls:
        for url in urls:
            fresh = await stored(url, cai.access_token, doc["id"])
            assert paragraph(fresh) == mine
            assert read_blocks(fresh) == expected
    assert b64(b"") == ""
