"""Doc search: the index follows edits through the docs.index job (one queued for a burst of
typing) and the Drive item's name follows the title; docSearch finds titles and content by
case-folded, NFKC-normalized substring (Chinese and Japanese included), most recently edited
first, with a snippet; another organization's doc and an unshared colleague's doc are never
found, a shared one is, a trashed one is not."""

from __future__ import annotations

from typing import Any

from models.docs import Document
from models.drive import DriveItem, DrivePermission, DriveRole, GranteeKind
from models.jobs import BackgroundJob
from resolvers.docs.search import INDEX_JOB, snippet
from tests.client import Account, Api
from tests.docs.helpers import PyClient, doc_ok, pk
from tests.timing import eventually

SEARCH = """query($q: String!, $first: Int, $after: String) {
  docSearch(query: $q, first: $first, after: $after) {
    edges { cursor node { snippet doc { id title file { name } } } }
    pageInfo { hasNextPage endCursor } } }"""


async def search(api: Api, who: Account, query: str, **more: Any) -> list[dict[str, Any]]:
    data = await api.gql(SEARCH, {"q": query, **more}, token=who.access_token)
    return [e["node"] for e in data["docSearch"]["edges"]]


async def found_ids(api: Api, who: Account, query: str) -> list[str]:
    return [n["doc"]["id"] for n in await search(api, who, query)]


async def write(api: Api, who: Account, doc_id: str, title: str, text: str) -> None:
    client = PyClient(api, who, doc_id)
    await client.sync()

    def change(_: Any) -> None:
        client.title.insert(len(client.title), title)
        client.paragraph().insert(0, text)

    assert (await client.edit(change))["errors"] == []


async def indexed(doc_id: str) -> None:
    async def done() -> bool:
        row = await Document.get(id=pk(doc_id))
        return row.indexed_revision == row.revision and row.index_queued_at is None

    await eventually(done, timeout=20, what="the doc indexed")


async def test_titles_and_cjk_content_are_found_with_a_snippet(api: Api) -> None:
    ada = await api.sign_up()
    zh = await doc_ok(api, ada)
    ja = await doc_ok(api, ada)
    await write(api, ada, zh["id"], "季度计划", "我们明天开会讨论预算然后确定项目的时间表。")
    await write(
        api, ada, ja["id"], "会議の議事録", "ＡＢＣ社との打ち合わせ: 来週の予定を確認しました。"
    )
    await indexed(zh["id"])
    await indexed(ja["id"])
    [hit] = await search(api, ada, "预算")
    assert hit["doc"]["id"] == zh["id"] and "讨论预算" in hit["snippet"]
    assert hit["doc"]["title"] == "季度计划" and hit["doc"]["file"]["name"] == "季度计划"
    assert await found_ids(api, ada, "議事録") == [ja["id"]]  # the title
    assert await found_ids(api, ada, "予定を確認") == [ja["id"]]
    # NFKC: full-width letters match their ASCII form, in any case.
    [abc] = await search(api, ada, "abc社")
    assert abc["doc"]["id"] == ja["id"] and "ＡＢＣ社" in abc["snippet"]
    assert await search(api, ada, "不存在的词") == []
    # Most recently edited first, paged.
    both = await search(api, ada, "。", first=1)
    assert [n["doc"]["id"] for n in both] == [ja["id"]]
    data = await api.gql(SEARCH, {"q": "。", "first": 1}, token=ada.access_token)
    after = data["docSearch"]["pageInfo"]["endCursor"]
    rest = await search(api, ada, "。", first=1, after=after)
    assert [n["doc"]["id"] for n in rest] == [zh["id"]]


