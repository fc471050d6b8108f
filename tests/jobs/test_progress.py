"""``backgroundJobEvents``: the job as it stands, its progress (at most every 250 ms, always
the last report) and its final state, then the stream completes. For the requester and the
organization's admins; anyone else gets NOT_FOUND, as for a job that does not exist."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from strawberry.relay import GlobalID

from graphql_schema.admin.jobs import BackgroundJob as BackgroundJobType
from models.jobs import BackgroundJob, JobState
from resolvers.core.jobs import do_enqueue
from tests.client import Account, Api, WSClient
from tests.jobs.handlers import PROGRESS, RECORD
from tests.timing import eventually

EVENTS = """subscription($id: ID!) { backgroundJobEvents(id: $id) {
  kind job { id state progressDone progressTotal } } }"""


def _pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def _socket(server: str, who: Account) -> WSClient:
    ws = await WSClient.connect(server)
    ack = await ws.init({"authorization": f"Bearer {who.access_token}"})
    assert ack["type"] == "connection_ack", ack
    return ws


async def _stream(ws: WSClient, op: str) -> list[dict[str, Any]]:
    """Every event until the server completes the operation."""
    got = []
    while True:
        msg = await ws.receive(timeout=15)
        if msg["type"] == "complete":
            return got
        assert msg["type"] == "next" and msg["id"] == op, msg
        assert "errors" not in msg["payload"], msg
        got.append(msg["payload"]["data"]["backgroundJobEvents"])


async def test_the_requester_watches_progress_and_the_final_state(
    server: str, api: Api, tmp_path: Path
) -> None:
    owner = await api.sign_up(organization="Progress")
    member = await api.add_member(owner, name="Pia")
    job = await do_enqueue(
        PROGRESS,
        {"dir": str(tmp_path)},
        key=uuid.uuid4().hex,
        organization_id=_pk(owner.organization_id),
        requested_by=_pk(member.user_id),
    )
    gid = str(BackgroundJobType.global_id(job.id))
    ws = await _socket(server, member)
    try:
        op = await ws.subscribe(EVENTS, {"id": gid})
        first = await ws.receive(timeout=15)
        assert first["type"] == "next", first
        opening = first["payload"]["data"]["backgroundJobEvents"]
        assert opening["kind"] == "STATE" and opening["job"]["id"] == gid
        assert opening["job"]["state"] in ("QUEUED", "RUNNING")
        (tmp_path / "go").touch()
        rest = await _stream(ws, op)
    finally:
        await ws.close()
    progress = [
        (e["job"]["progressDone"], e["job"]["progressTotal"])
        for e in rest
        if e["kind"] == "PROGRESS"
    ]
    # The first report is written at once, the second falls within 250 ms of it, the last always.
    assert progress[0] == (1, 3) and progress[-1] == (3, 3), progress
    last = rest[-1]
    assert last["kind"] == "STATE" and last["job"]["state"] == "SUCCEEDED"
    assert (last["job"]["progressDone"], last["job"]["progressTotal"]) == (3, 3)
    row = await BackgroundJob.get(id=job.id)
    assert row.state == JobState.SUCCEEDED and row.progress_done == 3


async def test_a_finished_job_answers_once_and_completes_and_others_find_nothing(
    server: str, api: Api, tmp_path: Path
) -> None:
    owner = await api.sign_up(organization="Watchers")
    member = await api.add_member(owner, name="Max")
    colleague = await api.add_member(owner, name="Col")
    stranger = await api.sign_up(organization="Strangers")
    job = await do_enqueue(
        RECORD,
        {"dir": str(tmp_path)},
        key=uuid.uuid4().hex,
        organization_id=_pk(owner.organization_id),
        requested_by=_pk(member.user_id),
    )
    gid = str(BackgroundJobType.global_id(job.id))

    async def done() -> bool:
        return (await BackgroundJob.get(id=job.id)).state == JobState.SUCCEEDED

    await eventually(done, what="the job succeeding")
    for who in (owner, member):  # an admin of its organization, and its requester
        ws = await _socket(server, who)
        try:
            events = await _stream(ws, await ws.subscribe(EVENTS, {"id": gid}))
        finally:
            await ws.close()
        assert [(e["kind"], e["job"]["state"]) for e in events] == [("STATE", "SUCCEEDED")]
    for who in (colleague, stranger):
        ws = await _socket(server, who)
        try:
            op = await ws.subscribe(EVENTS, {"id": gid})
            msg = await ws.receive(timeout=15)
        finally:
            await ws.close()
        # Refused like any stream that refuses its subscriber: one result with the error.
        assert msg["type"] == "next" and msg["id"] == op, msg
        assert msg["payload"]["data"] is None
        assert msg["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
