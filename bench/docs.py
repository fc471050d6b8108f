"""Figure 12, Docs: one doc co-edited by 50 editors, each following it with a ``docEvents``
WebSocket subscription (in the ``bench.wsclient`` processes, as figure 4), updates sent through
``docUpdate`` by the editors in turn, and the memory a loaded doc costs.

Each editor holds a pycrdt document synced with the server (``docSync``) and types into the
doc's paragraph, so every update is a real Yjs update the server decodes, applies, stores (its
row and the doc's counters, under the doc's row lock) and publishes. Its ``clientTag`` carries
the sender's clock (``fanout <monotonic ns> <n>``), echoed in every ``DocUpdateEvent``, which
is how the subscribers time it; every subscriber counts, the sender's own echo included (a
client receives it too and skips it by its tag).

The baseline, measured in the same run on the same server: the same 50 people as members of a
group chat (the seed's first group), following it with ``chatEvents``, a message sent through
``messageSend`` in turn: the fan-out Hello already does for chats. The ratio says what a doc
update costs over a chat message end to end (Yjs decode and apply on the server, a bigger
payload, the row lock).

Memory per open doc: RSS of the server before and after ``DOCS`` new docs of a few KB each are
created and written (each written doc stays loaded: pycrdt document, its revision and lock;
fewer than ``settings.docs_open_per_process``, so none is evicted), divided by ``DOCS``. On the
embedded stack the delta includes SQLite's page cache growing with the rows written."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pycrdt import Array, Doc, Map, Text

from bench import fanout as fan
from bench.client import BenchError, Client
from bench.seed import Dataset, Member, bounded
from bench.servers import Process
from bench.stats import per_item

EDITORS = 50
DOCS = 150
"""Docs per memory run: three runs stay under the default 500 docs a process keeps loaded."""
DOC_TEXT = 3000
"""Characters typed into each doc of the memory figure (a few KB of content)."""

DOC_CREATE = """mutation DocCreate($i: DocCreateInput!) { docCreate(input: $i) {
  doc { id file { id } } errors { code message } } }"""
DOC_UPDATE = """mutation DocUpdate($i: DocUpdateInput!) { docUpdate(input: $i) {
  revision errors { code message } } }"""
DOC_SYNC = """query DocSync($d: ID!) { docSync(docId: $d) { update revision } }"""
FILE_SHARE = """mutation FileShare($i: FileShareInput!) { fileShare(input: $i) {
  errors { code message } } }"""
DOC_EVENTS = """subscription DocEvents($chat: ID!) { docEvents(docId: $chat) {
  __typename ... on DocUpdateEvent { revision clientTag } } }"""


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


class Editor:
    """One editor's pycrdt document, synced with the server once, then typing into it."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.doc: Doc = Doc()

    async def sync(self, client: Client, doc_id: str) -> None:
        data = await client.gql(DOC_SYNC, {"d": doc_id}, token=self.member.token)
        self.doc.apply_update(_unb64(data["docSync"]["update"]))

    def type(self, text: str) -> bytes:
        made: list[bytes] = []
        sub = self.doc.observe(lambda e: made.append(e.update))
        try:
            block = self.doc.get("blocks", type=Array)[0]
            assert isinstance(block, Map)
            paragraph = block["text"]
            assert isinstance(paragraph, Text)
            paragraph.insert(0, text)
        finally:
            self.doc.unobserve(sub)
        return made[0]


class DocSender(fan.Sender):
    """``docUpdate`` by the editors in turn, tagged with the send time."""

    def __init__(self, clients: list[Client], editors: list[Editor], doc_id: str) -> None:
        super().__init__(clients, [e.member for e in editors], doc_id)
        self.editors = editors

    async def one(self) -> None:
        n = self.count
        self.count += 1
        client = self.clients[n % len(self.clients)]
        editor = self.editors[n % len(self.editors)]
        update = editor.type(f"{n} ")
        await client.mutate(
            "docUpdate",
            DOC_UPDATE,
            {
                "i": {
                    "docId": self.chat,
                    "update": _b64(update),
                    "clientTag": f"fanout {time.monotonic_ns()} {n}",
                }
            },
            token=editor.member.token,
        )


class DocSubscribers(fan.Subscribers):
    """The 50 editors' ``docEvents`` subscriptions and the sender of their updates."""

    def __init__(
        self,
        servers: list[Process],
        clients: list[Client],
        editors: list[Editor],
        doc_id: str,
        data: Dataset,
        log: Callable[[str], None],
    ) -> None:
        subs = [(e.member.token, doc_id) for e in editors]
        super().__init__(servers, subs, clients, [e.member for e in editors], data, log)
        self.editors = editors
        self.doc_id = doc_id
        self.sender = DocSender(clients, editors, doc_id)

    async def open(self) -> fan.Pool:
        if self.pool is not None:
            await self.pool.close()
        pool = await fan.Pool.start([s.url for s in self.servers])
        await pool.subscribe(self.subs, query=DOC_EVENTS)
        # Live once one update per editor reached everybody.
        await self.sender.at_rate(20.0, len(self.editors))
        expected = len(self.editors) * pool.size
        got, broken = await pool.collect(expected, timeout=120)
        if len(got) < expected or broken:
            await pool.close()
            raise BenchError(f"docEvents not live: {len(got)} of {expected} deliveries")
        self.log(f"    {pool.size} docEvents subscribers live")
        self.pool = pool
        return pool


