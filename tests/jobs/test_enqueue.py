"""Enqueue is the outbox: a job exists if and only if the transaction that asked for it
commits, runs once, and the same key makes one job. The suite's own server runs them (its
lifespan starts the relay and the worker, as ``hello serve`` does)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from models.jobs import BackgroundJob, JobState
from resolvers.core.jobs import do_enqueue
from resolvers.core.tx import transaction
from tests.jobs.handlers import RECORD, effects
from tests.timing import eventually


async def _succeeded(job_id: int) -> bool:
    job = await BackgroundJob.get(id=job_id)
    return job.state == JobState.SUCCEEDED


async def test_a_job_enqueued_in_a_committed_transaction_runs_once(
    server: str, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex
    async with transaction():
        job = await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=key)
        assert job.state == JobState.QUEUED
    await eventually(lambda: _succeeded(job.id), what="the job succeeding")
    assert [e[1] for e in effects(tmp_path, key)] == ["ran"]
    done = await BackgroundJob.get(id=job.id)
    assert done.attempts == 1 and done.finished_at is not None and done.last_error is None
    # Another job after it shows nothing runs it a second time meanwhile.
    marker = uuid.uuid4().hex
    second = await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=marker)
    await eventually(lambda: _succeeded(second.id), what="the marker job succeeding")
    assert [e[1] for e in effects(tmp_path, key)] == ["ran"]


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(
    server: str, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with transaction():
            await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=key)
            raise Abort
    assert not await BackgroundJob.filter(key=key).exists()
    # The relay looks at once after any enqueue; a job after it runs, the rolled-back one not.
    marker = uuid.uuid4().hex
    job = await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=marker)
    await eventually(lambda: _succeeded(job.id), what="the marker job succeeding")
    assert effects(tmp_path, key) == []


async def test_the_same_key_twice_makes_one_job(server: str, tmp_path: Path) -> None:
    key = uuid.uuid4().hex
    async with transaction():
        first = await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=key)
        again = await do_enqueue(RECORD, {"dir": str(tmp_path), "other": 1}, key=key)
    later = await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=key)
    assert first.id == again.id == later.id
    assert await BackgroundJob.filter(name=RECORD, key=key).count() == 1
    await eventually(lambda: _succeeded(first.id), what="the job succeeding")
    assert [e[1] for e in effects(tmp_path, key)] == ["ran"]


async def test_an_unknown_handler_is_refused_at_enqueue(server: str) -> None:
    with pytest.raises(LookupError):
        await do_enqueue("test.nobody", {}, key=uuid.uuid4().hex)
