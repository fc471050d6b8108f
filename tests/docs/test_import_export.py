"""docImport and docExport through the API, and Doc.markdown, Doc.html, Doc.plainText: a rich
Markdown file imports into blocks and exports back unchanged; hostile HTML imports harmless;
the size limit is a typed error that creates nothing; an export is a job that writes a Drive
file (viewers may export, other organizations see nothing) and names it in its final state."""

from __future__ import annotations

import io
import os
from typing import Any

import docx
from strawberry.relay import GlobalID

from models.docs import Document
from models.drive import DriveItem, DriveRole
from models.jobs import BackgroundJob, JobState
from resolvers.docs.formats import pdf
from resolvers.docs.imports import MAX_IMPORT_BYTES
from tests.client import Account, Api, WSClient
from tests.docs.helpers import PyClient, doc_ok, pk
from tests.docs.test_contract import share
from tests.docs.test_formats import HOSTILE, RICH, audit
from tests.drive.helpers import upload_ok
from tests.timing import eventually

IMPORT = """mutation($i: DocImportInput!) { docImport(input: $i) {
  doc { id title revision markdown html plainText file { name } blocks { type text } }
  errors { code field message } } }"""
EXPORT = """mutation($i: DocExportInput!) { docExport(input: $i) {
  job { id name state } errors { code field message } } }"""
JOB_EVENTS = """subscription($id: ID!) { backgroundJobEvents(id: $id) {
  kind job { state progressDone progressTotal resultFile { id name contentType size } } } }"""


