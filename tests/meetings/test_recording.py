"""Recording a mesh meeting into Drive, end to end with real aiortc peers: the host starts
recording, the recorder (a server-side aiortc peer) joins through the normal signaling, the
host stops it; the events say RECORDING, progress, STOPPING, UPLOADING, READY; the file is in
the host's Drive, shared with the other participant, and PyAV opens it with audio and video
and the length that was recorded. Who may record, and recordings that fail."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import timedelta
from typing import Any

import av
import httpx
import pytest

from models.drive import DriveItem, DrivePermission, DriveRole
from models.jobs import BackgroundJob, JobState
from models.meetings import (
    Meeting,
    MeetingMode,
    MeetingParticipant,
    MeetingRecording,
    ParticipantRole,
    RecordingState,
)
from resolvers.core.clock import now
from resolvers.meetings.recorder import DIED
from resolvers.meetings.recording import RECORD_JOB
from tests.client import Api
from tests.meetings import helpers
from tests.meetings.helpers import create_meeting, gid, join_ok, pk
from tests.meetings.peers import Peer

RECORDING = "id state startedAt stoppedAt durationMs bytes error file { id name downloadUrl }"
START = f"""mutation($m: ID!) {{ meetingRecordingStart(meetingId: $m) {{
  recording {{ {RECORDING} }} errors {{ code message field }} }} }}"""
STOP = f"""mutation($m: ID!) {{ meetingRecordingStop(meetingId: $m) {{
  recording {{ {RECORDING} }} errors {{ code message field }} }} }}"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ ... on MeetingRecording {{ {RECORDING} }} }} }}"""
RECORDINGS = f"""query($id: ID!) {{ meeting(id: $id) {{ recordings {{ {RECORDING} }} }} }}"""
# The events the peers' streams ask for, with the recording's.
EVENTS = helpers.EVENTS.replace(
    "... on MeetingStreamEndedEvent",
    "... on MeetingRecordingEvent { recordingId state durationMs bytes fileId error }\n"
    "  ... on MeetingStreamEndedEvent",
)


@pytest.fixture(autouse=True)
def _events_with_recordings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpers, "EVENTS", EVENTS)


async def _start(api: Api, token: str, meeting_id: str) -> dict[str, Any]:
    return (await api.gql(START, {"m": meeting_id}, token=token))["meetingRecordingStart"]


async def _stop(api: Api, token: str, meeting_id: str) -> dict[str, Any]:
    return (await api.gql(STOP, {"m": meeting_id}, token=token))["meetingRecordingStop"]


