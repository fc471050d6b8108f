"""fileSearch: by name over what the viewer can see, end to end."""

from __future__ import annotations

from tests.client import Account, Api
from tests.drive.helpers import upload_ok
from tests.drive.sharing_helpers import share_ok
from tests.drive.tree_helpers import mkdir, ok

SEARCH = """query($q: String!, $first: Int, $after: String) {
  fileSearch(query: $q, first: $first, after: $after) {
    nodes { name } pageInfo { hasNextPage endCursor } } }"""


async def search(api: Api, who: Account, query: str) -> list[str]:
    """Every hit, fetched two at a time."""
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(
            SEARCH, {"q": query, "first": 2, "after": after}, token=who.access_token
        )
        conn = data["fileSearch"]
        seen += [n["name"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen
        after = conn["pageInfo"]["endCursor"]


async def test_search_by_name_any_case(api: Api) -> None:
    ada = await api.sign_up()
    plans = await mkdir(api, ada, "Plans")
    await upload_ok(api, ada, b"1", name="Budget 2026.xlsx", folderId=plans["id"])
    await upload_ok(api, ada, b"2", name="budget-draft.txt")
    await upload_ok(api, ada, b"3", name="notes.txt")
    await mkdir(api, ada, "Old budgets", plans["id"])
    assert await search(api, ada, "BUDGET") == [
        "Budget 2026.xlsx",
        "budget-draft.txt",
        "Old budgets",
    ]
    assert await search(api, ada, "  draft ") == ["budget-draft.txt"]
    assert await search(api, ada, "plan") == ["Plans"]
    assert await search(api, ada, "My Drive") == []  # root folders are not hits
    assert await search(api, ada, "nothing like it") == []


async def test_wildcards_are_plain_characters(api: Api) -> None:
    ada = await api.sign_up()
    for name in ("100% done.txt", "1000 done.txt", "a_b.txt", "axb.txt"):
        await upload_ok(api, ada, b"x", name=name)
    assert await search(api, ada, "%") == ["100% done.txt"]
    assert await search(api, ada, "0% ") == ["100% done.txt"]
    assert await search(api, ada, "a_b") == ["a_b.txt"]
    assert await search(api, ada, "_") == ["a_b.txt"]
    assert await search(api, ada, "\\") == []  # the escape character itself is plain too
    assert await search(api, ada, "%%") == []


async def test_search_leaves_out_the_trash(api: Api) -> None:
    ada = await api.sign_up()
    folder = await mkdir(api, ada, "Report folder")
    await upload_ok(api, ada, b"1", name="report.txt", folderId=folder["id"])
    await upload_ok(api, ada, b"2", name="report-final.txt")
    await ok(api, ada, "fileDelete", fileId=folder["id"])
    assert await search(api, ada, "report") == ["report-final.txt"]
    await ok(api, ada, "fileRestore", fileId=folder["id"])
    assert await search(api, ada, "report") == ["Report folder", "report-final.txt", "report.txt"]


async def test_search_covers_what_is_shared_and_nothing_else(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    eve = await api.add_member(ada, name="Eve")
    other = await api.sign_up(organization="Other")
    team = await mkdir(api, ada, "Team")
    await mkdir(api, ada, "Private")
    inner = await mkdir(api, ada, "Inner", team["id"])
    await upload_ok(api, ada, b"1", name="shared plan.txt", folderId=inner["id"])
    await upload_ok(api, ada, b"2", name="private plan.txt")
    await upload_ok(api, other, b"3", name="their plan.txt")
    await share_ok(api, ada, team["id"], "VIEWER", user=bob)
    assert await search(api, bob, "plan") == ["shared plan.txt"]
    assert await search(api, eve, "plan") == []
    assert await search(api, other, "plan") == ["their plan.txt"]
    assert await search(api, ada, "plan") == ["private plan.txt", "shared plan.txt"]
    # Bob's own file in ada's folder is found by both.
    await share_ok(api, ada, team["id"], "EDITOR", user=bob)
    await upload_ok(api, bob, b"4", name="bobs plan.txt", folderId=team["id"])
    assert await search(api, bob, "plan") == ["bobs plan.txt", "shared plan.txt"]
    assert "bobs plan.txt" in await search(api, ada, "plan")


async def test_search_pages_and_limits(api: Api) -> None:
    ada = await api.sign_up()
    for i in range(5):
        await upload_ok(api, ada, b"x", name=f"page {i}.txt")
    assert await search(api, ada, "page") == [f"page {i}.txt" for i in range(5)]
    for bad in ("", "   ", "x" * 101):
        r = await api.post(SEARCH, {"q": bad}, token=ada.access_token)
        ext = r.json()["errors"][0]["extensions"]
        assert (ext["code"], ext["field"]) == ("BAD_USER_INPUT", "query")
