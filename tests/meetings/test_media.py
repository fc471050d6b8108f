"""Real media end to end: two aiortc peers join through Hello's GraphQL signaling and each
receives the other's video and audio, checked for content (the frames show growing numbers,
the audio is the tone), not only counted; a signal flood is throttled and the addressee gets
exactly what was allowed."""

from __future__ import annotations

import asyncio

import pytest

from adapters.settings import get_settings
from tests.client import Api
from tests.meetings.helpers import Events, create_meeting, join_ok, signal
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
