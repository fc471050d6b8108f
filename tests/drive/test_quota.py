"""The organization's quota: reserved by upload sessions, charged by uploads, never overshot
when uploads race."""

from __future__ import annotations

import asyncio
import os

from models.drive import UploadSession
from tests.client import Api
from tests.drive import transfer as t
from tests.drive.helpers import upload

USAGE = "{ drive { usage { used reserved quota } } }"


async def test_two_sessions_at_once_do_not_overshoot(api: Api) -> None:
    ada = await api.sign_up()
    size = 100_000
    a, b = os.urandom(size), os.urandom(size)
    with t.setting("drive_quota_bytes", size + size // 2):  # room for one of the two
        results = await asyncio.gather(
            t.create(api, ada, a, name="a.bin"), t.create(api, ada, b, name="b.bin")
        )
        codes = sorted(str([e["code"] for e in r["errors"]]) for r in results)
        assert codes == ["['QUOTA_EXCEEDED']", "[]"]
        assert await t.usage(ada) == (0, size)
        shown = (await api.gql(USAGE, token=ada.access_token))["drive"]["usage"]
        assert shown == {"used": 0, "reserved": size, "quota": size + size // 2}
        # The one that got its reservation completes, even though the quota is now tight.
        winner = next(r["session"] for r in results if r["session"] is not None)
        data = a if winner["name"] == "a.bin" else b
        await t.send_parts(api, ada, winner, data)
        done = await t.complete(api, ada, winner["id"])
        assert done["errors"] == []
        assert await t.usage(ada) == (size, 0)
        assert await UploadSession.filter(user_id=t.pk(ada.user_id)).count() == 1


async def test_two_file_uploads_at_once_do_not_overshoot(api: Api) -> None:
    ada = await api.sign_up()
    size = 50_000
    a, b = os.urandom(size), os.urandom(size)
    with t.setting("drive_quota_bytes", size + size // 2):
        results = await asyncio.gather(
            upload(api, ada, a, name="a.bin"), upload(api, ada, b, name="b.bin")
        )
    codes = sorted(str([e["code"] for e in r["errors"]]) for r in results)
    assert codes == ["['QUOTA_EXCEEDED']", "[]"]
    assert await t.usage(ada) == (size, 0)
    stored = [r["file"]["name"] for r in results if r["file"] is not None]
    refused = {"a.bin": a, "b.bin": b}["b.bin" if stored == ["a.bin"] else "a.bin"]
    assert len(await t.items_named(ada, stored[0])) == 1
    assert await t.blob_rows(ada, refused) == []


async def test_reservations_count_against_the_quota(api: Api) -> None:
    ada = await api.sign_up()
    with t.setting("drive_quota_bytes", 10_000):
        session = await t.create_ok(api, ada, os.urandom(8_000), name="reserved.bin")
        refused = await upload(api, ada, os.urandom(3_000), name="small.bin")
        assert [e["code"] for e in refused["errors"]] == ["QUOTA_EXCEEDED"]
        assert await t.items_named(ada, "small.bin") == []
        too_big = await t.create(api, ada, os.urandom(3_000), name="second.bin")
        assert [e["code"] for e in too_big["errors"]] == ["QUOTA_EXCEEDED"]
        assert await t.usage(ada) == (0, 8_000)
        # Aborting gives the room back.
        await api.gql(t.ABORT, {"i": {"uploadSessionId": session["id"]}}, token=ada.access_token)
        accepted = await upload(api, ada, os.urandom(3_000), name="small.bin")
        assert accepted["errors"] == []
        assert await t.usage(ada) == (3_000, 0)


async def test_quota_is_per_organization(api: Api) -> None:
    ada = await api.sign_up()
    eve = await api.sign_up(organization="Elsewhere")
    with t.setting("drive_quota_bytes", 5_000):
        assert (await upload(api, ada, os.urandom(4_000), name="full.bin"))["errors"] == []
        assert (await upload(api, eve, os.urandom(4_000), name="mine.bin"))["errors"] == []
    assert await t.usage(ada) == (4_000, 0)
    assert await t.usage(eve) == (4_000, 0)
