"""Redis is transport, not the source of truth: while it is down the relay cannot send, gives
its claims up and keeps trying; once it is back (empty: no persistence) the worker's receiver
starts again and the job enqueued during the outage runs, once. A ``redis-server`` of the
test's own, killed and started again on the same port."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from tests.jobs.handlers import RECORD, effects
from tests.jobs.procs import deployment
from tests.reliability.cluster import RedisServer
from tests.services import require_env
from tests.timing import eventually

pytestmark = pytest.mark.services


async def test_a_job_enqueued_while_redis_is_down_runs_once_it_is_back(tmp_path: Path) -> None:
    require_env("HELLO_TEST_REDIS_URL")
    redis = RedisServer(tmp_path)
    await redis.start()
    try:
        async with deployment(tmp_path, redis_url=redis.url) as d:
            worker = d.worker()
            warm = uuid.uuid4().hex
            d.script("enqueue", RECORD, warm, str(tmp_path), "0")
            await eventually(lambda: len(effects(tmp_path, warm)) == 1, timeout=30, what="warm-up")
            redis.kill()
            key = uuid.uuid4().hex
            d.script("enqueue", RECORD, key, str(tmp_path), "0")
            await asyncio.sleep(3)  # a real outage: the relay tries and fails meanwhile
            assert (await d.job(key))["state"] == "QUEUED"
            assert effects(tmp_path, key) == []
            await redis.start()

            async def ran() -> bool:
                return (await d.job(key))["state"] == "SUCCEEDED"

            try:
                await eventually(ran, timeout=20, what="the job running after the outage")
            except AssertionError:
                raise AssertionError(d.output()) from None
            assert [(e[1], e[2]) for e in effects(tmp_path, key)] == [("ran", str(worker.pid))]
    finally:
        redis.kill()
