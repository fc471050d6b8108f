"""The codes Video meetings raises beyond ``CoreErrorCode``."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class MeetingsErrorCode(ErrorCode):
    # An OFFER, ANSWER or RENEGOTIATE payload that is not a WebRTC session description.
    INVALID_SDP = auto()
    # An ICE_CANDIDATE payload that is not an RTCIceCandidateInit with an RFC 8839 candidate.
    INVALID_CANDIDATE = auto()
    # The passcode is missing or wrong.
    WRONG_PASSCODE = auto()
    # The meeting is locked: nobody new is admitted.
    MEETING_LOCKED = auto()
    # The meeting has ended.
    MEETING_ENDED = auto()
    # The meeting holds as many participants as it may (or a mesh is full and no SFU is set up).
    MEETING_FULL = auto()
    # You are not (or no longer) in the meeting: join first (or wait to be admitted).
    NOT_IN_MEETING = auto()
    # The SFU (Janus) could not be reached or refused the request.
    SFU_UNAVAILABLE = auto()
    # Another participant is sharing and the host allows one share at a time.
    SHARE_IN_PROGRESS = auto()
    # A recording is already running (or none is, for a stop).
    RECORDING_CONFLICT = auto()
