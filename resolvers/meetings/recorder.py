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

Mesh: the recorder joins as a participant of role RECORDER (no person, named "Recording", no
attendance), sends a recvonly OFFER to everyone in the meeting through the normal signaling (as
that participant, numbering its signals like ``meetingSignal``) and reads their ANSWERs on its
own participant channel. Someone who joins later offers to it like to everyone there
(mesh rule: the newcomer offers) and it answers; a newcomer that has not offered within
``OFFER_GRACE_SECONDS`` gets an offer from it. SFU: ``sfu.do_sfu_record`` subscribes through
Janus. Either way the tracks go to ``recorder_media``, which writes one MP4 with
aiortc's ``MediaRecorder``."""

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

import orjson

from adapters import runtime
from models.meetings import (
    Meeting,
    MeetingMode,
    MeetingParticipant,
    MeetingRecording,
    MeetingStatus,
    ParticipantRole,
    ParticipantState,
    RecordingState,
)
from resolvers.core.channels import meeting_channel, meeting_participant_channel
from resolvers.core.clock import now
from resolvers.core.errors import DomainError
from resolvers.core.jobs import JobContext, job_handler
from resolvers.drive import storage
from resolvers.meetings.events import (
    MeetingChange,
    MeetingsEventKind,
    MeetingSignal,
    ParticipantChange,
    SignalKind,
)
from resolvers.meetings.ice import ice_servers
from resolvers.meetings.join import MeetingEnded
from resolvers.meetings.presence import do_reap
from resolvers.meetings.recording import (
    ACTIVE,
    PROGRESS_SECONDS,
    RECORD_JOB,
    do_recording_closed,
    do_recording_failed,
    do_recording_progress,
)
from resolvers.meetings.sfu import SfuUnavailable, do_sfu_record
from resolvers.meetings.signal import SEQ_WINDOW_SECONDS, do_relay
from resolvers.meetings.state import do_leave, do_meeting_change

log = logging.getLogger("hello.meetings.recorder")

RECORDER_NAME = "Recording"
OFFER_GRACE_SECONDS = 3.0
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


async def do_recorder_join(meeting_id: int) -> MeetingParticipant:
    """The recorder's participant row, JOINED (with its event; no attendance: it is no
    person)."""
    async with do_meeting_change(meeting_id) as change:
        if change.meeting.status != MeetingStatus.LIVE:
            raise MeetingEnded()
        at = now()
        p = await MeetingParticipant.create(
            meeting_id=meeting_id,
            organization_id=change.meeting.organization_id,
            user_id=None,
            display_name=RECORDER_NAME,
            role=ParticipantRole.RECORDER,
            state=ParticipantState.JOINED,
            session=1,
            joined_at=at,
            last_seen_at=at,
        )
        await change.participant(p, ParticipantChange.JOINED)
    return p


async def do_recorder_leave(p: MeetingParticipant) -> None:
    async with do_meeting_change(p.meeting_id) as change:
        fresh = await MeetingParticipant.get(id=p.id)
        if fresh.state == ParticipantState.JOINED:
            await do_leave(change, fresh)


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
                if self.meeting.mode == MeetingMode.SFU:
                    source = do_sfu_record(
                        self.meeting, lambda track, pid: room.add(pid, track), self.stop
                    )
                else:
                    source = Mesh(self, room).run()
                await self._until_stopped(source, path)
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


