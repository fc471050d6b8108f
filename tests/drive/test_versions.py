"""Versions: the history of a file and fileVersionRestore, end to end."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from models.drive import Blob, FileVersion
from tests.client import Account, Api
from tests.drive.helpers import upload_ok
from tests.drive.tree_helpers import call_raw, mkdir, ok, pk, refused, usage

VERSIONS = """query($id: ID!, $first: Int) { file(id: $id) { sha256 size
  versions(first: $first) { id number size sha256 contentType isCurrent createdBy { id } } } }"""


async def versions(api: Api, who: Account, file: str, first: int | None = None) -> dict[str, Any]:
    data = await api.gql(VERSIONS, {"id": file, "first": first}, token=who.access_token)
    return data["file"]  # type: ignore[no-any-return]


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


async def test_restore_an_old_version_as_a_new_one(api: Api) -> None:
    ada = await api.sign_up()
    file = await three_versions(api, ada)
    old = (await versions(api, ada, file["id"]))["versions"][2]
    before = await usage(api, ada)
    refs = (await Blob.get(id=(await _version(old["id"])).blob_id)).ref_count
    payload = await call_raw(
        api, ada, "fileVersionRestore", id=file["id"], versionId=old["id"], idempotencyKey="r"
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
        api, ada, "fileVersionRestore", id=file["id"], versionId=old["id"], idempotencyKey="r"
    )
    assert retry["data"]["fileVersionRestore"]["version"] == result["version"]
    assert len((await versions(api, ada, file["id"]))["versions"]) == 4
    # Restoring the current version changes nothing.
    current = got["versions"][0]
    again = await ok(api, ada, "fileVersionRestore", id=file["id"], versionId=current["id"])
    assert again["sha256"] == sha(b"one")
    assert len((await versions(api, ada, file["id"]))["versions"]) == 4
    assert await usage(api, ada) == before + 3


async def _version(gid: str) -> FileVersion:
    return await FileVersion.get(id=pk(gid))


async def test_version_restore_refusals_change_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server import runtime

    ada = await api.sign_up()
    file = await three_versions(api, ada)
    other = await upload_ok(api, ada, b"other", name="other.txt")
    old = (await versions(api, ada, file["id"]))["versions"][2]["id"]
    foreign = (await versions(api, ada, other["id"]))["versions"][0]["id"]
    code = await refused(api, ada, "fileVersionRestore", id=file["id"], versionId=foreign)
    assert code == ("NOT_FOUND", "versionId")
    for who in (await api.sign_up(organization="Other"), await api.add_member(ada)):
        code = await refused(api, who, "fileVersionRestore", id=file["id"], versionId=old)
        assert code == ("NOT_FOUND", "id")
    used = await usage(api, ada)
    monkeypatch.setattr(runtime.current().settings, "drive_quota_bytes", used + 2)
    code = await refused(api, ada, "fileVersionRestore", id=file["id"], versionId=old)
    assert code == ("QUOTA_EXCEEDED", None)
    got = await versions(api, ada, file["id"])
    assert [v["number"] for v in got["versions"]] == [3, 2, 1]
    assert got["sha256"] == sha(b"three")
    assert await usage(api, ada) == used


async def test_a_copy_starts_a_new_history(api: Api) -> None:
    ada = await api.sign_up()
    file = await three_versions(api, ada)
    copy = await ok(api, ada, "fileCopy", id=file["id"], name="copy.txt")
    got = await versions(api, ada, copy["id"])
    assert [(v["number"], v["sha256"]) for v in got["versions"]] == [(1, sha(b"three"))]
