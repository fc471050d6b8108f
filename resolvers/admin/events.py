"""Admin's events. Directory events go on the organization channel: every one names its
``organizationId`` (the subscription checks it) and carries snapshots, so delivering it to many
subscribers needs no query per subscriber. Admin's kinds are declared once, in
``AdminEventKind``, each payload a ``TypedDict`` built here; ``is_admin_event`` tells them from
other modules' on a shared channel. ``OrganizationEvent`` is everything the organization
channel carries, Identity's member events included."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard

from models.admin import Department
from models.identity import Organization, User
from resolvers.core.channels import organization_channel
from resolvers.core.webhook_events import WebhookAudience, register_webhook_event

# Identity's viewerUpdate tells the organization too; Admin's acts keep reading it here.
from resolvers.identity.events import (
    MemberEvent,
    MemberJoined,
    MemberUpdated,
    user_snapshot,
)
from resolvers.identity.events import member_updated as member_updated

__all__ = [
    "AccountPasswordReset",
    "AdminEvent",
    "AdminEventKind",
    "DepartmentChanged",
    "DepartmentSnapshot",
    "MemberDeactivated",
    "OrganizationEvent",
    "OrganizationSnapshot",
    "OrganizationUpdated",
    "department_changed",
    "department_snapshot",
    "is_admin_event",
    "member_deactivated",
    "member_updated",
    "organization_channel",
    "organization_from_snapshot",
    "organization_snapshot",
    "organization_updated",
    "password_reset",
]


class AdminEventKind(StrEnum):
    """The ``type`` of Admin's events, as it travels on the bus."""

    MEMBER_DEACTIVATED = "member.deactivated"
    DEPARTMENT_CHANGED = "department.changed"
    ORGANIZATION_UPDATED = "organization.updated"
    ACCOUNT_PASSWORD_RESET = "account.password_reset"


DepartmentChange = Literal["CREATED", "UPDATED", "MOVED", "DELETED"]


class DepartmentSnapshot(TypedDict):
    id: int
    organizationId: int
    name: str
    parentId: int | None
    leaderId: int | None


class OrganizationSnapshot(TypedDict):
    id: int
    organizationId: int
    name: str
    domain: str | None
    allowedEmailDomains: list[str]
    defaultTimeZone: str
    messageEditWindowMinutes: int
    messageRecallWindowMinutes: int


class AccountPasswordReset(TypedDict):
    type: Literal[AdminEventKind.ACCOUNT_PASSWORD_RESET]
    userId: int
    actorId: int
    at: str


class MemberDeactivated(MemberEvent):
    type: Literal[AdminEventKind.MEMBER_DEACTIVATED]


class DepartmentChanged(TypedDict):
    type: Literal[AdminEventKind.DEPARTMENT_CHANGED]
    kind: DepartmentChange
    organizationId: int
    department: DepartmentSnapshot


class OrganizationUpdated(TypedDict):
    type: Literal[AdminEventKind.ORGANIZATION_UPDATED]
    organizationId: int
    organization: OrganizationSnapshot


AdminEvent = AccountPasswordReset | MemberDeactivated | DepartmentChanged | OrganizationUpdated
"""Every event of Admin: one ``TypedDict`` per ``AdminEventKind`` member. The password reset
goes to the account's user channel (``viewerEvents``), the others to the organization's."""

OrganizationEvent = (
    MemberJoined | MemberUpdated | MemberDeactivated | DepartmentChanged | OrganizationUpdated
)
"""What the organization channel carries (``organizationEvents``)."""

_KINDS = frozenset(AdminEventKind)


def is_admin_event(event: Mapping[str, Any]) -> TypeGuard[AdminEvent]:
    """True for a payload of one of Admin's kinds (from the bus, a plain str equal to it);
    comparing ``event["type"]`` with a member then narrows it to that kind's ``TypedDict``."""
    return event.get("type") in _KINDS


def password_reset(user: User, actor_id: int, at: str) -> AccountPasswordReset:
    """To the account itself (its user channel, hence ``viewerEvents``): an admin reset the
    password. Not on the organization channel: it is nobody else's business."""
    return {
        "type": AdminEventKind.ACCOUNT_PASSWORD_RESET,
        "userId": user.id,
        "actorId": actor_id,
        "at": at,
    }


def member_deactivated(user: User) -> MemberDeactivated:
    return {
        "type": AdminEventKind.MEMBER_DEACTIVATED,
        "organizationId": user.organization_id,
        "user": user_snapshot(user),
    }


def department_snapshot(dept: Department) -> DepartmentSnapshot:
    return {
        "id": dept.id,
        "organizationId": dept.organization_id,
        "name": dept.name,
        "parentId": dept.parent_id,
        "leaderId": dept.leader_id,
    }


def department_changed(kind: DepartmentChange, dept: Department) -> DepartmentChanged:
    return {
        "type": AdminEventKind.DEPARTMENT_CHANGED,
        "kind": kind,
        "organizationId": dept.organization_id,
        "department": department_snapshot(dept),
    }


def organization_snapshot(org: Organization) -> OrganizationSnapshot:
    return {
        "id": org.id,
        "organizationId": org.id,
        "name": org.name,
        "domain": org.domain,
        "allowedEmailDomains": list(org.allowed_email_domains or []),
        "defaultTimeZone": org.default_time_zone,
        "messageEditWindowMinutes": org.message_edit_window_minutes,
        "messageRecallWindowMinutes": org.message_recall_window_minutes,
    }


def organization_from_snapshot(s: OrganizationSnapshot) -> Organization:
    """An unsaved model from an event's snapshot, so delivering the event needs no query."""
    return Organization(
        id=s["id"],
        name=s["name"],
        domain=s["domain"],
        allowed_email_domains=s["allowedEmailDomains"],
        default_time_zone=s["defaultTimeZone"],
        message_edit_window_minutes=s["messageEditWindowMinutes"],
        message_recall_window_minutes=s["messageRecallWindowMinutes"],
    )


def organization_updated(org: Organization) -> OrganizationUpdated:
    return {
        "type": AdminEventKind.ORGANIZATION_UPDATED,
        "organizationId": org.id,
        "organization": organization_snapshot(org),
    }


# Webhooks (resolvers/core/webhook_events.py): the directory, for every app of the organization.
for _kind, _what in (
    (AdminEventKind.MEMBER_DEACTIVATED, "A member was deactivated."),
    (AdminEventKind.DEPARTMENT_CHANGED, "A department was created, changed, moved or deleted."),
    (AdminEventKind.ORGANIZATION_UPDATED, "The organization's settings changed."),
):
    register_webhook_event(_kind, _what, module="admin", audience=WebhookAudience.ORGANIZATION)
