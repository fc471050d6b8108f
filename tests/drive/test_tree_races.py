"""Tree writes at the same moment: the organization's tree lock keeps every ``path`` right."""

from __future__ import annotations

import asyncio

from strawberry.relay import GlobalID

from models.drive import DriveItem
from tests.client import Api
from tests.drive.helpers import upload, upload_raw
from tests.drive.tree_helpers import call, mkdir, ok, pk


async def assert_consistent(organization_gid: str) -> None:
    """Every item's path is its parent's path plus its own id; trash marks cover subtrees."""
    rows = {r.id: r for r in await DriveItem.filter(organization_id=pk(organization_gid))}
    for row in rows.values():
        if row.parent_id is None:
            assert row.path == f"/{row.id}/", row
            continue
        parent = rows[row.parent_id]
        assert row.path == f"{parent.path}{row.id}/", (row.name, row.path, parent.path)
        if parent.trashed_at is not None:
            assert row.trashed_at is not None, row.name


async def test_crossed_moves_make_no_cycle(api: Api) -> None:
    ada = await api.sign_up()
    a, b = await mkdir(api, ada, "A"), await mkdir(api, ada, "B")
    a_deep = await mkdir(api, ada, "A deep", a["id"])
    b_deep = await mkdir(api, ada, "B deep", b["id"])
    for _ in range(3):
        one, two = await asyncio.gather(
            call(api, ada, "fileMove", fileId=a["id"], folderId=b_deep["id"]),
            call(api, ada, "fileMove", fileId=b["id"], folderId=a_deep["id"]),
        )
        codes = sorted(e["code"] for p in (one, two) for e in p["errors"])
        assert codes == ["INTO_ITSELF"], (one, two)
        await assert_consistent(ada.organization_id)
        # Put whichever moved back at the top for the next round.
        moved = a if one["errors"] == [] else b
        root_id = (await DriveItem.get(id=pk(moved["id"]))).path.split("/")[1]
        await ok(api, ada, "fileMove", fileId=moved["id"], folderId=str(GlobalID("File", root_id)))


async def test_inserts_during_moves_and_deletes_keep_paths(api: Api) -> None:
    ada = await api.sign_up()
    top = await mkdir(api, ada, "Top")
    mid = await mkdir(api, ada, "Mid", top["id"])
    low = await mkdir(api, ada, "Low", mid["id"])
    elsewhere = await mkdir(api, ada, "Elsewhere")
    writes = [upload(api, ada, b"%d" % i, name=f"{i}.txt", folderId=low["id"]) for i in range(6)]
    writes += [mkdir(api, ada, f"dir {i}", low["id"]) for i in range(3)]
    await asyncio.gather(
        *writes,
        call(api, ada, "fileMove", fileId=mid["id"], folderId=elsewhere["id"]),
    )
    await assert_consistent(ada.organization_id)
    raw = [upload_raw(api, ada, b"x%d" % i, name=f"x{i}.txt", folderId=low["id"]) for i in range(6)]
    *responses, deleted = await asyncio.gather(*raw, call(api, ada, "fileDelete", fileId=mid["id"]))
    assert deleted["errors"] == []
    # Each upload landed before the delete (and went to the trash with the folder) or found no
    # folder after it; none is alive inside the trash.
    for r in responses:
        body = r.json()
        assert not body.get("errors"), body
        assert [e["code"] for e in body["data"]["fileUpload"]["errors"]] in ([], ["NOT_FOUND"])
    await assert_consistent(ada.organization_id)
