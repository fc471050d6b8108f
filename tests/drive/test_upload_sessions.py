"""Upload sessions end to end: parts, resuming, completing, verification, aborting, expiry.
On the local store parts go through Hello; with ``HELLO_TEST_S3=1`` to presigned S3 URLs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from models.drive import FileVersion, UploadSession, UploadStatus
from resolvers.drive.completion import cleanup_expired_sessions
from resolvers.drive.upload_sessions import part_size_for
from tests.client import Api
from tests.drive import transfer as t
from tests.drive.helpers import upload_ok
from tests.errors import refusal


async def test_interrupted_upload_is_resumed_and_completed(api: Api, server: str) -> None:
    ada = await api.sign_up()
    before = await t.usage(ada)
    with t.small_parts():
        part = part_size_for(1)
        data = os.urandom(2 * part + part // 2)
        session = await t.create_ok(api, ada, data, name="movie.mp4", contentType="video/mp4")
    assert session["partCount"] == 3 and session["status"] == "OPEN"
    assert [p["size"] for p in session["parts"]] == [part, part, part // 2]
    assert (await t.usage(ada))[1] == before[1] + len(data)  # reserved

    # The first connection sends parts 1 and 3, then goes away.
    await t.send_parts(api, ada, session, data, [1, 3])

    # A new client (a new sign-in) asks what arrived and sends the rest.
    async with Api(server) as again:
        ada2 = await again.sign_in(ada.email)
        resumed = await t.state(again, ada2, session["id"])
        assert resumed is not None
        assert [p["received"] for p in resumed["parts"]] == [True, False, True]
        await t.send_parts(again, ada2, resumed, data, [2])
        assert [p["received"] for p in (await t.state(again, ada2, session["id"]))["parts"]] == [
            True,
            True,
            True,
        ]
        done = await t.complete(again, ada2, session["id"])
    assert done["errors"] == [], done
    file = done["file"]
    assert (file["name"], file["size"], file["sha256"]) == ("movie.mp4", len(data), t.sha256(data))
    assert file["contentType"] == "video/mp4"
    r = await t.download(api, ada, file["id"])
    assert r.status_code == 200 and r.content == data

    # Completing again returns the same file and creates nothing more.
    again_done = await t.complete(api, ada, session["id"])
    assert again_done["errors"] == [] and again_done["file"]["id"] == file["id"]
    assert len(await t.items_named(ada, "movie.mp4")) == 1
    final = await t.state(api, ada, session["id"])
    assert final is not None and final["status"] == "COMPLETED"
    assert final["file"]["id"] == file["id"]
    assert all(p["url"] is None for p in final["parts"])
    used, reserved = await t.usage(ada)
    assert (used, reserved) == (before[0] + len(data), before[1])


async def test_wrong_sha256_is_rejected_and_nothing_is_created(api: Api) -> None:
    ada = await api.sign_up()
    with t.small_parts():
        data = os.urandom(150_000)
        session = await t.create_ok(api, ada, data, name="bad.bin", sha256=t.sha256(b"other"))
    await t.send_parts(api, ada, session, data)
    before = await t.usage(ada)

    payload = await t.complete(api, ada, session["id"])

    assert payload["file"] is None
    assert [e["code"] for e in payload["errors"]] == ["SHA256_MISMATCH"]
    assert await t.items_named(ada, "bad.bin") == []
    assert await t.blob_rows(ada, data) == []
    assert await FileVersion.filter(sha256=t.sha256(data)).count() == 0
    assert await t.usage(ada) == (before[0], before[1] - len(data))
    row = await t.session_row(session["id"])
    assert row.status == UploadStatus.ABORTED
    assert await t.runtime.current().blobs.size(row.storage_key) is None
    assert await t.stored_parts(session["id"]) == []
    # An aborted session stays aborted.
    retry = await t.complete(api, ada, session["id"])
    assert [e["code"] for e in retry["errors"]] == ["UPLOAD_CLOSED"]


async def test_completing_with_parts_missing_changes_nothing(api: Api) -> None:
    ada = await api.sign_up()
    with t.small_parts():
        data = os.urandom(part_size_for(1) + 1000)  # two parts
        session = await t.create_ok(api, ada, data, name="half.bin")
    await t.send_parts(api, ada, session, data, [1])
    before = await t.usage(ada)

    payload = await t.complete(api, ada, session["id"])

    assert [e["code"] for e in payload["errors"]] == ["PARTS_MISSING"]
    assert await t.items_named(ada, "half.bin") == []
    assert await t.usage(ada) == before
    still = await t.state(api, ada, session["id"])
    assert still is not None and still["status"] == "OPEN"
    assert [p["received"] for p in still["parts"]] == [True, False]
    # The rest arrives later and it completes.
    await t.send_parts(api, ada, session, data, [p["number"] for p in session["parts"][1:]])
    done = await t.complete(api, ada, session["id"])
    assert done["errors"] == [] and done["file"]["size"] == len(data)


async def test_parts_through_hello_are_checked(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    eve = await api.sign_up(organization="Elsewhere")
    with t.small_parts():
        data = os.urandom(100_000)
        session = await t.create_ok(api, ada, data, name="checked.bin")
    first = session["parts"][0]
    if t.store_kind() == "s3":
        # Bytes never pass through Hello: the URLs are presigned S3 URLs needing no token.
        assert not first["url"].startswith(api.base_url)
        assert "X-Amz-Signature" in first["url"]
        r = await t.put_part(api, None, first, t.part_bytes(session, data, 1)[:-1])
        assert r.status_code == 200
        wrong = await t.complete(api, ada, session["id"])
        assert [e["code"] for e in wrong["errors"]] in (["PARTS_MISSING"], ["PART_SIZE_MISMATCH"])
        return
    assert first["url"].startswith(f"{api.base_url}/uploads/")
    chunk = t.part_bytes(session, data, 1)
    # No token, someone else's token (same or another organization): refused, nothing stored.
    assert (await t.put_part(api, None, first, chunk)).status_code == 401
    for stranger in (bob, eve):
        r = await t.put_part(api, stranger, first, chunk)
        assert r.status_code == 404 and r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Wrong sizes: refused, nothing stored.
    for wrong_size in (chunk[:-1], chunk + b"x"):
        r = await t.put_part(api, ada, first, wrong_size)
        assert r.status_code == 400, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "PART_SIZE_MISMATCH"
    r = await api.http.put(
        first["url"].replace("/parts/1", "/parts/99"), content=chunk, headers=ada.headers
    )
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "INVALID_PART"
    assert await t.stored_parts(session["id"]) == []
    assert [p["received"] for p in (await t.state(api, ada, session["id"]))["parts"]] == [
        False,
        False,
    ]
    # The right size is taken; sending it again replaces it.
    assert (await t.put_part(api, ada, first, chunk)).status_code == 200
    assert (await t.put_part(api, ada, first, chunk)).status_code == 200
    assert await t.stored_parts(session["id"]) == [1]


async def test_someone_elses_session_is_not_found(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    eve = await api.sign_up(organization="Elsewhere")
    with t.small_parts():
        data = os.urandom(70_000)
        session = await t.create_ok(api, ada, data, name="mine.bin")
    await t.send_parts(api, ada, session, data)
    for stranger in (bob, eve):
        assert await t.state(api, stranger, session["id"]) is None
        for op in (t.COMPLETE, t.ABORT):
            r = await api.post(
                op, {"i": {"uploadSessionId": session["id"]}}, token=stranger.access_token
            )
            assert refusal(op, r.json()) == "NOT_FOUND"
    row = await t.session_row(session["id"])
    assert row.status == UploadStatus.OPEN and await t.items_named(ada, "mine.bin") == []
    done = await t.complete(api, ada, session["id"])
    assert done["errors"] == []


async def test_abort_gives_the_reservation_back(api: Api) -> None:
    ada = await api.sign_up()
    before = await t.usage(ada)
    with t.small_parts():
        data = os.urandom(100_000)
        session = await t.create_ok(api, ada, data, name="gone.bin")
    await t.send_parts(api, ada, session, data, [1])
    r = await api.gql(t.ABORT, {"i": {"uploadSessionId": session["id"]}}, token=ada.access_token)
    assert r["uploadSessionAbort"]["errors"] == []
    assert r["uploadSessionAbort"]["session"]["status"] == "ABORTED"
    assert await t.usage(ada) == before
    assert await t.stored_parts(session["id"]) == []
    # Aborting twice is fine; completing an aborted session is not.
    r = await api.gql(t.ABORT, {"i": {"uploadSessionId": session["id"]}}, token=ada.access_token)
    assert r["uploadSessionAbort"]["errors"] == []
    assert [e["code"] for e in (await t.complete(api, ada, session["id"]))["errors"]] == [
        "UPLOAD_CLOSED"
    ]
    # A completed session cannot be aborted.
    file = await t.upload_in_parts(api, ada, b"small", name="kept.bin")
    done = await UploadSession.filter(result_item_id=t.pk(file["id"])).first()
    assert done is not None
    gid = str(t.GlobalID("UploadSession", str(done.id)))
    r = await api.gql(t.ABORT, {"i": {"uploadSessionId": gid}}, token=ada.access_token)
    assert [e["code"] for e in r["uploadSessionAbort"]["errors"]] == ["ALREADY_COMPLETED"]


async def test_create_is_validated_and_reserves_nothing_when_refused(api: Api) -> None:
    ada = await api.sign_up()
    await upload_ok(api, ada, b"taken", name="taken.txt")
    before = await t.usage(ada)
    cases = [
        ({"size": 0}, "INVALID_SIZE"),
        ({"sha256": "abc"}, "INVALID_SHA256"),
        ({"size": t.settings().drive_max_file_bytes + 1}, "FILE_TOO_LARGE"),
        ({"name": "a/b"}, "INVALID_NAME"),
        ({"name": "TAKEN.txt"}, "NAME_TAKEN"),
        ({"contentType": "nonsense"}, "INVALID_CONTENT_TYPE"),
    ]
    for fields, code in cases:
        payload = await t.create(api, ada, b"data", **fields)
        assert [e["code"] for e in payload["errors"]] == [code], (fields, payload)
        assert payload["session"] is None
    assert await t.usage(ada) == before
    assert await UploadSession.filter(user_id=t.pk(ada.user_id)).count() == 0
    # RENAME and NEW_VERSION accept the taken name.
    renamed = await t.upload_in_parts(api, ada, b"two", name="taken.txt", onConflict="RENAME")
    assert renamed["name"] == "taken (2).txt"


async def test_idempotent_create_returns_the_first_session(api: Api) -> None:
    ada = await api.sign_up()
    before = await t.usage(ada)
    first = await t.create_ok(api, ada, b"abc", idempotencyKey="k-1")
    second = await t.create_ok(api, ada, b"abc", idempotencyKey="k-1")
    assert first["id"] == second["id"]
    assert await t.usage(ada) == (before[0], before[1] + 3)


async def test_new_version_of_a_file(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    file = await upload_ok(api, ada, b"version one", name="notes.txt")
    before = await t.usage(ada)
    r = await api.post(
        t.CREATE,
        {"i": {"size": 3, "sha256": t.sha256(b"two"), "fileId": file["id"]}},
        token=bob.access_token,
    )
    assert refusal(t.CREATE, r.json()) == "NOT_FOUND"  # bob cannot see it
    assert await t.usage(ada) == before
    updated = await t.upload_in_parts(api, ada, b"version two", fileId=file["id"], name=None)
    assert updated["id"] == file["id"] and updated["size"] == len(b"version two")
    assert await FileVersion.filter(item_id=t.pk(file["id"])).count() == 2
    r = await t.download(api, ada, file["id"])
    assert r.content == b"version two"


async def test_expired_sessions_are_cleaned_up(api: Api) -> None:
    ada = await api.sign_up()
    before = await t.usage(ada)
    with t.small_parts():
        data = os.urandom(100_000)
        session = await t.create_ok(api, ada, data, name="late.bin")
        fresh = await t.create_ok(api, ada, b"fresh", name="fresh.bin")
    await t.send_parts(api, ada, session, data, [1])
    await UploadSession.filter(id=t.pk(session["id"])).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    expired = await t.state(api, ada, session["id"])
    assert expired is not None and expired["status"] == "EXPIRED"

    await cleanup_expired_sessions()

    assert (await t.session_row(session["id"])).status == UploadStatus.ABORTED
    assert (await t.session_row(fresh["id"])).status == UploadStatus.OPEN
    assert await t.usage(ada) == (before[0], before[1] + 5)  # only the fresh one is reserved
    assert await t.stored_parts(session["id"]) == []
    assert [e["code"] for e in (await t.complete(api, ada, session["id"]))["errors"]] == [
        "UPLOAD_CLOSED"
    ]