class Mesh:
    """The recorder as a mesh participant: one recvonly connection per person."""

    def __init__(self, recorder: Recorder, room: Any) -> None:
        self.recorder = recorder
        self.room = room
        self.meeting_id = recorder.meeting.id
        self.me: MeetingParticipant | None = None
        self.pcs: dict[int, Any] = {}
        self.sessions: dict[int, int] = {}
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _pump(self, channel: str, ready: asyncio.Event) -> None:
        async with runtime.current().bus.subscribe(channel) as sub:
            ready.set()
            async for item in sub.items():
                if isinstance(item, dict):
                    await self.queue.put(item)

    async def _listen(self, channel: str) -> None:
        ready = asyncio.Event()
        self._spawn(self._pump(channel, ready))
        await ready.wait()

    async def run(self) -> None:
        await self._listen(meeting_channel(self.meeting_id))
        self.me = me = await do_recorder_join(self.meeting_id)
        try:
            await self._listen(meeting_participant_channel(self.meeting_id, me.id))
            people = await MeetingParticipant.filter(
                meeting_id=self.meeting_id,
                state=ParticipantState.JOINED,
                role__not=ParticipantRole.RECORDER,
            ).order_by("id")
            for p in people:
                self.sessions[p.id] = p.session
                await self.offer(p.id)
            while not self.recorder.stop.is_set():
                try:
                    event = await asyncio.wait_for(self.queue.get(), 0.5)
                except TimeoutError:
                    continue
                try:
                    await self.handle(event)
                except Exception:  # one peer's bad signal does not end the recording
                    log.warning("recorder: a signal could not be handled", exc_info=True)
        finally:
            for task in list(self.tasks):
                task.cancel()
            for pc in list(self.pcs.values()):
                with contextlib.suppress(Exception):
                    await pc.close()
            with contextlib.suppress(Exception):
                await asyncio.shield(do_recorder_leave(me))

    def _pc(self, other: int) -> Any:
        from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

        pc = self.pcs.get(other)
        if pc is not None:
            return pc
        assert self.me is not None
        servers = [
            RTCIceServer(urls=s.urls, username=s.username, credential=s.credential)
            for s in ice_servers(str(self.me.id))
        ]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers or None))

        @pc.on("track")
        def on_track(track: Any) -> None:
            self.room.add(other, track)

        self.pcs[other] = pc
        return pc

    async def _close(self, other: int) -> None:
        pc = self.pcs.pop(other, None)
        self.room.drop(other)
        if pc is not None:
            await pc.close()

    async def offer(self, other: int) -> None:
        pc = self._pc(other)
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        await self.send(other, SignalKind.OFFER, pc.localDescription.sdp)

    async def send(self, to: int, kind: SignalKind, payload: str) -> None:
        me = self.me
        assert me is not None
        session = self.sessions.get(to, 1)
        key = f"meetings.seq:{me.id}.{me.session}:{to}.{session}"
        seq = await runtime.current().store.hit(key, SEQ_WINDOW_SECONDS)
        event: MeetingSignal = {
            "type": MeetingsEventKind.SIGNAL,
            "meetingId": self.meeting_id,
            "organizationId": self.recorder.meeting.organization_id,
            "fromId": me.id,
            "fromSession": me.session,
            "toId": to,
            "toSession": session,
            "kind": kind,
            "payload": payload,
            "seq": seq,
        }
        await do_relay(event)

    async def handle(self, event: dict[str, Any]) -> None:
        me = self.me
        assert me is not None
        kind = event.get("type")
        if kind == MeetingsEventKind.SIGNAL:
            if event["toId"] == me.id and event["toSession"] == me.session:
                await self.signal(event)
        elif kind == MeetingsEventKind.PARTICIPANT:
            p = event["participant"]
            if p["id"] == me.id:
                if p["state"] != ParticipantState.JOINED:
                    self.recorder.stop.set()  # a host removed the recorder: stop recording
                return
            if p["role"] == ParticipantRole.RECORDER:
                return
            if event["change"] in (ParticipantChange.LEFT, ParticipantChange.REMOVED):
                self.sessions.pop(p["id"], None)
                await self._close(p["id"])
            elif p["state"] == ParticipantState.JOINED and (
                self.sessions.get(p["id"]) != p["session"]
            ):
                await self._close(p["id"])  # a newcomer, or someone on a new device
                self.sessions[p["id"]] = p["session"]
                self._spawn(self._offer_unless_offered(p["id"]))
        elif kind == MeetingsEventKind.MEETING:
            if event["change"] == MeetingChange.ENDED:
                self.recorder.stop.set()
        elif (
            kind == MeetingsEventKind.RECORDING
            and event["recordingId"] == self.recorder.recording.id
            and event["state"] != RecordingState.RECORDING
        ):
            self.recorder.stop.set()

    async def _offer_unless_offered(self, other: int) -> None:
        await asyncio.sleep(OFFER_GRACE_SECONDS)
        if other not in self.pcs and other in self.sessions:
            await self.offer(other)

    async def signal(self, event: dict[str, Any]) -> None:
        from aiortc import RTCSessionDescription
        from aiortc.sdp import candidate_from_sdp

        other, kind, payload = int(event["fromId"]), event["kind"], event["payload"]
        self.sessions[other] = int(event["fromSession"])
        if kind == SignalKind.OFFER or (
            kind == SignalKind.RENEGOTIATE and payload.startswith("v=0")
        ):
            if other in self.pcs and self.pcs[other].signalingState != "stable":
                await self._close(other)  # both offered at once: theirs wins
            pc = self._pc(other)
            await pc.setRemoteDescription(RTCSessionDescription(payload, "offer"))
            for t in pc.getTransceivers():
                t.direction = "recvonly"
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send(other, SignalKind.ANSWER, pc.localDescription.sdp)
        elif kind == SignalKind.ANSWER:
            pc = self.pcs.get(other)
            if pc is not None and pc.signalingState == "have-local-offer":
                await pc.setRemoteDescription(RTCSessionDescription(payload, "answer"))
        elif kind == SignalKind.ICE_CANDIDATE:
            init = orjson.loads(payload)
            pc = self.pcs.get(other)
            if pc is not None and init.get("candidate"):
                candidate = candidate_from_sdp(str(init["candidate"]).removeprefix("candidate:"))
                candidate.sdpMid = init.get("sdpMid")
                candidate.sdpMLineIndex = init.get("sdpMLineIndex")
                await pc.addIceCandidate(candidate)
        elif kind == SignalKind.RENEGOTIATE:
            await self._close(other)
            await self.offer(other)
