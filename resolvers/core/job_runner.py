"""The relay and the worker of background jobs (resolvers/core/jobs.py), in every process.

Relay: every ``job_poll_interval`` seconds, and at once when a commit of this process enqueued
something, it claims due jobs (QUEUED, ``run_at`` passed, never relayed or relayed longer than a
lease ago) with a conditional UPDATE, then sends their ids through taskiq. It also reaps: a
RUNNING job whose lease ran out (its worker died) goes back to QUEUED, or to DEAD once it has
used its attempts. A crash between any two steps loses nothing: an unsent claim expires and the
job is relayed again, so a job may be sent twice but is never forgotten.

Worker: for an id it receives, it claims the row QUEUED -> RUNNING (attempts + 1, a lease it
renews while the handler runs); only the one that wins the row runs the handler. Then SUCCEEDED,
or back to QUEUED after an exponential back-off with full jitter, or DEAD after the last attempt.
Every change of state and every progress report is published on the job's channel.

Time comes from ``clock`` (tests pass a fake one to cross back-offs and leases at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q

from adapters.jobs import JobTransport
from models.jobs import BackgroundJob, JobState
from resolvers.core import clock as clocks
from resolvers.core import events
from resolvers.core.channels import job_channel
from resolvers.core.jobs import JobContext, background, backoff_seconds, handler_of, wakers
from resolvers.core.sql import Statement, dialect
from resolvers.core.tx import transaction

log = logging.getLogger("hello.jobs")

RELAY_BATCH = 100
STOP_GRACE_SECONDS = 5.0
SEND_TIMEOUT_SECONDS = 5.0
MAX_ERROR = 500


@dataclass(frozen=True)
class RunnerConfig:
    poll_interval: float = 1.0
    lease_seconds: float = 300.0
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 3600.0


CLAIM_DUE = Statement(
    "",  # PostgreSQL only (SQLite claims through the ORM)
    postgres="""
