"""Meetings across processes and through faults: two peers on two ``hello serve`` processes
exchange media, and signals one sender relays through both processes alternately reach the
addressee in order; a ``redis-server`` killed mid-meeting leaves the streams open and they
resync (a join made meanwhile shows) once it is back, while ``meetingSignal`` answers at once
with SERVICE_UNAVAILABLE (and goes through again once Redis is back);
a SIGKILLed process's participant is taken out (LEFT) after the stale timeout."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal as signals
from pathlib import Path

import pytest

from adapters.settings import get_settings
from models.meetings import MeetingAttendance, MeetingParticipant, ParticipantState
from tests.client import Api
from tests.drive.processes import hello_serve
from tests.meetings.helpers import Events, create_meeting, join_ok, pk, signal
from tests.meetings.peers import Peer
from tests.reliability.cluster import RedisServer
from tests.services import missing, require_env

FAST = {"HELLO_MEETINGS_HEARTBEAT_SECONDS": "0.2", "HELLO_MEETINGS_STALE_SECONDS": "1.5"}


def candidate(n: int) -> str:
    """A valid ICE candidate told apart by its port."""
    return (
        f'{{"candidate":"candidate:1 1 udp 2130706431 192.0.2.1 {1024 + n} typ host",'
        '"sdpMid":"0","sdpMLineIndex":0}'
    )


async def test_two_processes_relay_media_and_signals_in_order(
    api: Api, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_env("HELLO_TEST_DATABASE_URL")  # two processes share a server database
    require_env("HELLO_TEST_REDIS_URL")  # and a bus
    monkeypatch.setattr(get_settings(), "meetings_signals_per_second", 1000)
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    async with (
        hello_serve(HELLO_MEETINGS_SIGNALS_PER_SECOND="1000") as (url, _),
        Api(url) as there,
    ):
        one = Peer(api, server, meeting["id"], ada.access_token)
        two = Peer(there, url, meeting["id"], bob.access_token)
        try:
            await one.join()
            await two.join(number=meeting["number"])  # its OFFER goes through process 2
            await one.wait_content(two.id, video=20, audio=20)
            await two.wait_content(one.id, video=20, audio=20)
            one.check_content(two.id)
            two.check_content(one.id)
            # Cat comes in before they go: the last one out would end the meeting.
            c = await join_ok(api, cat, None, number=meeting["number"])
        finally:
            await two.close()
            await one.close()
        # 200 signals from Cat to Bob, through process 1 and 2 in turn, all in flight at once
        b = await join_ok(there, bob, meeting["id"])
        to_bob = await Events.open(url, bob.access_token, meeting["id"])
        try:
            sent = await asyncio.gather(
                *(
                    signal(
                        (api, there)[n % 2],
                        cat.access_token,
                        meeting["id"],
                        b["participant"]["id"],
                        "ICE_CANDIDATE",
                        candidate(n),
                    )
                    for n in range(200)
                )
            )
            assert [r["errors"] for r in sent] == [[]] * 200
            payload_of = {r["seq"]: candidate(n) for n, r in enumerate(sent)}
            assert sorted(payload_of) == list(range(1, 201))
            got = [await to_bob.until("MeetingSignalEvent", timeout=30) for _ in range(200)]
            assert [g["seq"] for g in got] == list(range(1, 201))
            assert all(g["payload"] == payload_of[g["seq"]] for g in got)
            assert {g["fromId"] for g in got} == {c["participant"]["id"]}
        finally:
            await to_bob.close()


async def test_a_redis_outage_keeps_streams_and_resyncs_them(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    redis = RedisServer(tmp_path)
    await redis.start()
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    meeting = await create_meeting(api, ada)
    try:
        async with hello_serve(HELLO_REDIS_URL=redis.url) as (url, _), Api(url) as there:
            await join_ok(there, ada, meeting["id"])
            b = await join_ok(there, bob, None, number=meeting["number"])
            to_ada = await Events.open(url, ada.access_token, meeting["id"])
            to_bob = await Events.open(url, bob.access_token, meeting["id"])
            try:
                first = await signal(
                    there,
                    ada.access_token,
                    meeting["id"],
                    b["participant"]["id"],
                    "ICE_CANDIDATE",
                    candidate(0),
                )
                assert first["errors"] == [] and first["seq"] == 1
                assert (await to_bob.until("MeetingSignalEvent"))["seq"] == 1
                redis.kill()
                # During the outage: a join is stored; a signal is refused at once (it could
                # be neither numbered across processes nor relayed), never a hang
                c = await join_ok(there, cat, None, number=meeting["number"])
                async with asyncio.timeout(15):
                    during = await signal(
                        there,
                        ada.access_token,
                        meeting["id"],
                        b["participant"]["id"],
                        "ICE_CANDIDATE",
                        candidate(1),
                    )
                [error] = during["errors"]
                assert error["code"] == "SERVICE_UNAVAILABLE" and error["retryAfter"] > 0, error
                await redis.start()
                # The streams are still open and resync: Cat, who joined meanwhile, is in it
                sync = await to_ada.until("MeetingSyncEvent", timeout=30)
                while c["participant"]["id"] not in {p["id"] for p in sync["participants"]}:
                    sync = await to_ada.until("MeetingSyncEvent", timeout=30)
                assert {p["displayName"] for p in sync["participants"]} == {"Ada", "Bob", "Cat"}
                # The client sends the refused signal again until Redis is back: it arrives
                async with asyncio.timeout(30):
                    while True:
                        again = await signal(
                            there,
                            ada.access_token,
                            meeting["id"],
                            b["participant"]["id"],
                            "ICE_CANDIDATE",
                            candidate(1),
                        )
                        if again["errors"] == []:
                            break
                        assert again["errors"][0]["code"] == "SERVICE_UNAVAILABLE", again
                        await asyncio.sleep(again["errors"][0]["retryAfter"])
                got = await to_bob.until("MeetingSignalEvent", timeout=30)
                assert got["payload"] == candidate(1)
                assert got["fromId"] == to_ada.sync["you"]["id"]
            finally:
                await to_ada.close()
                await to_bob.close()
    finally:
        redis.kill()


async def test_a_killed_process_participant_leaves_after_the_stale_timeout(
    api: Api, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes writing one SQLite file is not a deployment (embedded is one process)
    require_env("HELLO_TEST_DATABASE_URL")
    settings = get_settings()
    monkeypatch.setattr(settings, "meetings_heartbeat_seconds", 0.2)
    monkeypatch.setattr(settings, "meetings_stale_seconds", 1.5)
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    to_ada = await Events.open(server, ada.access_token, meeting["id"])
    try:
        async with hello_serve(**FAST) as (url, process), Api(url) as there:
            b = await join_ok(there, bob, None, number=meeting["number"])
            to_bob = await Events.open(url, bob.access_token, meeting["id"])
            bob_id = b["participant"]["id"]
            # Alive, Bob stays in well past the stale timeout: his process touches his row
            await asyncio.sleep(3)
            row = await MeetingParticipant.get(id=pk(bob_id))
            assert row.state == ParticipantState.JOINED
            os.kill(process.pid, signals.SIGKILL)
            process.wait(10)
            left = await to_ada.until(
                "MeetingParticipantEvent", timeout=30, participantChange="LEFT"
            )
            assert left["participant"]["id"] == bob_id
            await to_bob.ws.close()
        row = await MeetingParticipant.get(id=pk(bob_id))
        assert row.state == ParticipantState.LEFT
        attendance = await MeetingAttendance.get(participant_id=row.id)
        assert attendance.left_at is not None
        # Ada, alive all along, is still in
        assert (await MeetingParticipant.get(id=pk(to_ada.sync["you"]["id"]))).state == (
            ParticipantState.JOINED
        )
    finally:
        await to_ada.close()
