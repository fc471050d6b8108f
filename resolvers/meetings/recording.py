"""Recording a meeting: ``meetingRecordingStart`` / ``meetingRecordingStop`` and the states a
recording goes through after (``models.meetings.RecordingState``).

RECORDING: the start wrote the row and queued the recorder job (``meetings.record``,
``resolvers.meetings.recorder``) in one transaction. The recorder joins the meeting as a
participant of role RECORDER, writes one file and reports its progress (duration, bytes)
every ``PROGRESS_SECONDS``.

STOPPING: a host stopped it (or the meeting ended): the recorder closes its file, puts it in
the blob store and queues ``meetings.recording_store`` (UPLOADING), which makes it a file in the
host's Drive, in their folder ``Meeting recordings``, shared (viewer) with the organization's
members who attended; READY with ``file_id``. Any failure is FAILED with ``error``.

Every change goes out on the meeting's channel (``events.RecordingChanged``) after commit."""

from __future__ import annotations

from models.meetings import MeetingRecording, RecordingState
from resolvers.core.channels import meeting_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError
from resolvers.core.jobs import do_enqueue
from resolvers.core.tx import Transaction, transaction
from resolvers.meetings.access import access_meeting, require_host
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.events import recording_changed
from resolvers.meetings.state import do_meeting_change

RECORD_JOB = "meetings.record"
STORE_JOB = "meetings.recording_store"
PROGRESS_SECONDS = 2.0
"""How often a running recording reports its duration and size (and looks for a stop in the
database, should the bus have lost the stop event)."""
ACTIVE = (RecordingState.RECORDING, RecordingState.STOPPING)
MAX_ERROR = 500


class RecordingConflict(DomainError):
    code = MeetingsErrorCode.RECORDING_CONFLICT
    default_message = "A recording of this meeting is already running."


def publish(tx: Transaction, r: MeetingRecording) -> None:
    tx.publish(meeting_channel(r.meeting_id), recording_changed(r))


# --- start and stop --------------------------------------------------------------------------


async def check_meeting_recording_start(
    ctx: Context, *, meeting_id: int | None
) -> MeetingRecording:
    actor = await access_meeting(ctx, meeting_id)
    require_host(actor)
    assert actor.user_id is not None  # a host is a member, never a guest
    return await do_meeting_recording_start(actor.meeting.id, actor.user_id)


async def do_meeting_recording_start(meeting_id: int, user_id: int) -> MeetingRecording:
    """The recording row and its recorder job, under the meeting's lock (two hosts pressing
    record at once make one recording)."""
    async with do_meeting_change(meeting_id) as change:
        if await MeetingRecording.exists(meeting_id=meeting_id, state__in=ACTIVE):
            raise RecordingConflict()
        meeting = change.meeting
        r = await MeetingRecording.create(
            meeting_id=meeting_id,
            organization_id=meeting.organization_id,
            started_by_id=user_id,
            state=RecordingState.RECORDING,
        )
        job = await do_enqueue(
            RECORD_JOB,
            {"recordingId": r.id},
            key=f"record:{r.id}",
            organization_id=meeting.organization_id,
            requested_by=user_id,
        )
        r.job_id = job.id
        await r.save(update_fields=["job_id", "updated_at"])
        publish(change.tx, r)
    return r


async def check_meeting_recording_stop(ctx: Context, *, meeting_id: int | None) -> MeetingRecording:
    actor = await access_meeting(ctx, meeting_id)
    require_host(actor)
    return await do_meeting_recording_stop(actor.meeting.id)


async def do_meeting_recording_stop(meeting_id: int) -> MeetingRecording:
    async with do_meeting_change(meeting_id) as change:
        r = await MeetingRecording.filter(
            meeting_id=meeting_id, state=RecordingState.RECORDING
        ).first()
        if r is None:
            raise RecordingConflict("No recording of this meeting is running.")
        await do_recording_stopping(change.tx, r)
    return r


async def do_recording_stopping(tx: Transaction, r: MeetingRecording) -> None:
    """Ask the recorder to stop (the host did, or the meeting ended)."""
    r.state = RecordingState.STOPPING
    r.stopped_at = now()
    await r.save(update_fields=["state", "stopped_at", "updated_at"])
    publish(tx, r)


# --- what the recorder and the store job write -----------------------------------------------


async def do_recording_progress(recording_id: int, duration_ms: int, size: int) -> str | None:
    """Record how long and how big the recording is so far; its state now (None if gone)."""
    async with transaction() as tx:
        r = await MeetingRecording.filter(id=recording_id).select_for_update().first()
        if r is None:
            return None
        if r.state in ACTIVE:
            r.duration_ms, r.bytes = duration_ms, size
            await r.save(update_fields=["duration_ms", "bytes", "updated_at"])
            publish(tx, r)
        return str(r.state)


async def do_recording_closed(
    recording_id: int, *, duration_ms: int, blob: dict[str, object]
) -> None:
    """The file is closed and in the blob store: UPLOADING, and the job that puts it in Drive
    (in one transaction: the job exists iff the state says so)."""
    async with transaction() as tx:
        r = await MeetingRecording.filter(id=recording_id).select_for_update().first()
        if r is None or r.state not in ACTIVE:
            return
        r.state = RecordingState.UPLOADING
        r.duration_ms = duration_ms
        r.bytes = int(str(blob["size"]))
        if r.stopped_at is None:
            r.stopped_at = now()
        job = await do_enqueue(
            STORE_JOB,
            {"recordingId": r.id, **blob},
            key=f"store:{r.id}",
            organization_id=r.organization_id,
            requested_by=r.started_by_id,
        )
        r.job_id = job.id
        await r.save()
        publish(tx, r)


async def do_recording_failed(recording_id: int, error: str) -> None:
    """FAILED with ``error`` (once: a READY or FAILED recording stays as it is)."""
    async with transaction() as tx:
        r = await MeetingRecording.filter(id=recording_id).select_for_update().first()
        if r is None or r.state in (RecordingState.READY, RecordingState.FAILED):
            return
        r.state = RecordingState.FAILED
        r.error = error[:MAX_ERROR]
        if r.stopped_at is None:
            r.stopped_at = now()
        await r.save()
        publish(tx, r)
