"""Event channels and payloads of identity. Payloads are plain JSON: ids, never objects, so a
subscriber re-reads what it may see."""

from __future__ import annotations

AUTH_CHANNEL = "auth"


def organization_channel(organization_id: int) -> str:
    return f"org:{organization_id}"


def member_joined(user_id: int) -> dict[str, object]:
    return {"type": "member.joined", "userId": user_id}


def sessions_revoked(session_ids: list[int], user_ids: list[int]) -> dict[str, object]:
    return {"type": "sessions.revoked", "sessionIds": session_ids, "userIds": user_ids}