async def _until_state(recording_id: int, *states: RecordingState, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while (await MeetingRecording.get(id=recording_id)).state not in states:
            await asyncio.sleep(0.1)


def _recording_events(peer: Peer) -> list[dict[str, Any]]:
    return [e for e in peer.seen if e["__typename"] == "MeetingRecordingEvent"]


async def test_the_host_records_a_mesh_meeting_into_drive(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada, topic="Design review")
    one = Peer(api, server, meeting["id"], ada.access_token)
    two = Peer(api, server, meeting["id"], bob.access_token)
    try:
        await one.join()
        await two.join(number=meeting["number"])
        await one.wait_frames(two.id)
        await two.wait_frames(one.id)

        started = await _start(api, ada.access_token, meeting["id"])
        t0 = time.monotonic()
        assert started["errors"] == [], started["errors"]
        recording = started["recording"]
        assert recording["state"] == "RECORDING" and recording["file"] is None
        # A second start while it runs is refused.
        again = await _start(api, ada.access_token, meeting["id"])
        assert [e["code"] for e in again["errors"]] == ["RECORDING_CONFLICT"]
        await asyncio.sleep(4)
        stopped = await _stop(api, ada.access_token, meeting["id"])
        recorded = time.monotonic() - t0
        assert stopped["errors"] == [] and stopped["recording"]["state"] == "STOPPING"
        await _until_state(pk(recording["id"]), RecordingState.READY, RecordingState.FAILED)

        # The recorder came in as a participant of its own, and its media reached it: it
        # answered through the normal signaling.
        recorder = await MeetingParticipant.get(
            meeting_id=pk(meeting["id"]), role=ParticipantRole.RECORDER
        )
        assert recorder.user_id is None and recorder.display_name == "Recording"
        joined = [
            e
            for e in one.seen
            if e["__typename"] == "MeetingParticipantEvent"
            and e["participant"]["role"] == "RECORDER"
        ]
        assert [e["participantChange"] for e in joined][:2] == ["JOINED", "LEFT"]

        async with asyncio.timeout(10):
            while not any(e["state"] == "READY" for e in _recording_events(two)):
                await asyncio.sleep(0.05)
        events = _recording_events(one)
        states = [e["state"] for e in events]
        assert states[0] == "RECORDING" and states[-1] == "READY", states
        assert states.index("STOPPING") < states.index("UPLOADING") < states.index("READY")
        progress = [e for e in events if e["state"] == "RECORDING" and e["bytes"] > 0]
        assert progress and progress[-1]["durationMs"] >= 1000, events
        ready = events[-1]
        assert ready["recordingId"] == recording["id"] and ready["fileId"] is not None

        # In Ada's Drive, in her recordings folder, shared with Bob (viewer).
        node = (await api.gql(NODE, {"id": recording["id"]}, token=ada.access_token))["node"]
        assert node["state"] == "READY" and node["error"] is None
        assert node["file"]["id"] == ready["fileId"]
        assert node["file"]["name"].startswith("Design review ") and node["file"]["name"].endswith(
            " UTC.mp4"
        )
        item = await DriveItem.get(id=pk(ready["fileId"]))
        folder = await DriveItem.get(id=item.parent_id)
        assert item.owner_id == pk(ada.user_id) and folder.name == "Meeting recordings"
        assert (await DriveItem.get(id=folder.parent_id)).root_of_id == pk(ada.user_id)
        grant = await DrivePermission.get(item_id=item.id)
        assert grant.grantee_id == pk(bob.user_id) and grant.role == DriveRole.VIEWER
        listed = (await api.gql(RECORDINGS, {"id": meeting["id"]}, token=bob.access_token))[
            "meeting"
        ]["recordings"]
        assert [r["id"] for r in listed] == [recording["id"]]
        assert listed[0]["file"]["id"] == ready["fileId"]

        # Bob downloads it; PyAV opens it: audio and video, as long as was recorded.
        async with httpx.AsyncClient() as http:
            r = await http.get(listed[0]["file"]["downloadUrl"])
        assert r.status_code == 200 and len(r.content) == node["bytes"]
        with av.open(io.BytesIO(r.content)) as container:
            kinds = sorted(s.type for s in container.streams)
            assert kinds == ["audio", "video"]
            assert container.duration is not None
            duration = container.duration / 1_000_000
            assert abs(duration - recorded) <= 0.1 * recorded, (duration, recorded)
            # The picture holds the peers' video (aiortc's test pattern is green: Y = 0),
            # not the black of an empty grid (Y = 16).
            frames = [f for f in container.decode(video=0)]
            luma = bytes(frames[-1].planes[0])
            assert luma.count(16) < len(luma) // 2
    finally:
        await two.close()
        await one.close()


async def test_only_a_host_in_the_meeting_records(api: Api, server: str) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Other")
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    refused = await _start(api, bob.access_token, meeting["id"])
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert refused["recording"] is None
    elsewhere = await _start(api, eve.access_token, meeting["id"])
    assert [e["code"] for e in elsewhere["errors"]] == ["NOT_FOUND"]
    assert not await MeetingRecording.exists(meeting_id=pk(meeting["id"]))
    nothing = await _stop(api, ada.access_token, meeting["id"])
    assert [e["code"] for e in nothing["errors"]] == ["RECORDING_CONFLICT"]
    assert [e["code"] for e in (await _stop(api, bob.access_token, meeting["id"]))["errors"]] == [
        "FORBIDDEN"
    ]


async def test_a_recording_the_sfu_cannot_make_fails_with_its_reason(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada)
    await join_ok(api, ada, meeting["id"])
    # As a meeting that outgrew the mesh is (without a Janus on this server, in this branch).
    await Meeting.filter(id=pk(meeting["id"])).update(mode=MeetingMode.SFU)
    started = await _start(api, ada.access_token, meeting["id"])
    assert started["errors"] == []
    recording_id = pk(started["recording"]["id"])
    await _until_state(recording_id, RecordingState.FAILED, RecordingState.READY)
    node = (await api.gql(NODE, {"id": started["recording"]["id"]}, token=ada.access_token))["node"]
    assert node["state"] == "FAILED" and node["file"] is None
    assert "media server (SFU)" in node["error"]
    # A failed recording no longer runs: recording again is allowed.
    again = await _start(api, ada.access_token, meeting["id"])
    assert again["errors"] == []


async def test_a_recorder_whose_process_died_is_failed_when_its_lease_ends(api: Api) -> None:
    ada = await api.sign_up()
    meeting = await create_meeting(api, ada)
    joined = await join_ok(api, ada, meeting["id"])
    assert joined["participant"]["role"] == "HOST"
    m = await Meeting.get(id=pk(meeting["id"]))
    # What a worker that died while recording leaves: the recording RECORDING, its job
    # RUNNING on its first attempt, the lease run out.
    r = await MeetingRecording.create(
        meeting_id=m.id, organization_id=m.organization_id, started_by_id=pk(ada.user_id)
    )
    job = await BackgroundJob.create(
        name=RECORD_JOB,
        args={"recordingId": r.id},
        key=f"record:{r.id}",
        organization_id=m.organization_id,
        state=JobState.RUNNING,
        attempts=1,
        max_attempts=2,
        run_at=now() - timedelta(minutes=10),
        lease_until=now() - timedelta(seconds=1),
    )
    await MeetingRecording.filter(id=r.id).update(job_id=job.id)
    # The relay's reaper hands the job back; its second attempt says what happened.
    await _until_state(r.id, RecordingState.FAILED, timeout=30)
    node = (await api.gql(NODE, {"id": gid("MeetingRecording", r.id)}, token=ada.access_token))[
        "node"
    ]
    assert node["state"] == "FAILED" and node["error"] == DIED
    assert (await BackgroundJob.get(id=job.id)).state == JobState.SUCCEEDED


async def test_a_latecomer_is_recorded_and_the_end_of_the_meeting_stops_the_recording(
    api: Api, server: str
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada)
    one = Peer(api, server, meeting["id"], ada.access_token)
    two = Peer(api, server, meeting["id"], bob.access_token)
    try:
        await one.join()
        started = await _start(api, ada.access_token, meeting["id"])
        assert started["errors"] == []
        recording_id = pk(started["recording"]["id"])
        async with asyncio.timeout(30):
            while not await MeetingParticipant.exists(
                meeting_id=pk(meeting["id"]), role=ParticipantRole.RECORDER
            ):
                await asyncio.sleep(0.05)
        recorder = await MeetingParticipant.get(
            meeting_id=pk(meeting["id"]), role=ParticipantRole.RECORDER
        )
        # Bob comes in after the recorder: he offers to everyone there, the recorder included,
        # and the recorder answers him.
        payload = await two.join(number=meeting["number"])
        assert gid("MeetingParticipant", recorder.id) in [p["id"] for p in payload["participants"]]
        async with asyncio.timeout(30):
            while not any(
                e["__typename"] == "MeetingSignalEvent"
                and e["kind"] == "ANSWER"
                and e["fromId"] == gid("MeetingParticipant", recorder.id)
                for e in two.seen
            ):
                await asyncio.sleep(0.05)
        # Everyone leaves: the meeting ends, and its recording is stored all the same.
        await two.close()
        await one.close()
        await _until_state(recording_id, RecordingState.READY, RecordingState.FAILED)
        r = await MeetingRecording.get(id=recording_id)
        assert r.state == RecordingState.READY and r.file_id is not None, r.error
        assert (await Meeting.get(id=pk(meeting["id"]))).status == "ENDED"
    finally:
        await two.close()
        await one.close()
