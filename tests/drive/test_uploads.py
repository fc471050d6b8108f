"""``fileUpload`` (one request, multipart): the size limit, the CSRF header, and content stored
once per organization (deduplicated by SHA-256, reference counted)."""

from __future__ import annotations

import json
import os

from models.drive import Blob
from tests.client import Api
from tests.drive import transfer as t
from tests.drive.helpers import UPLOAD, upload, upload_ok, upload_raw

DELETE = "mutation($i: FileDeleteInput!) { fileDelete(input: $i) { errors { code } } }"
EMPTY = "mutation($i: TrashEmptyInput!) { trashEmpty(input: $i) { errors { code } } }"


async def test_upload_and_download(api: Api) -> None:
    ada = await api.sign_up()
    data = os.urandom(30_000)
    file = await upload_ok(api, ada, data, filename="photo.jpg", part_type="image/jpeg")
    assert (file["name"], file["size"], file["sha256"]) == ("photo.jpg", len(data), t.sha256(data))
    assert file["contentType"] == "image/jpeg"
    assert (await t.download(api, ada, file["id"])).content == data
    assert await t.usage(ada) == (len(data), 0)


async def test_files_over_the_limit_are_refused(api: Api) -> None:
    """The limit is 20 MB; lowered here to keep the test quick (the same code path)."""
    ada = await api.sign_up()
    limit = 100_000
    with t.setting("drive_upload_max_bytes", limit):
        over = os.urandom(limit + 1)
        payload = await upload(api, ada, over, name="over.bin")
        assert [e["code"] for e in payload["errors"]] == ["FILE_TOO_LARGE"]
        assert payload["file"] is None
        assert await t.items_named(ada, "over.bin") == []
        assert await t.blob_rows(ada, over) == []
        assert await t.usage(ada) == (0, 0)
        # A body past the limit (plus the multipart envelope) is refused before it is read.
        huge = os.urandom(limit + t.settings().max_body_bytes + 1)
        r = await upload_raw(api, ada, huge, name="huge.bin")
        assert r.status_code == 413
        assert r.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
        assert await t.items_named(ada, "huge.bin") == []
        # Exactly the limit is fine.
        assert (await upload_ok(api, ada, over[:limit], name="max.bin"))["size"] == limit


async def test_multipart_needs_the_csrf_header(api: Api) -> None:
    ada = await api.sign_up()
    operations = {"query": UPLOAD, "variables": {"i": {"file": None, "name": "csrf.bin"}}}
    r = await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": ("csrf.bin", b"forged", "application/octet-stream")},
        headers=ada.headers,  # no x-hello-csrf
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"
    assert await t.items_named(ada, "csrf.bin") == []
    assert await t.blob_rows(ada, b"forged") == []
    assert await t.usage(ada) == (0, 0)


async def test_same_bytes_are_stored_once_per_organization(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    eve = await api.sign_up(organization="Elsewhere")
    data = os.urandom(40_000)
    first = await upload_ok(api, ada, data, name="one.bin")
    second = await upload_ok(api, bob, data, name="two.bin")
    via_session = await t.upload_in_parts(api, ada, data, name="three.bin")
    rows = await t.blob_rows(ada, data)
    assert len(rows) == 1 and rows[0].ref_count == 3
    # Used space counts every file; the bytes are kept once.
    assert await t.usage(ada) == (3 * len(data), 0)
    theirs = await upload_ok(api, eve, data, name="elsewhere.bin")
    their_rows = await t.blob_rows(eve, data)
    assert len(their_rows) == 1 and their_rows[0].id != rows[0].id

    # Deleting one reference keeps the bytes for the others.
    for file in (first, via_session):
        r = await api.gql(DELETE, {"i": {"fileId": file["id"]}}, token=ada.access_token)
        assert r["fileDelete"]["errors"] == []
    r = await api.gql(EMPTY, {"i": {"fileIds": [first["id"]]}}, token=ada.access_token)
    assert r["trashEmpty"]["errors"] == []
    assert (await Blob.get(id=rows[0].id)).ref_count == 2
    assert (await t.download(api, bob, second["id"])).content == data
    assert await t.runtime.current().blobs.size(rows[0].storage_key) == len(data)

    # The last reference gone, the row and the bytes go too.
    r = await api.gql(EMPTY, {"i": {}}, token=ada.access_token)
    assert r["trashEmpty"]["errors"] == []
    r = await api.gql(DELETE, {"i": {"fileId": second["id"]}}, token=bob.access_token)
    r = await api.gql(EMPTY, {"i": {}}, token=bob.access_token)
    assert r["trashEmpty"]["errors"] == []
    assert await Blob.filter(id=rows[0].id).count() == 0
    assert await t.runtime.current().blobs.size(rows[0].storage_key) is None
    assert await t.usage(ada) == (0, 0)
    assert (await t.download(api, eve, theirs["id"])).content == data
