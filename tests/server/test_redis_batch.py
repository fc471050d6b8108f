"""Redis commands of concurrent callers share one pipeline (``adapters/redis_batch.py``), on
real Redis: each caller gets its own reply or its own error, and a lost connection reaches
every caller of the batch as the error it would have met alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from adapters.redis_batch import Batcher
from tests.services import require_env


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(require_env("HELLO_TEST_REDIS_URL"))
    yield client
    await client.aclose()


async def test_concurrent_commands_share_a_batch_and_get_their_own_replies(redis: Redis) -> None:
    batcher = Batcher(redis)
    key = f"test:{uuid.uuid4().hex}:n"
    try:
        replies = await asyncio.gather(*(batcher.execute("INCR", key) for _ in range(50)))
        # One connection, in the order they were issued: 1, 2, ... 50
        assert replies == list(range(1, 51))
        # A command after another's reply comes after it, batch or not
        assert await batcher.execute("INCR", key) == 51
    finally:
        await redis.delete(key)
        await batcher.close()


async def test_an_error_reply_goes_to_its_caller_alone(redis: Redis) -> None:
    batcher = Batcher(redis)
    key = f"test:{uuid.uuid4().hex}:s"
    try:
        results = await asyncio.gather(
            batcher.execute("SET", key, "text"),
            batcher.execute("INCR", key),  # not an integer: an error reply
            batcher.execute("GET", key),
            return_exceptions=True,
        )
        assert results[0] is True or results[0] == b"OK"
        assert isinstance(results[1], ResponseError)
        assert results[2] == b"text"
    finally:
        await redis.delete(key)
        await batcher.close()


async def test_a_cancelled_caller_leaves_the_others_their_replies(redis: Redis) -> None:
    batcher = Batcher(redis)
    key = f"test:{uuid.uuid4().hex}:c"
    try:
        first = asyncio.ensure_future(batcher.execute("INCR", key))
        second = asyncio.ensure_future(batcher.execute("INCR", key))
        await asyncio.sleep(0)  # both queued
        first.cancel()
        assert await second == 2  # the cancelled one's command was sent all the same
        assert await batcher.execute("GET", key) == b"2"
    finally:
        await redis.delete(key)
        await batcher.close()


async def test_an_unreachable_redis_fails_every_caller_of_the_batch() -> None:
    # A port nothing listens on (the connection is refused at once).
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    batcher = Batcher(client)
    try:
        results = await asyncio.gather(
            *(batcher.execute("PING") for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, RedisConnectionError) for r in results), results
    finally:
        await batcher.close()
        await client.aclose()
