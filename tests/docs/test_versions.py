"""Version history: named versions list who changed the doc since the one before and show its
title and blocks; a restore is a new edit (origin RESTORE) that people editing receive live,
with the state before saved as a RESTORE version (so it can be undone, and block ids are kept);
automatic versions come from a job after some minutes of editing, one queued at a time; viewers
and strangers change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.settings import get_settings
from models.docs import Document, DocVersion
from models.drive import DriveItem, DrivePermission, DriveRole, GranteeKind
from models.jobs import BackgroundJob, JobState
from resolvers.docs.versions import VERSION_JOB
from tests.client import Account, Api
from tests.docs.helpers import PyClient, doc_ok, pk, subscribe_doc, unb64
from tests.timing import eventually

VERSION = """id number kind name revision title createdAt createdBy { id } editors { id }
  blocks { id type text }"""
CREATE = f"""mutation($i: DocVersionCreateInput!) {{ docVersionCreate(input: $i) {{
  version {{ {VERSION} }} errors {{ code field }} }} }}"""
RESTORE = f"""mutation($i: DocVersionRestoreInput!) {{ docVersionRestore(input: $i) {{
  revision savedVersion {{ {VERSION} }} doc {{ title blocks {{ id text }} }}
  errors {{ code field }} }} }}"""
LIST = f"""query($d: ID!) {{ doc(id: $d) {{ versions {{ edges {{ node {{ {VERSION} }} }}
  pageInfo {{ hasNextPage }} }} }} }}"""


async def share(doc_id: str, user: Account, role: DriveRole) -> None:
    item = await DriveItem.get(id=pk(doc_id))
    await DrivePermission.create(
        organization_id=item.organization_id,
        item_id=item.id,
        grantee_kind=GranteeKind.USER,
        grantee_id=pk(user.user_id),
        role=role,
    )


async def call(api: Api, who: Account, query: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(query, {"i": fields}, token=who.access_token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def versions_of(api: Api, who: Account, doc_id: str) -> list[dict[str, Any]]:
    data = await api.gql(LIST, {"d": doc_id}, token=who.access_token)
    return [e["node"] for e in data["doc"]["versions"]["edges"]]


async def test_named_versions_and_a_restore_that_can_be_undone(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    doc = await doc_ok(api, ada, title="Draft")
    await share(doc["id"], bob, DriveRole.EDITOR)
    one, two = PyClient(api, ada, doc["id"]), PyClient(api, bob, doc["id"])
    await one.sync()
    await two.sync()
    await two.edit(lambda d: two.paragraph().insert(0, "first words"))
    first_block = str(two.blocks[0]["id"])
    v1 = (await call(api, ada, CREATE, docId=doc["id"], name="  Before   review "))["version"]
    assert (v1["number"], v1["kind"], v1["name"]) == (1, "NAMED", "Before review")
    assert {e["id"] for e in v1["editors"]} == {ada.user_id, bob.user_id}
    assert v1["blocks"] == [{"id": first_block, "type": "PARAGRAPH", "text": "first words"}]
    # Bob rewrites the title and the paragraph.
    await two.sync()
    await two.edit(
        lambda d: (two.title.insert(len(two.title), " v2"), two.paragraph().insert(0, "X"))
    )
    assert (await Document.get(id=pk(doc["id"]))).editors_since_version == [pk(bob.user_id)]
    # Ada follows the doc live while Bob restores version 1.
    ws, op = await subscribe_doc(server, ada, doc["id"])
    try:
        restored = await call(api, bob, RESTORE, versionId=v1["id"])
        assert restored["errors"] == [], restored
        msg = await ws.receive(timeout=10)
    finally:
        await ws.close()
    assert msg["id"] == op
    event = msg["payload"]["data"]["docEvents"]
    assert event["__typename"] == "DocUpdateEvent" and event["origin"] == "RESTORE"
    one.doc.apply_update(unb64(event["update"]))
    await one.sync()
    assert str(one.title) == "Draft" and str(one.paragraph()) == "first words"
    assert restored["doc"] == {
        "title": "Draft",
        "blocks": [{"id": first_block, "text": "first words"}],
    }
    saved = restored["savedVersion"]
    assert (saved["number"], saved["kind"]) == (2, "RESTORE")
    assert saved["title"] == "Draft v2" and saved["blocks"][0]["text"] == "Xfirst words"
    assert [e["id"] for e in saved["editors"]] == [bob.user_id]
    assert saved["name"] == "Before restoring version 1"
    # Undo: restore the RESTORE version; history only grows.
    undone = await call(api, ada, RESTORE, versionId=saved["id"])
    assert undone["doc"]["title"] == "Draft v2"
    assert undone["doc"]["blocks"] == [{"id": first_block, "text": "Xfirst words"}]
    listed = await versions_of(api, ada, doc["id"])
    assert [(v["number"], v["kind"]) for v in listed] == [
        (3, "RESTORE"),
        (2, "RESTORE"),
        (1, "NAMED"),
    ]
    assert listed[0]["title"] == "Draft" and listed[0]["editors"] == [{"id": bob.user_id}]
    # An edit typed by Bob while nobody restores stays where he put it.
    await two.sync()
    assert str(two.paragraph()) == "Xfirst words"


async def test_a_restore_keeps_people_s_typing_after_it(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="T")
    me = PyClient(api, ada, doc["id"])
    await me.sync()
    await me.edit(lambda d: me.paragraph().insert(0, "one"))
    v1 = (await call(api, ada, CREATE, docId=doc["id"], name="one"))["version"]
    await me.edit(lambda d: me.paragraph().insert(3, " two"))
    assert (await call(api, ada, RESTORE, versionId=v1["id"]))["errors"] == []
    # A peer that did not see the restore yet types; both changes survive.
    await me.edit(lambda d: me.title.insert(1, "!"))
    await me.sync()
    assert str(me.paragraph()) == "one" and str(me.title) == "T!"
    # Restoring what the doc already holds changes nothing and saves nothing.
    await call(api, ada, RESTORE, versionId=v1["id"])
    before = await DocVersion.filter(document_id=pk(doc["id"])).count()
    await me.edit(lambda d: me.title.__delitem__(slice(1, 2)))
    again = await call(api, ada, RESTORE, versionId=v1["id"])
    assert again["savedVersion"] is None and again["errors"] == []
    assert await DocVersion.filter(document_id=pk(doc["id"])).count() == before


async def test_automatic_versions_queue_one_job_at_a_time(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Auto")
    me = PyClient(api, ada, doc["id"])
    await me.sync()
    # Not due yet: nothing is queued.
    await me.edit(lambda d: me.paragraph().insert(0, "a"))
    jobs = BackgroundJob.filter(name=VERSION_JOB, key__startswith=f"{pk(doc['id'])}:")
    assert await jobs.count() == 0
    # Ten minutes of editing pass (the clock is the database's: the last version moves back).
    minutes = get_settings().docs_version_minutes
    await Document.filter(id=pk(doc["id"])).update(
        last_version_at=datetime.now(UTC) - timedelta(minutes=minutes + 1)
    )
    for ch in "bcd":
        await me.edit(lambda d, ch=ch: me.paragraph().insert(0, ch))
    assert await jobs.count() == 1

    async def saved() -> bool:
        return await DocVersion.filter(document_id=pk(doc["id"]), kind="AUTO").exists()

    await eventually(saved, timeout=20, what="the automatic version")
    [version] = await DocVersion.filter(document_id=pk(doc["id"]))
    assert version.created_by_id is None and version.editor_ids == [pk(ada.user_id)]
    assert (await jobs.first()).state in {JobState.SUCCEEDED, JobState.RUNNING}  # type: ignore[union-attr]
    listed = await versions_of(api, ada, doc["id"])
    assert listed[0]["kind"] == "AUTO" and listed[0]["createdBy"] is None
    # The doc as the job found it: revision 3 ("ba") to 5 ("dcba"), depending on when it ran.
    assert listed[0]["blocks"][0]["text"] == "dcba"[-(listed[0]["revision"] - 1) :]


async def test_viewers_and_strangers_change_no_history(api: Api) -> None:
    ada = await api.sign_up()
    vic = await api.add_member(ada, name="Vic")
    eve = await api.sign_up()
    doc = await doc_ok(api, ada, title="Kept")
    await share(doc["id"], vic, DriveRole.VIEWER)
    v1 = (await call(api, ada, CREATE, docId=doc["id"], name="v1"))["version"]
    before = await Document.get(id=pk(doc["id"]))
    for who, code in ((vic, "FORBIDDEN"), (eve, "NOT_FOUND")):
        made = await call(api, who, CREATE, docId=doc["id"], name="mine")
        assert made["errors"][0]["code"] == code
        restored = await call(api, who, RESTORE, versionId=v1["id"])
        assert restored["errors"] == [{"code": code, "field": "versionId"}]
    assert await DocVersion.filter(document_id=pk(doc["id"])).count() == 1
    assert (await Document.get(id=pk(doc["id"]))).revision == before.revision
    # The viewer reads the history; a name is 1 to 200 characters.
    assert [v["number"] for v in await versions_of(api, vic, doc["id"])] == [1]
    blank = await call(api, ada, CREATE, docId=doc["id"], name="   ")
    assert blank["errors"] == [{"code": "BAD_USER_INPUT", "field": "name"}]


async def test_a_page_of_versions_costs_the_same_statements_for_more_versions(api: Api) -> None:
    from tests.client import count_queries

    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Many")

    async def count() -> int:
        with count_queries() as statements:
            assert await versions_of(api, ada, doc["id"])
        return len(statements)

    await call(api, ada, CREATE, docId=doc["id"], name="v1")
    few = await count()
    for i in range(6):
        await call(api, ada, CREATE, docId=doc["id"], name=f"v{i + 2}")
    assert await count() == few


async def test_an_automatic_version_job_that_died_does_not_stop_automatic_versions(
    api: Api,
) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Dead job")
    me = PyClient(api, ada, doc["id"])
    await me.sync()
    minutes = get_settings().docs_version_minutes
    since = datetime.now(UTC) - timedelta(minutes=minutes + 1)
    await Document.filter(id=pk(doc["id"])).update(last_version_at=since)
    row = await Document.get(id=pk(doc["id"]))
    assert row.last_version_at is not None
    # The job for this stretch of editing ran out of attempts.
    await BackgroundJob.create(
        name=VERSION_JOB,
        args={"docId": row.id, "after": row.last_version_at.isoformat()},
        key=f"{row.id}:{row.last_version_at.isoformat()}",
        run_at=datetime.now(UTC),
        organization_id=row.organization_id,
        state=JobState.DEAD,
        attempts=5,
    )
    await me.edit(lambda d: me.paragraph().insert(0, "x"))

    async def saved() -> bool:
        return await DocVersion.filter(document_id=row.id, kind="AUTO").exists()

    await eventually(saved, timeout=20, what="an automatic version despite the dead job")
