"""What a signal may carry, checked before it is relayed: a WebRTC session description
(RFC 8866 with what WebRTC needs of it) for OFFER, ANSWER and RENEGOTIATE, an
RTCIceCandidateInit whose candidate is RFC 8839's grammar for ICE_CANDIDATE.

The server does not negotiate anything: it refuses what no browser or WebRTC stack would
accept, so garbage never reaches a peer, and relays the rest as it came."""

from __future__ import annotations

import ipaddress
import re

import orjson

from resolvers.core.errors import ValidationFailed
from resolvers.meetings.errors import MeetingsErrorCode

MAX_SDP_BYTES = 64 * 1024
MAX_CANDIDATE_BYTES = 2048
MAX_REASON = 200

_LINE = re.compile(r"^[a-z]=[^\r\n]*$")
_MEDIA = re.compile(
    r"^m=(audio|video|application|text|message) \d{1,5}(/\d+)? [A-Za-z0-9/]+( \S+)+$"
)
_ORIGIN = re.compile(r"^o=\S+ \d+ \d+ IN IP[46] \S+$")
_ICE_CHAR = r"[A-Za-z0-9+/]"
_CANDIDATE = re.compile(
    rf"^(?:a=)?candidate:(?P<foundation>{_ICE_CHAR}{{1,32}}) (?P<component>\d{{1,3}}) "
    r"(?P<transport>[A-Za-z]{3}) (?P<priority>\d{1,10}) (?P<address>\S+) (?P<port>\d{1,5}) "
    r"typ (?P<type>host|srflx|prflx|relay)(?P<rest>( \S+ \S+)*)$"
)
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*$")


def _sdp_error(why: str) -> ValidationFailed:
    return ValidationFailed(
        f"Not a WebRTC session description: {why}.",
        field="payload",
        code=MeetingsErrorCode.INVALID_SDP,
    )


def _candidate_error(why: str) -> ValidationFailed:
    return ValidationFailed(
        f"Not an ICE candidate: {why}.", field="payload", code=MeetingsErrorCode.INVALID_CANDIDATE
    )


def check_sdp(payload: str) -> str:
    """``payload`` if it is a session description WebRTC can use, else INVALID_SDP."""
    if len(payload.encode()) > MAX_SDP_BYTES:
        raise _sdp_error(f"longer than {MAX_SDP_BYTES} bytes")
    lines = payload.replace("\r\n", "\n").rstrip("\n").split("\n")
    if not lines or lines[0] != "v=0":
        raise _sdp_error("it must start with v=0")
    seen: set[str] = set()
    media = 0
    for number, line in enumerate(lines, start=1):
        if not _LINE.match(line):
            raise _sdp_error(f"line {number} is not <letter>=<value>")
        kind = line[0]
        seen.add(kind)
        if kind == "o" and not _ORIGIN.match(line):
            raise _sdp_error(f"line {number}: a malformed origin (o=)")
        if kind == "m":
            if not _MEDIA.match(line):
                raise _sdp_error(f"line {number}: a malformed media line (m=)")
            media += 1
    for required in "ost":
        if required not in seen:
            raise _sdp_error(f"no {required}= line")
    if media == 0:
        raise _sdp_error("no media (m=) section")
    if "a=fingerprint:" not in payload:
        raise _sdp_error("no DTLS fingerprint (a=fingerprint)")
    if "a=ice-ufrag:" not in payload or "a=ice-pwd:" not in payload:
        raise _sdp_error("no ICE credentials (a=ice-ufrag, a=ice-pwd)")
    return payload


def _check_address(address: str) -> None:
    if address.endswith(".local") and _HOSTNAME.match(address):
        return  # an mDNS name hiding a host address (browsers do this)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        if not _HOSTNAME.match(address) or len(address) > 253:
            raise _candidate_error(f"{address!r} is not an address") from None


def check_candidate_line(line: str) -> str:
    """An RFC 8839 candidate attribute (``candidate:...``), else INVALID_CANDIDATE."""
    m = _CANDIDATE.match(line)
    if m is None:
        raise _candidate_error(
            "the candidate does not follow RFC 8839 (candidate:<foundation> "
            "<component> <transport> <priority> <address> <port> typ <type>)"
        )
    if not 1 <= int(m["component"]) <= 256:
        raise _candidate_error("component out of 1..256")
    if m["transport"].lower() not in ("udp", "tcp"):
        raise _candidate_error("transport is UDP or TCP")
    if int(m["priority"]) > 2**32 - 1:
        raise _candidate_error("priority out of range")
    if int(m["port"]) > 65535:
        raise _candidate_error("port out of range")
    _check_address(m["address"])
    rest = m["rest"].split()
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        if key == "raddr":
            _check_address(value)
        elif key == "rport" and (not value.isdigit() or int(value) > 65535):
            raise _candidate_error("rport out of range")
    return line


def check_candidate(payload: str) -> str:
    """``payload`` if it is an RTCIceCandidateInit as JSON (``candidate``, ``sdpMid``,
    ``sdpMLineIndex``, ``usernameFragment``), else INVALID_CANDIDATE. An empty ``candidate``
    is the end of candidates."""
    if len(payload.encode()) > MAX_CANDIDATE_BYTES:
        raise _candidate_error(f"longer than {MAX_CANDIDATE_BYTES} bytes")
    try:
        init = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise _candidate_error("the payload is not JSON (an RTCIceCandidateInit)") from None
    if not isinstance(init, dict):
        raise _candidate_error("the payload is a JSON object (an RTCIceCandidateInit)")
    unknown = set(init) - {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}
    if unknown:
        raise _candidate_error(f"unknown members {sorted(unknown)}")
    candidate = init.get("candidate")
    if not isinstance(candidate, str):
        raise _candidate_error("candidate is a string")
    mid = init.get("sdpMid")
    index = init.get("sdpMLineIndex")
    if mid is not None and (not isinstance(mid, str) or not 0 < len(mid) <= 32):
        raise _candidate_error("sdpMid is a string of 1 to 32 characters or null")
    if index is not None and (
        not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= 1023
    ):
        raise _candidate_error("sdpMLineIndex is 0 to 1023 or null")
    if mid is None and index is None:
        raise _candidate_error("sdpMid or sdpMLineIndex is needed")
    ufrag = init.get("usernameFragment")
    if ufrag is not None and (not isinstance(ufrag, str) or len(ufrag) > 256):
        raise _candidate_error("usernameFragment is a string or null")
    if candidate:
        check_candidate_line(candidate)
    return payload


def check_reason(payload: str) -> str:
    """A RENEGOTIATE request carries a session description (an offer made during a
    renegotiation) or a short reason for asking the peer to offer again."""
    if payload.startswith("v=0"):
        return check_sdp(payload)
    if len(payload) > MAX_REASON:
        raise _sdp_error(f"a RENEGOTIATE reason has at most {MAX_REASON} characters")
    return payload
