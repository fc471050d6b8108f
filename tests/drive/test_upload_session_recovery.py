"""Upload sessions across processes and failures: resumed on another ``hello serve`` process
over the same database and storage (as after a restart), completed twice at once, and a
completion that died mid-way taken over."""

from __future__ import annotations

import asyncio
import os
import time

from models.drive import UploadSession, UploadStatus
from resolvers.drive.upload_sessions import part_size_for
from tests.client import Api
from tests.drive import transfer as t
from tests.drive.processes import hello_serve


async def test_a_session_survives_a_restart(api: Api, server: str) -> None:
    """Everything a session knows is in the database and the blob store: a fresh process
    (another ``hello serve`` on the same database and storage) resumes and completes it."""
    ada = await api.sign_up()
    with t.small_parts():
        data = os.urandom(part_size_for(1) + 10)  # two parts
        session = await t.create_ok(api, ada, data, name="restart.bin")
    await t.send_parts(api, ada, session, data, [1])

    async with hello_serve() as (url, _):
        async with Api(url) as other:
            resumed = await t.state(other, ada, session["id"])
            assert resumed is not None and resumed["status"] == "OPEN"
            assert [p["received"] for p in resumed["parts"]] == [True, False]
            await t.send_parts(other, ada, resumed, data, [2])
            done = await t.complete(other, ada, session["id"])
        assert done["errors"] == [], done
    assert (await t.download(api, ada, done["file"]["id"])).content == data


async def test_completing_twice_at_once_creates_one_file(api: Api) -> None:
    ada = await api.sign_up()
    with t.small_parts():
        data = os.urandom(150_000)
        session = await t.create_ok(api, ada, data, name="twice.bin")
    await t.send_parts(api, ada, session, data)
    a, b = await asyncio.gather(
        t.complete(api, ada, session["id"]), t.complete(api, ada, session["id"])
    )
    assert a["errors"] == [] and b["errors"] == []
    assert a["file"]["id"] == b["file"]["id"]
    assert len(await t.items_named(ada, "twice.bin")) == 1
    assert await t.usage(ada) == (len(data), 0)
    rows = await t.blob_rows(ada, data)
    assert len(rows) == 1 and rows[0].ref_count == 1


async def test_a_running_completion_holds_the_session(api: Api) -> None:
    """While a completion holds the session (a fresh claim), it cannot be aborted or changed;
    a claim older than the lease (its process died) is taken over by the next completion."""
    ada = await api.sign_up()
    with t.small_parts():
        data = os.urandom(100_000)
        session = await t.create_ok(api, ada, data, name="claimed.bin")
    await t.send_parts(api, ada, session, data)
    pk = t.pk(session["id"])
    fresh = int(time.time() * 1_000_000)
    await UploadSession.filter(id=pk).update(claimed_us=fresh)

    assert (await t.state(api, ada, session["id"]))["status"] == "COMPLETING"
    r = await api.gql(t.ABORT, {"i": {"uploadSessionId": session["id"]}}, token=ada.access_token)
    assert [e["code"] for e in r["uploadSessionAbort"]["errors"]] == ["UPLOAD_IN_PROGRESS"]
    if t.store_kind() == "local":
        part = session["parts"][0]
        resent = await t.put_part(api, ada, part, t.part_bytes(session, data, 1))
        assert resent.status_code == 409
        assert resent.json()["errors"][0]["extensions"]["code"] == "UPLOAD_CLOSED"
    row = await t.session_row(session["id"])
    assert row.status == UploadStatus.OPEN and row.claimed_us == fresh

    # Two hours later the claim is stale: completing takes it over.
    stale = fresh - 2 * 3600 * 1_000_000  # two hours earlier
    await UploadSession.filter(id=pk).update(claimed_us=stale)
    assert (await t.state(api, ada, session["id"]))["status"] == "OPEN"
    done = await t.complete(api, ada, session["id"])
    assert done["errors"] == [], done
    assert (await t.download(api, ada, done["file"]["id"])).content == data
