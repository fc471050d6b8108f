"""The recorder in an SFU meeting: a server-side aiortc peer that subscribes through Janus to
each publisher on a handle and a connection of its own (so one joining or leaving disturbs no
other), checking who publishes every ``POLL_SECONDS`` (which also keeps its Janus session
alive), and hands each track to the recorder's ``on_track`` with the participant it is of.
A publisher who publishes again (a new device) gets a new subscription: ``on_track`` is
called again for that participant with the new tracks."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.janus import JanusError
from models.meetings import Meeting
from resolvers.meetings.sfu import (
    TrackSink,
    _in_room,
    do_assign_room,
    janus,
    participant_token,
    room_secret,
    spawn,
)

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

log = logging.getLogger("hello.meetings.sfu")
POLL_SECONDS = 1.0
RECORDER = "recorder"


@dataclass
class _Feed:
    handle: int
    pc: RTCPeerConnection


async def do_record(meeting: Meeting, on_track: TrackSink, stop: asyncio.Event) -> None:
    room = await do_assign_room(meeting)
    client = janus()
    session = await client.create_session()
    feeds: dict[int, _Feed] = {}
    try:
        control = await client.attach(session)
        token = participant_token(room, RECORDER)
        await _in_room(
            room,
            session,
            control,
            lambda: client.allow(session, control, room, room_secret(room), [token]),
        )
        while not stop.is_set():
            now = set(await client.publishers(session, control, room))
            for feed in list(feeds):
                if feed not in now:
                    await _drop(session, feeds.pop(feed))
            for feed in now - set(feeds):
                try:
                    feeds[feed] = await _subscribe(session, room, feed, token, on_track)
                except JanusError as e:
                    log.info("recorder: feed %s of room %s: %s", feed, room, e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
    finally:
        for entry in feeds.values():
            await _drop(session, entry, detach=False)
        with contextlib.suppress(JanusError):
            await client.destroy_session(session)


async def _subscribe(session: int, room: int, feed: int, token: str, on_track: TrackSink) -> _Feed:
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

    client = janus()
    handle = await client.attach(session)
    result = await client.subscribe(session, handle, room, [feed], token)
    assert result.jsep is not None
    pc = RTCPeerConnection()

    @pc.on("track")
    def on_remote(track: MediaStreamTrack) -> None:
        outcome: Any = on_track(track, feed)
        if inspect.isawaitable(outcome):
            spawn(outcome)

    try:
        await pc.setRemoteDescription(RTCSessionDescription(str(result.jsep["sdp"]), "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await client.start(session, handle, pc.localDescription.sdp)
    except BaseException:
        await pc.close()
        raise
    return _Feed(handle, pc)


async def _drop(session: int, feed: _Feed, detach: bool = True) -> None:
    await feed.pc.close()
    if detach:
        with contextlib.suppress(JanusError):
            await janus().detach(session, feed.handle)
