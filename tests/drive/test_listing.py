"""Reads of the tree: children (order, pages, query count), parent and path, recent, the trash,
file(id)."""

from __future__ import annotations

from typing import Any

from models.drive import DriveItem
from tests.client import Account, Api, count_queries
from tests.drive.helpers import upload_ok
from tests.drive.sharing_helpers import share_ok
from tests.drive.tree_helpers import CHILDREN, get, mkdir, names, ok, pk, root

RECENT = """query($first: Int, $after: String) { drive { recent(first: $first, after: $after) {
  nodes { name } pageInfo { hasNextPage endCursor } } } }"""
TRASH = """query($first: Int, $after: String) { drive { trash(first: $first, after: $after) {
  nodes { name } pageInfo { hasNextPage endCursor } } } }"""
WIDE = """query($id: ID!, $first: Int) { file(id: $id) { children(first: $first) {
  nodes { id name size viewerRole parent { id } path { id } owner { id } } } } }"""


async def pages(api: Api, who: Account, doc: str, get_conn: Any, **variables: Any) -> list[str]:
    """Every name of a connection, fetched two at a time."""
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(doc, {**variables, "first": 2, "after": after}, token=who.access_token)
        conn = get_conn(data)
        seen += [n["name"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen
        after = conn["pageInfo"]["endCursor"]


async def test_children_folders_first_in_each_order(api: Api) -> None:
    ada = await api.sign_up()
    box = await mkdir(api, ada, "Box")
    await upload_ok(api, ada, b"1", name="b.txt", folderId=box["id"])
    await upload_ok(api, ada, b"333", name="A.txt", folderId=box["id"])
    await mkdir(api, ada, "zeta", box["id"])
    await upload_ok(api, ada, b"22", name="c.txt", folderId=box["id"])
    await mkdir(api, ada, "Alpha", box["id"])
    assert await names(api, ada, box["id"]) == ["Alpha", "zeta", "A.txt", "b.txt", "c.txt"]
    by_size = {"field": "SIZE", "direction": "DESC"}
    assert await names(api, ada, box["id"], order=by_size) == [
        "Alpha",  # folders first, then by size (ties by id, descending too: newest first)
        "zeta",
        "A.txt",
        "c.txt",
        "b.txt",
    ]
    newest = {"field": "CREATED_AT", "direction": "DESC"}
    assert await names(api, ada, box["id"], order=newest) == [
        "Alpha",
        "zeta",
        "c.txt",
        "A.txt",
        "b.txt",
    ]
    name_desc = {"field": "NAME", "direction": "DESC"}
    assert await names(api, ada, box["id"], order=name_desc) == [
        "zeta",
        "Alpha",
        "c.txt",
        "b.txt",
        "A.txt",
    ]
    # A file has no children.
    file = (await DriveItem.get(parent_id=pk(box["id"]), name="b.txt")).id
    assert await names(api, ada, str(_gid(file))) == []


def _gid(item_id: int) -> str:
    from strawberry.relay import GlobalID

    return str(GlobalID("File", str(item_id)))


async def test_children_pages_cover_everything_once(api: Api) -> None:
    ada = await api.sign_up()
    box = await mkdir(api, ada, "Box")
    for name in ("e", "d", "c"):
        await mkdir(api, ada, name, box["id"])
    for name in ("b.txt", "a.txt"):
        await upload_ok(api, ada, b"x", name=name, folderId=box["id"])
    expected = {
        "NAME": ["c", "d", "e", "a.txt", "b.txt"],
        "CREATED_AT": ["e", "d", "c", "b.txt", "a.txt"],
    }
    for field, want in expected.items():
        seen = await pages(
            api,
            ada,
            CHILDREN,
            lambda d: d["file"]["children"],
            id=box["id"],
            order={"field": field, "direction": "ASC"},
        )
        assert seen == want


async def test_children_cost_the_same_queries_at_any_page_size(api: Api) -> None:
    ada = await api.sign_up()
    box = await mkdir(api, ada, "Box")
    for i in range(12):
        await upload_ok(api, ada, b"x" * i, name=f"{i:02}.txt", folderId=box["id"])
    counts = []
    for first in (2, 12):
        with count_queries() as statements:
            data = await api.gql(WIDE, {"id": box["id"], "first": first}, token=ada.access_token)
        nodes = data["file"]["children"]["nodes"]
        assert len(nodes) == first
        assert all(n["parent"]["id"] == box["id"] and n["viewerRole"] == "OWNER" for n in nodes)
        assert all([p["id"] for p in n["path"]][-1] == box["id"] for n in nodes)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_parent_and_path_show_only_what_you_can_see(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    top = await mkdir(api, ada, "Top")
    shared = await mkdir(api, ada, "Shared", top["id"])
    inner = await mkdir(api, ada, "Inner", shared["id"])
    await share_ok(api, ada, shared["id"], "VIEWER", user=bob)
    doc = "query($id: ID!) { file(id: $id) { parent { name } path { name } } }"
    as_ada = (await api.gql(doc, {"id": inner["id"]}, token=ada.access_token))["file"]
    assert as_ada == {
        "parent": {"name": "Shared"},
        "path": [{"name": "My Drive"}, {"name": "Top"}, {"name": "Shared"}],
    }
    as_bob = (await api.gql(doc, {"id": inner["id"]}, token=bob.access_token))["file"]
    assert as_bob == {"parent": {"name": "Shared"}, "path": [{"name": "Shared"}]}
    top_of_bob = (await api.gql(doc, {"id": shared["id"]}, token=bob.access_token))["file"]
    assert top_of_bob == {"parent": None, "path": []}


async def test_recent_lists_files_you_own_or_changed(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    box = await mkdir(api, ada, "Box")
    await share_ok(api, ada, box["id"], "EDITOR", user=bob)
    await upload_ok(api, ada, b"1", name="first.txt")
    second = await upload_ok(api, ada, b"2", name="second.txt")
    await upload_ok(api, bob, b"3", name="bobs.txt", folderId=box["id"])
    await upload_ok(api, ada, b"4", name="third.txt", folderId=box["id"])
    await ok(api, ada, "fileDelete", fileId=second["id"])
    get_recent = lambda d: d["drive"]["recent"]  # noqa: E731
    assert await pages(api, ada, RECENT, get_recent) == ["third.txt", "first.txt"]
    assert await pages(api, bob, RECENT, get_recent) == ["bobs.txt"]
    # Bob changed ada's file last: it is recent for him too.
    await upload_ok(api, bob, b"44", name="third.txt", folderId=box["id"], onConflict="NEW_VERSION")
    assert await pages(api, bob, RECENT, get_recent) == ["third.txt", "bobs.txt"]


async def test_trash_lists_what_you_deleted_or_own(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    box = await mkdir(api, ada, "Box")
    await share_ok(api, ada, box["id"], "EDITOR", user=bob)
    bobs = await upload_ok(api, bob, b"b", name="bobs.txt", folderId=box["id"])
    adas = await upload_ok(api, ada, b"a", name="adas.txt", folderId=box["id"])
    folder = await mkdir(api, ada, "Folder")
    await upload_ok(api, ada, b"c", name="inside.txt", folderId=folder["id"])
    await ok(api, bob, "fileDelete", fileId=adas["id"])  # ada's file, deleted by bob
    await ok(api, ada, "fileDelete", fileId=bobs["id"])  # bob's file, in ada's drive
    await ok(api, ada, "fileDelete", fileId=folder["id"])
    get_trash = lambda d: d["drive"]["trash"]  # noqa: E731
    assert await pages(api, ada, TRASH, get_trash) == ["Folder", "bobs.txt", "adas.txt"]
    assert await pages(api, bob, TRASH, get_trash) == ["bobs.txt", "adas.txt"]
    eve = await api.add_member(ada, name="Eve")
    assert await pages(api, eve, TRASH, get_trash) == []


async def test_file_by_id_in_the_trash_only_for_those_who_may_restore(api: Api) -> None:
    ada = await api.sign_up()
    viewer = await api.add_member(ada, name="Vic")
    editor = await api.add_member(ada, name="Ed")
    box = await mkdir(api, ada, "Box")
    await share_ok(api, ada, box["id"], "VIEWER", user=viewer)
    await share_ok(api, ada, box["id"], "EDITOR", user=editor)
    file = await upload_ok(api, ada, b"x", name="x.txt", folderId=box["id"])
    assert await get(api, viewer, file["id"]) is not None
    await ok(api, ada, "fileDelete", fileId=file["id"])
    assert (await get(api, editor, file["id"]))["trashedAt"] is not None  # type: ignore[index]
    assert await get(api, viewer, file["id"]) is None
    other = await api.sign_up(organization="Other")
    assert await get(api, other, file["id"]) is None
    assert await get(api, other, (await root(api, ada))["id"]) is None
