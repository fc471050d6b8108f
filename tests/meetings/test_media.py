"""Real media end to end: two aiortc peers join through Hello's GraphQL signaling and each
receives the other's video and audio, checked for content (the frames show growing numbers,
the audio is the tone), not only counted; a signal flood is throttled and the addressee gets
exactly what was allowed."""

from __future__ import annotations

import asyncio
import math
from array import array

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame

from adapters.settings import get_settings
from tests.client import Api
from tests.meetings.helpers import Events, create_meeting, join_ok, signal
from tests.meetings.media import (
    RATE,
    SAMPLES,
    CounterVideoTrack,
    ToneAudioTrack,
    is_tone,
    read_counter,
)
from tests.meetings.peers import Peer

CANDIDATE = (
    '{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx '
    'raddr 0.0.0.0 rport 0 generation 0","sdpMid":"0","sdpMLineIndex":0}'
)


async def test_two_peers_receive_each_others_video_and_audio(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    one = Peer(api, server, meeting["id"], ada.access_token)
    two = Peer(api, server, meeting["id"], bob.access_token)
    try:
        await one.join()
        await two.join(number=meeting["number"])
        await one.wait_content(two.id, video=30, audio=25)
        await two.wait_content(one.id, video=30, audio=25)
        one.check_content(two.id)
        two.check_content(one.id)
        # Nothing else was on the wire: each peer heard only the other
        assert set(one.counters) == {two.id} and set(two.counters) == {one.id}
    finally:
        await two.close()
        await one.close()


async def test_a_signal_flood_is_throttled_and_only_the_allowed_arrive(
    api: Api, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "meetings_signals_per_second", 5)  # a burst of 10
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    b = await join_ok(api, bob, None, number=meeting["number"])
    to_bob = await Events.open(server, bob.access_token, meeting["id"])
    try:
        results = await asyncio.gather(
            *(
                signal(
                    api,
                    ada.access_token,
                    meeting["id"],
                    b["participant"]["id"],
                    "ICE_CANDIDATE",
                    CANDIDATE,
                )
                for _ in range(40)
            )
        )
        allowed = [r["seq"] for r in results if r["errors"] == []]
        refused = [r["errors"] for r in results if r["errors"] != []]
        # A burst of twice the rate, plus what refilled while the 40 were answered
        assert 10 <= len(allowed) < 40, allowed
        assert sorted(allowed) == list(range(1, len(allowed) + 1))
        for errors in refused:
            [error] = errors
            assert error["code"] == "THROTTLED" and error["field"] == "payload", error
            assert 0 < error["retryAfter"] <= 1, error  # a token refills in 1/5 s
        got = [await to_bob.until("MeetingSignalEvent") for _ in allowed]
        assert [g["seq"] for g in got] == list(range(1, len(allowed) + 1))
        # and no more: the next signal event Bob sees is a new one, numbered after them
        await asyncio.sleep(1)
        again = await signal(
            api,
            ada.access_token,
            meeting["id"],
            b["participant"]["id"],
            "ICE_CANDIDATE",
            CANDIDATE,
        )
        assert again["errors"] == [] and again["seq"] == len(allowed) + 1
        nxt = await to_bob.until("MeetingSignalEvent")
        assert nxt["seq"] == len(allowed) + 1
    finally:
        await to_bob.close()


async def test_the_checks_tell_our_media_from_other_frames() -> None:
    """What the peers' checks accept: our numbered frames and our tone, nothing else (a green
    frame as aiortc's default track sends, silence, another tone)."""
    video = CounterVideoTrack()
    numbers = [read_counter(await video.recv()) for _ in range(3)]
    assert numbers == [0, 1, 2]
    video.sent = 0xBEEF
    assert read_counter(await video.recv()) == 0xBEEF
    video.stop()
    for luma in (0, 128, 255):  # black, grey, white
        plain = VideoFrame(width=320, height=240, format="yuv420p")
        for plane, value in zip(plain.planes, (luma, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        assert read_counter(plain) is None
    green = await VideoStreamTrack().recv()
    assert isinstance(green, VideoFrame) and read_counter(green) is None
    audio = ToneAudioTrack()
    assert is_tone(await audio.recv())
    audio.stop()
    silence = await AudioStreamTrack().recv()
    assert isinstance(silence, AudioFrame) and not is_tone(silence)
    other = AudioFrame(format="s16", layout="mono", samples=SAMPLES)
    other.planes[0].update(
        array(
            "h", (round(8000 * math.sin(2 * math.pi * 1500 * i / RATE)) for i in range(SAMPLES))
        ).tobytes()
    )
    other.sample_rate = RATE
    assert not is_tone(other)
