"""The recorder: the background job ``meetings.record`` that records one meeting, from the
moment a host starts recording until one stops it or the meeting ends.

Which runner: an ordinary job. A recording runs for minutes or hours, and the job runner
renews a running job's lease every third of ``job_lease_seconds`` for as long as the handler
runs (``JobRunner._renew``), so a long job keeps its lease; what it cannot do is survive its
process. A recorder's media (its WebRTC connections, the file it is writing) live in that
process, so a recording is not resumable: when the process dies its lease runs out, the relay's
reaper queues the job again, and the second attempt (``max_attempts=2``) finds the recording
still RECORDING and makes it FAILED ("the recorder stopped"). A server that shuts down cleanly
cancels the job: the recording is FAILED at once rather than after a lease.

Mesh: the recorder joins as a participant of role RECORDER and signals like any other
(``recorder_mesh``); if the meeting moves to the SFU it goes on through it. SFU:
``sfu.do_sfu_record`` subscribes through Janus. Either way the tracks go to
``recorder_media``, which writes one MP4 with aiortc's ``MediaRecorder``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

from adapters import runtime
from models.meetings import (
    Meeting,
    MeetingMode,
    MeetingRecording,
    MeetingStatus,
    RecordingState,
)
from resolvers.core.errors import DomainError
from resolvers.core.jobs import JobContext, job_handler
from resolvers.drive import storage
from resolvers.meetings.join import MeetingEnded
from resolvers.meetings.presence import do_reap
from resolvers.meetings.recorder_mesh import Mesh
from resolvers.meetings.recording import (
    ACTIVE,
    PROGRESS_SECONDS,
    RECORD_JOB,
    do_recording_closed,
    do_recording_failed,
    do_recording_progress,
)
from resolvers.meetings.sfu import SfuUnavailable, do_sfu_record

log = logging.getLogger("hello.meetings.recorder")

CONTENT_TYPE = "video/mp4"
DIED = (
    "The recorder stopped unexpectedly (its process ended) and what it recorded is lost; "
    "start recording again."
)


@job_handler(RECORD_JOB, max_attempts=2)
async def run_recorder(ctx: JobContext) -> None:
    recording_id = int(str(ctx.args["recordingId"]))
    r = await MeetingRecording.get_or_none(id=recording_id)
    if r is None or r.state not in ACTIVE:
        return  # done (a second delivery of the job), or failed meanwhile
    if ctx.attempt > 1:
        await do_recording_failed(recording_id, DIED)
        return
    if r.state == RecordingState.STOPPING:
        await do_recording_failed(recording_id, "Stopped before the recorder started.")
        return
    meeting = await Meeting.get(id=r.meeting_id)
    try:
        await Recorder(r, meeting).run()
    except asyncio.CancelledError:
        await asyncio.shield(
            do_recording_failed(recording_id, "The server stopped during the recording.")
        )
        raise
    except SfuUnavailable as e:
        await do_recording_failed(
            recording_id, f"The recorder could not reach the media server (SFU): {e.message}"
        )
    except MeetingEnded:
        await do_recording_failed(recording_id, "The meeting ended before recording began.")
    except DomainError as e:  # the file is larger than Drive takes, say
        await do_recording_failed(recording_id, f"The recording failed: {e.message}")
    except Exception as e:
        log.exception("recording %s failed", recording_id)
        await do_recording_failed(recording_id, f"The recorder failed: {type(e).__name__}.")


def _size(path: str) -> int:
    return os.path.getsize(path) if os.path.exists(path) else 0


async def _chunks(path: str) -> AsyncIterator[bytes]:
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, 1 << 20):
            yield chunk
    finally:
        f.close()


class Recorder:
    def __init__(self, recording: MeetingRecording, meeting: Meeting) -> None:
        self.recording = recording
        self.meeting = meeting
        self.stop = asyncio.Event()
        started = recording.started_at
        if started.tzinfo is None:  # stored as UTC
            started = started.replace(tzinfo=UTC)
        self.origin = started.timestamp()

    async def run(self) -> None:
        # aiortc (and PyAV, FFmpeg) load only in a process that records.
        from aiortc.contrib.media import MediaRecorder

        from resolvers.meetings.recorder_media import GridTrack, MixTrack, Room

        folder = tempfile.mkdtemp(prefix="hello-recording-")
        path = os.path.join(folder, "recording.mp4")
        room = Room()
        try:
            media = MediaRecorder(path, format="mp4")
            media.addTrack(GridTrack(room, self.origin))
            media.addTrack(MixTrack(room, self.origin))
            await media.start()
            try:
                await self._until_stopped(self._media(room), path)
            finally:
                await media.stop()  # closes the file
                await room.close()
            duration_ms = int((time.time() - self.origin) * 1000)
            settings = runtime.current().settings
            staged = await storage.stage(
                self.recording.organization_id,
                _chunks(path),
                max_bytes=settings.drive_max_file_bytes,
            )
            blob = {"blobKey": staged.key, "size": staged.size, "sha256": staged.sha256}
            await do_recording_closed(self.recording.id, duration_ms=duration_ms, blob=blob)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    async def _media(self, room: Any) -> None:
        """Receive the meeting's media into ``room`` until a stop: as a mesh participant,
        then through the SFU if the meeting moves there (or through it from the start)."""
        if self.meeting.mode != MeetingMode.SFU:
            mesh = Mesh(self, room)
            await mesh.run()
            if not mesh.moved:
                return
        meeting = await Meeting.get(id=self.meeting.id)  # with its Janus room now
        await do_sfu_record(meeting, lambda track, pid: room.add(pid, track), self.stop)

    async def _until_stopped(self, source: Any, path: str) -> None:
        """Run ``source`` (the mesh or the SFU) and report progress until a stop; a source
        that fails fails the recording."""
        task: asyncio.Task[None] = asyncio.ensure_future(source)
        try:
            while not self.stop.is_set():
                waiter = asyncio.ensure_future(self.stop.wait())
                done, _ = await asyncio.wait(
                    {task, waiter}, timeout=PROGRESS_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                if task in done:
                    task.result()  # raises what the source raised
                    break
                size = await asyncio.to_thread(_size, path)
                duration_ms = int((time.time() - self.origin) * 1000)
                state = await do_recording_progress(self.recording.id, duration_ms, size)
                # Like any participant's heartbeat, take out those nobody has seen for a while:
                # a meeting whose people all vanished ends, and its recording with it.
                await do_reap(self.meeting.id)
                # The database is the truth: a stop whose event the bus lost is seen here.
                ended = await Meeting.filter(
                    id=self.meeting.id, status=MeetingStatus.ENDED
                ).exists()
                if state != RecordingState.RECORDING or ended:
                    self.stop.set()
        finally:
            self.stop.set()
            if not task.done():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), 5)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
