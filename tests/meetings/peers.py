"""A real WebRTC participant for the tests and the bench: an aiortc peer that joins through
Hello's GraphQL API (``meetingJoin``, ``meetingEvents``, ``meetingSignal``) like any client,
sends a synthetic video and audio track, and counts the frames it receives from each peer.

Mesh: the one who joins later sends an OFFER to each participant ``meetingJoin`` listed; the
others answer. aiortc gathers its candidates before ``setLocalDescription`` returns, so its
descriptions carry them and it sends no ICE_CANDIDATE signals (it accepts them).

Media (``tests.meetings.media``): the video frames carry their number and the audio is a
tone, so a receiver checks content, not only that something came: ``counters[other]`` holds
the numbers the decoded frames showed, ``tones[other]`` how many audio frames were the tone,
``wait_content`` waits for both and ``check_content`` asserts the numbers only grow.
``relay_only=True`` restricts ICE to TURN relay candidates (aiortc's ``iceTransportPolicy``)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import defaultdict
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame, VideoFrame

from tests.client import Api
from tests.meetings.helpers import Events, join, join_as_guest, signal
from tests.meetings.media import CounterVideoTrack, ToneAudioTrack, is_tone, read_counter


class Peer:
    def __init__(
        self,
        api: Api,
        server: str,
        meeting_id: str,
        token: str | None = None,
        *,
        relay_only: bool = False,
    ) -> None:
        self.api = api
        self.server = server
        self.meeting_id = meeting_id
        self.token = token or ""
        self.me: dict[str, Any] = {}
        self.ice: list[RTCIceServer] = []
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.frames: dict[str, dict[str, int]] = defaultdict(lambda: {"audio": 0, "video": 0})
        self.first_frame_at: dict[str, float] = {}
        self.counters: dict[str, list[int]] = defaultdict(list)
        self.unreadable: dict[str, int] = defaultdict(int)
        self.tones: dict[str, int] = defaultdict(int)
        self.relay_only = relay_only
        self.events: Events | None = None
        self.seen: list[dict[str, Any]] = []
        self.joined_at = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.Task[None] | None = None

    @property
    def id(self) -> str:
        return str(self.me["id"])

    async def join(
        self, guest_link: str | None = None, name: str = "Guest", number: str | None = None
    ) -> dict[str, Any]:
        """Join (as a guest with ``guest_link``, by ``number`` if given), open the stream, offer
        to everyone there."""
        self.joined_at = time.monotonic()
        if guest_link is not None:
            payload = await join_as_guest(self.api, guest_link, name)
            assert payload["errors"] == [], payload["errors"]
            self.token = payload["guestToken"]
        else:
            how = {"number": number} if number else {"meetingId": self.meeting_id}
            payload = await join(self.api, self.token, **how)
            assert payload["errors"] == [], payload["errors"]
        self.me = payload["participant"]
        self.ice = [
            RTCIceServer(urls=s["urls"], username=s["username"], credential=s["credential"])
            for s in payload["iceServers"]
        ]
        self.events = await Events.open(self.server, self.token, self.meeting_id)
        self._loop = asyncio.create_task(self._run())
        if self.me["state"] == "JOINED":
            for other in payload["participants"]:
                await self.offer(other["id"])
        return payload

    def _pc(self, other: str) -> RTCPeerConnection:
        old = self.pcs.get(other)
        if old is not None:
            return old
        policy = RTCIceTransportPolicy.RELAY if self.relay_only else RTCIceTransportPolicy.ALL
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=self.ice or None, iceTransportPolicy=policy)
        )
        pc.addTrack(CounterVideoTrack())
        pc.addTrack(ToneAudioTrack())

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._spawn(self._consume(other, track))

        self.pcs[other] = pc
        return pc

    async def offer(self, other: str) -> None:
        pc = self._pc(other)
        await pc.setLocalDescription(await pc.createOffer())
        await self.send(other, "OFFER", pc.localDescription.sdp)

    async def send(self, to: str | None, kind: str, payload: str) -> dict[str, Any]:
        result = await signal(self.api, self.token, self.meeting_id, to, kind, payload)
        assert result["errors"] == [], result["errors"]
        return result

    async def _run(self) -> None:
        assert self.events is not None
        while True:
            try:
                event = await self.events.next(timeout=3600)
            except AssertionError:
                return
            self.seen.append(event)
            kind = event["__typename"]
            if kind == "MeetingSignalEvent":
                await self._signal(event)
            elif kind == "MeetingParticipantEvent" and event["participantChange"] in (
                "LEFT",
                "REMOVED",
            ):
                pc = self.pcs.pop(event["participant"]["id"], None)
                if pc is not None:
                    await pc.close()
            elif kind == "MeetingStreamEndedEvent":
                return

    async def _signal(self, event: dict[str, Any]) -> None:
        other = event["fromId"]
        if event["kind"] == "OFFER" or (
            event["kind"] == "RENEGOTIATE" and event["payload"].startswith("v=0")
        ):
            pc = self._pc(other)
            await pc.setRemoteDescription(RTCSessionDescription(event["payload"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send(other, "ANSWER", pc.localDescription.sdp)
        elif event["kind"] == "ANSWER":
            await self.pcs[other].setRemoteDescription(
                RTCSessionDescription(event["payload"], "answer")
            )
        elif event["kind"] == "ICE_CANDIDATE":
            import orjson

            init = orjson.loads(event["payload"])
            if init.get("candidate"):
                candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
                candidate.sdpMid = init.get("sdpMid")
                candidate.sdpMLineIndex = init.get("sdpMLineIndex")
                await self.pcs[other].addIceCandidate(candidate)
        elif event["kind"] == "RENEGOTIATE":
            await self.offer(other)

    async def _consume(self, other: str, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames[other][track.kind] += 1
            if isinstance(frame, VideoFrame):
                number = read_counter(frame)
                if number is None:
                    self.unreadable[other] += 1
                else:
                    self.counters[other].append(number)
            elif isinstance(frame, AudioFrame) and is_tone(frame):
                self.tones[other] += 1
            self.first_frame_at.setdefault(other, time.monotonic())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_frames(
        self, other: str, video: int = 10, audio: int = 10, timeout: float = 30
    ) -> None:
        """Until at least this many video and audio frames came from ``other``."""
        async with asyncio.timeout(timeout):
            while self.frames[other]["video"] < video or self.frames[other]["audio"] < audio:
                await asyncio.sleep(0.05)

    async def wait_content(
        self, other: str, video: int = 10, audio: int = 10, timeout: float = 30
    ) -> None:
        """Until at least this many video frames showing their number and audio frames of the
        tone came from ``other``."""
        async with asyncio.timeout(timeout):
            while len(self.counters[other]) < video or self.tones[other] < audio:
                await asyncio.sleep(0.05)

    def check_content(self, other: str) -> None:
        """The frame numbers from ``other`` grow (frames may be dropped, never reordered or
        repeated), and most frames decoded (the first ones may be a keyframe's warm-up)."""
        numbers = self.counters[other]
        assert numbers, f"no readable frame from {other}"
        assert all(a < b for a, b in itertools.pairwise(numbers)), numbers
        assert self.unreadable[other] <= max(5, len(numbers) // 10), (
            self.unreadable[other],
            len(numbers),
        )

    async def close(self) -> None:
        if self.events is not None:
            with contextlib.suppress(Exception):
                await self.events.close()
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop
        for pc in list(self.pcs.values()):
            await pc.close()
        self.pcs.clear()
        for task in list(self._tasks):
            task.cancel()
