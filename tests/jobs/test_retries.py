"""A failing job retries with exponential back-off (full jitter, here pinned at its top), then
is DEAD; an admin sees it in ``backgroundJobs(state: DEAD)`` and ``backgroundJobRetry`` runs it
again. Back-offs are crossed with a fake clock: this test's runner lives a day ahead of the
suite's server, whose runner therefore leaves its jobs alone until the retry makes one due now.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from strawberry.relay import GlobalID

from adapters.jobs import create_job_transport
from graphql_schema.admin.jobs import BackgroundJob as BackgroundJobType
from models.jobs import BackgroundJob, JobState
from resolvers.core.job_runner import JobRunner, RunnerConfig
from resolvers.core.jobs import backoff_seconds, do_enqueue
from tests.client import Api
from tests.jobs.handlers import FAIL, effects
from tests.timing import FakeClock, eventually

JOBS = """query($state: BackgroundJobState) { backgroundJobs(state: $state, first: 20) {
  edges { node { id name state attempts maxAttempts lastError } } } }"""
RETRY = """mutation($i: BackgroundJobRetryInput!) { backgroundJobRetry(input: $i) {
  job { id state attempts } errors { code field } } }"""


def _org(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


def test_backoff_is_exponential_with_full_jitter_under_a_cap() -> None:
    assert backoff_seconds(1, base=2, cap=60, rand=lambda: 1.0) == 2
    assert backoff_seconds(3, base=2, cap=60, rand=lambda: 1.0) == 8
    assert backoff_seconds(10, base=2, cap=60, rand=lambda: 1.0) == 60
    assert backoff_seconds(3, base=2, cap=60, rand=lambda: 0.25) == 2
    assert backoff_seconds(3, base=2, cap=60, rand=lambda: 0.0) == 0


async def test_failures_back_off_then_dead_then_an_admin_retries(api: Api, tmp_path: Path) -> None:
    owner = await api.sign_up(organization="Jobs")
    member = await api.add_member(owner, name="Mia")
    stranger = await api.sign_up(organization="Elsewhere")
    (tmp_path / "fail").touch()

    fake = FakeClock()
    day_ahead = datetime.now(UTC) + timedelta(days=1)

    def clock() -> datetime:
        return day_ahead + timedelta(seconds=fake())

    transport = create_job_transport(None, prefix="unused:")
    runner = JobRunner(
        transport,
        RunnerConfig(retry_base_seconds=10, retry_cap_seconds=15, lease_seconds=60),
        clock=clock,
        rand=lambda: 1.0,
    )
    await transport.start()
    transport.consume(runner.run_job)
    key = uuid.uuid4().hex
    job = await do_enqueue(
        FAIL,
        {"dir": str(tmp_path)},
        key=key,
        run_at=clock(),
        organization_id=_org(owner.organization_id),
    )
    assert job.max_attempts == 3  # the handler's own number

    async def attempt() -> BackgroundJob:
        assert job.id in await runner.relay_once()
        await transport.broker.wait_all()  # type: ignore[attr-defined]
        return await BackgroundJob.get(id=job.id)

    try:
        first = await attempt()
        assert first.state == JobState.QUEUED and first.attempts == 1
        assert first.last_error == "RuntimeError: told to fail"  # first line only
        assert first.run_at == clock() + timedelta(seconds=10)
        fake.advance(9.9)
        assert job.id not in await runner.relay_once()  # not yet
        fake.advance(0.1)
        second = await attempt()
        assert second.state == JobState.QUEUED and second.attempts == 2
        assert second.run_at == clock() + timedelta(seconds=15)  # 20, capped
        fake.advance(15)
        third = await attempt()
        assert third.state == JobState.DEAD and third.attempts == 3
        assert third.finished_at is not None
        assert [e[1] for e in effects(tmp_path, key)] == ["tried"] * 3
    finally:
        await transport.close()

    gid = str(BackgroundJobType.global_id(job.id))
    data = await api.gql(JOBS, {"state": "DEAD"}, token=owner.access_token)
    nodes = [e["node"] for e in data["backgroundJobs"]["edges"]]
    assert nodes == [
        {
            "id": gid,
            "name": FAIL,
            "state": "DEAD",
            "attempts": 3,
            "maxAttempts": 3,
            "lastError": "RuntimeError: told to fail",
        }
    ]
    assert (await api.gql(JOBS, {"state": "QUEUED"}, token=owner.access_token))["backgroundJobs"][
        "edges"
    ] == []

    # Nobody else retries it: a member is refused, another organization's admin finds nothing.
    r = await api.gql(RETRY, {"i": {"id": gid}}, token=member.access_token)
    assert r["backgroundJobRetry"]["errors"] == [{"code": "FORBIDDEN", "field": None}]
    r = await api.gql(RETRY, {"i": {"id": gid}}, token=stranger.access_token)
    assert r["backgroundJobRetry"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    r = await api.post(JOBS, {"state": "DEAD"}, token=member.access_token)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await api.gql(JOBS, {"state": "DEAD"}, token=stranger.access_token)
    assert other["backgroundJobs"]["edges"] == []

    # The owner retries it; it is due now, so the suite's server runs it, and it succeeds.
    (tmp_path / "fail").unlink()
    r = await api.gql(RETRY, {"i": {"id": gid, "idempotencyKey": key}}, token=owner.access_token)
    assert r["backgroundJobRetry"]["errors"] == []
    assert r["backgroundJobRetry"]["job"]["attempts"] == 0

    async def succeeded() -> bool:
        return (await BackgroundJob.get(id=job.id)).state == JobState.SUCCEEDED

    await eventually(succeeded, what="the retried job succeeding")
    assert [e[1] for e in effects(tmp_path, key)] == ["tried"] * 4 + ["ran"]
    # The same request again answers as the first did; a new one finds it not dead.
    again = await api.gql(
        RETRY, {"i": {"id": gid, "idempotencyKey": key}}, token=owner.access_token
    )
    assert again["backgroundJobRetry"]["errors"] == []
    r = await api.gql(RETRY, {"i": {"id": gid}}, token=owner.access_token)
    assert r["backgroundJobRetry"]["errors"] == [{"code": "JOB_NOT_DEAD", "field": "id"}]
    audit = await api.gql(
        "{ auditLog(first: 5) { nodes { action targetType targetId } } }",
        token=owner.access_token,
    )
    assert {"action": "background_job.retry", "targetType": "BackgroundJob", "targetId": gid} in (
        audit["auditLog"]["nodes"]
    )
