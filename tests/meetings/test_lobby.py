"""The lobby and the lock: a guest with the link waits; hosts see them wait, attendees do not;
admitted, the guest is in and signals; refused, their stream ends and their token dies. A
locked meeting lets nobody new in but its hosts. A guest sees nothing of the organization."""

from __future__ import annotations

import asyncio
from typing import Any

from models.meetings import MeetingParticipant
from tests.client import Api
from tests.meetings.controls_ops import codes, ok
from tests.meetings.helpers import (
    Events,
    create_meeting,
    gid,
    join,
    join_as_guest,
    join_ok,
    pk,
    signal,
)
from tests.meetings.test_contract import SDP


async def read_until(events: Events, typename: str, **match: Any) -> list[dict[str, Any]]:
    """Every event up to and including the first of ``typename`` matching ``match``."""
    seen = []
    async with asyncio.timeout(10):
        while True:
            event = await events.next()
            seen.append(event)
            if event["__typename"] == typename and all(event.get(k) == v for k, v in match.items()):
                return seen


async def test_a_guest_waits_is_admitted_and_signals(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    b = await join_ok(api, bob, None, number=meeting["number"])
    host = await Events.open(server, ada.access_token, meeting["id"])
    attendee = await Events.open(server, bob.access_token, meeting["id"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    assert guest["errors"] == [] and guest["participant"]["state"] == "LOBBY"
    gus = guest["participant"]["id"]
    waiting = await Events.open(server, guest["guestToken"], meeting["id"])
    try:
        # The host sees Gus wait; the guest's own sync lists only those in (and Gus).
        seen = await host.until("MeetingParticipantEvent", participantChange="WAITING")
        assert seen["participant"]["id"] == gus
        assert {p["state"] for p in waiting.sync["participants"]} <= {"JOINED", "LOBBY"}
        # Bob (an attendee) cannot signal a guest in the lobby, and nobody can admit but hosts.
        early = await signal(api, bob.access_token, meeting["id"], gus, "OFFER", SDP)
        assert [e["code"] for e in early["errors"]] == ["NOT_FOUND"]
        assert await codes(api, bob.access_token, "meetingLobbyAdmit", meetingId=meeting["id"]) == [
            "FORBIDDEN"
        ]
        admitted = await ok(api, ada.access_token, "meetingLobbyAdmit", meetingId=meeting["id"])
        assert [p["id"] for p in admitted["participants"]] == [gus]
        assert admitted["participants"][0]["state"] == "JOINED"
        # The guest's own stream: ADMITTED (by Ada), then JOINED.
        adm = await waiting.until("MeetingParticipantEvent", participantChange="ADMITTED")
        assert adm["participant"]["id"] == gus
        assert adm["actorId"] == host.sync["you"]["id"]
        joined = await waiting.until("MeetingParticipantEvent", participantChange="JOINED")
        assert joined["participant"]["state"] == "JOINED"
        # Bob never saw Gus wait: the first he hears of Gus is JOINED.
        heard = await read_until(attendee, "MeetingParticipantEvent", participantChange="JOINED")
        about_gus = [
            e["participantChange"]
            for e in heard
            if e["__typename"] == "MeetingParticipantEvent" and e["participant"]["id"] == gus
        ]
        assert about_gus == ["JOINED"]
        # Now Bob's offer reaches Gus.
        sent = await signal(api, bob.access_token, meeting["id"], gus, "OFFER", SDP)
        assert sent["errors"] == []
        got = await waiting.until("MeetingSignalEvent")
        assert got["fromId"] == b["participant"]["id"] and got["payload"] == SDP
    finally:
        for events in (host, attendee, waiting):
            await events.close()


async def test_a_refused_guest_is_out_for_good(api: Api, server: str) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    token, gus = guest["guestToken"], guest["participant"]["id"]
    waiting = await Events.open(server, token, meeting["id"])
    try:
        refused = await ok(
            api,
            ada.access_token,
            "meetingLobbyRefuse",
            meetingId=meeting["id"],
            participantIds=[gus],
        )
        assert [p["state"] for p in refused["participants"]] == ["REMOVED"]
        rest = await waiting.completes()
        assert rest[-1] == {"__typename": "MeetingStreamEndedEvent", "reason": "REMOVED"}
        assert rest[-2]["participantChange"] == "REMOVED"
        r = await api.post("{ __typename }", token=token)
        assert r.status_code == 401
        row = await MeetingParticipant.get(id=pk(gus))
        assert row.state == "REMOVED" and row.guest_token_hash is None
    finally:
        await waiting.close()


async def test_lobby_inputs_are_checked(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada)
    other = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    elsewhere = await join_ok(api, ada, other["id"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    # A participant of another meeting is NOT_FOUND, and nobody was admitted.
    wrong = [guest["participant"]["id"], elsewhere["participant"]["id"]]
    assert await codes(
        api, ada.access_token, "meetingLobbyAdmit", meetingId=meeting["id"], participantIds=wrong
    ) == ["NOT_FOUND"]
    assert await codes(
        api, ada.access_token, "meetingLobbyAdmit", meetingId=meeting["id"], participantIds=[]
    ) == ["BAD_USER_INPUT"]
    assert (await MeetingParticipant.get(id=pk(guest["participant"]["id"]))).state == "LOBBY"


async def test_a_locked_meeting_admits_nobody_new_but_its_hosts(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    locked = await ok(api, ada.access_token, "meetingUpdate", meetingId=meeting["id"], locked=True)
    assert locked["meeting"]["locked"] is True
    refused = await join(api, cat.access_token, number=meeting["number"])
    assert [e["code"] for e in refused["errors"]] == ["MEETING_LOCKED"]
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    assert [e["code"] for e in guest["errors"]] == ["MEETING_LOCKED"]
    assert not await MeetingParticipant.exists(meeting_id=pk(meeting["id"]), user_id=None)
    # The host leaves (Bob keeps it going) and comes back in.
    left = await api.gql(
        "mutation($m: ID!) { meetingLeave(meetingId: $m) { errors { code } } }",
        {"m": meeting["id"]},
        token=ada.access_token,
    )
    assert left["meetingLeave"]["errors"] == []
    back = await join_ok(api, ada, meeting["id"])
    assert back["participant"]["state"] == "JOINED" and back["participant"]["role"] == "HOST"
    await ok(api, ada.access_token, "meetingUpdate", meetingId=meeting["id"], locked=False)
    assert (await join_ok(api, cat, None, number=meeting["number"]))["participant"][
        "state"
    ] == "JOINED"


async def test_a_guest_token_sees_nothing_of_the_organization(api: Api) -> None:
    ada = await api.sign_up(name="Ada Lovelace")
    bob = await api.add_member(ada, name="Bob Babbage")
    meeting = await create_meeting(api, ada, lobbyPolicy="NOBODY")
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    assert guest["participant"]["state"] == "JOINED"
    token = guest["guestToken"]
    chat = await api.gql(
        """mutation($i: ChatCreateInput!) { chatCreate(input: $i) { chat { id } } }""",
        {"i": {"kind": "GROUP", "memberIds": [bob.user_id], "name": "Team"}},
        token=ada.access_token,
    )
    user = gid("User", pk(bob.user_id))
    for query, variables in (
        ("{ users(first: 10) { edges { node { id displayName email } } } }", None),
        ("{ viewer { id displayName } }", None),
        ("{ organization { id name } }", None),
        ("query($c: ID!) { chat(id: $c) { id name } }", {"c": chat["chatCreate"]["chat"]["id"]}),
        ("query($u: ID!) { node(id: $u) { id ... on User { displayName } } }", {"u": user}),
    ):
        r = await api.post(query, variables, token=token)
        body = r.json()
        data = body.get("data") or {}
        assert all(v is None for v in data.values()), body
        assert body.get("errors") or data, body
        if body.get("errors"):
            assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}, body
        assert "Lovelace" not in r.text and "Babbage" not in r.text and "Acme" not in r.text
    seen = await api.gql(
        "query($m: ID!) { meeting(id: $m) { participants { displayName isGuest user { id } } } }",
        {"m": meeting["id"]},
        token=token,
    )
    people = seen["meeting"]["participants"]
    assert len(people) == 3 and all(p["user"] is None for p in people)


async def test_the_lobby_policy_and_topic_are_the_hosts_to_change(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    host = await Events.open(server, ada.access_token, meeting["id"])
    try:
        changed = await ok(
            api,
            ada.access_token,
            "meetingUpdate",
            meetingId=meeting["id"],
            lobbyPolicy="EVERYONE",
            topic="  Board   review ",
        )
        assert changed["meeting"]["lobbyPolicy"] == "EVERYONE"
        assert changed["meeting"]["topic"] == "Board review"
        seen = await host.until("MeetingChangedEvent", meetingChange="UPDATED")
        assert seen["revision"] == changed["meeting"]["revision"]
        # A member now waits too, until admitted.
        waits = await join_ok(api, bob, None, number=meeting["number"])
        assert waits["participant"]["state"] == "LOBBY"
        too_long = await codes(
            api, ada.access_token, "meetingUpdate", meetingId=meeting["id"], topic="x" * 256
        )
        assert too_long == ["BAD_USER_INPUT"]
        assert (await ok(api, ada.access_token, "meetingLobbyAdmit", meetingId=meeting["id"]))[
            "participants"
        ][0]["id"] == waits["participant"]["id"]
    finally:
        await host.close()