async def imported(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    return (await api.gql(IMPORT, {"i": fields}, token=who.access_token))["docImport"]


async def docs_of(who: Account) -> int:
    org = int(GlobalID.from_id(who.organization_id).node_id)
    return await Document.filter(organization_id=org).count()


async def test_markdown_imports_and_exports_unchanged(api: Api) -> None:
    ada = await api.sign_up()
    got = await imported(api, ada, format="MARKDOWN", content=RICH)
    assert got["errors"] == [], got
    doc = got["doc"]
    assert doc["title"] == "Launch plan" and doc["file"]["name"] == "Launch plan"
    assert doc["revision"] == 1  # the whole content is the doc's first update
    assert doc["markdown"] == RICH
    assert audit(doc["html"]) == [] and "<table>" in doc["html"]
    assert doc["plainText"].startswith("Launch plan\nA paragraph with bold, italic,")
    # What the fields say is what a Yjs client reads from the doc.
    client = PyClient(api, ada, doc["id"])
    await client.sync()
    assert str(client.title) == "Launch plan"
    assert str(client.paragraph(1)).startswith("A paragraph with bold")


async def test_hostile_html_imports_harmless_and_the_title_is_given(api: Api) -> None:
    ada = await api.sign_up()
    got = await imported(api, ada, format="HTML", content=HOSTILE, title="From the web")
    assert got["errors"] == [], got
    doc = got["doc"]
    assert doc["title"] == "From the web"
    assert audit(doc["html"]) == []
    assert "alert('head')" not in doc["plainText"] and "Quarterly report" in doc["plainText"]
    assert "javascript" not in doc["markdown"].lower()


async def test_a_drive_file_imports_and_its_name_is_the_title(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    file = await upload_ok(api, ada, b"plain *words* only\n", filename="notes.md")
    got = await imported(api, ada, format="MARKDOWN", fileId=file["id"])
    assert got["errors"] == [], got
    assert got["doc"]["title"] == "notes" and got["doc"]["markdown"] == "plain *words* only\n"
    # Someone who cannot read the file gets NOT_FOUND, and nothing is created.
    before = await docs_of(ada)
    denied = await imported(api, bob, format="MARKDOWN", fileId=file["id"])
    assert [(e["code"], e["field"]) for e in denied["errors"]] == [("NOT_FOUND", "fileId")]
    assert await docs_of(ada) == before
    folder = await api.gql(
        'mutation { folderCreate(input: {name: "F"}) { folder { id } } }', token=ada.access_token
    )
    not_file = await imported(
        api, ada, format="MARKDOWN", fileId=folder["folderCreate"]["folder"]["id"]
    )
    assert [e["code"] for e in not_file["errors"]] == ["NOT_A_FILE"]


async def test_too_large_or_ambiguous_imports_are_refused(api: Api) -> None:
    ada = await api.sign_up()
    before = await docs_of(ada)
    big = await imported(api, ada, format="MARKDOWN", content="x" * (MAX_IMPORT_BYTES + 1))
    assert [(e["code"], e["field"]) for e in big["errors"]] == [("IMPORT_TOO_LARGE", "content")]
    wide = await imported(api, ada, format="MARKDOWN", content="é" * (MAX_IMPORT_BYTES // 2 + 1))
    assert [e["code"] for e in wide["errors"]] == ["IMPORT_TOO_LARGE"]  # bytes, not characters
    big_file = await upload_ok(api, ada, b"y" * (MAX_IMPORT_BYTES + 1), filename="big.md")
    from_file = await imported(api, ada, format="MARKDOWN", fileId=big_file["id"])
    assert [e["code"] for e in from_file["errors"]] == ["IMPORT_TOO_LARGE"]
    neither = await imported(api, ada, format="HTML")
    assert [e["code"] for e in neither["errors"]] == ["BAD_USER_INPUT"]
    both = await imported(api, ada, format="HTML", content="<p>x</p>", fileId=big_file["id"])
    assert [e["code"] for e in both["errors"]] == ["BAD_USER_INPUT"]
    assert await docs_of(ada) == before
    at_limit = await imported(api, ada, format="MARKDOWN", content="z" * MAX_IMPORT_BYTES)
    assert at_limit["errors"] == [] and await docs_of(ada) == before + 1


async def test_import_with_an_idempotency_key_creates_once(api: Api) -> None:
    ada = await api.sign_up()
    first = await imported(api, ada, format="MARKDOWN", content="# One", idempotencyKey="k1")
    again = await imported(api, ada, format="MARKDOWN", content="# One", idempotencyKey="k1")
    assert first["doc"]["id"] == again["doc"]["id"]
    other = await imported(api, ada, format="MARKDOWN", content="# Two", idempotencyKey="k1")
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def _finished(job_pk: int) -> BackgroundJob:
    async def done() -> bool:
        row = await BackgroundJob.get(id=job_pk)
        return row.state in (JobState.SUCCEEDED, JobState.DEAD)

    await eventually(done, timeout=30, what="the export job finished")
    return await BackgroundJob.get(id=job_pk)


async def _file_bytes(api: Api, who: Account, file_pk: int) -> bytes:
    gid = str(GlobalID("File", str(file_pk)))
    r = await api.http.get(f"/files/{gid}", headers={"authorization": f"Bearer {who.access_token}"})
    assert r.status_code == 200, r.text
    return r.content


async def test_a_viewer_exports_every_format_into_their_drive(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    doc = (await imported(api, ada, format="MARKDOWN", content=RICH))["doc"]
    await share(pk(doc["id"]), bob.user_id, DriveRole.VIEWER)
    expected = {
        "MARKDOWN": ("Launch plan.md", "text/markdown; charset=utf-8"),
        "HTML": ("Launch plan.html", "text/html; charset=utf-8"),
        "TEXT": ("Launch plan.txt", "text/plain; charset=utf-8"),
        "DOCX": ("Launch plan.docx", docx_type()),
        "PDF": ("Launch plan.pdf", "application/pdf"),
    }
    if not pdf.available():
        # Without the DejaVu fonts (Debian fonts-dejavu-core) PDF is a typed refusal; CI
        # installs them, so the services run always checks the PDF itself.
        assert not os.environ.get("HELLO_REQUIRE_SERVICES"), "CI installs fonts-dejavu-core"
        refused = (
            await api.gql(
                EXPORT, {"i": {"docId": doc["id"], "format": "PDF"}}, token=bob.access_token
            )
        )["docExport"]
        assert [e["code"] for e in refused["errors"]] == ["FORMAT_UNAVAILABLE"], refused
        del expected["PDF"]
    files: dict[str, bytes] = {}
    for fmt, (name, content_type) in expected.items():
        out = (
            await api.gql(
                EXPORT, {"i": {"docId": doc["id"], "format": fmt}}, token=bob.access_token
            )
        )["docExport"]
        assert out["errors"] == [] and out["job"]["name"] == "docs.export", out
        job = await _finished(pk(out["job"]["id"]))
        assert job.state == JobState.SUCCEEDED, job.last_error
        assert job.progress_done == job.progress_total == 3
        assert job.result is not None
        item = await DriveItem.get(id=int(str(job.result["fileId"])))
        assert (item.name, item.content_type, item.owner_id) == (
            name,
            content_type,
            pk(bob.user_id),
        )
        files[fmt] = await _file_bytes(api, bob, item.id)
    assert files["MARKDOWN"].decode() == doc["markdown"] == RICH
    assert doc["html"] in files["HTML"].decode() and audit(files["HTML"].decode()) == []
    assert files["TEXT"].decode() == doc["plainText"]
    word = docx.Document(io.BytesIO(files["DOCX"]))
    assert word.core_properties.title == "Launch plan"
    texts = [p.text for p in word.paragraphs]
    assert texts[:3] == ["Launch plan", "Launch plan", texts[2]] and "bold" in texts[2]
    assert "☑ a done task" in texts and word.tables[0].rows[1].cells[1].text == "Owner"
    if "PDF" in expected:
        assert files["PDF"].startswith(b"%PDF-") and b"/Title (Launch plan)" in files["PDF"]

    # A second export of the same format makes a second file, named apart.
    again = (
        await api.gql(
            EXPORT, {"i": {"docId": doc["id"], "format": "MARKDOWN"}}, token=bob.access_token
        )
    )["docExport"]
    job = await _finished(pk(again["job"]["id"]))
    assert job.result is not None
    assert (await DriveItem.get(id=int(str(job.result["fileId"])))).name == "Launch plan (2).md"


async def test_the_jobs_final_state_names_the_file(api: Api, server: str) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Watched")
    ws = await WSClient.connect(server)
    try:
        ack = await ws.init({"authorization": f"Bearer {ada.access_token}"})
        assert ack["type"] == "connection_ack"
        out = (
            await api.gql(
                EXPORT, {"i": {"docId": doc["id"], "format": "TEXT"}}, token=ada.access_token
            )
        )["docExport"]
        op = await ws.subscribe(JOB_EVENTS, {"id": out["job"]["id"]})
        events = []
        while True:
            msg = await ws.receive(timeout=30)
            if msg["type"] == "complete":
                break
            assert msg["type"] == "next" and msg["id"] == op, msg
            events.append(msg["payload"]["data"]["backgroundJobEvents"])
    finally:
        await ws.close()
    last = events[-1]["job"]
    assert last["state"] == "SUCCEEDED" and last["progressDone"] == 3
    assert last["resultFile"]["name"] == "Watched.txt"
    assert last["resultFile"]["contentType"] == "text/plain; charset=utf-8"
    # The file is recorded between the reports of steps 2 and 3.
    assert all(e["job"]["resultFile"] is None for e in events if e["job"]["progressDone"] < 3)


async def test_another_organization_cannot_export_or_see_the_file(api: Api) -> None:
    ada = await api.sign_up()
    eve = await api.sign_up()
    doc = await doc_ok(api, ada, title="Private")
    eve_org = int(GlobalID.from_id(eve.organization_id).node_id)
    before = await BackgroundJob.filter(organization_id=eve_org).count()
    out = (
        await api.gql(EXPORT, {"i": {"docId": doc["id"], "format": "PDF"}}, token=eve.access_token)
    )["docExport"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "docId")]
    assert out["job"] is None
    ada_org = int(GlobalID.from_id(ada.organization_id).node_id)
    assert await BackgroundJob.filter(organization_id__in=[ada_org, eve_org]).count() == before
    seen = await api.gql(
        "query($d: ID!) { doc(id: $d) { markdown } }", {"d": doc["id"]}, token=eve.access_token
    )
    assert seen["doc"] is None


def docx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def test_an_export_job_run_twice_makes_one_file(api: Api) -> None:
    """Jobs run at least once: a second run finds the result and makes nothing."""
    from resolvers.core.clock import now
    from resolvers.core.jobs import wakers

    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Twice")
    out = (
        await api.gql(
            EXPORT, {"i": {"docId": doc["id"], "format": "MARKDOWN"}}, token=ada.access_token
        )
    )["docExport"]
    job = await _finished(pk(out["job"]["id"]))
    assert job.state == JobState.SUCCEEDED and job.result is not None
    org = int(GlobalID.from_id(ada.organization_id).node_id)
    files = await DriveItem.filter(organization_id=org, name__startswith="Twice").count()
    await BackgroundJob.filter(id=job.id).update(
        state=JobState.QUEUED, run_at=now(), finished_at=None, relayed_at=None
    )
    wakers.wake(now())
    again = await _finished(job.id)
    assert again.state == JobState.SUCCEEDED and again.attempts == job.attempts + 1
    assert again.result == job.result
    assert await DriveItem.filter(organization_id=org, name__startswith="Twice").count() == files
