"""Docs in Drive: a copied doc (alone or in a folder) is a new doc with the same content; trash
and restore keep a doc's content; emptying the trash removes the document and its log; a doc's
Drive fields say it has no bytes, and an upload cannot turn it into a file."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.docs import Document, DocUpdate
from models.drive import DriveItem, ItemKind
from resolvers.docs import store
from tests.client import Account, Api
from tests.docs.blocks_helpers import insert, ok, read, update
from tests.docs.helpers import PyClient, doc_ok, pk
from tests.drive.helpers import upload, upload_ok
from tests.drive.tree_helpers import mkdir
from tests.drive.tree_helpers import ok as drive_ok

DOC_FILE = """query($id: ID!) { file(id: $id) { id kind name size downloadUrl
  versions(first: 5) { nodes { id } } } }"""


async def _doc_with_content(api: Api, who: Account, title: str, **where: Any) -> dict[str, Any]:
    doc = await doc_ok(api, who, title=title, **where)
    ok(
        await insert(
            api,
            who,
            doc["id"],
            revision=1,
            blocks=[
                {"type": "HEADING", "text": f"{title} heading", "level": 1},
                {
                    "type": "BULLETED_LIST_ITEM",
                    "runs": [{"text": "bold", "bold": True}, {"text": " item"}],
                    "children": [{"type": "TODO", "text": "nested", "checked": True}],
                },
            ],
        )
    )
    return doc


def doc_gid(item_id: int) -> str:
    """The Doc global ID of a doc's Drive item."""
    return str(GlobalID("Doc", str(item_id)))


def _content(doc: dict[str, Any]) -> Any:
    return [
        (b["id"], b["type"], b["text"], b["runs"], [(c["id"], c["text"]) for c in b["children"]])
        for b in doc["blocks"]
    ]


async def test_a_copied_doc_is_a_new_doc_with_the_same_content(api: Api) -> None:
    ada = await api.sign_up()
    doc = await _doc_with_content(api, ada, "Spec")
    original = await read(api, ada, doc["id"])
    copy = await drive_ok(api, ada, "fileCopy", fileId=doc["file"]["id"], onConflict="RENAME")
    assert copy["kind"] == "DOC" and copy["name"] == "Spec (2)" and copy["id"] != doc["id"]
    copy_doc_id = doc_gid(pk(copy["id"]))
    copied = await read(api, ada, copy_doc_id)
    assert copied["revision"] == 1
    assert _content(copied) == _content(original)
    title = await api.gql(
        "query($d: ID!) { doc(id: $d) { title viewerRole } }",
        {"d": copy_doc_id},
        token=ada.access_token,
    )
    assert title["doc"] == {"title": "Spec", "viewerRole": "OWNER"}
    # The two are independent: editing the copy leaves the original as it was.
    first = copied["blocks"][1]["id"]
    ok(await update(api, ada, copy_doc_id, revision=1, blockId=first, text="only in the copy"))
    assert _content(await read(api, ada, doc["id"])) == _content(original)
    # And a Yjs client can join the copy from its stored state alone.
    store.forget(pk(copy_doc_id))
    client = PyClient(api, ada, copy_doc_id)
    await client.sync()
    assert str(client.paragraph(1)) == "only in the copy"


async def test_copying_a_folder_copies_the_docs_inside_it(api: Api) -> None:
    ada = await api.sign_up()
    top = await mkdir(api, ada, "Project")
    sub = await mkdir(api, ada, "Notes", top["id"])
    one = await _doc_with_content(api, ada, "One", folderId=top["id"])
    two = await _doc_with_content(api, ada, "Two", folderId=sub["id"])
    await upload_ok(api, ada, b"bytes", name="a.txt", folderId=sub["id"])
    copy = await drive_ok(api, ada, "fileCopy", fileId=top["id"], name="Project copy")
    copies = await DriveItem.filter(
        organization_id=pk(ada.organization_id),
        path__startswith=f"{(await DriveItem.get(id=pk(copy['id']))).path}",
    )
    docs = {c.name: c for c in copies if c.kind == ItemKind.DOC}
    assert set(docs) == {"One", "Two"}
    for name, original in (("One", one), ("Two", two)):
        copied = await read(api, ada, str(doc_gid(docs[name].id)))
        assert _content(copied) == _content(await read(api, ada, original["id"]))
        assert (await Document.get(id=docs[name].id)).title == name
    assert await Document.filter(id__in=[d.id for d in docs.values()]).count() == 2


async def test_trash_and_restore_keep_a_doc_and_emptying_the_trash_removes_it(api: Api) -> None:
    ada = await api.sign_up()
    folder = await mkdir(api, ada, "Drafts")
    doc = await _doc_with_content(api, ada, "Draft", folderId=folder["id"])
    loose = await _doc_with_content(api, ada, "Loose")
    before = await read(api, ada, doc["id"])
    # The doc alone, then its folder: while in the trash it cannot be read or changed.
    for trashed in (doc["file"]["id"], folder["id"]):
        await drive_ok(api, ada, "fileDelete", fileId=trashed)
        gone = await api.gql(
            "query($d: ID!) { doc(id: $d) { id } }", {"d": doc["id"]}, token=ada.access_token
        )
        assert gone["doc"] is None
        refused = await insert(api, ada, doc["id"], revision=2, blocks=[{"type": "DIVIDER"}])
        assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
        await drive_ok(api, ada, "fileRestore", fileId=trashed)
        store.forget(pk(doc["id"]))
        assert await read(api, ada, doc["id"]) == before
    # Emptying the trash removes the document and its whole log (the database cascades).
    await drive_ok(api, ada, "fileDelete", fileId=folder["id"])
    await drive_ok(api, ada, "fileDelete", fileId=loose["file"]["id"])
    assert await DocUpdate.filter(document_id=pk(doc["id"])).count() == 2
    emptied = await drive_ok(api, ada, "trashEmpty", fileIds=[folder["id"], loose["file"]["id"]])
    assert emptied["deletedCount"] == 3
    for gone_id in (pk(doc["id"]), pk(loose["id"])):
        assert await Document.filter(id=gone_id).count() == 0
        assert await DocUpdate.filter(document_id=gone_id).count() == 0
        assert await DriveItem.filter(id=gone_id).count() == 0


async def test_a_doc_has_no_bytes_and_an_upload_cannot_replace_it(api: Api) -> None:
    ada = await api.sign_up()
    doc = await _doc_with_content(api, ada, "Budget")
    item_id = str(
        (await api.gql(DOC_FILE, {"id": _file_id(doc)}, token=ada.access_token))["file"]["id"]
    )
    got = (await api.gql(DOC_FILE, {"id": item_id}, token=ada.access_token))["file"]
    assert got["kind"] == "DOC" and got["size"] == 0
    assert got["downloadUrl"] is None and got["versions"]["nodes"] == []
    for on_conflict in ("NEW_VERSION", "FAIL"):
        refused = await upload(api, ada, b"not a doc", name="Budget", onConflict=on_conflict)
        assert [e["code"] for e in refused["errors"]] == ["NAME_TAKEN"], refused
    renamed = await upload_ok(api, ada, b"not a doc", name="Budget", onConflict="RENAME")
    assert renamed["kind"] == "FILE" and renamed["name"] != "Budget"
    item = await DriveItem.get(id=pk(doc["id"]))
    assert item.kind == ItemKind.DOC and item.current_version_id is None
    assert (await read(api, ada, doc["id"]))["blocks"][1]["text"] == "Budget heading"


def _file_id(doc: dict[str, Any]) -> str:
    return str(doc["file"]["id"])
