"""Admin: background jobs of the organization (resolvers/core/jobs.py), retrying dead ones, and
watching one live."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, decode_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.core.shared_events import shared_event
from graphql_schema.drive.types import File
from models import jobs as m
from resolvers.admin import jobs as actions
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.errors import CoreErrorCode
from resolvers.core.events import CoreEventKind, JobEvent, JobSnapshot
from resolvers.drive.access import visible_items
from subscriptions import jobs as live


@strawberry.enum(description="Where a background job stands.")
class BackgroundJobState(Enum):
    QUEUED = strawberry.enum_value(
        "QUEUED", description="Waiting for its time (`runAt`, a first run or a retry)."
    )
    RUNNING = strawberry.enum_value("RUNNING", description="A worker is running it.")
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="Done.")
    DEAD = strawberry.enum_value(
        "DEAD",
        description="Failed every attempt (`lastError` says how the last one failed); "
        "`backgroundJobRetry` runs it again.",
    )


def _file_of(result: dict[str, object] | None) -> int | None:
    file_id = (result or {}).get("fileId")
    return file_id if isinstance(file_id, int) else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


@strawberry.type(
    description="Work Hello does later, outside a request (a delayed notice, a reminder), "
    "kept in the database until it has run."
)
class BackgroundJob(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(
        description="What it does: its handler, e.g. `identity.publish_later`."
    )
    state: BackgroundJobState = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Attempts started so far.")
    max_attempts: int = strawberry.field(description="Attempts before it is DEAD.")
    run_at: datetime = strawberry.field(
        description="When it runs (next): its time, or after a failure the end of its back-off."
    )
    last_error: str | None = strawberry.field(
        description="How the latest failed attempt failed (the error's type and first line)."
    )
    progress_done: int = strawberry.field(description="Work done, as the job last reported.")
    progress_total: int | None = strawberry.field(
        description="Work in all, if the job said; null when it does not know."
    )
    created_at: datetime = strawberry.field(description="When it was enqueued (UTC).")
    updated_at: datetime = strawberry.field(description="When its row last changed (UTC).")
    finished_at: datetime | None = strawberry.field(
        description="When it SUCCEEDED or became DEAD (UTC)."
    )
    organization_id: strawberry.Private[int | None]
    result_file_id: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The Drive file the job made (a doc export), once it SUCCEEDED; null for "
        "other jobs, before that, and when you cannot see the file."
    )
    async def result_file(self, info: Info) -> File | None:
        if self.result_file_id is None:
            return None
        item = (await visible_items(info.context, [self.result_file_id]))[0]
        return File.from_model(item) if item is not None else None

    @classmethod
    def from_model(cls, job: m.BackgroundJob) -> BackgroundJob:
        return cls(
            id=job.id,
            name=job.name,
            state=BackgroundJobState(m.JobState(job.state).value),
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            run_at=job.run_at,
            last_error=job.last_error,
            progress_done=job.progress_done,
            progress_total=job.progress_total,
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
            organization_id=job.organization_id,
            result_file_id=_file_of(job.result),
        )

    @classmethod
    def from_snapshot(cls, job: JobSnapshot) -> BackgroundJob:
        return cls(
            id=job["id"],
            name=job["name"],
            state=BackgroundJobState(job["state"]),
            attempts=job["attempts"],
            max_attempts=job["maxAttempts"],
            run_at=datetime.fromisoformat(job["runAt"]),
            last_error=job["lastError"],
            progress_done=job["progressDone"],
            progress_total=job["progressTotal"],
            created_at=datetime.fromisoformat(job["createdAt"]),
            updated_at=datetime.fromisoformat(job["updatedAt"]),
            finished_at=_time(job["finishedAt"]),
            organization_id=job["organizationId"],
            result_file_id=_file_of(job.get("result")),
        )

    fetch_visible = staticmethod(actions.visible_jobs)


@strawberry.enum(description="What a `BackgroundJobEvent` reports.")
class BackgroundJobEventKind(Enum):
    PROGRESS = strawberry.enum_value("PROGRESS", description="The job reported progress.")
    STATE = strawberry.enum_value(
        "STATE",
        description="The job as it stands (the stream's first event) or changed state; after "
        "SUCCEEDED or DEAD the stream completes.",
    )


@strawberry.type(description="One event of `backgroundJobEvents`.")
class BackgroundJobEvent:
    kind: BackgroundJobEventKind = strawberry.field(description="What happened.")
    job: BackgroundJob = strawberry.field(description="The job after it.")


def _to_graphql(event: JobEvent) -> BackgroundJobEvent:
    kind = (
        BackgroundJobEventKind.PROGRESS
        if event["type"] == CoreEventKind.JOB_PROGRESS
        else BackgroundJobEventKind.STATE
    )
    return BackgroundJobEvent(kind=kind, job=BackgroundJob.from_snapshot(event["job"]))


# --- errors, inputs, payloads ---------------------------------------------------------------


@strawberry.enum(description="Why `backgroundJobRetry` failed.")
class BackgroundJobRetryErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "No job of your organization has this ID (another organization's answers alike).",
    )
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "Only the owner and admins retry jobs.")
    JOB_NOT_DEAD = error_code(
        AdminErrorCode.JOB_NOT_DEAD, "Only a DEAD job can be retried; this one is not."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `backgroundJobRetry` failed.")
class BackgroundJobRetryError(MutationError):
    code: BackgroundJobRetryErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="The dead job to run again.")
class BackgroundJobRetryInput:
    id: strawberry.ID = strawberry.field(description="The job's global ID.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry of this request with the same key (1 to 128 characters) returns "
        "the job as the first one left it, instead of JOB_NOT_DEAD.",
    )


@strawberry.type(description="The result of `backgroundJobRetry`.")
class BackgroundJobRetryPayload:
    job: BackgroundJob | None = strawberry.field(default=None, description="The job, QUEUED.")
    errors: list[BackgroundJobRetryError] = strawberry.field(description="Why it was not.")


@strawberry.type
class BackgroundJobsQuery:
    @strawberry.field(
        description="The organization's background jobs, newest first. Owner and admins only.",
        directives=needs("admin:read"),
    )
    async def background_jobs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        state: Annotated[
            BackgroundJobState | None,
            strawberry.argument(description="Only jobs in this state (DEAD: those to retry)."),
        ] = None,
    ) -> Connection[BackgroundJob]:
        page = await actions.background_jobs(
            info.context,
            state=m.JobState(state.name) if state else None,
            first=first,
            after=after,
        )
        return connection(page, BackgroundJob.from_model)


@strawberry.type
class BackgroundJobsMutation:
    @strawberry.mutation(
        description="Run a DEAD job again (owner and admins): QUEUED, due now, its attempts "
        "counted from zero. Audited.",
        directives=needs("admin:write"),
    )
    async def background_job_retry(
        self,
        info: Info,
        input: Annotated[BackgroundJobRetryInput, strawberry.argument(description="Which job.")],
    ) -> BackgroundJobRetryPayload:
        return await mutate(
            BackgroundJobRetryPayload,
            BackgroundJobRetryError,
            actions.check_background_job_retry(
                info.context,
                decode_id(input.id, "BackgroundJob"),
                idempotency_key=input.idempotency_key,
            ),
            lambda job: {"job": BackgroundJob.from_model(job)},
        )


@strawberry.type
class BackgroundJobsSubscription:
    @strawberry.subscription(
        description="A background job live: first the job as it stands, then its progress and "
        "changes of state; completes once it SUCCEEDED or is DEAD. For the person who started "
        "it and the organization's owner and admins (anyone else: NOT_FOUND).",
        directives=needs("jobs:read"),
    )
    async def background_job_events(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's global ID.")],
    ) -> AsyncGenerator[BackgroundJobEvent, None]:
        async for event in live.background_job_events(info.context, decode_id(id, "BackgroundJob")):
            yield shared_event(info, event, _to_graphql)
