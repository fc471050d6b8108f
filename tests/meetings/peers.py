"""A real WebRTC participant for the tests and the bench: an aiortc peer that joins through
Hello's GraphQL API (``meetingJoin``, ``meetingEvents``, ``meetingSignal``) like any client,
sends a synthetic video and audio track, and counts the frames it receives from each peer.

Mesh: the one who joins later sends an OFFER to each participant ``meetingJoin`` listed; the
others answer. aiortc gathers its candidates before ``setLocalDescription`` returns, so its
descriptions carry them and it sends no ICE_CANDIDATE signals (it accepts them)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp

from tests.client import Api
from tests.meetings.helpers import Events, join, join_as_guest, signal


class Peer:
    def __init__(self, api: Api, server: str, meeting_id: str, token: str | None = None) -> None:
        self.api = api
        self.server = server
        self.meeting_id = meeting_id
        self.token = token or ""
        self.me: dict[str, Any] = {}
        self.ice: list[RTCIceServer] = []
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.frames: dict[str, dict[str, int]] = defaultdict(lambda: {"audio": 0, "video": 0})
        self.first_frame_at: dict[str, float] = {}
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
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice or None))
        pc.addTrack(VideoStreamTrack())
        pc.addTrack(AudioStreamTrack())

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
                await track.recv()
            except MediaStreamError:
                return
            self.frames[other][track.kind] += 1
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
