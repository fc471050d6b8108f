"""The job ``meetings.recording_store``: a closed recording (its bytes staged in the blob store
by the recorder) becomes a file in the host's Drive, the way Drive stores any server-made file
(``drive.storage.store_file``, as a doc export does): in the host's folder
``Meeting recordings`` (made on first use), named after the meeting and when it was recorded
(a taken name gets a suffix), shared as VIEWER with each member of the organization who
attended the meeting (guests have no Drive). READY with the file, in the same transaction, so a
second run of the job finds it done. A job that fails its last attempt makes the recording
FAILED and deletes the staged bytes."""

from __future__ import annotations

from models.drive import DriveItem, DriveRole, GranteeKind, ItemKind
from models.identity import User
from models.jobs import BackgroundJob
from models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingParticipant,
    MeetingRecording,
    RecordingState,
)
from resolvers.core.jobs import JobContext, do_record_result, job_handler
from resolvers.core.tx import transaction
from resolvers.drive import events, names, placement, storage
from resolvers.drive.sharing import do_file_share
from resolvers.meetings.recording import STORE_JOB, do_recording_failed, publish

FOLDER_NAME = "Meeting recordings"
CONTENT_TYPE = "video/mp4"


def file_name(meeting: Meeting, r: MeetingRecording) -> str:
    topic = " ".join(meeting.topic.split()) or f"Meeting {meeting.number}"
    topic = topic.replace("/", "-").replace("\\", "-")[:180]
    return f"{topic} {r.started_at:%Y-%m-%d %H.%M} UTC.mp4"


async def attendees(meeting: Meeting) -> list[int]:
    """The organization's members who attended (every interval counts), by user id."""
    participant_ids = await MeetingAttendance.filter(meeting_id=meeting.id).values_list(
        "participant_id", flat=True
    )
    user_ids = await MeetingParticipant.filter(
        id__in=list(set(participant_ids)), user_id__isnull=False
    ).values_list("user_id", flat=True)
    members = await User.filter(
        id__in=list(set(user_ids)), organization_id=meeting.organization_id
    ).values_list("id", flat=True)
    return sorted(int(str(u)) for u in members)


async def do_recordings_folder(host: User) -> DriveItem:
    """The host's ``Meeting recordings`` folder in their root, made on first use."""
    root = await placement.root_folder(host)
    found = await DriveItem.filter(
        live_parent_id=root.id, kind=ItemKind.FOLDER, name_key=names.name_key(FOLDER_NAME)
    ).first()
    if found is not None:
        return found
    async with transaction() as tx:
        folder = await placement.insert_item(
            parent=root,
            name=FOLDER_NAME,
            kind=ItemKind.FOLDER,
            owner_id=host.id,
            on_conflict=names.OnConflict.RENAME,
        )
        await events.publish_change(tx, events.Change.CREATED, folder, host.id)
    return folder


@job_handler(STORE_JOB, max_attempts=5)
async def run_recording_store(ctx: JobContext) -> None:
    recording_id = int(str(ctx.args["recordingId"]))
    staged = storage.Staged(
        str(ctx.args["blobKey"]), int(str(ctx.args["size"])), str(ctx.args["sha256"])
    )
    r = await MeetingRecording.get_or_none(id=recording_id)
    if r is None or r.state != RecordingState.UPLOADING:
        return  # stored by an earlier run (or failed)
    try:
        await do_recording_store(ctx.job_id, r, staged)
    except Exception as e:
        job = await BackgroundJob.get(id=ctx.job_id)
        if job.attempts >= job.max_attempts:
            await do_recording_failed(
                recording_id, f"The recording could not be stored in Drive: {e}"
            )
            await storage.blobs().delete(staged.key)
        raise


async def do_recording_store(job_id: int, r: MeetingRecording, staged: storage.Staged) -> None:
    meeting = await Meeting.get(id=r.meeting_id)
    host = await User.get(id=meeting.host_id)
    folder = await do_recordings_folder(host)
    shared_with = [u for u in await attendees(meeting) if u != host.id]
    async with transaction() as tx:
        fresh = await MeetingRecording.filter(id=r.id).select_for_update().get()
        if fresh.state != RecordingState.UPLOADING:
            return  # another run stored it meanwhile
        item, _ = await storage.store_file(
            tx,
            folder=folder,
            name=names.check_name(file_name(meeting, r)),
            content_type=CONTENT_TYPE,
            staged=staged,
            user_id=host.id,
            on_conflict=names.OnConflict.RENAME,
        )
        await events.publish_change(tx, events.Change.CREATED, item, host.id)
        for user_id in shared_with:
            await do_file_share(item, GranteeKind.USER, user_id, DriveRole.VIEWER, host.id)
        fresh.state = RecordingState.READY
        fresh.file_id = item.id
        await fresh.save()
        publish(tx, fresh)
        await do_record_result(job_id, {"fileId": item.id, "recordingId": r.id})
