"""The tree: folderCreate, fileRename, fileMove and fileCopy, end to end."""

from __future__ import annotations

from typing import Any

import pytest

from models.drive import DriveItem, FileVersion
from resolvers.drive import copying
from tests.client import Account, Api
from tests.drive.helpers import upload_ok
from tests.drive.sharing_helpers import share_ok
from tests.drive.tree_helpers import call_raw, get, mkdir, names, ok, pk, refused, root, usage

PATH = "query($id: ID!) { file(id: $id) { name path { name } parent { name } } }"


async def chain(api: Api, who: Account, n: int, tag: str = "level") -> list[str]:
    """``n`` folders, each inside the previous one, the first in the root."""
    ids: list[str] = []
    for i in range(n):
        ids.append((await mkdir(api, who, f"{tag} {i}", ids[-1] if ids else None))["id"])
    return ids


async def outsiders(api: Api, owner: Account) -> list[Account]:
    """Someone of another organization and someone of the same one nothing was shared with."""
    return [await api.sign_up(organization="Other"), await api.add_member(owner, name="Eve")]


# -- folderCreate ---------------------------------------------------------------------------------


async def test_folder_create_in_root_and_nested(api: Api) -> None:
    ada = await api.sign_up()
    docs = await mkdir(api, ada, "Docs")
    assert docs["kind"] == "FOLDER" and docs["name"] == "Docs" and docs["isRoot"] is False
    inner = await mkdir(api, ada, "  Inner  ", docs["id"])
    assert inner["name"] == "Inner"  # trimmed
    data = await api.gql(PATH, {"id": inner["id"]}, token=ada.access_token)
    assert data["file"]["path"] == [{"name": "My Drive"}, {"name": "Docs"}]
    assert data["file"]["parent"] == {"name": "Docs"}
    assert await names(api, ada, (await root(api, ada))["id"]) == ["Docs"]


async def test_folder_create_name_rules(api: Api) -> None:
    ada = await api.sign_up()
    await mkdir(api, ada, "Plans")
    assert await refused(api, ada, "folderCreate", name="PLANS") == ("NAME_TAKEN", "name")
    renamed = await ok(api, ada, "folderCreate", name="plans", onConflict="RENAME")
    assert renamed["name"] == "plans (2)"
    for bad in ("", "a/b", "..", "x" * 256, "tab\there"):
        assert await refused(api, ada, "folderCreate", name=bad) == ("INVALID_NAME", "name")
    code, field = await refused(api, ada, "folderCreate", name="v", onConflict="NEW_VERSION")
    assert (code, field) == ("BAD_USER_INPUT", "onConflict")
    assert await names(api, ada, (await root(api, ada))["id"]) == ["Plans", "plans (2)"]


async def test_folder_create_refusals_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    file = await upload_ok(api, ada, b"hello", name="a.txt")
    code = await refused(api, ada, "folderCreate", name="x", parentId=file["id"])
    assert code == ("NOT_A_FOLDER", "parentId")
    docs = await mkdir(api, ada, "Docs")
    for who in await outsiders(api, ada):
        code = await refused(api, who, "folderCreate", name="x", parentId=docs["id"])
        assert code == ("NOT_FOUND", "parentId")
    assert await names(api, ada, docs["id"]) == []


async def test_folder_create_too_deep(api: Api) -> None:
    ada = await api.sign_up()
    levels = await chain(api, ada, 31)  # with the root: 32 levels, the most there may be
    code = await refused(api, ada, "folderCreate", name="deeper", parentId=levels[-1])
    assert code == ("TOO_DEEP", "parentId")
    assert await names(api, ada, levels[-1]) == []


async def test_folder_create_is_idempotent(api: Api) -> None:
    ada = await api.sign_up()
    first = await ok(api, ada, "folderCreate", name="Once", idempotencyKey="k-1")
    again = await ok(api, ada, "folderCreate", name="Once", idempotencyKey="k-1")
    assert again["id"] == first["id"]
    assert await names(api, ada, (await root(api, ada))["id"]) == ["Once"]


# -- fileRename -----------------------------------------------------------------------------------


