"""Admin: the organization's background jobs, and retrying a dead one.

Owners and admins see their organization's jobs (platform jobs, without an organization, are
nobody's here); another organization's job is NOT_FOUND. A job's requester may also watch it
(``backgroundJobEvents``)."""

from __future__ import annotations

from collections.abc import Sequence

from models.identity import Role
from models.jobs import BackgroundJob, JobState
from resolvers.admin.access import require_admin
from resolvers.admin.audit import audit
from resolvers.admin.errors import AdminErrorCode
from resolvers.core import events
from resolvers.core.channels import job_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.core.idempotency import once
from resolvers.core.jobs import wake_after_commit
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction


async def jobs_by_id(ids: list[int]) -> Sequence[BackgroundJob | None]:
    return by_key(await BackgroundJob.filter(id__in=ids), ids)


async def visible_jobs(ctx: Context, ids: list[int]) -> list[BackgroundJob | None]:
    """Jobs as the viewer may see them: owners and admins of the job's organization."""
    principal = ctx.principal
    if principal is None or principal.user.role not in (Role.OWNER, Role.ADMIN):
        return [None] * len(ids)
    found = await ctx.loaders.get(jobs_by_id).load_many(ids)
    return [
        j if j is not None and j.organization_id == principal.organization_id else None
        for j in found
    ]


async def background_jobs(
    ctx: Context, *, state: JobState | None, first: int | None, after: str | None
) -> Page[BackgroundJob]:
    """The organization's jobs, newest first."""
    principal = require_admin(ctx)
    qs = BackgroundJob.filter(organization_id=principal.organization_id)
    if state is not None:
        qs = qs.filter(state=state)
    return await paginate(qs, order=["-id"], first=first, after=after)


async def access_job(ctx: Context, job_id: int | None, *, field: str = "id") -> BackgroundJob:
    """A job of the admin's organization, or NOT_FOUND."""
    principal = require_admin(ctx)
    job = (
        await BackgroundJob.get_or_none(id=job_id, organization_id=principal.organization_id)
        if job_id is not None
        else None
    )
    if job is None:
        raise NotFound(field=field)
    return job


async def access_watched_job(ctx: Context, job_id: int | None) -> BackgroundJob:
    """A job the viewer may watch: one they asked for, or any of their organization's if they
    are an owner or admin. Anything else is NOT_FOUND."""
    principal = require_principal(ctx)
    job = (
        await BackgroundJob.get_or_none(id=job_id, organization_id=principal.organization_id)
        if job_id is not None
        else None
    )
    mine = job is not None and job.requested_by_id == principal.user_id
    if job is None or not (mine or principal.user.role in (Role.OWNER, Role.ADMIN)):
        raise NotFound(field="id")
    return job


async def check_background_job_retry(
    ctx: Context, job_id: int | None, *, idempotency_key: str | None
) -> BackgroundJob:
    principal = require_admin(ctx)

    async def retry() -> BackgroundJob:
        job = await access_job(ctx, job_id)
        if job.state != JobState.DEAD:
            raise DomainError(
                "Only a DEAD job can be retried; this one is not.",
                field="id",
                code=AdminErrorCode.JOB_NOT_DEAD,
            )
        return await do_background_job_retry(ctx, job)

    async def load(pk: int) -> BackgroundJob | None:
        return await BackgroundJob.get_or_none(id=pk, organization_id=principal.organization_id)

    if idempotency_key is None:
        return await retry()
    return await once(
        principal.user_id,
        "backgroundJobRetry",
        idempotency_key,
        retry,
        load,
        input={"id": job_id},
    )


async def do_background_job_retry(ctx: Context, job: BackgroundJob) -> BackgroundJob:
    """Back to QUEUED, due now, with its attempts counted from zero (audited)."""
    at = now()
    async with transaction() as tx:
        won = await BackgroundJob.filter(id=job.id, state=JobState.DEAD).update(
            state=JobState.QUEUED,
            attempts=0,
            run_at=at,
            relayed_at=None,
            lease_until=None,
            finished_at=None,
            updated_at=at,
        )
        if not won:  # another admin retried it first
            raise DomainError(
                "This job is not DEAD any more.", field="id", code=AdminErrorCode.JOB_NOT_DEAD
            )
        fresh = await BackgroundJob.get(id=job.id)
        await audit(
            ctx,
            "background_job.retry",
            "backgroundjob",
            job.id,
            before={"state": JobState.DEAD.value, "attempts": job.attempts},
            after={"state": JobState.QUEUED.value, "attempts": 0},
        )
        tx.publish(job_channel(job.id), events.job_state_changed(fresh))
        wake_after_commit(tx, at)
    return fresh