UPDATE background_job SET relayed_at = $1, lease_until = $2, updated_at = $1
WHERE id IN (
    SELECT id FROM background_job
    WHERE state = 'QUEUED' AND run_at <= $1 AND (relayed_at IS NULL OR lease_until <= $1)
    ORDER BY run_at, id LIMIT $3
    FOR UPDATE SKIP LOCKED
)
AND state = 'QUEUED' AND (relayed_at IS NULL OR lease_until <= $1)
RETURNING id
""",
)
"""Claim up to $3 due jobs. The outer conditions are checked again on each row as it is
updated, so a row another relay claimed in between is left out either way."""


def _short(error: BaseException) -> str:
    """What the row keeps of a failure: the exception's type and first line, never a
    traceback (arguments and locals may hold secrets)."""
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:MAX_ERROR] if text else type(error).__name__


class JobRunner:
    """The relay loop (``relay=True``) and the worker (``consume=True``) of one process."""

    def __init__(
        self,
        transport: JobTransport,
        config: RunnerConfig,
        *,
        relay: bool = True,
        consume: bool = True,
        clock: Callable[[], datetime] = clocks.now,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.transport = transport
        self.config = config
        self.relay = relay
        self.consume = consume
        self.clock = clock
        self.rand = rand
        self._wake = asyncio.Event()
        self._next_due: datetime | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.transport.start()
        if self.consume:
            self.transport.consume(self.run_job)
        if self.relay:
            wakers.callbacks.append(self.nudge)
            self._loop_task = asyncio.create_task(self._relay_forever(), name="job-relay")

    async def stop(self) -> None:
        if self.nudge in wakers.callbacks:
            wakers.callbacks.remove(self.nudge)
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        # Running jobs get a few seconds to end; those still running are cut off and handed
        # back (``run_job``), so another worker runs them at once rather than after the lease.
        if self._running:
            _, cut = await asyncio.wait(set(self._running), timeout=STOP_GRACE_SECONDS)
            for task in cut:
                task.cancel()
            await asyncio.gather(*cut, return_exceptions=True)
        await self.transport.close()

    def nudge(self, at: datetime | None = None) -> None:
        """Look for due jobs now, or at ``at`` if that is sooner than the next poll."""
        if at is None or at <= self.clock():
            self._wake.set()
            return
        if self._next_due is None or at < self._next_due:
            self._next_due = at
            self._wake.set()  # recompute how long to sleep

    async def _relay_forever(self) -> None:
        background.set("relay")
        while True:
            self._wake.clear()  # before looking: a nudge during the look makes another
            try:
                if len(await self.relay_once()) >= RELAY_BATCH:
                    continue  # more may be due
            except Exception:
                log.exception("relaying background jobs failed; trying again")
            timeout = self.config.poll_interval
            if self._next_due is not None:
                until = (self._next_due - self.clock()).total_seconds()
                if until <= 0:
                    self._next_due = None
                    continue
                timeout = min(timeout, until)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    # --- relay ---------------------------------------------------------------------------------

    async def relay_once(self) -> list[int]:
        """Reap expired leases, claim due jobs and send them; the ids sent."""
        await self.do_reap()
        ids = await self.do_claim_due()
        for i, job_id in enumerate(ids):
            try:
                await asyncio.wait_for(self.transport.send(job_id), SEND_TIMEOUT_SECONDS)
            except Exception as e:
                # The broker is away (Redis down): the claims not sent are given up at once, so
                # the next look sends them again; should even that fail, they expire after a
                # lease.
                log.warning("sending jobs to the broker failed: %r", e)
                with contextlib.suppress(Exception):
                    await self.do_unclaim(ids[i:])
                return ids[:i]
        return ids

    def _relayable(self, at: datetime) -> Q:
        return Q(state=JobState.QUEUED, run_at__lte=at) & (
            Q(relayed_at__isnull=True) | Q(lease_until__lte=at)
        )

    async def do_claim_due(self) -> list[int]:
        """Claim due jobs for relaying, so that of two relays (two processes) exactly one
        claims each; a claim that is never sent expires. PostgreSQL: one statement that skips
        the rows another relay is claiming; SQLite (one writer): a conditional UPDATE per job."""
        at = self.clock()
        lease = at + timedelta(seconds=self.config.lease_seconds)
        if dialect() == "postgres":
            rows = await CLAIM_DUE.execute_query([at, lease, RELAY_BATCH])
            return sorted(int(r["id"]) for r in rows)
        due = (
            await BackgroundJob.filter(self._relayable(at))
            .order_by("run_at", "id")
            .limit(RELAY_BATCH)
            .values_list("id", flat=True)
        )
        claimed = []
        for job_id in due:
            won = await BackgroundJob.filter(self._relayable(at), id=job_id).update(
                relayed_at=at, lease_until=lease, updated_at=at
            )
            if won:
                claimed.append(int(job_id))  # type: ignore[call-overload]
        return claimed

    async def do_unclaim(self, job_ids: list[int]) -> None:
        """Give up claims this relay could not send (no other relay can hold them meanwhile:
        the claims' lease has not ended)."""
        await BackgroundJob.filter(id__in=job_ids, state=JobState.QUEUED).update(
            relayed_at=None, lease_until=None
        )

    async def do_reap(self) -> int:
        """RUNNING jobs whose lease ran out (their worker died): QUEUED again, or DEAD once
        they used their attempts."""
        at = self.clock()
        expired = Q(state=JobState.RUNNING, lease_until__lte=at)
        dead = await BackgroundJob.filter(expired, attempts__gte=F("max_attempts")).update(
            state=JobState.DEAD,
            last_error="The worker running it stopped (lease expired).",
            finished_at=at,
            lease_until=None,
            updated_at=at,
        )
        again = await BackgroundJob.filter(expired).update(
            state=JobState.QUEUED,
            last_error="The worker running it stopped (lease expired).",
            relayed_at=None,
            lease_until=None,
            updated_at=at,
        )
        if dead or again:
            log.warning("reaped %d jobs of stopped workers (%d dead)", dead + again, dead)
        return int(dead) + int(again)

    # --- worker --------------------------------------------------------------------------------

    async def run_job(self, job_id: int) -> None:
        """Run one job if this worker wins it; record how it ended."""
        background.set(f"job {job_id}")  # this task's own context: the worker's task
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        job = await self.do_start(job_id)
        if job is None:
            return  # another worker has it, it is not due, or it is finished
        started = asyncio.get_running_loop().time()
        ctx = JobContext(job, lambda done, total: self.do_progress(job, done, total))
        handler = handler_of(job.name)
        heartbeat = asyncio.create_task(self._renew(job), name=f"job-{job.id}-lease")
        try:
            if handler is None:
                raise LookupError(f"no handler named {job.name!r} in this worker")
            await handler.run(ctx)
        except asyncio.CancelledError:
            # Shutting down: hand the job back at once rather than when its lease ends (and if
            # even that fails, the lease ends and the reaper hands it back).
            with contextlib.suppress(Exception):
                await asyncio.shield(self.do_release(job))
            log.info("job handed back", extra={"job_id": job.id, "job": job.name})
            raise
        except Exception as e:
            await self.do_fail(job, _short(e), ctx.pending)
            outcome = "failed"
        else:
            await self.do_succeed(job, ctx.pending)
            outcome = "succeeded"
        finally:
            heartbeat.cancel()
        # One line per attempt, like a request's; the error's first line only (no arguments).
        log.log(
            logging.INFO if outcome == "succeeded" else logging.WARNING,
            "job %s",
            outcome,
            extra={
                "job_id": job.id,
                "job": job.name,
                "attempt": job.attempts,
                "seconds": round(asyncio.get_running_loop().time() - started, 3),
            },
        )

    async def do_start(self, job_id: int) -> BackgroundJob | None:
        at = self.clock()
        async with transaction() as tx:
            # Relayed and not started: a message older than a retry's back-off (whose row is
            # not relayed until it is due) starts nothing. Not ``run_at <= now``: the relay
            # checked that with its own clock, which may run a little ahead of this one.
            won = await BackgroundJob.filter(
                id=job_id, state=JobState.QUEUED, relayed_at__isnull=False
            ).update(
                state=JobState.RUNNING,
                attempts=F("attempts") + 1,
                lease_until=at + timedelta(seconds=self.config.lease_seconds),
                updated_at=at,
            )
            if not won:
                return None
            job = await BackgroundJob.get(id=job_id)
            tx.publish(job_channel(job.id), events.job_state_changed(job))
        return job

    async def _renew(self, job: BackgroundJob) -> None:
        """Keep the lease of a running job while its handler runs (a crash stops renewing)."""
        every = self.config.lease_seconds / 3
        while True:
            await asyncio.sleep(every)  # a real interval: the lease is real time for the reaper
            try:
                await self.do_renew(job)
            except Exception:
                log.exception("renewing the lease of job %s failed", job.id)

    def _owned(self, job: BackgroundJob) -> Q:
        """The row as long as this attempt holds it (a reaped and re-run job is not ours)."""
        return Q(id=job.id, state=JobState.RUNNING, attempts=job.attempts)

    async def do_renew(self, job: BackgroundJob) -> None:
        at = self.clock()
        await BackgroundJob.filter(self._owned(job)).update(
            lease_until=at + timedelta(seconds=self.config.lease_seconds)
        )

    async def do_release(self, job: BackgroundJob) -> None:
        """Back to QUEUED, due now, this attempt not counted: it was cut off, not failed."""
        at = self.clock()
        await BackgroundJob.filter(self._owned(job)).update(
            state=JobState.QUEUED,
            attempts=F("attempts") - 1,
            run_at=at,
            relayed_at=None,
            lease_until=None,
            updated_at=at,
        )

    async def do_progress(self, job: BackgroundJob, done: int, total: int | None) -> None:
        async with transaction() as tx:
            won = await BackgroundJob.filter(self._owned(job)).update(
                progress_done=done, progress_total=total, updated_at=self.clock()
            )
            if won:
                fresh = await BackgroundJob.get(id=job.id)
                tx.publish(job_channel(job.id), events.job_progress(fresh))

    async def _finish(
        self, job: BackgroundJob, pending: tuple[int, int | None] | None, **changes: object
    ) -> None:
        at = self.clock()
        if pending is not None:
            changes["progress_done"], changes["progress_total"] = pending
        async with transaction() as tx:
            won = await BackgroundJob.filter(self._owned(job)).update(**changes, updated_at=at)
            if won:
                fresh = await BackgroundJob.get(id=job.id)
                tx.publish(job_channel(job.id), events.job_state_changed(fresh))

    async def do_succeed(self, job: BackgroundJob, pending: tuple[int, int | None] | None) -> None:
        await self._finish(
            job,
            pending,
            state=JobState.SUCCEEDED,
            finished_at=self.clock(),
            lease_until=None,
            last_error=None,
        )

    async def do_fail(
        self, job: BackgroundJob, error: str, pending: tuple[int, int | None] | None
    ) -> None:
        at = self.clock()
        if job.attempts >= job.max_attempts:
            await self._finish(
                job,
                pending,
                state=JobState.DEAD,
                finished_at=at,
                lease_until=None,
                last_error=error,
            )
            return
        delay = backoff_seconds(
            job.attempts,
            base=self.config.retry_base_seconds,
            cap=self.config.retry_cap_seconds,
            rand=self.rand,
        )
        run_at = at + timedelta(seconds=delay)
        await self._finish(
            job,
            pending,
            state=JobState.QUEUED,
            run_at=run_at,
            relayed_at=None,
            lease_until=None,
            last_error=error,
        )
        self.nudge(run_at)
