"""Host controls: removing (the stream ends, signals and rejoining are refused, a guest token
dies), FORBIDDEN for attendees and what co-hosts may do, handing over the host, muting one and
all, lowering hands, ending for everyone."""

from __future__ import annotations

import pytest

from models.meetings import Meeting, MeetingParticipant
from tests.client import Account, Api
from tests.meetings.controls_ops import codes, end, ok
from tests.meetings.helpers import (
    Events,
    create_meeting,
    join,
    join_as_guest,
    join_ok,
    pk,
    signal,
)
from tests.meetings.test_contract import SDP


async def _three(api: Api) -> tuple[Account, Account, Account, dict, list[dict]]:
    """Ada hosts; Bob and Cat attend."""
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    joined = [await join_ok(api, ada, meeting["id"])]
    for who in (bob, cat):
        joined.append(await join_ok(api, who, None, number=meeting["number"]))
    return ada, bob, cat, meeting, [j["participant"] for j in joined]


async def test_a_removed_participant_is_out_for_good(api: Api, server: str) -> None:
    ada, bob, _, meeting, (a, b, c) = await _three(api)
    bobs = await Events.open(server, bob.access_token, meeting["id"])
    hosts = await Events.open(server, ada.access_token, meeting["id"])
    try:
        removed = await ok(api, ada.access_token, "meetingParticipantRemove", participantId=b["id"])
        assert removed["participant"]["state"] == "REMOVED"
        rest = await bobs.completes()
        assert rest[-1] == {"__typename": "MeetingStreamEndedEvent", "reason": "REMOVED"}
        assert rest[-2]["participantChange"] == "REMOVED" and rest[-2]["actorId"] == a["id"]
        seen = await hosts.until("MeetingParticipantEvent", participantChange="REMOVED")
        assert seen["participant"]["id"] == b["id"]
        after = await signal(api, bob.access_token, meeting["id"], c["id"], "OFFER", SDP)
        assert [e["code"] for e in after["errors"]] == ["NOT_IN_MEETING"]
        again = await join(api, bob.access_token, number=meeting["number"])
        assert [e["code"] for e in again["errors"]] == ["FORBIDDEN"]
        assert (await MeetingParticipant.get(id=pk(b["id"]))).state == "REMOVED"
    finally:
        await bobs.close()
        await hosts.close()


