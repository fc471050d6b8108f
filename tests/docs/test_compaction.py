"""Compaction: a write that takes the log past a threshold queues one ``docs.compact`` job; the
job folds the log into the snapshot and deletes the rows it folded, while writes go on; a doc
loads as snapshot + tail, also in a process whose loaded copy fell behind the compaction."""

from __future__ import annotations

import asyncio

import pytest

from adapters.settings import get_settings
from models.docs import Document, DocUpdate
from models.jobs import BackgroundJob, JobState
from resolvers.docs import compaction, store
from tests.client import Api
from tests.docs.helpers import PyClient, doc_ok, pk, send_update
from tests.docs.live_helpers import typed
from tests.timing import eventually

CONTENT = "query($d: ID!) { doc(id: $d) { revision blocks { text } } }"


async def content(api: Api, who: object, doc_id: str) -> tuple[int, str]:
    data = await api.gql(CONTENT, {"d": doc_id}, token=who.access_token)  # type: ignore[attr-defined]
    return data["doc"]["revision"], data["doc"]["blocks"][0]["text"]


async def test_the_threshold_queues_one_job_that_folds_the_log(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "docs_compact_updates", 5)
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Long")
    doc_pk = pk(doc["id"])
    client = PyClient(api, ada, doc["id"])
    await client.sync()
    for i in range(4):
        await typed(client, str(i), i)  # revisions 2..5: the log holds 5 after the 4th
    jobs = BackgroundJob.filter(name=compaction.COMPACT_JOB, key__startswith=f"{doc_pk}:")

    async def folded() -> bool:
        row = await Document.get(id=doc_pk)
        return row.snapshot_revision >= 5 and row.compaction_queued_at is None

    await eventually(folded, timeout=20, what="the compaction job")

    async def done() -> bool:  # the runner records the job's end after its transaction
        return [j.state for j in await jobs] == [JobState.SUCCEEDED]

    await eventually(done, timeout=20, what="the job recorded as done, once")
    row = await Document.get(id=doc_pk)
    assert row.snapshot is not None and row.log_count == row.revision - row.snapshot_revision
    left = await DocUpdate.filter(document_id=doc_pk).values_list("revision", flat=True)
    assert all(int(r) > row.snapshot_revision for r in left)  # type: ignore[call-overload]
    # Loading is snapshot + tail, and nothing typed is lost
    await typed(client, "+", 0)
    store.forget(doc_pk)
    revision, text = await content(api, ada, doc["id"])
    assert revision == 6 and text == "+0123"
    fresh = PyClient(api, ada, doc["id"])
    await fresh.sync()
    assert str(fresh.paragraph()) == "+0123"


async def test_a_doc_under_the_threshold_queues_nothing(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Short")
    client = PyClient(api, ada, doc["id"])
    await client.sync()
    await typed(client, "x", 0)
    row = await Document.get(id=pk(doc["id"]))
    assert row.compaction_queued_at is None and row.snapshot_revision == 0


async def test_compaction_while_writes_go_on_loses_nothing(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Busy")
    doc_pk = pk(doc["id"])
    clients = [PyClient(api, ada, doc["id"]) for _ in range(4)]
    for c in clients:
        await c.sync()

    async def write(c: PyClient, n: int) -> None:
        for i in range(10):
            await typed(c, f"{n}", 0)
            if i % 3 == 0:
                await asyncio.sleep(0)

    async def compact_repeatedly() -> None:
        for _ in range(8):
            await compaction.do_doc_compact(doc_pk)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(write(c, n) for n, c in enumerate(clients)), compact_repeatedly())
    await compaction.do_doc_compact(doc_pk)
    row = await Document.get(id=doc_pk)
    assert row.revision == 41 and row.snapshot_revision == 41 and row.log_count == 0
    assert await DocUpdate.filter(document_id=doc_pk).count() == 0
    store.forget(doc_pk)
    final = PyClient(api, ada, doc["id"])
    await final.sync()
    assert sorted(str(final.paragraph())) == sorted("0123" * 10)


async def test_a_loaded_doc_that_fell_behind_a_compaction_takes_the_snapshot(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Behind")
    doc_pk = pk(doc["id"])
    here = PyClient(api, ada, doc["id"])
    await here.sync()
    await typed(here, "here ", 0)
    assert store.loaded(doc_pk) is not None and store.loaded(doc_pk).revision == 2  # type: ignore[union-attr]
    # Another process (its updates written straight to the log, as it would) writes
    # revisions 3 and 4, and compacts them away, while this process's copy stays at 2
    there = PyClient(api, ada, doc["id"])
    await there.sync()
    made: list[bytes] = []
    sub = there.doc.observe(lambda e: made.append(e.update))
    there.paragraph().insert(len(str(there.paragraph())), "there")
    there.title.insert(0, "New ")
    there.doc.unobserve(sub)
    for revision, data in ((3, made[0]), (4, made[1])):
        await DocUpdate.create(document_id=doc_pk, revision=revision, data=data, author_id=None)
    await Document.filter(id=doc_pk).update(revision=4, log_count=4)
    assert await compaction.do_doc_compact(doc_pk) == 4
    assert store.loaded(doc_pk).revision == 2  # type: ignore[union-attr]
    # Then reads and writes here see everything, with no reload from scratch
    revision, text = await content(api, ada, doc["id"])
    assert (revision, text) == (4, "here there")
    result = await send_update(api, ada, doc["id"], b"\x00\x00")
    assert result["errors"] == [] and result["changed"] is False
    await typed(here, "!", 0)
    assert await content(api, ada, doc["id"]) == (5, "!here there")
