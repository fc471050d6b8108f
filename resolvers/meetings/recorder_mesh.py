"""The recorder as a participant of a mesh meeting (``resolvers.meetings.recorder``): it
joins with role RECORDER (no person, named "Recording", no attendance), sends a recvonly OFFER
to everyone there through the normal signaling (as that participant, numbering its signals as
``meetingSignal`` does) and reads their ANSWERs on its own participant channel. Someone who
joins later offers to it like to everyone there (the mesh rule: the newcomer offers) and it
answers; a newcomer who has not offered within ``OFFER_GRACE_SECONDS`` gets its offer. Both
offering at once: theirs wins. The tracks it receives go to ``recorder_media.Room``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson

from adapters import runtime
from models.meetings import (
    MeetingMode,
    MeetingParticipant,
    MeetingStatus,
    ParticipantRole,
    ParticipantState,
    RecordingState,
)
from resolvers.core.channels import meeting_channel, meeting_participant_channel
from resolvers.core.clock import now
from resolvers.meetings.events import (
    MeetingChange,
    MeetingsEventKind,
    MeetingSignal,
    ParticipantChange,
    SignalKind,
)
from resolvers.meetings.ice import ice_servers
from resolvers.meetings.join import MeetingEnded
from resolvers.meetings.signal import SEQ_WINDOW_SECONDS, do_relay
from resolvers.meetings.state import do_leave, do_meeting_change

if TYPE_CHECKING:
    from resolvers.meetings.recorder import Recorder

log = logging.getLogger("hello.meetings.recorder")

RECORDER_NAME = "Recording"
OFFER_GRACE_SECONDS = 3.0


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
        self.moved = False
        """The meeting moved to the SFU: the recorder goes on through it."""

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
            while not self.recorder.stop.is_set() and not self.moved:
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
            elif event["meeting"]["mode"] == MeetingMode.SFU:
                self.moved = True  # MODE_CHANGED: everyone renegotiates through the SFU
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
