"""Events of what every module shares: background jobs' progress and state changes, on the
job's own channel (``channels.job_channel``), for ``backgroundJobEvents``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard

from models.jobs import BackgroundJob, JobState


class CoreEventKind(StrEnum):
    """The ``type`` of the shared events, as it travels on the bus."""

    JOB_PROGRESS = "job.progress"
    JOB_STATE = "job.state"


class JobSnapshot(TypedDict):
    id: int
    organizationId: int | None
    requestedById: int | None
    name: str
    state: str
    attempts: int
    maxAttempts: int
    runAt: str
    lastError: str | None
    progressDone: int
    progressTotal: int | None
    createdAt: str
    updatedAt: str
    finishedAt: str | None
    result: dict[str, Any] | None


class JobProgress(TypedDict):
    type: Literal[CoreEventKind.JOB_PROGRESS]
    job: JobSnapshot


class JobStateChanged(TypedDict):
    """Started, back to QUEUED for a retry, SUCCEEDED or DEAD (the last two end the stream)."""

    type: Literal[CoreEventKind.JOB_STATE]
    job: JobSnapshot


CoreEvent = JobProgress | JobStateChanged
JobEvent = CoreEvent
"""What a job's channel carries."""

_KINDS = frozenset(CoreEventKind)


def is_core_event(event: Mapping[str, Any]) -> TypeGuard[CoreEvent]:
    return event.get("type") in _KINDS


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_snapshot(job: BackgroundJob) -> JobSnapshot:
    return {
        "id": job.id,
        "organizationId": job.organization_id,
        "requestedById": job.requested_by_id,
        "name": job.name,
        "state": JobState(job.state).value,
        "attempts": job.attempts,
        "maxAttempts": job.max_attempts,
        "runAt": job.run_at.isoformat(),
        "lastError": job.last_error,
        "progressDone": job.progress_done,
        "progressTotal": job.progress_total,
        "createdAt": job.created_at.isoformat(),
        "updatedAt": job.updated_at.isoformat(),
        "finishedAt": _iso(job.finished_at),
        "result": job.result,
    }


def job_progress(job: BackgroundJob) -> JobProgress:
    return {"type": CoreEventKind.JOB_PROGRESS, "job": job_snapshot(job)}


def job_state_changed(job: BackgroundJob) -> JobStateChanged:
    return {"type": CoreEventKind.JOB_STATE, "job": job_snapshot(job)}
