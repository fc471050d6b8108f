"""A background job's progress and state, live, until it ends.

The stream opens with the job as it stands (from the database, read after the subscription is
confirmed, so nothing published in between is missed), then yields each progress report and
change of state, and completes after SUCCEEDED or DEAD. Redis down: a ``CATCH_UP`` reads the job
again, so its final state is never missed (progress reports of the outage are)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

from models.jobs import FINAL_STATES, BackgroundJob, JobState
from resolvers.admin.jobs import access_watched_job
from resolvers.core import events
from resolvers.core.channels import job_channel
from resolvers.core.context import Context
from resolvers.core.events import CoreEventKind, JobEvent
from subscriptions.core import CatchUp, subscribed


def _final(event: JobEvent) -> bool:
    return event["type"] == CoreEventKind.JOB_STATE and JobState(event["job"]["state"]) in (
        FINAL_STATES
    )


async def background_job_events(ctx: Context, job_id: int | None) -> AsyncIterator[JobEvent]:
    """For the job's requester and the owners and admins of its organization; anyone else gets
    NOT_FOUND, as for a job that does not exist."""
    job = await access_watched_job(ctx, job_id)
    async with subscribed(job_channel(job.id)) as items:
        first = events.job_state_changed(await BackgroundJob.get(id=job.id))
        yield first
        if _final(first):
            return
        async for item in items:
            if isinstance(item, CatchUp):
                fresh = await BackgroundJob.get_or_none(id=job.id)
                if fresh is None:
                    return
                if JobState(fresh.state) in FINAL_STATES:
                    yield events.job_state_changed(fresh)
                    return
                continue
            event = cast(JobEvent, item)  # what a job's channel carries
            if event["job"]["id"] != job.id:
                continue
            yield event
            if _final(event):
                return
