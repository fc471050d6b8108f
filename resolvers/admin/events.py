"""Directory events on the organization channel (``resolvers.identity.events``). Every event
names its ``organizationId`` (the subscription checks it) and carries snapshots, so delivering
it to many subscribers needs no query per subscriber."""

from __future__ import annotations

from models.admin import Department
from models.identity import User
from resolvers.core.channels import organization_channel

# Identity's viewerUpdate tells the organization too; Admin's acts keep reading it here.
from resolvers.identity.events import member_updated as member_updated
from resolvers.identity.events import user_snapshot

__all__ = [
    "department_changed",
    "department_snapshot",
    "member_deactivated",
    "member_updated",
    "organization_channel",
    "password_reset",
]


def password_reset(user: User, actor_id: int, at: str) -> dict[str, object]:
    """To the account itself (its user channel, hence ``viewerEvents``): an admin reset the
    password. Not on the organization channel: it is nobody else's business."""
    return {"type": "account.password_reset", "userId": user.id, "actorId": actor_id, "at": at}


def member_deactivated(user: User) -> dict[str, object]:
    return {
        "type": "member.deactivated",
        "organizationId": user.organization_id,
        "user": user_snapshot(user),
    }


def department_snapshot(dept: Department) -> dict[str, object]:
    return {
        "id": dept.id,
        "organizationId": dept.organization_id,
        "name": dept.name,
        "parentId": dept.parent_id,
        "leaderId": dept.leader_id,
    }


def department_changed(kind: str, dept: Department) -> dict[str, object]:
    """``kind`` is CREATED, UPDATED, MOVED or DELETED."""
    return {
        "type": "department.changed",
        "kind": kind,
        "organizationId": dept.organization_id,
        "department": department_snapshot(dept),
    }
