"""Event channels and payloads of identity: plain JSON, never model objects."""

from __future__ import annotations

from models.identity import User

# The channels are named in resolvers/core (other modules publish on them too); identity's own
# code keeps reading them here as events.AUTH_CHANNEL and events.organization_channel.
from resolvers.core.channels import AUTH_CHANNEL as AUTH_CHANNEL
from resolvers.core.channels import organization_channel as organization_channel


def user_snapshot(user: User) -> dict[str, object]:
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
    }


def member_joined(user: User) -> dict[str, object]:
    return {
        "type": "member.joined",
        "organizationId": user.organization_id,
        "user": user_snapshot(user),
    }


def member_updated(user: User) -> dict[str, object]:
    """Profile, role, manager, departments or reactivation changed."""
    return {
        "type": "member.updated",
        "organizationId": user.organization_id,
        "user": user_snapshot(user),
    }


def sessions_revoked(session_ids: list[int], user_ids: list[int]) -> dict[str, object]:
    return {"type": "sessions.revoked", "sessionIds": session_ids, "userIds": user_ids}
