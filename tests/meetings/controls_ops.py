"""GraphQL operations of the meetings controls, for the tests (``helpers`` has the contract's)."""

from __future__ import annotations

from typing import Any

from tests.client import Api
from tests.meetings.helpers import PARTICIPANT

ERRORS = "errors { code message field }"
_OPS = {
    "meetingLobbyAdmit": ("MeetingLobbyInput", f"participants {{ {PARTICIPANT} }}"),
    "meetingLobbyRefuse": ("MeetingLobbyInput", f"participants {{ {PARTICIPANT} }}"),
    "meetingParticipantRemove": (
        "MeetingParticipantRemoveInput",
        f"participant {{ {PARTICIPANT} }}",
    ),
    "meetingParticipantMute": ("MeetingParticipantMuteInput", f"participant {{ {PARTICIPANT} }}"),
    "meetingMuteAll": ("MeetingMuteAllInput", f"participants {{ {PARTICIPANT} }}"),
    "meetingHandsLower": ("MeetingHandsLowerInput", f"participants {{ {PARTICIPANT} }}"),
    "meetingCohostSet": ("MeetingCohostSetInput", f"participant {{ {PARTICIPANT} }}"),
    "meetingHostTransfer": ("MeetingHostTransferInput", "meeting { id status host { id } }"),
    "meetingUpdate": (
        "MeetingUpdateInput",
        "meeting { id locked lobbyPolicy allowMultipleShares topic revision }",
    ),
    "meetingSelfUpdate": ("MeetingSelfUpdateInput", f"participant {{ {PARTICIPANT} }}"),
    "meetingReact": ("MeetingReactInput", "emoji"),
}
END = "mutation($m: ID!) { meetingEnd(meetingId: $m) { meeting { id status } errors { code } } }"


async def op(api: Api, token: str, name: str, **input: Any) -> dict[str, Any]:
    """Run control ``name`` with ``input``; its payload (errors included)."""
    input_type, select = _OPS[name]
    query = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {select} {ERRORS} }} }}"
    data = await api.gql(query, {"i": input}, token=token)
    return dict(data[name])


async def ok(api: Api, token: str, name: str, **input: Any) -> dict[str, Any]:
    payload = await op(api, token, name, **input)
    assert payload["errors"] == [], (name, payload["errors"])
    return payload


async def codes(api: Api, token: str, name: str, **input: Any) -> list[str]:
    return [e["code"] for e in (await op(api, token, name, **input))["errors"]]


async def end(api: Api, token: str, meeting_id: str) -> dict[str, Any]:
    data = await api.gql(END, {"m": meeting_id}, token=token)
    return dict(data["meetingEnd"])