async def test_rename_file_and_folder(api: Api) -> None:
    ada = await api.sign_up()
    docs = await mkdir(api, ada, "Docs")
    file = await upload_ok(api, ada, b"1", name="a.txt", folderId=docs["id"])
    assert (await ok(api, ada, "fileRename", fileId=file["id"], name="b.txt"))["name"] == "b.txt"
    assert (await ok(api, ada, "fileRename", fileId=file["id"], name="B.TXT"))["name"] == "B.TXT"
    assert (await ok(api, ada, "fileRename", fileId=docs["id"], name="Papers"))["name"] == "Papers"
    assert await names(api, ada, docs["id"]) == ["B.TXT"]


async def test_rename_refusals_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    await upload_ok(api, ada, b"1", name="taken.txt")
    file = await upload_ok(api, ada, b"2", name="mine.txt")
    assert await refused(api, ada, "fileRename", fileId=file["id"], name="TAKEN.txt") == (
        "NAME_TAKEN",
        "name",
    )
    assert await refused(api, ada, "fileRename", fileId=file["id"], name="a/b") == (
        "INVALID_NAME",
        "name",
    )
    my_root = await root(api, ada)
    assert await refused(api, ada, "fileRename", fileId=my_root["id"], name="Mine") == (
        "ROOT_FOLDER",
        "fileId",
    )
    for who in await outsiders(api, ada):
        code = await refused(api, who, "fileRename", fileId=file["id"], name="stolen.txt")
        assert code == ("NOT_FOUND", "fileId")
    assert await names(api, ada, my_root["id"]) == ["mine.txt", "taken.txt"]
    assert (await root(api, ada))["name"] == "My Drive"
    renamed = await ok(
        api, ada, "fileRename", fileId=file["id"], name="taken.txt", onConflict="RENAME"
    )
    assert renamed["name"] == "taken (2).txt"


# -- fileMove -------------------------------------------------------------------------------------


async def test_move_a_folder_with_its_contents(api: Api) -> None:
    ada = await api.sign_up()
    src, dst = await mkdir(api, ada, "Src"), await mkdir(api, ada, "Dst")
    sub = await mkdir(api, ada, "Sub", src["id"])
    deep = await upload_ok(api, ada, b"deep", name="deep.txt", folderId=sub["id"])
    moved = await ok(api, ada, "fileMove", fileId=sub["id"], folderId=dst["id"])
    assert moved["id"] == sub["id"]
    assert await names(api, ada, src["id"]) == []
    assert await names(api, ada, dst["id"]) == ["Sub"]
    data = await api.gql(PATH, {"id": deep["id"]}, token=ada.access_token)
    assert [p["name"] for p in data["file"]["path"]] == ["My Drive", "Dst", "Sub"]
    # Every row below got the new path prefix.
    rows = await DriveItem.filter(id__in=[pk(sub["id"]), pk(deep["id"])]).order_by("id")
    assert [r.path for r in rows] == [
        f"/{pk((await root(api, ada))['id'])}/{pk(dst['id'])}/{pk(sub['id'])}/",
        f"/{pk((await root(api, ada))['id'])}/{pk(dst['id'])}/{pk(sub['id'])}/{pk(deep['id'])}/",
    ]


async def test_move_name_conflicts(api: Api) -> None:
    ada = await api.sign_up()
    dst = await mkdir(api, ada, "Dst")
    await upload_ok(api, ada, b"1", name="same.txt", folderId=dst["id"])
    file = await upload_ok(api, ada, b"2", name="Same.txt")
    code = await refused(api, ada, "fileMove", fileId=file["id"], folderId=dst["id"])
    assert code == ("NAME_TAKEN", "name")
    assert await names(api, ada, dst["id"]) == ["same.txt"]
    moved = await ok(
        api, ada, "fileMove", fileId=file["id"], folderId=dst["id"], onConflict="RENAME"
    )
    assert moved["name"] == "Same (2).txt"


