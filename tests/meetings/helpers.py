"""Helpers of the Video meetings tests: GraphQL operations, a meeting made and joined, and a
``meetingEvents`` subscriber over WebSocket that reads its events."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.relay import GlobalID

from tests.client import Account, Api, WSClient

PARTICIPANT = """id displayName role state isGuest session audioMuted videoMuted mutedByHost
  handRaisedAt sharing joinedAt"""

CREATE = """mutation($input: MeetingCreateInput!) { meetingCreate(input: $input) {
  meeting { id number topic status mode joinUrl passcode lobbyPolicy }
  errors { code message field } } }"""

JOIN = f"""mutation($input: MeetingJoinInput!) {{ meetingJoin(input: $input) {{
  meeting {{ id status mode }} participant {{ {PARTICIPANT} }} participants {{ {PARTICIPANT} }}
  iceServers {{ urls username credential }} guestToken errors {{ code message field }} }} }}"""

JOIN_AS_GUEST = f"""mutation($input: MeetingJoinAsGuestInput!) {{
  meetingJoinAsGuest(input: $input) {{
  meeting {{ id status mode }} participant {{ {PARTICIPANT} }} participants {{ {PARTICIPANT} }}
  iceServers {{ urls username credential }} guestToken errors {{ code message field }} }} }}"""

LEAVE = """mutation($m: ID!) { meetingLeave(meetingId: $m) { meeting { id status }
  errors { code message } } }"""

SIGNAL = """mutation($input: MeetingSignalInput!) { meetingSignal(input: $input) {
  seq errors { code message field retryAfter } } }"""

EVENTS = f"""subscription($m: ID!) {{ meetingEvents(meetingId: $m) {{
  __typename
  ... on MeetingSyncEvent {{ meeting {{ id status mode locked revision }}
      participants {{ {PARTICIPANT} }} you {{ {PARTICIPANT} }} }}
  ... on MeetingParticipantEvent {{ participantChange revision actorId participant {{ {PARTICIPANT} }} }}
  ... on MeetingChangedEvent {{ meetingChange revision meeting {{ id status mode locked }} }}
  ... on MeetingSignalEvent {{ kind payload seq fromId fromSession }}
  ... on MeetingStreamEndedEvent {{ reason }}
  ... on MeetingReactionEvent {{ emoji participantId }}
}} }}"""


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


async def create_meeting(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, {"input": fields}, token=who.access_token)
    p = data["meetingCreate"]
    assert p["errors"] == [], p["errors"]
    return p["meeting"]


async def join(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    """The ``meetingJoin`` payload (errors included)."""
    data = await api.gql(JOIN, {"input": fields}, token=token)
    return data["meetingJoin"]


async def join_ok(api: Api, who: Account, meeting_id: str | None, **fields: Any) -> dict[str, Any]:
    """Join by ID (a participant so far, the host, an invitee) or, with ``number=``, by
    number (any member of the organization)."""
    if meeting_id is not None:
        fields["meetingId"] = meeting_id
    p = await join(api, who.access_token, **fields)
    assert p["errors"] == [], p["errors"]
    return p


async def join_as_guest(api: Api, link: str, name: str = "Guest") -> dict[str, Any]:
    data = await api.gql(JOIN_AS_GUEST, {"input": {"link": link, "displayName": name}})
    return data["meetingJoinAsGuest"]


async def signal(
    api: Api, token: str, meeting_id: str, to: str | None, kind: str, payload: str
) -> dict[str, Any]:
    data = await api.gql(
        SIGNAL,
        {"input": {"meetingId": meeting_id, "to": to, "kind": kind, "payload": payload}},
        token=token,
    )
    return data["meetingSignal"]


class Events:
    """A ``meetingEvents`` subscription on its own WebSocket."""

    def __init__(self, ws: WSClient, op: str) -> None:
        self.ws = ws
        self.op = op
        self.ended: dict[str, Any] | None = None

    @classmethod
    async def open(cls, server: str, token: str, meeting_id: str) -> Events:
        ws = await WSClient.connect(server)
        ack = await ws.init({"authorization": f"Bearer {token}"})
        assert ack["type"] == "connection_ack", ack
        op = await ws.subscribe(EVENTS, {"m": meeting_id})
        events = cls(ws, op)
        first = await events.next()
        assert first["__typename"] == "MeetingSyncEvent", first
        events.sync = first
        return events

    sync: dict[str, Any]

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        """The next event; raises on an error, and AssertionError when the stream completed."""
        while True:
            msg = await self.ws.receive(timeout)
            if msg.get("id") != self.op:
                continue
            if msg["type"] == "next":
                payload = msg["payload"]
                assert not payload.get("errors"), payload["errors"]
                return payload["data"]["meetingEvents"]
            if msg["type"] == "error":
                raise AssertionError(f"stream error: {msg['payload']}")
            raise AssertionError(f"stream ended: {msg}")

    async def until(self, typename: str, timeout: float = 5, **match: Any) -> dict[str, Any]:
        """Skip events until one of ``typename`` whose fields include ``match``."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.next(timeout)
                if event["__typename"] == typename and all(
                    event.get(k) == v for k, v in match.items()
                ):
                    return event

    async def completes(self, timeout: float = 5) -> list[dict[str, Any]]:
        """Read until the server completes the stream; the events on the way."""
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive(timeout)
                if msg.get("id") != self.op:
                    continue
                if msg["type"] == "complete":
                    return seen
                if msg["type"] == "error":
                    seen.append({"__error__": msg["payload"]})
                    continue
                seen.append(msg["payload"]["data"]["meetingEvents"])

    async def close(self) -> None:
        await self.ws.close()