async def test_a_removed_guest_token_is_refused(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada, lobbyPolicy="NOBODY")
    await join_ok(api, ada, meeting["id"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    token = guest["guestToken"]
    assert (await api.post("{ __typename }", token=token)).status_code == 200
    await ok(
        api, ada.access_token, "meetingParticipantRemove", participantId=guest["participant"]["id"]
    )
    assert (await api.post("{ __typename }", token=token)).status_code == 401


async def test_attendees_get_forbidden_for_every_host_control(api: Api) -> None:
    ada, bob, _, meeting, (a, b, c) = await _three(api)
    m = meeting["id"]
    calls = [
        ("meetingLobbyAdmit", {"meetingId": m}),
        ("meetingLobbyRefuse", {"meetingId": m}),
        ("meetingParticipantRemove", {"participantId": c["id"]}),
        ("meetingParticipantMute", {"participantId": c["id"]}),
        ("meetingMuteAll", {"meetingId": m}),
        ("meetingHandsLower", {"meetingId": m}),
        ("meetingCohostSet", {"participantId": c["id"], "cohost": True}),
        ("meetingHostTransfer", {"participantId": c["id"]}),
        ("meetingUpdate", {"meetingId": m, "locked": True}),
    ]
    revision = (await Meeting.get(id=pk(m))).revision
    for name, input in calls:
        assert await codes(api, bob.access_token, name, **input) == ["FORBIDDEN"], name
    assert [e["code"] for e in (await end(api, bob.access_token, m))["errors"]] == ["FORBIDDEN"]
    row = await Meeting.get(id=pk(m))
    assert row.revision == revision and not row.locked and row.status == "LIVE"
    # Made a co-host, Bob has the controls, but not the host's own.
    await ok(api, ada.access_token, "meetingCohostSet", participantId=b["id"], cohost=True)
    await ok(api, bob.access_token, "meetingUpdate", meetingId=m, topic="Run by Bob")
    muted = await ok(api, bob.access_token, "meetingParticipantMute", participantId=c["id"])
    assert muted["participant"]["mutedByHost"] is True
    assert await codes(api, bob.access_token, "meetingParticipantMute", participantId=a["id"]) == [
        "FORBIDDEN"
    ]
    assert await codes(
        api, bob.access_token, "meetingParticipantRemove", participantId=a["id"]
    ) == ["FORBIDDEN"]
    assert await codes(
        api, bob.access_token, "meetingCohostSet", participantId=c["id"], cohost=True
    ) == ["FORBIDDEN"]
    assert [e["code"] for e in (await end(api, bob.access_token, m))["errors"]] == ["FORBIDDEN"]
    # Unmade, he has them no more.
    await ok(api, ada.access_token, "meetingCohostSet", participantId=b["id"], cohost=False)
    assert await codes(api, bob.access_token, "meetingUpdate", meetingId=m, locked=True) == [
        "FORBIDDEN"
    ]
    assert (await Meeting.get(id=pk(m))).topic == "Run by Bob"


async def test_other_organizations_and_outsiders_get_not_found(api: Api) -> None:
    ada, _, _, meeting, (_, b, _) = await _three(api)
    eve = await api.sign_up(organization="Evil")
    other = await create_meeting(api, eve)
    await join_ok(api, eve, other["id"])
    assert await codes(
        api, eve.access_token, "meetingParticipantRemove", participantId=b["id"]
    ) == ["NOT_FOUND"]
    assert await codes(api, eve.access_token, "meetingMuteAll", meetingId=meeting["id"]) == [
        "NOT_FOUND"
    ]
    # A member of the organization who was never in it cannot see it: NOT_FOUND too.
    dan = await api.add_member(ada, name="Dan")
    assert await codes(api, dan.access_token, "meetingMuteAll", meetingId=meeting["id"]) == [
        "NOT_FOUND"
    ]
    assert (await MeetingParticipant.get(id=pk(b["id"]))).state == "JOINED"


async def test_guests_are_neither_hosts_nor_cohosts(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada, lobbyPolicy="NOBODY")
    await join_ok(api, ada, meeting["id"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    gus = guest["participant"]["id"]
    assert await codes(api, ada.access_token, "meetingHostTransfer", participantId=gus) == [
        "FORBIDDEN"
    ]
    assert await codes(
        api, ada.access_token, "meetingCohostSet", participantId=gus, cohost=True
    ) == ["FORBIDDEN"]
    # And nobody acts on themselves through a host control.
    me = (await join_ok(api, ada, meeting["id"]))["participant"]["id"]
    assert await codes(api, ada.access_token, "meetingParticipantRemove", participantId=me) == [
        "BAD_USER_INPUT"
    ]


async def test_the_host_hands_over(api: Api, server: str) -> None:
    ada, bob, cat, meeting, (a, b, c) = await _three(api)
    cats = await Events.open(server, cat.access_token, meeting["id"])
    try:
        done = await ok(api, ada.access_token, "meetingHostTransfer", participantId=b["id"])
        assert done["meeting"]["host"]["id"] == bob.user_id
        row = await Meeting.get(id=pk(meeting["id"]))
        assert row.host_id == pk(bob.user_id)
        changed = await cats.until("MeetingChangedEvent", meetingChange="HOST_CHANGED")
        assert changed["revision"] == row.revision
        roles = {p.id: p.role for p in await MeetingParticipant.filter(meeting_id=row.id)}
        assert roles == {pk(a["id"]): "COHOST", pk(b["id"]): "HOST", pk(c["id"]): "ATTENDEE"}
        # Ada, a co-host now, cannot hand it back; Bob can end it for everyone.
        assert await codes(api, ada.access_token, "meetingHostTransfer", participantId=b["id"]) == [
            "FORBIDDEN"
        ]
        ended = await end(api, bob.access_token, meeting["id"])
        assert ended["errors"] == [] and ended["meeting"]["status"] == "ENDED"
        rest = await cats.completes()
        assert rest[-1] == {"__typename": "MeetingStreamEndedEvent", "reason": "ENDED"}
        again = await end(api, bob.access_token, meeting["id"])
        assert [e["code"] for e in again["errors"]] == ["MEETING_ENDED"]
    finally:
        await cats.close()


@pytest.mark.parametrize("video", [False, True])
async def test_mute_all_spares_hosts_and_the_muted_unmute_themselves(
    api: Api, server: str, video: bool
) -> None:
    ada, bob, _, meeting, (a, b, c) = await _three(api)
    await ok(api, ada.access_token, "meetingCohostSet", participantId=c["id"], cohost=True)
    bobs = await Events.open(server, bob.access_token, meeting["id"])
    try:
        muted = await ok(
            api, ada.access_token, "meetingMuteAll", meetingId=meeting["id"], video=video
        )
        assert [p["id"] for p in muted["participants"]] == [b["id"]]
        event = await bobs.until("MeetingParticipantEvent", participantChange="UPDATED")
        assert event["actorId"] == a["id"]
        assert event["participant"]["audioMuted"] and event["participant"]["mutedByHost"]
        assert event["participant"]["videoMuted"] is video
        rows = {p.id: p for p in await MeetingParticipant.filter(meeting_id=pk(meeting["id"]))}
        assert not rows[pk(a["id"])].audio_muted and not rows[pk(c["id"])].audio_muted
        # Bob unmutes by his own choice: the host's mark goes.
        mine = await ok(
            api, bob.access_token, "meetingSelfUpdate", meetingId=meeting["id"], audioMuted=False
        )
        assert mine["participant"]["audioMuted"] is False
        assert mine["participant"]["mutedByHost"] is False
        own = await bobs.until("MeetingParticipantEvent", participantChange="UPDATED")
        assert own["actorId"] is None and own["participant"]["mutedByHost"] is False
    finally:
        await bobs.close()


async def test_hands_are_raised_and_lowered(api: Api) -> None:
    ada, bob, cat, meeting, (_, b, c) = await _three(api)
    m = meeting["id"]
    for who in (bob, cat):
        raised = await ok(api, who.access_token, "meetingSelfUpdate", meetingId=m, handRaised=True)
        assert raised["participant"]["handRaisedAt"] is not None
    one = await ok(
        api, ada.access_token, "meetingHandsLower", meetingId=m, participantIds=[b["id"]]
    )
    assert [p["id"] for p in one["participants"]] == [b["id"]]
    assert (await MeetingParticipant.get(id=pk(c["id"]))).hand_raised_at is not None
    await ok(api, bob.access_token, "meetingSelfUpdate", meetingId=m, handRaised=True)
    rest = await ok(api, ada.access_token, "meetingHandsLower", meetingId=m)
    assert sorted(p["id"] for p in rest["participants"]) == sorted([b["id"], c["id"]])
    assert not await MeetingParticipant.filter(
        meeting_id=pk(m), hand_raised_at__isnull=False
    ).exists()
