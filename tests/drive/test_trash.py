"""The trash: fileDelete, fileRestore and trashEmpty, end to end."""

from __future__ import annotations

from typing import Any

from adapters import runtime
from models.drive import Blob, DriveItem, FileVersion
from tests.client import Account, Api
from tests.drive.helpers import upload_ok
from tests.drive.tree_helpers import get, mkdir, names, ok, pk, refused, root, usage

TRASH = "query { drive { trash(first: 50) { nodes { id name trashedAt } } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


async def trash_names(api: Api, who: Account) -> list[str]:
    data = await api.gql(TRASH, token=who.access_token)
    return [n["name"] for n in data["drive"]["trash"]["nodes"]]


async def outsiders(api: Api, owner: Account) -> list[Account]:
    return [await api.sign_up(organization="Other"), await api.add_member(owner, name="Eve")]


async def tree_of(api: Api, who: Account) -> dict[str, Any]:
    """Docs/{a.txt, Sub/{b.txt}} in the root."""
    docs = await mkdir(api, who, "Docs")
    a = await upload_ok(api, who, b"aaaa", name="a.txt", folderId=docs["id"])
    sub = await mkdir(api, who, "Sub", docs["id"])
    b = await upload_ok(api, who, b"bbbbbb", name="b.txt", folderId=sub["id"])
    return {"docs": docs, "a": a, "sub": sub, "b": b}


async def test_delete_moves_the_subtree_to_the_trash(api: Api) -> None:
    ada = await api.sign_up()
    t = await tree_of(api, ada)
    my_root = await root(api, ada)
    deleted = await ok(api, ada, "fileDelete", fileId=t["docs"]["id"])
    assert deleted["trashedAt"] is not None
    assert await names(api, ada, my_root["id"]) == []
    assert await trash_names(api, ada) == ["Docs"]  # the item deleted, not its contents
    rows = await DriveItem.filter(id__in=[pk(t[k]["id"]) for k in ("docs", "a", "sub", "b")])
    assert {r.trash_root_id for r in rows} == {pk(t["docs"]["id"])}
    assert all(r.trashed_at is not None for r in rows)
    # Its owner still reaches it (and what is in it) by ID; node(id) does not show the trash.
    assert (await get(api, ada, t["b"]["id"]))["trashedAt"] is not None  # type: ignore[index]
    node = await api.gql(NODE, {"id": t["docs"]["id"]}, token=ada.access_token)
    assert node["node"] is None
    # The name is free in the folder again.
    await mkdir(api, ada, "Docs")


async def test_delete_refusals_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    t = await tree_of(api, ada)
    my_root = await root(api, ada)
    assert await refused(api, ada, "fileDelete", fileId=my_root["id"]) == ("ROOT_FOLDER", "fileId")
    for who in await outsiders(api, ada):
        assert await refused(api, who, "fileDelete", fileId=t["docs"]["id"]) == (
            "NOT_FOUND",
            "fileId",
        )
    assert await names(api, ada, my_root["id"]) == ["Docs"]
    assert await trash_names(api, ada) == []
    await ok(api, ada, "fileDelete", fileId=t["docs"]["id"])
    # Already in the trash: not found as a live item.
    assert await refused(api, ada, "fileDelete", fileId=t["docs"]["id"]) == ("NOT_FOUND", "fileId")


async def test_restore_brings_back_what_went_together(api: Api) -> None:
    ada = await api.sign_up()
    t = await tree_of(api, ada)
    await ok(api, ada, "fileDelete", fileId=t["b"]["id"])  # first b alone
    await ok(api, ada, "fileDelete", fileId=t["docs"]["id"])  # then all of Docs
    assert await trash_names(api, ada) == ["Docs", "b.txt"]
    restored = await ok(api, ada, "fileRestore", fileId=t["docs"]["id"])
    assert restored["trashedAt"] is None
    assert await names(api, ada, t["docs"]["id"]) == ["Sub", "a.txt"]
    # b.txt was deleted on its own before: it stays in the trash.
    assert await names(api, ada, t["sub"]["id"]) == []
    assert await trash_names(api, ada) == ["b.txt"]
    await ok(api, ada, "fileRestore", fileId=t["b"]["id"])
    assert await names(api, ada, t["sub"]["id"]) == ["b.txt"]
    assert await trash_names(api, ada) == []


async def test_restore_into_a_taken_name(api: Api) -> None:
    ada = await api.sign_up()
    file = await upload_ok(api, ada, b"old", name="notes.txt")
    await ok(api, ada, "fileDelete", fileId=file["id"])
    await upload_ok(api, ada, b"new", name="Notes.txt")
    assert await refused(api, ada, "fileRestore", fileId=file["id"]) == ("NAME_TAKEN", "name")
    assert await trash_names(api, ada) == ["notes.txt"]
    back = await ok(api, ada, "fileRestore", fileId=file["id"], onConflict="RENAME")
    assert back["name"] == "notes (2).txt"
    assert await names(api, ada, (await root(api, ada))["id"]) == ["notes (2).txt", "Notes.txt"]


