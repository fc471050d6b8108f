"""The transport at scale: taskiq-redis's Redis Streams broker against the suite's Redis, its
stream and consumer group under our key prefix, each id acknowledged once its job has run."""

from __future__ import annotations

import os
import uuid

import pytest
from redis.asyncio import Redis

from adapters.jobs import create_job_transport
from tests.services import require_env
from tests.timing import eventually

pytestmark = pytest.mark.services


async def test_ids_travel_through_a_stream_under_our_prefix_and_are_acknowledged() -> None:
    url = require_env("HELLO_TEST_REDIS_URL")
    prefix = f"{os.environ['HELLO_REDIS_PREFIX']}broker-{uuid.uuid4().hex[:8]}:"
    sender = create_job_transport(url, prefix=prefix)
    receiver = create_job_transport(url, prefix=prefix)
    got: list[int] = []

    async def handle(job_id: int) -> None:
        got.append(job_id)

    redis = Redis.from_url(url)
    try:
        await sender.start()
        await receiver.start()
        receiver.consume(handle)
        for job_id in (7, 8, 9):
            await sender.send(job_id)
        await eventually(lambda: sorted(got) == [7, 8, 9], what="the ids arriving")
        assert [k.decode() async for k in redis.scan_iter(match=f"{prefix}*")] == [f"{prefix}jobs"]
        groups = await redis.xinfo_groups(f"{prefix}jobs")
        assert [g["name"].decode() for g in groups] == [f"{prefix}job-workers"]

        async def acknowledged() -> bool:
            pending = await redis.xpending(f"{prefix}jobs", f"{prefix}job-workers")
            return pending["pending"] == 0

        await eventually(acknowledged, what="every id acknowledged")
    finally:
        await receiver.close()
        await sender.close()
        await redis.delete(f"{prefix}jobs")
        await redis.aclose()
