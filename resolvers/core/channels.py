"""The bus channels every module publishes on and subscribes to, named in one place: events of
one module reach the streams of another (Drive writes to a user's channel, Admin to an
organization's), so no module owns these names."""

from __future__ import annotations

AUTH_CHANNEL = "auth"
"""Sign-outs and revocations, for every process to close the sockets they end."""


def organization_channel(organization_id: int) -> str:
    return f"org:{organization_id}"


def user_channel(user_id: int) -> str:
    """One user's own events (viewerEvents)."""
    return f"user:{user_id}"


def chat_channel(chat_id: int) -> str:
    return f"chat:{chat_id}"


def doc_channel(doc_id: int) -> str:
    """One doc's live edits, awareness, comments and access changes (docEvents)."""
    return f"doc:{doc_id}"


def job_channel(job_id: int) -> str:
    """One background job's progress and final state (backgroundJobEvents)."""
    return f"job:{job_id}"


WEBHOOKS_CHANNEL = "webhooks"
"""Changes of webhook subscriptions, for every process to forget which organizations have any."""


def meeting_channel(meeting_id: int) -> str:
    """One meeting's state changes (joined, left, muted, sharing, hands, host, recording)."""
    return f"meeting:{meeting_id}"


def meeting_participant_channel(meeting_id: int, participant_id: int) -> str:
    """The signals addressed to one participant of one meeting (meetingEvents)."""
    return f"meeting:{meeting_id}:p:{participant_id}"