async def shared_doc(client: Client, data: Dataset) -> tuple[str, list[Editor]]:
    """A new doc of the viewer's, shared with the first ``EDITORS`` members as editors, and
    their synced editors."""
    viewer = data.viewer.token
    made = (await client.gql(DOC_CREATE, {"i": {"title": "Bench doc"}}, token=viewer))["docCreate"]
    if made["errors"]:
        raise BenchError(f"docCreate: {made['errors']}")
    doc_id, file_id = made["doc"]["id"], made["doc"]["file"]["id"]
    editors = [Editor(m) for m in data.members[:EDITORS]]
    for e in editors:
        shared = await client.gql(
            FILE_SHARE,
            {"i": {"fileId": file_id, "userId": e.member.id, "role": "EDITOR"}},
            token=viewer,
        )
        if shared["fileShare"]["errors"]:
            raise BenchError(f"fileShare: {shared['fileShare']['errors']}")
    await asyncio.gather(*(e.sync(client, doc_id) for e in editors))
    return doc_id, editors


async def memory_per_doc(server: Process, client: Client, data: Dataset) -> float:
    """KiB of server RSS per loaded doc of a few KB (see the module docstring)."""
    token = data.viewer.token

    async def one(i: int) -> None:
        made = (await client.gql(DOC_CREATE, {"i": {"title": f"Memory {i}"}}, token=token))[
            "docCreate"
        ]
        if made["errors"]:
            raise BenchError(f"docCreate: {made['errors']}")
        editor = Editor(data.viewer)
        await editor.sync(client, made["doc"]["id"])
        update = editor.type(f"{i} " + "x" * DOC_TEXT)
        await client.mutate(
            "docUpdate",
            DOC_UPDATE,
            {"i": {"docId": made["doc"]["id"], "update": _b64(update)}},
            token=token,
        )

    await one(-1)  # the first doc loads what every later one shares
    await asyncio.sleep(1.0)
    before = server.rss_kib()
    await bounded(8, [lambda i=i: one(i) for i in range(DOCS)])  # type: ignore[misc]
    await asyncio.sleep(2.0)
    after = server.rss_kib()
    return per_item(before, after, DOCS)


def chat_baseline(
    servers: list[Process], clients: list[Client], data: Dataset, log: Callable[[str], None]
) -> fan.Subscribers:
    """The same 50 people in the seed's first group chat, following it with chatEvents."""
    import dataclasses

    people = data.members[:EDITORS]
    chat = data.groups[0]
    subs = [(m.token, chat) for m in people]
    return fan.Subscribers(
        servers, subs, clients, people, dataclasses.replace(data, big_chat=chat), log
    )


Result = dict[str, list[float]]


async def docs(
    server: Process,
    data: Dataset,
    *,
    latency_updates: int,
    start_rate: float,
    step_seconds: float,
    runs: int,
    log: Callable[[str], None],
) -> tuple[Result, Result]:
    """(docs figures, chat baseline figures): p50 and p99 ms at 2 per second, the most
    deliveries per second with p99 <= 1 s, and (docs only) KiB per loaded doc."""
    clients = [Client(server.url, connections=64)]
    mine: Result = {"p50": [], "p99": [], "max": [], "memory": []}
    base: Result = {"p50": [], "p99": [], "max": []}
    try:
        doc_id, editors = await shared_doc(clients[0], data)
        log(f"    a doc shared with {len(editors)} editors")
        doc_subs = DocSubscribers([server], clients, editors, doc_id, data, log)
        chat_subs = chat_baseline([server], clients, data, log)
        for run in range(runs):
            # Interleaved: each docs run next to a chat run, so drift of the machine is in both.
            for subs, out, what in ((doc_subs, mine, "doc"), (chat_subs, base, "chat")):
                pool = await subs.open()
                step = await fan._round(pool, subs.sender, 2.0, latency_updates)
                if step.delivered != step.expected:
                    raise BenchError(
                        f"{what} fan-out lost events at 2/s: {step.delivered} of {step.expected}"
                    )
                out["p50"].append(step.p50_ms)
                out["p99"].append(step.p99_ms)
                best, _ = await fan.max_rate(
                    subs, start_rate=start_rate, step_seconds=step_seconds, run=run + 1
                )
                out["max"].append(best)
                log(
                    f"    run {run + 1} {what}: p50 {step.p50_ms:.1f} ms, p99 {step.p99_ms:.1f} "
                    f"ms, at most {best:,.0f} deliveries/s ({best / EDITORS:,.1f} {what} "
                    "updates/s) with p99 <= 1 s"
                )
                await subs.close()
        for run in range(runs):
            mine["memory"].append(await memory_per_doc(server, clients[0], data))
            log(f"    memory run {run + 1}: {mine['memory'][-1]:.1f} KiB per loaded doc")
    finally:
        for c in clients:
            await c.http.aclose()
    return mine, base
