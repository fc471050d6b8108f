"""Event channels and payloads of identity: plain JSON, never model objects.

Identity's kinds are declared once, in ``IdentityEventKind``; each payload is a ``TypedDict``
built here, so a consumer that compares ``event["type"]`` with a member reads the keys mypy
knows that kind carries. ``is_identity_event`` tells identity's payloads from other modules'
on a shared channel: directory events share the organization channel with Admin's
(``resolvers.admin.events.OrganizationEvent``). ``AuthEvent`` is what the auth channel
carries."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard

from models.identity import User
from resolvers.core.channels import AUTH_CHANNEL as AUTH_CHANNEL
from resolvers.core.channels import organization_channel as organization_channel

# The channels are named in resolvers/core (other modules publish on them too); identity's own
# code keeps reading them here as events.AUTH_CHANNEL and events.organization_channel.
from resolvers.core.webhook_events import WebhookAudience, register_webhook_event


class IdentityEventKind(StrEnum):
    """The ``type`` of identity's events, as it travels on the bus."""

    MEMBER_JOINED = "member.joined"
    MEMBER_UPDATED = "member.updated"
    SESSIONS_REVOKED = "sessions.revoked"
    CREDENTIALS_CHANGED = "credentials.changed"


class UserSnapshot(TypedDict):
    id: int
    organizationId: int
    email: str
    displayName: str
    role: str
    isActive: bool
    timeZone: str
    locale: str
    managerId: int | None
    avatarFileId: int | None
    isBot: bool


class MemberEvent(TypedDict):
    """What the events about one member of an organization carry besides their kind (Admin's
    ``member.deactivated`` too)."""

    organizationId: int
    user: UserSnapshot


class MemberJoined(MemberEvent):
    type: Literal[IdentityEventKind.MEMBER_JOINED]


class MemberUpdated(MemberEvent):
    type: Literal[IdentityEventKind.MEMBER_UPDATED]


class SessionsRevoked(TypedDict):
    type: Literal[IdentityEventKind.SESSIONS_REVOKED]
    sessionIds: list[int]
    userIds: list[int]


class CredentialsChanged(TypedDict):
    """A user, sign-in session or token changed: every process forgets the tokens it
    remembers (``resolvers/identity/auth_cache.py``)."""

    type: Literal[IdentityEventKind.CREDENTIALS_CHANGED]


IdentityEvent = MemberJoined | MemberUpdated | SessionsRevoked | CredentialsChanged
"""Every event of identity: one ``TypedDict`` per ``IdentityEventKind`` member."""

AuthEvent = SessionsRevoked | CredentialsChanged
"""What the auth channel carries: every process closes the sockets it ends, and forgets the
tokens it remembers."""

_KINDS = frozenset(IdentityEventKind)


def is_identity_event(event: Mapping[str, Any]) -> TypeGuard[IdentityEvent]:
    """True for a payload of one of identity's kinds (from the bus, a plain str equal to it);
    comparing ``event["type"]`` with a member then narrows it to that kind's ``TypedDict``."""
    return event.get("type") in _KINDS


def user_snapshot(user: User) -> UserSnapshot:
    """What every member may see of a user, carried in events so that delivering one to many
    subscribers needs no query per subscriber."""
    return {
        "id": user.id,
        "organizationId": user.organization_id,
        "email": user.email,
        "displayName": user.display_name,
        "role": user.role.value if hasattr(user.role, "value") else str(user.role),
        "isActive": user.is_active,
        "timeZone": user.time_zone,
        "locale": user.locale,
        "managerId": user.manager_id,
        "avatarFileId": user.avatar_file_id,
        "isBot": user.is_bot,
    }


def member_joined(user: User) -> MemberJoined:
    return {
        "type": IdentityEventKind.MEMBER_JOINED,
        "organizationId": user.organization_id,
        "user": user_snapshot(user),
    }


def member_updated(user: User) -> MemberUpdated:
    """Profile, role, manager, departments or reactivation changed."""
    return {
        "type": IdentityEventKind.MEMBER_UPDATED,
        "organizationId": user.organization_id,
        "user": user_snapshot(user),
    }


def sessions_revoked(session_ids: list[int], user_ids: list[int]) -> SessionsRevoked:
    return {
        "type": IdentityEventKind.SESSIONS_REVOKED,
        "sessionIds": session_ids,
        "userIds": user_ids,
    }


def credentials_changed() -> CredentialsChanged:
    return {"type": IdentityEventKind.CREDENTIALS_CHANGED}


# Webhooks (resolvers/core/webhook_events.py): directory changes. Sign-outs and credential
# changes are a person's own security events and are not offered.
register_webhook_event(
    IdentityEventKind.MEMBER_JOINED,
    "Someone joined the organization.",
    module="identity",
    audience=WebhookAudience.ORGANIZATION,
)
register_webhook_event(
    IdentityEventKind.MEMBER_UPDATED,
    "A member's profile or role changed.",
    module="identity",
    audience=WebhookAudience.ORGANIZATION,
)
