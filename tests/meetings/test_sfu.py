"""The SFU (Janus) of large meetings, with a real Janus and real aiortc peers: three peers in
a meeting that moved from mesh to SFU at the third join each receive the other two; Janus
refuses a participant without its token; the recorder gets every publisher's tracks; leaving ends one's Janus session and the end of the
meeting destroys its room; an unreachable Janus is SFU_UNAVAILABLE; another organization
cannot signal into the room."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from adapters.janus import NO_SUCH_ROOM, NO_SUCH_SESSION, UNAUTHORIZED, Janus, JanusError
from adapters.settings import get_settings
from models.meetings import Meeting, MeetingMode, MeetingParticipant
from resolvers.meetings.sfu import do_sfu_record, participant_token, room_secret
from tests.client import Account, Api
from tests.meetings import janus_server, sfu_peers
from tests.meetings.helpers import LEAVE, create_meeting, join_ok, pk, signal
from tests.meetings.sfu_peers import SfuPeer

janus_url = sfu_peers.janus_url
sfu = sfu_peers.sfu

SDP = (
    "v=0\r\no=- 3915140093 3915140093 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n"
)


async def _room_exists(client: Janus, room: int) -> bool:
    session = await client.create_session()
    try:
        handle = await client.attach(session)
        await client.publishers(session, handle, room)
        return True
    except JanusError as e:
        assert e.code == NO_SUCH_ROOM, e
        return False
    finally:
        await client.destroy_session(session)


async def test_three_peers_through_the_sfu_receive_each_other(
    api: Api, server: str, sfu: str
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    peers = [SfuPeer(api, server, meeting["id"], who.access_token) for who in (ada, bob, cat)]
    one, two, three = peers
    try:
        await one.join()
        await two.join(number=meeting["number"])
        # Two people meet peer to peer (meetings_mesh_max=2)...
        await one.wait_frames(two.id)
        assert not one.sfu and not two.sfu
        # ...and the third moves the meeting to the SFU: everyone publishes to Janus.
        joined = await three.join(number=meeting["number"])
        assert joined["meeting"]["mode"] == "SFU"
        # Video from each of the others through Janus (one subscription covering both).
        # Audio: aiortc receives the audio of one publisher per subscription only (see the
        # report of the SFU work); browsers are not tested here.
        for receiver in peers:
            for sender in peers:
                if sender is not receiver:
                    await receiver.wait_frames(sender.id, video=10, audio=0, timeout=45)
            assert sum(f["audio"] for f in receiver.frames.values()) >= 10
            assert receiver.offers >= 1
        for p in (one, two):
            changed = [e for e in p.seen if e["__typename"] == "MeetingChangedEvent"]
            assert [e["meetingChange"] for e in changed][-1] == "MODE_CHANGED"
            assert p.sfu and p.pcs == {}  # the mesh connection is closed
        row = await Meeting.get(id=pk(meeting["id"]))
        assert row.mode == MeetingMode.SFU and row.janus_room is not None
        room = row.janus_room
        await _recorder_receives(row, [pk(p.id) for p in peers])
        client = Janus(sfu, janus_server.ADMIN_KEY)
        gone = await MeetingParticipant.get(id=pk(three.id))
        session = gone.janus["session"]
        await client.keepalive(session)  # alive while Cat is in

        # Cat leaves: her Janus session ends.
        data = await api.gql(LEAVE, {"m": meeting["id"]}, token=cat.access_token)
        assert data["meetingLeave"]["errors"] == []
        with pytest.raises(JanusError) as refused:
            await client.keepalive(session)
        assert refused.value.code == NO_SUCH_SESSION
        assert (await MeetingParticipant.get(id=pk(three.id))).janus is None
        assert await _room_exists(client, room)

        # The last ones leave, the meeting ends: the room is destroyed.
        for who in (bob, ada):
            data = await api.gql(LEAVE, {"m": meeting["id"]}, token=who.access_token)
            assert data["meetingLeave"]["errors"] == []
        assert (await Meeting.get(id=row.id)).status == "ENDED"
        assert not await _room_exists(client, room)
    finally:
        for p in reversed(peers):
            await p.close()


async def _recorder_receives(meeting: Meeting, publishers: list[int]) -> None:
    """``do_sfu_record`` hands the recorder a video track of each publisher, with frames."""
    kinds: dict[int, set[str]] = defaultdict(set)
    frames: Counter[int] = Counter()
    stop = asyncio.Event()

    async def on_track(track: MediaStreamTrack, participant_id: int) -> None:
        kinds[participant_id].add(track.kind)
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                frames[participant_id] += 1

    task = asyncio.create_task(do_sfu_record(meeting, on_track, stop))
    try:
        async with asyncio.timeout(45):
            while not all(frames[p] >= 10 for p in publishers):
                assert not task.done(), task.result()
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert set(kinds) == set(publishers)
    assert all(k == {"audio", "video"} for k in kinds.values()), kinds


async def test_janus_refuses_a_participant_without_its_token(sfu: str) -> None:
    client = Janus(sfu, janus_server.ADMIN_KEY)
    room = 987_654_321
    session = await client.create_session()
    try:
        handle = await client.attach(session)
        await client.create_room(session, handle, room, room_secret(room), [])
        await client.allow(session, handle, room, room_secret(room), [participant_token(room, 1)])
        with pytest.raises(JanusError) as refused:
            await client.join_publisher(session, handle, room, 2, participant_token(room, 2))
        assert refused.value.code == UNAUTHORIZED
        with pytest.raises(JanusError) as refused:
            await client.join_publisher(session, handle, room, 2, "")
        assert refused.value.code == UNAUTHORIZED
        joined = await client.join_publisher(session, handle, room, 1, participant_token(room, 1))
        assert joined.data["videoroom"] == "joined" and joined.data["id"] == 1
        other = await client.attach(session)
        await client.destroy_room(session, other, room, room_secret(room))
    finally:
        await client.destroy_session(session)


async def _sfu_meeting(api: Api) -> tuple[dict[str, Any], Account]:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    third = await join_ok(api, cat, None, number=meeting["number"])
    assert third["meeting"]["mode"] == "SFU"
    return meeting, ada


async def test_an_unreachable_janus_is_sfu_unavailable(
    api: Api, sfu: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting, ada = await _sfu_meeting(api)
    port = janus_server.free_port()
    monkeypatch.setattr(get_settings(), "meetings_janus_url", f"http://127.0.0.1:{port}/janus")
    result = await signal(api, ada.access_token, meeting["id"], None, "OFFER", SDP)
    assert [e["code"] for e in result["errors"]] == ["SFU_UNAVAILABLE"]
    rows = await MeetingParticipant.filter(meeting_id=pk(meeting["id"])).all()
    assert len(rows) == 3 and all(p.janus is None for p in rows)


async def test_another_organization_cannot_signal_into_the_room(api: Api, sfu: str) -> None:
    meeting, _ = await _sfu_meeting(api)
    eve = await api.sign_up()
    result = await signal(api, eve.access_token, meeting["id"], None, "OFFER", SDP)
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]
    row = await Meeting.get(id=pk(meeting["id"]))
    assert row.janus_room is None  # nothing reached Janus
