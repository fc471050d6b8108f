"""TURN with a real coturn: the credentials ``meetingJoin`` hands out (TURN REST convention)
get an allocation, two aiortc peers restricted to relay candidates exchange media through it,
and a wrong or expired credential is refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.settings import get_settings
from resolvers.meetings.ice import turn_credential
from tests.client import Api
from tests.meetings.helpers import create_meeting, join_ok
from tests.meetings.peers import Peer
from tests.meetings.turn import TurnServer, allocate

SECRET = "north-wind-turn"


@pytest.fixture
async def turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TurnServer]:
    async with TurnServer(tmp_path, SECRET) as server:
        settings = get_settings()
        monkeypatch.setattr(settings, "meetings_turn_urls", [server.url])
        monkeypatch.setattr(settings, "meetings_turn_secret", SECRET)
        monkeypatch.setattr(settings, "meetings_stun_urls", [])
        yield server


async def test_join_credentials_get_a_turn_allocation(api: Api, turn: TurnServer) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada)
    joined = await join_ok(api, ada, meeting["id"])
    [ice] = joined["iceServers"]
    assert ice["urls"] == [turn.url]
    relayed = await allocate(turn, ice["username"], ice["credential"])
    assert isinstance(relayed, tuple) and relayed[0] == "127.0.0.1", relayed
    # A wrong credential, and a right one for a username changed (another expiry, another
    # participant), are refused
    assert await allocate(turn, ice["username"], "not-the-credential") == 401
    expiry, who = ice["username"].split(":", 1)
    later = f"{int(expiry) + 3600}:{who}"
    assert await allocate(turn, later, ice["credential"]) == 401
    # Expired: signed with the right secret, but its time has passed
    past = f"{int(time.time()) - 60}:{who}"
    assert await allocate(turn, past, turn_credential(SECRET, past)) == 401
    # The same signed fresh is accepted: only the expiry made the difference
    fresh = f"{int(time.time()) + 60}:{who}"
    assert isinstance(await allocate(turn, fresh, turn_credential(SECRET, fresh)), tuple)


async def test_two_peers_exchange_media_through_turn_relays(
    api: Api, server: str, turn: TurnServer
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    one = Peer(api, server, meeting["id"], ada.access_token, relay_only=True)
    two = Peer(api, server, meeting["id"], bob.access_token, relay_only=True)
    try:
        await one.join()
        await two.join(number=meeting["number"])
        await one.wait_content(two.id, video=20, audio=20)
        await two.wait_content(one.id, video=20, audio=20)
        one.check_content(two.id)
        two.check_content(one.id)
        # Every candidate either side offered is a relay on coturn's relay address
        for peer, other in ((one, two.id), (two, one.id)):
            sdp = peer.pcs[other].localDescription.sdp
            candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate:")]
            assert candidates and all(" typ relay " in c for c in candidates), candidates
            assert all(" 127.0.0.1 " in c for c in candidates), candidates
    finally:
        await two.close()
        await one.close()
