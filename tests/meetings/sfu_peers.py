"""An aiortc participant of an SFU meeting, on top of the mesh ``Peer`` (tests/meetings/peers.py):
it publishes to the SFU once the meeting is an SFU one (at its join, or when MODE_CHANGED
comes), answers each OFFER of the SFU on a new connection (replacing the former), asks the SFU
for an offer when it hints at new publishers, and counts the frames of each publishing
participant (named by each track's stream id, ``a=msid``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from adapters.settings import get_settings
from tests.meetings import janus_server
from tests.meetings.helpers import Events, join, join_as_guest
from tests.meetings.peers import Peer
from tests.services import missing


class SfuPeer(Peer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sfu = False
        self.pub: RTCPeerConnection | None = None
        self.sub: RTCPeerConnection | None = None
        self.offers = 0
        """How many offers the SFU sent."""

    async def join(
        self, guest_link: str | None = None, name: str = "Guest", number: str | None = None
    ) -> dict[str, Any]:
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
        self.events = await Events.open(self.server, self.token, self.meeting_id)
        self._loop = asyncio.create_task(self._run())
        if self.me["state"] == "JOINED":
            if payload["meeting"]["mode"] == "SFU":
                await self.publish()
            else:
                for other in payload["participants"]:
                    await self.offer(other["id"])
        return payload

    def _config(self) -> RTCConfiguration:
        return RTCConfiguration(iceServers=self.ice or None)

    async def publish(self) -> None:
        """Send video and audio to the SFU (its ANSWER comes on the stream)."""
        self.sfu = True
        for pc in list(self.pcs.values()):
            await pc.close()
        self.pcs.clear()
        pc = self.pub = RTCPeerConnection(self._config())
        pc.addTrack(VideoStreamTrack())
        pc.addTrack(AudioStreamTrack())
        await pc.setLocalDescription(await pc.createOffer())
        await self.send(None, "OFFER", pc.localDescription.sdp)

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
                if event["fromId"] is None:
                    await self._from_sfu(event)
                elif not self.sfu:
                    await self._signal(event)
            elif kind == "MeetingChangedEvent" and event["meetingChange"] == "MODE_CHANGED":
                if not self.sfu:
                    await self.publish()
            elif kind == "MeetingParticipantEvent" and event["participantChange"] in (
                "LEFT",
                "REMOVED",
            ):
                pc = self.pcs.pop(event["participant"]["id"], None)
                if pc is not None:
                    await pc.close()
            elif kind == "MeetingStreamEndedEvent":
                return

    async def _from_sfu(self, event: dict[str, Any]) -> None:
        if event["kind"] == "ANSWER":
            assert self.pub is not None
            await self.pub.setRemoteDescription(RTCSessionDescription(event["payload"], "answer"))
        elif event["kind"] == "OFFER":
            self.offers += 1
            old, pc = self.sub, RTCPeerConnection(self._config())
            self.sub = pc

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                publisher = (track.id or "").rsplit("-", 1)[0]
                self._spawn(self._consume(publisher, track))

            await pc.setRemoteDescription(RTCSessionDescription(event["payload"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send(None, "ANSWER", pc.localDescription.sdp)
            if old is not None:
                await old.close()
        elif event["kind"] == "RENEGOTIATE":
            await self.send(None, "RENEGOTIATE", "publishers changed")

    async def close(self) -> None:
        await super().close()
        for pc in (self.pub, self.sub):
            if pc is not None:
                await pc.close()


@pytest.fixture(scope="session")
def janus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Janus's HTTP API: ``HELLO_TEST_JANUS_URL`` (CI starts one for the run), else a Janus of
    this test process (skipped without the binary, failed with HELLO_REQUIRE_SERVICES=1)."""
    url = os.environ.get("HELLO_TEST_JANUS_URL", "")
    if url:
        yield url
        return
    if janus_server.janus_binary() is None:
        missing("janus is not installed (and HELLO_TEST_JANUS_URL is not set)")
    proc, url = janus_server.start(tmp_path_factory.mktemp("janus"))
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def sfu(janus_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """This server with an SFU, moving a mesh to it at the third person."""
    settings = get_settings()
    monkeypatch.setattr(settings, "meetings_janus_url", janus_url)
    monkeypatch.setattr(
        settings,
        "meetings_janus_admin_key",
        os.environ.get("HELLO_TEST_JANUS_ADMIN_KEY", janus_server.ADMIN_KEY),
    )
    monkeypatch.setattr(settings, "meetings_mesh_max", 2)
    return janus_url
