"""What participants do for themselves: one screen share at a time unless the host allows
several, reactions relayed to everyone in the meeting (one emoji, metered, JOINED only)."""

from __future__ import annotations

import pytest

from models.meetings import MeetingParticipant
from resolvers.meetings.self_state import REACTION_BURST, check_emoji
from tests.client import Api
from tests.meetings.controls_ops import codes, ok, op
from tests.meetings.helpers import Events, create_meeting, join_as_guest, join_ok, pk


async def test_one_share_at_a_time_unless_the_host_allows_more(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    m = meeting["id"]
    await join_ok(api, ada, m)
    b = (await join_ok(api, bob, None, number=meeting["number"]))["participant"]
    adas = await Events.open(server, ada.access_token, m)
    try:
        shared = await ok(api, bob.access_token, "meetingSelfUpdate", meetingId=m, sharing=True)
        assert shared["participant"]["sharing"] is True
        seen = await adas.until("MeetingParticipantEvent", participantChange="UPDATED")
        assert seen["participant"]["id"] == b["id"] and seen["participant"]["sharing"]
        assert await codes(
            api, ada.access_token, "meetingSelfUpdate", meetingId=m, sharing=True
        ) == ["SHARE_IN_PROGRESS"]
        assert [p.id for p in await MeetingParticipant.filter(meeting_id=pk(m), sharing=True)] == [
            pk(b["id"])
        ]
        await ok(api, ada.access_token, "meetingUpdate", meetingId=m, allowMultipleShares=True)
        both = await ok(api, ada.access_token, "meetingSelfUpdate", meetingId=m, sharing=True)
        assert both["participant"]["sharing"] is True
        assert await MeetingParticipant.filter(meeting_id=pk(m), sharing=True).count() == 2
        # Back to one at a time: the shares that run go on, a new one waits its turn.
        await ok(api, ada.access_token, "meetingUpdate", meetingId=m, allowMultipleShares=False)
        await ok(api, bob.access_token, "meetingSelfUpdate", meetingId=m, sharing=False)
        assert await codes(
            api, bob.access_token, "meetingSelfUpdate", meetingId=m, sharing=True
        ) == ["SHARE_IN_PROGRESS"]
        await ok(api, ada.access_token, "meetingSelfUpdate", meetingId=m, sharing=False)
        await ok(api, bob.access_token, "meetingSelfUpdate", meetingId=m, sharing=True)
    finally:
        await adas.close()


async def test_reactions_reach_everyone_in_the_meeting(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    m = meeting["id"]
    await join_ok(api, ada, m)
    b = (await join_ok(api, bob, None, number=meeting["number"]))["participant"]
    adas = await Events.open(server, ada.access_token, m)
    bobs = await Events.open(server, bob.access_token, m)
    guest = await join_as_guest(api, meeting["joinUrl"], "Gus")
    waiting = guest["guestToken"]
    try:
        sent = await ok(api, bob.access_token, "meetingReact", meetingId=m, emoji="👍🏽")
        assert sent["emoji"] == "👍🏽"
        for events in (adas, bobs):
            got = await events.until("MeetingReactionEvent")
            assert got == {
                "__typename": "MeetingReactionEvent",
                "emoji": "👍🏽",
                "participantId": b["id"],
            }
        # Someone in the lobby may not react; text is not an emoji.
        assert await codes(api, waiting, "meetingReact", meetingId=m, emoji="👍") == [
            "NOT_IN_MEETING"
        ]
        bad = await op(api, bob.access_token, "meetingReact", meetingId=m, emoji="lol")
        assert [(e["code"], e["field"]) for e in bad["errors"]] == [("BAD_USER_INPUT", "emoji")]
    finally:
        await adas.close()
        await bobs.close()


async def test_reactions_are_metered(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    outcomes = []
    for _ in range(REACTION_BURST * 5):
        result = await codes(
            api, ada.access_token, "meetingReact", meetingId=meeting["id"], emoji="🎉"
        )
        outcomes.append(result)
        if result:
            break
    assert outcomes[-1] == ["THROTTLED"]
    assert outcomes[:REACTION_BURST] == [[]] * REACTION_BURST


@pytest.mark.parametrize(
    "emoji",
    ["👍", "❤️", "👍🏿", "👩‍💻", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "#⃣", "🎉"],
)
def test_one_emoji_is_a_reaction(emoji: str) -> None:
    assert check_emoji(emoji) == emoji


@pytest.mark.parametrize(
    "text",
    ["", "a", "👍👍", "👍 ", "🏿", "🇫", "‍👍", "👍‍", "1", "<script>", "👍" + "‍👍" * 8],
)
def test_anything_else_is_not(text: str) -> None:
    with pytest.raises(Exception, match="one emoji"):
        check_emoji(text)
