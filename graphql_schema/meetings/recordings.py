"""Root fields of recording and history: ``meetingRecordingStart``/``Stop``, the recording
event of ``meetingEvents`` and ``meetingHistory``."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.node import global_id, require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.meetings.types import Meeting, MeetingRecording, RecordingStateEnum
from resolvers.core.errors import CoreErrorCode
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.events import RecordingChanged
from resolvers.meetings.history import meeting_history
from resolvers.meetings.recording import (
    check_meeting_recording_start,
    check_meeting_recording_stop,
)

MEETING_ID = strawberry.argument(description="The meeting (its global ID).")
NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The meeting does not exist or you cannot see it (the two answer alike).",
)
NOT_IN_MEETING = error_code(
    MeetingsErrorCode.NOT_IN_MEETING, "You are not in the meeting now: join it first."
)
FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "Only the host and co-hosts record.")


@strawberry.type(
    description="A recording started, progressed (duration and size every few seconds), "
    "stopped, became a Drive file (READY: see `recording.file`) or failed (see `error`)."
)
class MeetingRecordingEvent:
    recording_id: strawberry.ID = strawberry.field(description="The recording.")
    state: RecordingStateEnum = strawberry.field(description="Where it stands.")
    duration_ms: int | None = strawberry.field(description="Recorded so far, in milliseconds.")
    bytes: float = strawberry.field(description="Its size so far.")
    file_id: strawberry.ID | None = strawberry.field(description="The Drive file, once READY.")
    error: str | None = strawberry.field(description="Why it failed.")


def to_recording_event(event: RecordingChanged) -> MeetingRecordingEvent:
    file_id = event["fileId"]
    return MeetingRecordingEvent(
        recording_id=global_id("MeetingRecording", event["recordingId"]),
        state=RecordingStateEnum[event["state"]],
        duration_ms=event["durationMs"],
        bytes=float(event["bytes"]),
        file_id=global_id("File", file_id) if file_id is not None else None,
        error=event["error"],
    )


@strawberry.enum(description="Why `meetingRecordingStart` failed.")
class MeetingRecordingStartErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    RECORDING_CONFLICT = error_code(
        MeetingsErrorCode.RECORDING_CONFLICT, "A recording of this meeting is running already."
    )


@strawberry.type(description="A reason why `meetingRecordingStart` failed.")
class MeetingRecordingStartError(MutationError):
    code: MeetingRecordingStartErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `meetingRecordingStart`.")
class MeetingRecordingStartPayload:
    recording: MeetingRecording | None = strawberry.field(
        default=None, description="The recording, RECORDING."
    )
    errors: list[MeetingRecordingStartError] = strawberry.field(description="Why it did not start.")


@strawberry.enum(description="Why `meetingRecordingStop` failed.")
class MeetingRecordingStopErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    RECORDING_CONFLICT = error_code(
        MeetingsErrorCode.RECORDING_CONFLICT, "No recording of this meeting is running."
    )


@strawberry.type(description="A reason why `meetingRecordingStop` failed.")
class MeetingRecordingStopError(MutationError):
    code: MeetingRecordingStopErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `meetingRecordingStop`.")
class MeetingRecordingStopPayload:
    recording: MeetingRecording | None = strawberry.field(
        default=None, description="The recording, STOPPING: the file closes and goes to Drive."
    )
    errors: list[MeetingRecordingStopError] = strawberry.field(description="Why it did not stop.")


@strawberry.type
class MeetingRecordingsQuery:
    @strawberry.field(
        description="The meetings you took part in, newest start first, for reports: each "
        "with `startedAt`, `endedAt`, `durationSeconds` and `attendance`.",
        directives=needs("meetings:read"),
    )
    async def meeting_history(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Meeting]:
        page = await meeting_history(info.context, first=first, after=after)
        return connection(page, Meeting.from_model)


@strawberry.type
class MeetingRecordingsMutation:
    @strawberry.mutation(
        description="Start recording a meeting you host (or co-host) and are in: a recorder "
        "joins it and the recording lands in your Drive when stopped.",
        directives=needs("meetings:write"),
    )
    async def meeting_recording_start(
        self, info: Info, meeting_id: Annotated[strawberry.ID, MEETING_ID]
    ) -> MeetingRecordingStartPayload:
        action = check_meeting_recording_start(
            info.context, meeting_id=require_id(meeting_id, "Meeting", "meetingId")
        )
        return await mutate(
            MeetingRecordingStartPayload,
            MeetingRecordingStartError,
            action,
            lambda r: {"recording": MeetingRecording.from_model(r)},
        )

    @strawberry.mutation(
        description="Stop the running recording of a meeting you host (or co-host) and are "
        "in; it becomes READY once stored in Drive.",
        directives=needs("meetings:write"),
    )
    async def meeting_recording_stop(
        self, info: Info, meeting_id: Annotated[strawberry.ID, MEETING_ID]
    ) -> MeetingRecordingStopPayload:
        action = check_meeting_recording_stop(
            info.context, meeting_id=require_id(meeting_id, "Meeting", "meetingId")
        )
        return await mutate(
            MeetingRecordingStopPayload,
            MeetingRecordingStopError,
            action,
            lambda r: {"recording": MeetingRecording.from_model(r)},
        )
