"""Jobs survive processes: real ``hello serve`` and ``hello worker`` subprocesses over one
database (SQLite embedded, PostgreSQL and Redis Streams on the services stack), stopped,
SIGKILLed and started again. Leases are 2 s here (``HELLO_JOB_LEASE_SECONDS``), so a dead
worker's or relay's job runs again within seconds."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from tests.jobs.handlers import RECORD, WAIT, effects
from tests.jobs.procs import Deployment, deployment, kill, stop
from tests.timing import eventually


async def _succeeded(d: Deployment, key: str) -> bool:
    return (await d.job(key))["state"] == "SUCCEEDED"


async def test_a_job_at_a_time_fires_after_its_scheduler_stopped_and_another_started(
    tmp_path: Path,
) -> None:
    async with deployment(tmp_path) as d:
        first = await d.serve()
        key = uuid.uuid4().hex
        d.script("enqueue", RECORD, key, str(tmp_path), "10")
        run_at = (await d.job(key))["run_at"].timestamp()
        stop(first)  # before the job's time
        assert time.time() < run_at, "the machine was too slow to stop the server in time"
        assert effects(tmp_path, key) == []
        d.worker()
        try:
            await eventually(lambda: _succeeded(d, key), timeout=30, what="the job running")
        except AssertionError:
            raise AssertionError(d.output()) from None
        [ran] = effects(tmp_path, key)
        fired = float(ran[3])
        assert run_at <= fired <= run_at + 5, (fired - run_at, d.output())


async def test_a_worker_killed_mid_job_leaves_it_to_another_which_completes_it_once(
    tmp_path: Path,
) -> None:
    async with deployment(tmp_path) as d:
        doomed = d.worker()
        key = uuid.uuid4().hex
        d.script("enqueue", WAIT, key, str(tmp_path), "0")
        await eventually(lambda: len(effects(tmp_path, key)) == 1, timeout=30, what="a start")
        assert effects(tmp_path, key)[0][1:3] == ["started", str(doomed.pid)]
        kill(doomed)
        (tmp_path / "release").touch()
        survivor = d.worker()
        try:
            await eventually(lambda: _succeeded(d, key), timeout=30, what="the job completing")
        except AssertionError:
            raise AssertionError(d.output()) from None
        lines = [(e[1], e[2]) for e in effects(tmp_path, key)]
        assert lines == [
            ("started", str(doomed.pid)),
            ("started", str(survivor.pid)),
            ("ran", str(survivor.pid)),
        ]
        assert (await d.job(key))["attempts"] == 2


async def test_a_relay_that_dies_between_claim_and_send_loses_nothing(tmp_path: Path) -> None:
    async with deployment(tmp_path) as d:
        key = uuid.uuid4().hex
        out = d.script("enqueue", RECORD, key, str(tmp_path), "0", "--claim")
        job_id = int(out.split()[0])
        assert f"claimed [{job_id}]" in out
        claimed = await d.job(key)
        assert claimed["state"] == "QUEUED" and claimed["relayed_at"] is not None
        d.worker()  # its relay sees the claim and leaves it until the claim's lease is over
        try:
            await eventually(lambda: _succeeded(d, key), timeout=30, what="the job running")
        except AssertionError:
            raise AssertionError(d.output()) from None
        assert [e[1] for e in effects(tmp_path, key)] == ["ran"]
        assert (await d.job(key))["attempts"] == 1


async def test_a_worker_stopped_with_sigterm_hands_its_running_job_back(tmp_path: Path) -> None:
    async with deployment(tmp_path) as d:
        leaving = d.worker()
        key = uuid.uuid4().hex
        d.script("enqueue", WAIT, key, str(tmp_path), "0")
        await eventually(lambda: len(effects(tmp_path, key)) == 1, timeout=30, what="a start")
        stop(leaving)  # SIGTERM: a few seconds' grace, then the job is cut off and handed back
        handed_back = await d.job(key)
        assert handed_back["state"] == "QUEUED" and handed_back["attempts"] == 0, d.output()
        (tmp_path / "release").touch()
        d.worker()
        await eventually(lambda: _succeeded(d, key), timeout=30, what="the job completing")
        assert [e[1] for e in effects(tmp_path, key)] == ["started", "started", "ran"]
        assert (await d.job(key))["attempts"] == 1


async def test_a_server_without_a_worker_leaves_its_jobs_to_a_worker(tmp_path: Path) -> None:
    """``hello serve --no-worker`` runs nothing (at scale it relays, embedded it leaves even
    that to the worker); a ``hello worker`` started later runs what was enqueued before it."""
    async with deployment(tmp_path) as d:
        server = await d.serve("--no-worker")
        key = uuid.uuid4().hex
        d.script("enqueue", RECORD, key, str(tmp_path), "0")
        worker = d.worker()
        try:
            await eventually(lambda: _succeeded(d, key), timeout=30, what="the job running")
        except AssertionError:
            raise AssertionError(d.output()) from None
        assert [(e[1], e[2]) for e in effects(tmp_path, key)] == [("ran", str(worker.pid))]
        assert server.poll() is None
