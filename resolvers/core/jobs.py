"""Durable background jobs: what a module registers and enqueues.

- A module registers a handler by name where it owns the work::

      @job_handler("identity.publish_later", max_attempts=5)
      async def publish_later(ctx: JobContext) -> None: ...

  A handler gets a ``JobContext`` (the job's id, attempt, arguments, ``await ctx.progress(done,
  total)``) and must be idempotent by the job's key: a job runs at least once, and twice when a
  worker dies after the work but before it recorded so.
- ``do_enqueue(name, args, key=...)`` writes the job in the caller's open transaction (the
  outbox): it exists if and only if that transaction commits, and after the commit the relay of
  this process looks at once. Enqueuing a (name, key) that exists returns that job.
- ``resolvers/core/job_runner.py`` relays due jobs to taskiq and runs them: retries with
  exponential back-off and full jitter until ``max_attempts``, then DEAD for an admin to retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from adapters.settings import get_settings
from models.jobs import BackgroundJob, JobState
from resolvers.core.clock import now
from resolvers.core.tx import Transaction, transaction

background: ContextVar[str | None] = ContextVar("hello_job_background", default=None)
"""What background work of the engine this code runs for (``relay``, ``job 42``), None in a
request: statements of the relay and of jobs are not a request's (tests count those)."""

MAX_KEY = 200
PROGRESS_INTERVAL_SECONDS = 0.25
"""``ctx.progress`` writes the row at most this often (always the last call, at the end)."""


class JobContext:
    """What a handler knows of its job."""

    def __init__(
        self,
        job: BackgroundJob,
        report: Callable[[int, int | None], Awaitable[None]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job_id: int = job.id
        self.name: str = job.name
        self.key: str = job.key
        self.attempt: int = job.attempts
        self.args: dict[str, Any] = dict(job.args or {})
        self.organization_id: int | None = job.organization_id
        self.requested_by: int | None = job.requested_by_id
        self._report = report
        self._monotonic = monotonic
        self._last_report: float | None = None
        self.pending: tuple[int, int | None] | None = None
        """The latest progress not written yet (the runner writes it with the final state)."""

    async def progress(self, done: int, total: int | None = None) -> None:
        """Report progress: written to the row and published at most every 250 ms, and always
        when ``done`` reaches ``total``; the last report is written when the job ends anyway."""
        self.pending = (done, total)
        t = self._monotonic()
        due = self._last_report is None or t - self._last_report >= PROGRESS_INTERVAL_SECONDS
        if due or (total is not None and done >= total):
            self._last_report = t
            self.pending = None
            await self._report(done, total)


Run = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class Handler:
    name: str
    run: Run
    max_attempts: int | None = None


_handlers: dict[str, Handler] = {}


def job_handler(name: str, *, max_attempts: int | None = None) -> Callable[[Run], Run]:
    """Register ``run`` as the handler of jobs named ``name`` (once per name)."""

    def register(run: Run) -> Run:
        known = _handlers.get(name)
        if known is not None and known.run is not run:
            raise ValueError(f"two job handlers are named {name!r}")
        _handlers[name] = Handler(name, run, max_attempts)
        return run

    return register


def handler_of(name: str) -> Handler | None:
    return _handlers.get(name)


def backoff_seconds(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Exponential back-off with full jitter after failed attempt ``attempt`` (1, 2, ...)."""
    return rand() * min(cap, base * 2 ** max(attempt - 1, 0))


# --- waking the relay ---------------------------------------------------------------------


@dataclass
class _Wakers:
    """The relays of this process (the runner registers its own); told after a commit that
    enqueued or re-queued a job, so it looks at once (or at ``run_at``) instead of at its next
    poll."""

    callbacks: list[Callable[[datetime], None]] = field(default_factory=list)

    def wake(self, at: datetime) -> None:
        for callback in list(self.callbacks):
            callback(at)


wakers = _Wakers()


def wake_after_commit(tx: Transaction, at: datetime) -> None:
    async def nudge() -> None:
        wakers.wake(at)

    tx.after_commit(nudge)


# --- enqueue -------------------------------------------------------------------------------


async def do_enqueue(
    name: str,
    args: dict[str, Any],
    *,
    key: str,
    run_at: datetime | None = None,
    organization_id: int | None = None,
    requested_by: int | None = None,
    max_attempts: int | None = None,
) -> BackgroundJob:
    """The job ``name`` with ``args`` (JSON), run at ``run_at`` (now by default), written in the
    open transaction (or one of its own). The same (name, key) again returns the first job."""
    handler = handler_of(name)
    if handler is None:
        raise LookupError(f"no job handler is named {name!r}")
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"a job key has 1 to {MAX_KEY} characters")
    attempts = max_attempts or handler.max_attempts or get_settings().job_max_attempts
    when = run_at or now()
    async with transaction() as tx:
        existing = await BackgroundJob.get_or_none(name=name, key=key)
        if existing is not None:
            return existing
        try:
            async with transaction():  # a savepoint: a lost race leaves the caller's tx usable
                job = await BackgroundJob.create(
                    name=name,
                    args=args,
                    key=key,
                    run_at=when,
                    organization_id=organization_id,
                    requested_by_id=requested_by,
                    max_attempts=attempts,
                    state=JobState.QUEUED,
                )
        except IntegrityError:
            return await BackgroundJob.get(name=name, key=key)
        wake_after_commit(tx, when)
    return job


async def do_record_result(job_id: int, result: dict[str, Any]) -> None:
    """Record what job ``job_id`` made, in the caller's transaction (the one that made it), so
    a second run of the job finds it done and its final state says what it made."""
    await BackgroundJob.filter(id=job_id).update(result=result)
