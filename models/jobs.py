"""Background jobs: the outbox every module enqueues into (resolvers/core/jobs.py).

The database is the source of truth; the broker only carries job ids from the relay to a worker,
so whatever a broker or a process loses, the row is still here and is relayed again."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.identity import Organization


class JobState(StrEnum):
    QUEUED = "QUEUED"
    """Waiting for its ``run_at`` (first run or a retry) or for a worker."""
    RUNNING = "RUNNING"
    """A worker claimed it; ``lease_until`` bounds how long before it counts as crashed."""
    SUCCEEDED = "SUCCEEDED"
    DEAD = "DEAD"
    """Failed ``max_attempts`` times; an admin may retry it."""


FINAL_STATES = (JobState.SUCCEEDED, JobState.DEAD)


class BackgroundJob(Model):
    """One unit of work for a handler, enqueued in the transaction that asked for it."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    """The handler's registered name (identity.publish_later)."""
    args: dict[str, object] = fields.JSONField(default=dict)
    key = fields.CharField(max_length=200)
    """Idempotency: enqueuing a (name, key) that exists returns that job."""
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="background_jobs", on_delete=fields.CASCADE, null=True
    )
    organization_id: int | None
    requested_by_id = fields.BigIntField(null=True)
    state = fields.CharEnumField(JobState, max_length=12, default=JobState.QUEUED)
    run_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=5)
    lease_until = fields.DatetimeField(null=True)
    """RUNNING: when the worker counts as crashed. QUEUED and relayed: when to relay again."""
    relayed_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    progress_done = fields.BigIntField(default=0)
    progress_total = fields.BigIntField(null=True)
    result: dict[str, object] | None = fields.JSONField(null=True)
    """What the job made, for whoever watches it (a doc export: ``{"fileId": …}``), written by
    its handler in the transaction that made it (``jobs.do_record_result``)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "background_job"
        unique_together = (("name", "key"),)
        indexes = (
            # The relay: due QUEUED rows; the reaper: RUNNING rows past their lease.
            ("state", "run_at"),
            ("state", "lease_until"),
            # The admin list: an organization's jobs by state, newest first.
            ("organization_id", "state", "id"),
        )
