"""The SFU seam: what the rest of Video meetings asks of Janus (``resolvers.meetings.janus``
drives its HTTP API). Without ``HELLO_MEETINGS_JANUS_URL`` there is no SFU: a mesh is full at
``meetings_mesh_max``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from adapters.settings import get_settings
from models.meetings import Meeting, MeetingParticipant
from resolvers.core.errors import DomainError
from resolvers.meetings.errors import MeetingsErrorCode

if TYPE_CHECKING:
    # aiortc (and PyAV, FFmpeg) load only in a process that records or talks to Janus.
    from aiortc import MediaStreamTrack


class SfuUnavailable(DomainError):
    code = MeetingsErrorCode.SFU_UNAVAILABLE
    default_message = "The media server (SFU) cannot be reached right now; try again shortly."


def sfu_configured() -> bool:
    return bool(get_settings().meetings_janus_url)


async def do_sfu_signal(
    meeting: Meeting, participant: MeetingParticipant, kind: str, payload: str
) -> None:
    """Relay a participant's signal addressed to the SFU (``to`` omitted in an SFU meeting):
    their publisher offer, their answer to a subscriber offer, a trickled candidate. Janus's
    answers and offers come back as signals from participant 0 on the participant's channel."""
    raise SfuUnavailable("This server has no SFU (HELLO_MEETINGS_JANUS_URL is not set).")


async def do_sfu_leave(meeting: Meeting, participant: MeetingParticipant) -> None:
    """The participant left an SFU meeting: end their Janus session (after commit)."""


async def do_sfu_end(meeting: Meeting) -> None:
    """The meeting ended: destroy its Janus room (after commit)."""


TrackSink = Callable[["MediaStreamTrack", int], Awaitable[None] | None]
"""Called with each remote track and the participant id it comes from."""


async def do_sfu_record(meeting: Meeting, on_track: TrackSink, stop: asyncio.Event) -> None:
    """The recorder's way into an SFU meeting: subscribe through Janus to every publisher of
    the meeting (and to each that starts publishing later), hand each track received to
    ``on_track``, until ``stop`` is set; then leave Janus."""
    raise SfuUnavailable("This server has no SFU (HELLO_MEETINGS_JANUS_URL is not set).")