async def test_move_refusals_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    top = await mkdir(api, ada, "Top")
    inner = await mkdir(api, ada, "Inner", top["id"])
    file = await upload_ok(api, ada, b"f", name="f.txt", folderId=top["id"])
    my_root = await root(api, ada)
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"fileId": top["id"], "folderId": top["id"]}, ("INTO_ITSELF", "folderId")),
        ({"fileId": top["id"], "folderId": inner["id"]}, ("INTO_ITSELF", "folderId")),
        ({"fileId": inner["id"], "folderId": file["id"]}, ("NOT_A_FOLDER", "folderId")),
        ({"fileId": my_root["id"], "folderId": top["id"]}, ("ROOT_FOLDER", "fileId")),
    ]
    for fields, expected in cases:
        assert await refused(api, ada, "fileMove", **fields) == expected
    for who in await outsiders(api, ada):
        theirs = await mkdir(api, who, "Theirs")
        code = await refused(api, who, "fileMove", fileId=file["id"], folderId=theirs["id"])
        assert code == ("NOT_FOUND", "fileId")
        # Into someone else's folder: the target is not found either.
        code = await refused(api, ada, "fileMove", fileId=file["id"], folderId=theirs["id"])
        assert code == ("NOT_FOUND", "folderId")
    assert await names(api, ada, top["id"]) == ["Inner", "f.txt"]
    assert await names(api, ada, my_root["id"]) == ["Top"]


async def test_move_respects_the_depth_limit(api: Api) -> None:
    ada = await api.sign_up()
    a = await chain(api, ada, 16)  # levels 2..17
    b = await chain(api, ada, 16, "b")  # levels 2..17
    # a[0] spans 16 levels: under b[-1] (level 17) its bottom would sit at level 33.
    assert await refused(api, ada, "fileMove", fileId=a[0], folderId=b[-1]) == (
        "TOO_DEEP",
        "folderId",
    )
    assert await names(api, ada, b[-1]) == []
    await ok(api, ada, "fileMove", fileId=a[0], folderId=b[-2])  # exactly 32 levels
    assert await names(api, ada, b[-2]) == ["b 15", "level 0"]


# -- fileCopy -------------------------------------------------------------------------------------


async def test_copy_a_file_shares_bytes_and_charges_the_quota(api: Api) -> None:
    ada = await api.sign_up()
    file = await upload_ok(api, ada, b"0123456789", name="a.txt")
    before = await usage(api, ada)
    code = await refused(api, ada, "fileCopy", fileId=file["id"])
    assert code == ("NAME_TAKEN", "name")  # into its own folder, under its own name
    copy = await ok(api, ada, "fileCopy", fileId=file["id"], onConflict="RENAME")
    assert copy["name"] == "a (2).txt" and copy["id"] != file["id"]
    assert copy["sha256"] == file["sha256"] and copy["size"] == 10
    named = await ok(api, ada, "fileCopy", fileId=file["id"], name="b.txt")
    assert named["name"] == "b.txt"
    assert await usage(api, ada) == before + 20
    versions = await FileVersion.filter(item_id=pk(copy["id"]))
    original = await FileVersion.get(item_id=pk(file["id"]))
    assert [(v.number, v.blob_id) for v in versions] == [(1, original.blob_id)]


async def test_copy_a_folder_recursively(api: Api) -> None:
    ada = await api.sign_up()
    src, dst = await mkdir(api, ada, "Src"), await mkdir(api, ada, "Dst")
    sub = await mkdir(api, ada, "Sub", src["id"])
    await upload_ok(api, ada, b"one", name="one.txt", folderId=src["id"])
    await upload_ok(api, ada, b"two", name="two.txt", folderId=sub["id"])
    gone = await upload_ok(api, ada, b"gone", name="gone.txt", folderId=sub["id"])
    await ok(api, ada, "fileDelete", fileId=gone["id"])
    copy = await ok(api, ada, "fileCopy", fileId=src["id"], folderId=dst["id"], name="Src copy")
    assert await names(api, ada, copy["id"]) == ["Sub", "one.txt"]
    sub_copy = (await DriveItem.get(parent_id=pk(copy["id"]), name="Sub")).id
    assert [r.name for r in await DriveItem.filter(parent_id=sub_copy)] == ["two.txt"]
    assert await names(api, ada, src["id"]) == ["Sub", "one.txt"]  # the original is untouched


