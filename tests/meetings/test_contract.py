"""The meetings contract: a meeting is created and joined; two aiortc peers connect through
Hello's signaling and receive each other's frames; signals are checked, numbered and reach
only their addressee in order; guests come in with the link and see nothing of the
organization; other organizations' meetings are NOT_FOUND; the last one out ends it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import pytest

from adapters.settings import get_settings
from models.meetings import Meeting, MeetingAttendance, MeetingParticipant
from resolvers.meetings.ice import ice_servers
from tests.client import Api
from tests.meetings.helpers import (
    Events,
    create_meeting,
    join,
    join_as_guest,
    join_ok,
    pk,
    signal,
)
from tests.meetings.peers import Peer

# A session description as aiortc writes one (trimmed to what the check needs).
SDP = (
    "v=0\r\no=- 3915140093 3915140093 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n"
)
CANDIDATE = (
    '{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx '
    'raddr 0.0.0.0 rport 0 generation 0","sdpMid":"0","sdpMLineIndex":0}'
)


async def test_a_meeting_is_created_joined_and_listed(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada, topic="  Weekly   sync ")
    assert meeting["topic"] == "Weekly sync" and meeting["status"] == "WAITING"
    assert len(meeting["number"]) == 9 and meeting["mode"] == "MESH"
    assert meeting["joinUrl"].endswith(
        f"/meet/{meeting['number']}?k=" + (await Meeting.get(id=pk(meeting["id"]))).link_secret
    )
    first = await join_ok(api, ada, meeting["id"])
    assert first["participant"]["role"] == "HOST" and first["participant"]["state"] == "JOINED"
    assert first["participants"] == [] and first["meeting"]["status"] == "LIVE"
    # Bob is in the organization: he joins by number (no passcode set).
    second = await join(api, bob.access_token, number=meeting["number"])
    assert second["errors"] == []
    assert second["participant"]["displayName"] == "Bob"
    assert [p["displayName"] for p in second["participants"]] == ["Ada"]
    assert await MeetingAttendance.filter(meeting_id=pk(meeting["id"])).count() == 2


async def test_two_aiortc_peers_exchange_video_and_audio(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    one = Peer(api, server, meeting["id"], ada.access_token)
    two = Peer(api, server, meeting["id"], bob.access_token)
    try:
        await one.join()
        await two.join(number=meeting["number"])  # offers to Ada, who answers
        await one.wait_frames(two.id)
        await two.wait_frames(one.id)
        assert one.frames[two.id]["video"] >= 10 and two.frames[one.id]["audio"] >= 10
    finally:
        await two.close()
        await one.close()


async def test_signals_reach_only_their_addressee_in_order(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    a = await join_ok(api, ada, meeting["id"])
    b = await join_ok(api, bob, None, number=meeting["number"])
    await join_ok(api, cat, None, number=meeting["number"])
    to_bob = await Events.open(server, bob.access_token, meeting["id"])
    to_cat = await Events.open(server, cat.access_token, meeting["id"])
    try:
        results = []
        for _ in range(5):
            results.append(
                await signal(
                    api,
                    ada.access_token,
                    meeting["id"],
                    b["participant"]["id"],
                    "ICE_CANDIDATE",
                    CANDIDATE,
                )
            )
        assert [r["errors"] for r in results] == [[]] * 5
        assert [r["seq"] for r in results] == [1, 2, 3, 4, 5]
        got = [await to_bob.until("MeetingSignalEvent") for _ in range(5)]
        assert [g["seq"] for g in got] == [1, 2, 3, 4, 5]
        assert {g["fromId"] for g in got} == {a["participant"]["id"]}
        # Cat got none of them: her next signal event is the one for her.
        await signal(api, ada.access_token, meeting["id"], to_cat.sync["you"]["id"], "OFFER", SDP)
        mine = await to_cat.until("MeetingSignalEvent")
        assert mine["kind"] == "OFFER" and mine["payload"] == SDP and mine["seq"] == 1
    finally:
        await to_bob.close()
        await to_cat.close()


@pytest.mark.parametrize(
    ("kind", "payload", "code"),
    [
        ("OFFER", "hello", "INVALID_SDP"),
        ("ANSWER", SDP.replace("a=fingerprint:sha-256 AA:BB\r\n", ""), "INVALID_SDP"),
        ("OFFER", SDP.replace("m=audio 9", "m=audio nine"), "INVALID_SDP"),
        ("ICE_CANDIDATE", "candidate:1 1 udp 1 1.2.3.4 5 typ host", "INVALID_CANDIDATE"),
        (
            "ICE_CANDIDATE",
            '{"candidate":"candidate:1 1 udp 1 1.2.3.4 99999 typ host","sdpMid":"0"}',
            "INVALID_CANDIDATE",
        ),
        (
            "ICE_CANDIDATE",
            '{"candidate":"candidate:1 1 sctp 1 1.2.3.4 5 typ host","sdpMid":"0"}',
            "INVALID_CANDIDATE",
        ),
        (
            "ICE_CANDIDATE",
            '{"candidate":"candidate:1 1 udp 1 not_an_address! 5 typ host","sdpMid":"0"}',
            "INVALID_CANDIDATE",
        ),
    ],
)
async def test_malformed_signals_are_refused(api: Api, kind: str, payload: str, code: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    b = await join_ok(api, bob, None, number=meeting["number"])
    result = await signal(
        api, ada.access_token, meeting["id"], b["participant"]["id"], kind, payload
    )
    assert [e["code"] for e in result["errors"]] == [code]
    assert result["seq"] is None


async def test_other_organizations_and_other_meetings_are_not_found(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Evil")
    meeting = await create_meeting(api, ada)
    other = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=other["number"])
    in_other = await join_ok(api, ada, other["id"])
    # Eve cannot see, join (by ID or number) or signal into Ada's meeting.
    seen = await api.gql(
        "query($m: ID!) { meeting(id: $m) { id } }", {"m": meeting["id"]}, token=eve.access_token
    )
    assert seen["meeting"] is None
    assert [
        e["code"] for e in (await join(api, eve.access_token, meetingId=meeting["id"]))["errors"]
    ] == ["NOT_FOUND"]
    assert [
        e["code"] for e in (await join(api, eve.access_token, number=meeting["number"]))["errors"]
    ] == ["NOT_FOUND"]
    # A signal addressed to a participant of another meeting is NOT_FOUND.
    result = await signal(
        api, ada.access_token, meeting["id"], in_other["participants"][0]["id"], "OFFER", SDP
    )
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]
    assert result["errors"][0]["field"] == "to"


async def test_a_guest_joins_with_the_link_waits_and_sees_nothing_else(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada, passcode="sesame42")
    await join_ok(api, ada, meeting["id"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus  Guest")
    assert guest["errors"] == [] and guest["guestToken"].startswith("hmg_")
    assert guest["participant"]["state"] == "LOBBY" and guest["participant"]["isGuest"]
    assert guest["participant"]["displayName"] == "Gus Guest"
    token = guest["guestToken"]
    # The meeting is visible to the guest, without the organization's people or passcode.
    seen = await api.gql(
        "query($m: ID!) { meeting(id: $m) { id host { id } passcode joinUrl viewerParticipant { state } } }",
        {"m": meeting["id"]},
        token=token,
    )
    assert seen["meeting"] == {
        "id": meeting["id"],
        "host": None,
        "passcode": None,
        "joinUrl": None,
        "viewerParticipant": {"state": "LOBBY"},
    }
    for query in (
        "{ viewer { id } }",
        "{ organization { id members(first: 5) { edges { node { id } } } } }",
    ):
        r = await api.post(query, token=token)
        body = r.json()
        assert body.get("data") in (None, {"viewer": None}, {"organization": None}) or body.get(
            "errors"
        ), body
        assert "Ada" not in r.text
    # A wrong secret is NOT_FOUND; a made-up token is refused at the door.
    bad = await join_as_guest(api, meeting["joinUrl"].replace("k=", "k=x"), "Gus")
    assert [e["code"] for e in bad["errors"]] == ["NOT_FOUND"]
    r = await api.post("{ __typename }", token="hmg_" + "x" * 43)
    assert r.status_code == 401


async def test_the_passcode_is_asked_of_the_uninvited(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada, passcode="sesame42")
    await join_ok(api, ada, meeting["id"])
    refused = await join(api, bob.access_token, number=meeting["number"])
    assert [e["code"] for e in refused["errors"]] == ["WRONG_PASSCODE"]
    wrong = await join(api, bob.access_token, number=meeting["number"], passcode="nope1234")
    assert [e["code"] for e in wrong["errors"]] == ["WRONG_PASSCODE"]
    ok = await join(api, bob.access_token, number=meeting["number"], passcode="sesame42")
    assert ok["errors"] == [] and ok["participant"]["state"] == "JOINED"


async def test_the_last_one_out_ends_the_meeting_and_streams_end(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    ada_events = await Events.open(server, ada.access_token, meeting["id"])
    bob_events = await Events.open(server, bob.access_token, meeting["id"])
    try:
        # Bob's stream closing is Bob leaving.
        await bob_events.close()
        left = await ada_events.until("MeetingParticipantEvent", participantChange="LEFT")
        assert left["participant"]["displayName"] == "Bob"
        data = await api.gql(
            "mutation($m: ID!) { meetingLeave(meetingId: $m) { meeting { status } errors { code } } }",
            {"m": meeting["id"]},
            token=ada.access_token,
        )
        assert data["meetingLeave"]["errors"] == []
        assert data["meetingLeave"]["meeting"]["status"] == "ENDED"
        rest = await ada_events.completes()
        assert rest[-1] == {"__typename": "MeetingStreamEndedEvent", "reason": "LEFT"}
        row = await Meeting.get(id=pk(meeting["id"]))
        assert row.ended_at is not None and row.started_at is not None
        assert await MeetingAttendance.filter(meeting_id=row.id, left_at__isnull=True).count() == 0
        again = await join(api, ada.access_token, meetingId=meeting["id"])
        assert [e["code"] for e in again["errors"]] == ["MEETING_ENDED"]
    finally:
        await ada_events.close()


async def test_turn_credentials_follow_the_turn_rest_convention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "meetings_stun_urls", ["stun:stun.example:3478"])
    monkeypatch.setattr(settings, "meetings_turn_urls", ["turn:turn.example:3478?transport=udp"])
    monkeypatch.setattr(settings, "meetings_turn_secret", "north-wind")
    monkeypatch.setattr(settings, "meetings_turn_ttl_seconds", 600)
    stun, turn = ice_servers("42", at=1_000_000)
    assert stun.urls == ["stun:stun.example:3478"] and stun.username is None
    assert turn.username == "1000600:42"
    expected = base64.b64encode(
        hmac.new(b"north-wind", b"1000600:42", hashlib.sha1).digest()
    ).decode()
    assert turn.credential == expected


async def test_a_second_device_takes_over(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    laptop = await Events.open(server, bob.access_token, meeting["id"])
    try:
        phone = await join_ok(api, bob, meeting["id"])
        assert phone["participant"]["session"] == 2
        rest = await laptop.completes()
        assert rest[-1] == {"__typename": "MeetingStreamEndedEvent", "reason": "REPLACED"}
        # Bob is still in (the laptop leaving did not take the phone out).
        await asyncio.sleep(0.2)
        assert (await MeetingParticipant.get(id=pk(phone["participant"]["id"]))).state == "JOINED"
    finally:
        await laptop.close()