async def test_restore_from_a_deleted_folder_goes_to_the_root(api: Api) -> None:
    ada = await api.sign_up()
    t = await tree_of(api, ada)
    await ok(api, ada, "fileDelete", fileId=t["docs"]["id"])
    back = await ok(api, ada, "fileRestore", fileId=t["sub"]["id"])
    assert back["trashedAt"] is None
    my_root = await root(api, ada)
    assert await names(api, ada, my_root["id"]) == ["Sub"]
    assert await names(api, ada, t["sub"]["id"]) == ["b.txt"]
    b = await DriveItem.get(id=pk(t["b"]["id"]))
    assert b.path == f"/{pk(my_root['id'])}/{pk(t['sub']['id'])}/{b.id}/"
    assert b.trashed_at is None
    # Docs and a.txt stay in the trash.
    assert await trash_names(api, ada) == ["Docs"]
    assert await names(api, ada, t["docs"]["id"]) == ["a.txt"]


async def test_restore_refusals_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    file = await upload_ok(api, ada, b"x", name="x.txt")
    assert await refused(api, ada, "fileRestore", fileId=file["id"]) == ("NOT_FOUND", "fileId")
    await ok(api, ada, "fileDelete", fileId=file["id"])
    for who in await outsiders(api, ada):
        assert await refused(api, who, "fileRestore", fileId=file["id"]) == ("NOT_FOUND", "fileId")
        assert await get(api, who, file["id"]) is None
    assert await trash_names(api, ada) == ["x.txt"]


async def test_empty_the_trash_frees_storage_and_bytes(api: Api) -> None:
    ada = await api.sign_up()
    t = await tree_of(api, ada)
    keep = await upload_ok(api, ada, b"aaaa", name="same-as-a.txt")  # shares a.txt's blob
    before = await usage(api, ada)
    blob_a = await Blob.get(id=(await FileVersion.get(item_id=pk(t["a"]["id"]))).blob_id)
    blob_b = await Blob.get(id=(await FileVersion.get(item_id=pk(t["b"]["id"]))).blob_id)
    await ok(api, ada, "fileDelete", fileId=t["docs"]["id"])
    assert await usage(api, ada) == before  # the trash still counts
    result = await ok(api, ada, "trashEmpty", fileIds=[t["docs"]["id"]])
    assert result["deletedCount"] == 4
    assert await usage(api, ada) == before - 10
    ids = [pk(t[k]["id"]) for k in ("docs", "a", "sub", "b")]
    assert await DriveItem.filter(id__in=ids).count() == 0
    assert await FileVersion.filter(item_id__in=ids).count() == 0
    assert await trash_names(api, ada) == []
    store = runtime.current().blobs
    assert not await Blob.filter(id=blob_b.id).exists()
    assert await store.size(blob_b.storage_key) is None  # its bytes are gone after commit
    # a.txt's content is still used by another file.
    assert (await Blob.get(id=blob_a.id)).ref_count == 1
    assert await store.size(blob_a.storage_key) == 4
    assert (await get(api, ada, keep["id"])) is not None


async def test_empty_everything_you_own(api: Api) -> None:
    ada = await api.sign_up()
    one = await upload_ok(api, ada, b"1", name="1.txt")
    folder = await mkdir(api, ada, "F")
    await upload_ok(api, ada, b"22", name="2.txt", folderId=folder["id"])
    live = await upload_ok(api, ada, b"333", name="3.txt")
    await ok(api, ada, "fileDelete", fileId=one["id"])
    await ok(api, ada, "fileDelete", fileId=folder["id"])
    result = await ok(api, ada, "trashEmpty")
    assert result["deletedCount"] == 3
    assert await trash_names(api, ada) == []
    assert await usage(api, ada) == 3
    assert await names(api, ada, (await root(api, ada))["id"]) == ["3.txt"]
    assert (await get(api, ada, live["id"])) is not None
    assert (await ok(api, ada, "trashEmpty"))["deletedCount"] == 0


async def test_empty_refusals_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    live = await upload_ok(api, ada, b"live", name="live.txt")
    gone = await upload_ok(api, ada, b"gone", name="gone.txt")
    await ok(api, ada, "fileDelete", fileId=gone["id"])
    code = await refused(api, ada, "trashEmpty", fileIds=[gone["id"], live["id"]])
    assert code == ("NOT_IN_TRASH", "fileIds")
    for who in await outsiders(api, ada):
        assert await refused(api, who, "trashEmpty", fileIds=[gone["id"]]) == (
            "NOT_FOUND",
            "fileIds",
        )
        # Emptying their own trash leaves ada's alone.
        assert (await ok(api, who, "trashEmpty"))["deletedCount"] == 0
    code, _ = await refused(api, ada, "trashEmpty", fileIds=[gone["id"]] * 101)
    assert code == "BAD_USER_INPUT"
    assert await trash_names(api, ada) == ["gone.txt"]
    assert await usage(api, ada) == 8