async def test_copy_is_idempotent(api: Api) -> None:
    ada = await api.sign_up()
    file = await upload_ok(api, ada, b"x", name="x.txt")
    dst = await mkdir(api, ada, "Dst")
    first = await ok(
        api, ada, "fileCopy", fileId=file["id"], folderId=dst["id"], idempotencyKey="c"
    )
    again = await ok(
        api, ada, "fileCopy", fileId=file["id"], folderId=dst["id"], idempotencyKey="c"
    )
    assert again["id"] == first["id"]
    assert await names(api, ada, dst["id"]) == ["x.txt"]


async def test_copy_refusals_change_nothing(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    ada = await api.sign_up()
    src, dst = await mkdir(api, ada, "Src"), await mkdir(api, ada, "Dst")
    for i in range(3):
        await upload_ok(api, ada, b"%d" % i, name=f"{i}.txt", folderId=src["id"])
    file = await upload_ok(api, ada, b"file", name="f.txt")
    my_root = await root(api, ada)
    before = await usage(api, ada)
    monkeypatch.setattr(copying, "MAX_COPY", 3)  # Src holds 4 items with itself
    code = await refused(api, ada, "fileCopy", fileId=src["id"], folderId=dst["id"])
    assert code == ("TOO_MANY_ITEMS", "fileId")
    assert await refused(api, ada, "fileCopy", fileId=my_root["id"], folderId=dst["id"]) == (
        "ROOT_FOLDER",
        "fileId",
    )
    assert await refused(api, ada, "fileCopy", fileId=src["id"], folderId=file["id"]) == (
        "NOT_A_FOLDER",
        "folderId",
    )
    assert await refused(api, ada, "fileCopy", fileId=file["id"], folderId=dst["id"], name="") == (
        "INVALID_NAME",
        "name",
    )
    for who in await outsiders(api, ada):
        code = await refused(api, who, "fileCopy", fileId=file["id"])
        assert code == ("NOT_FOUND", "fileId")
    assert await names(api, ada, dst["id"]) == []
    assert await usage(api, ada) == before


async def test_copy_over_the_quota_or_too_deep(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters import runtime

    ada = await api.sign_up()
    file = await upload_ok(api, ada, b"0123456789", name="a.txt")
    dst = await mkdir(api, ada, "Dst")
    used = await usage(api, ada)
    monkeypatch.setattr(runtime.current().settings, "drive_quota_bytes", used + 9)
    body = await call_raw(api, ada, "fileCopy", fileId=file["id"], folderId=dst["id"])
    assert body["data"]["fileCopy"]["errors"][0]["code"] == "QUOTA_EXCEEDED"
    monkeypatch.undo()
    levels = await chain(api, ada, 30)  # the last at level 31
    folder = await mkdir(api, ada, "F")
    await mkdir(api, ada, "G", folder["id"])  # F spans 2 levels
    code = await refused(api, ada, "fileCopy", fileId=folder["id"], folderId=levels[-1])
    assert code == ("TOO_DEEP", "folderId")
    assert await names(api, ada, dst["id"]) == [] and await names(api, ada, levels[-1]) == []
    assert await usage(api, ada) == used
    assert (await get(api, ada, file["id"])) is not None


async def test_copy_of_something_shared_lands_in_your_root(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    team = await mkdir(api, ada, "Team")
    file = await upload_ok(api, ada, b"shared", name="s.txt", folderId=team["id"])
    await share_ok(api, ada, team["id"], "VIEWER", user=bob)
    copy = await ok(api, bob, "fileCopy", fileId=file["id"])  # bob may not add to Team
    assert await names(api, bob, (await root(api, bob))["id"]) == ["s.txt"]
    assert (await DriveItem.get(id=pk(copy["id"]))).owner_id == pk(bob.user_id)
    assert await names(api, ada, team["id"]) == ["s.txt"]
    # A viewer may not put the copy into the shared folder.
    code = await refused(api, bob, "fileCopy", fileId=file["id"], folderId=team["id"], name="t.txt")
    assert code == ("FORBIDDEN", "folderId")
    assert await names(api, ada, team["id"]) == ["s.txt"]
