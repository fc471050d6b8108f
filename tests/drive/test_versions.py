"""Versions: the history of a file and fileVersionRestore, end to end."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from models.drive import Blob, FileVersion
from tests.client import Account, Api, count_queries
from tests.drive.helpers import upload_ok
from tests.drive.tree_helpers import call_raw, mkdir, ok, pk, refused, usage

VERSIONS = """query($id: ID!, $first: Int, $after: String) { file(id: $id) { sha256 size
  versions(first: $first, after: $after) {
    nodes { id number size sha256 contentType isCurrent createdBy { id } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""


async def versions(
    api: Api, who: Account, file: str, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """The file with ``versions`` as the page's nodes and ``page`` as its pageInfo."""
    data = await api.gql(
        VERSIONS, {"id": file, "first": first, "after": after}, token=who.access_token
    )
    found: dict[str, Any] = data["file"]
    found["page"] = found["versions"]["pageInfo"]
    found["versions"] = found["versions"]["nodes"]
    return found


async def three_versions(api: Api, who: Account) -> dict[str, Any]:
    for content in (b"one", b"two!", b"three"):
        file = await upload_ok(api, who, content, name="v.txt", onConflict="NEW_VERSION")
    return file


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_versions_newest_first(api: Api) -> None:
    ada = await api.sign_up()
    file = await three_versions(api, ada)
    got = await versions(api, ada, file["id"])
    assert [(v["number"], v["size"], v["isCurrent"]) for v in got["versions"]] == [
        (3, 5, True),
        (2, 4, False),
        (1, 3, False),
    ]
    assert got["versions"][2]["sha256"] == sha(b"one")
    assert {v["createdBy"]["id"] for v in got["versions"]} == {ada.user_id}
    assert [v["number"] for v in (await versions(api, ada, file["id"], 2))["versions"]] == [3, 2]
    folder = await mkdir(api, ada, "F")
    assert (await versions(api, ada, folder["id"]))["versions"] == []


async def test_versions_page_by_keyset_cursor(api: Api) -> None:
    # Given a file with three versions
    ada = await api.sign_up()
    file = await three_versions(api, ada)

    # When Ada pages through them two at a time
    first = await versions(api, ada, file["id"], 2)
    assert [v["number"] for v in first["versions"]] == [3, 2]
    assert first["page"]["hasNextPage"] and not first["page"]["hasPreviousPage"]
    # (a new version between the pages does not shift the next one: the cursor is a number)
    await upload_ok(api, ada, b"four", name="v.txt", onConflict="NEW_VERSION")
    rest = await versions(api, ada, file["id"], 2, first["page"]["endCursor"])

    # Then the next page starts below the last one seen, and says it is the last
    assert [v["number"] for v in rest["versions"]] == [1]
    assert not rest["page"]["hasNextPage"] and rest["page"]["hasPreviousPage"]
    for bad in (-1, 101):
        r = await api.post(VERSIONS, {"id": file["id"], "first": bad}, token=ada.access_token)
        assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await api.post(VERSIONS, {"id": file["id"], "after": "nope"}, token=ada.access_token)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_versions_of_a_folder_page_cost_the_same_queries_at_any_size(api: Api) -> None:
    # Given a folder of six files with two versions each
    ada = await api.sign_up()
    folder = await mkdir(api, ada, "Many")
    for i in range(6):
        for content in (b"a", b"bb"):
            await upload_ok(
                api, ada, content, name=f"{i}.txt", folderId=folder["id"], onConflict="NEW_VERSION"
            )
    listing = """query($id: ID!, $first: Int) { file(id: $id) { children(first: $first) {
      nodes { id versions(first: 5) { nodes { number } pageInfo { hasNextPage } } } } } }"""

    # When its children are listed with their versions, two and then six of them
    counts = []
    for n in (2, 6):
        with count_queries() as statements:
            data = await api.gql(listing, {"id": folder["id"], "first": n}, token=ada.access_token)
        nodes = data["file"]["children"]["nodes"]
        assert [[v["number"] for v in c["versions"]["nodes"]] for c in nodes] == [[2, 1]] * n
        counts.append(len(statements))

    # Then both cost the same number of queries
    assert counts[0] == counts[1], counts


async def test_restore_an_old_version_as_a_new_one(api: Api) -> None:
    ada = await api.sign_up()
    file = await three_versions(api, ada)
    old = (await versions(api, ada, file["id"]))["versions"][2]
    before = await usage(api, ada)
    refs = (await Blob.get(id=(await _version(old["id"])).blob_id)).ref_count
    payload = await call_raw(
        api, ada, "fileVersionRestore", fileId=file["id"], versionId=old["id"], idempotencyKey="r"
    )
    result = payload["data"]["fileVersionRestore"]
    assert result["errors"] == []
    assert result["version"]["number"] == 4 and result["version"]["isCurrent"] is True
    assert result["file"]["sha256"] == sha(b"one") and result["file"]["size"] == 3
    got = await versions(api, ada, file["id"])
    assert [v["number"] for v in got["versions"]] == [4, 3, 2, 1]  # nothing was lost
    assert await usage(api, ada) == before + 3
    assert (await Blob.get(id=(await _version(old["id"])).blob_id)).ref_count == refs + 1
    # A retry with the same key adds nothing.
    retry = await call_raw(
        api, ada, "fileVersionRestore", fileId=file["id"], versionId=old["id"], idempotencyKey="r"
    )
    assert retry["data"]["fileVersionRestore"]["version"] == result["version"]
    assert len((await versions(api, ada, file["id"]))["versions"]) == 4
    # Restoring the current version changes nothing.
    current = got["versions"][0]
    again = await ok(api, ada, "fileVersionRestore", fileId=file["id"], versionId=current["id"])
    assert again["sha256"] == sha(b"one")
    assert len((await versions(api, ada, file["id"]))["versions"]) == 4
    assert await usage(api, ada) == before + 3


async def _version(gid: str) -> FileVersion:
    return await FileVersion.get(id=pk(gid))


async def test_version_restore_refusals_change_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters import runtime

    ada = await api.sign_up()
    file = await three_versions(api, ada)
    other = await upload_ok(api, ada, b"other", name="other.txt")
    old = (await versions(api, ada, file["id"]))["versions"][2]["id"]
    foreign = (await versions(api, ada, other["id"]))["versions"][0]["id"]
    code = await refused(api, ada, "fileVersionRestore", fileId=file["id"], versionId=foreign)
    assert code == ("NOT_FOUND", "versionId")
    for who in (await api.sign_up(organization="Other"), await api.add_member(ada)):
        code = await refused(api, who, "fileVersionRestore", fileId=file["id"], versionId=old)
        assert code == ("NOT_FOUND", "fileId")
    used = await usage(api, ada)
    monkeypatch.setattr(runtime.current().settings, "drive_quota_bytes", used + 2)
    code = await refused(api, ada, "fileVersionRestore", fileId=file["id"], versionId=old)
    assert code == ("QUOTA_EXCEEDED", None)
    got = await versions(api, ada, file["id"])
    assert [v["number"] for v in got["versions"]] == [3, 2, 1]
    assert got["sha256"] == sha(b"three")
    assert await usage(api, ada) == used


async def test_a_copy_starts_a_new_history(api: Api) -> None:
    ada = await api.sign_up()
    file = await three_versions(api, ada)
    copy = await ok(api, ada, "fileCopy", fileId=file["id"], name="copy.txt")
    got = await versions(api, ada, copy["id"])
    assert [(v["number"], v["sha256"]) for v in got["versions"]] == [(1, sha(b"three"))]