async def test_a_burst_of_typing_queues_one_index_job(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Burst")
    client = PyClient(api, ada, doc["id"])
    await client.sync()
    for ch in "hello":
        await client.edit(lambda d, ch=ch: client.paragraph().insert(len(client.paragraph()), ch))
    # Five edits inside the delay: one job.
    jobs = BackgroundJob.filter(name=INDEX_JOB, key__startswith=f"{pk(doc['id'])}:")
    assert await jobs.count() == 1
    await indexed(doc["id"])
    assert await found_ids(api, ada, "hello") == [doc["id"]]
    # A later edit queues the next one; the title renames the Drive item (unique in its folder).
    await doc_ok(api, ada, title="Taken name")
    await client.sync()
    await client.edit(
        lambda d: (client.title.__delitem__(slice(0, 5)), client.title.insert(0, "Taken name"))
    )
    await indexed(doc["id"])
    assert await jobs.count() == 2
    item = await DriveItem.get(id=pk(doc["id"]))
    assert item.name == "Taken name (2)"
    assert (await Document.get(id=pk(doc["id"]))).title == "Taken name"
    # A name given in Drive stays while the title does not change.
    renamed = await api.gql(
        "mutation($i: FileRenameInput!) { fileRename(input: $i) { errors { code } } }",
        {"i": {"fileId": doc["file"]["id"], "name": "My own name"}},
        token=ada.access_token,
    )
    assert renamed["fileRename"]["errors"] == []
    await client.sync()
    await client.edit(lambda d: client.paragraph().insert(0, "more "))
    await indexed(doc["id"])
    assert await jobs.count() == 3
    assert (await DriveItem.get(id=pk(doc["id"]))).name == "My own name"


async def test_search_sees_only_what_the_viewer_may_see(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up()
    mine = await doc_ok(api, ada)
    private = await doc_ok(api, bob)
    shared = await doc_ok(api, bob)
    elsewhere = await doc_ok(api, eve)
    for who, doc in ((ada, mine), (bob, private), (bob, shared), (eve, elsewhere)):
        await write(api, who, doc["id"], "Zebra", "the zebra plan")
    item = await DriveItem.get(id=pk(shared["id"]))
    await DrivePermission.create(
        organization_id=item.organization_id,
        item_id=item.id,
        grantee_kind=GranteeKind.USER,
        grantee_id=pk(ada.user_id),
        role=DriveRole.VIEWER,
    )
    for doc in (mine, private, shared, elsewhere):
        await indexed(doc["id"])
    assert set(await found_ids(api, ada, "ZEBRA")) == {mine["id"], shared["id"]}
    assert set(await found_ids(api, bob, "zebra")) == {private["id"], shared["id"]}
    assert await found_ids(api, eve, "zebra") == [elsewhere["id"]]
    # In the trash: not found.
    trash = await api.gql(
        "mutation($i: FileDeleteInput!) { fileDelete(input: $i) { errors { code } } }",
        {"i": {"fileId": mine["file"]["id"]}},
        token=ada.access_token,
    )
    assert trash["fileDelete"]["errors"] == []
    assert await found_ids(api, ada, "zebra") == [shared["id"]]
    blank = await api.post(
        'query { docSearch(query: "   ") { edges { cursor } } }', token=ada.access_token
    )
    assert blank.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_snippets_cut_around_the_first_match() -> None:
    text = "x" * 100 + " Straße " + "y" * 100
    cut = snippet(text, "strasse")
    assert cut.startswith("…") and cut.endswith("…") and "Straße" in cut
    assert len(cut) < 100
    assert snippet("short", "zz") == "short"


async def test_an_index_job_that_died_does_not_stop_the_index(api: Api) -> None:
    """A queued mark left by a job that never finished is stale after a while: the next edit
    queues a new job and the doc is found by what it says now."""
    from datetime import timedelta

    from resolvers.core.clock import now

    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Stuck")
    await Document.filter(id=pk(doc["id"])).update(index_queued_at=now() - timedelta(hours=1))
    await write(api, ada, doc["id"], "", "zebracorn")
    await indexed(doc["id"])
    assert await found_ids(api, ada, "zebracorn") == [doc["id"]]
