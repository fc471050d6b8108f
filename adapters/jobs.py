"""The job transport: carries job ids from a relay to a worker, through taskiq.

Embedded (no Redis) it is taskiq's in-memory broker: what this process sends, this process runs.
At scale it is taskiq-redis's Redis Streams broker (one stream under our key prefix, one
consumer group, a message acknowledged once its job has run and claimed again by another worker
when one dies holding it): any process sends, any ``hello worker`` receives.

Only ids travel. The job itself (its state, arguments, attempts) is a database row, so a lost or
repeated message costs nothing: the relay sends again what was not run, and a worker runs only a
job it wins the row of (resolvers/core/job_runner.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver
from taskiq_redis import RedisStreamBroker

log = logging.getLogger("hello.jobs")

TASK_NAME = "hello.run_job"
Handle = Callable[[int], Awaitable[None]]
RECONNECT_MIN_SECONDS = 0.2
RECONNECT_MAX_SECONDS = 2.0


class JobTransport:
    """One taskiq task, ``hello.run_job(job_id)``, that hands each id to ``consume``'s handle."""

    def __init__(self, broker: AsyncBroker, *, shared: bool, concurrency: int) -> None:
        self.broker = broker
        self.shared = shared
        """Whether other processes receive what this one sends (Redis) or only this one."""
        self.concurrency = concurrency
        self._handle: Handle | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._started = False

        async def run_job(job_id: int) -> None:
            await self._run(job_id)

        broker.register_task(run_job, task_name=TASK_NAME)

    async def _run(self, job_id: int) -> None:
        handle = self._handle
        if handle is None:  # sent here but this process does not consume: the relay resends
            return
        try:
            await handle(int(job_id))
        except Exception:
            # The row records the failure; the message is acknowledged either way.
            log.exception("running job %s failed", job_id)

    async def start(self) -> None:
        await self.broker.startup()
        self._started = True

    async def send(self, job_id: int) -> None:
        await self.broker.find_task(TASK_NAME).kiq(job_id)  # type: ignore[union-attr]

    def consume(self, handle: Handle) -> None:
        """Run ``handle(job_id)`` for every id received, until ``close``."""
        self._handle = handle
        if not self.shared:
            return  # the in-memory broker runs each task as it is sent
        self.broker.is_worker_process = True
        self._consumer = asyncio.create_task(self._receive_forever(), name="job-consumer")

    async def _receive_forever(self) -> None:
        """taskiq's receiver, started again whenever it stops on an error (Redis went away):
        what was sent meanwhile waits in the stream, and the database has every job anyway."""
        delay = RECONNECT_MIN_SECONDS
        while True:
            started = asyncio.get_running_loop().time()
            try:
                # taskiq's own run_receiver_task restarts at once, for ever, without declaring
                # the consumer group again (a Redis that restarted empty has none): a hot loop.
                receiver = Receiver(
                    self.broker,
                    run_startup=False,
                    max_async_tasks=self.concurrency,
                    ack_type=AcknowledgeType.WHEN_EXECUTED,
                )
                await receiver.listen(asyncio.Event())
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("the job receiver stopped (%s); starting it again", e)
            if asyncio.get_running_loop().time() - started > RECONNECT_MAX_SECONDS:
                delay = RECONNECT_MIN_SECONDS
            await asyncio.sleep(delay)  # a real back-off: waiting for Redis to come back
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)
            with contextlib.suppress(Exception):
                await self.broker.startup()  # the stream and group again, if Redis lost them

    async def close(self) -> None:
        self._handle = None
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._consumer
            self._consumer = None
        if isinstance(self.broker, InMemoryBroker):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.broker.wait_all(), 5)
        if self._started:
            self._started = False
            await self.broker.shutdown()


def create_job_transport(
    redis_url: str | None, *, prefix: str, concurrency: int = 10
) -> JobTransport:
    if not redis_url:
        broker: AsyncBroker = InMemoryBroker(max_async_tasks=concurrency)
        return JobTransport(broker, shared=False, concurrency=concurrency)
    broker = RedisStreamBroker(
        redis_url,
        queue_name=f"{prefix}jobs",
        consumer_group_name=f"{prefix}job-workers",
        # From the stream's start: ids sent before the first worker created the group count.
        consumer_id="0",
        # Acknowledged messages are not needed again; keep the stream about this long.
        maxlen=10_000,
        # A message a dead worker held goes to another after this long (ms). The job's row is
        # relayed again once its lease ends anyway; this only makes it sooner.
        idle_timeout=60_000,
        unacknowledged_lock_timeout=10,
        xread_block=1000,
        max_connection_pool_size=concurrency + 4,
    )
    return JobTransport(broker, shared=True, concurrency=concurrency)
