"""Root fields of identity: the viewer and the organization's live events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.admin.departments import Department
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import Organization, User
from resolvers.admin import events as admin_events
from resolvers.admin.events import AdminEventKind, is_admin_event, organization_from_snapshot
from resolvers.identity.events import IdentityEventKind, is_identity_event
from subscriptions import identity as live


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The signed-in user, or null without a valid access token.")
    def viewer(self, info: Info) -> User | None:
        principal = info.context.principal
        return User.from_model(principal.user) if principal else None


@strawberry.type(description="Someone became a member of the organization.")
class MemberJoined:
    user: User = strawberry.field(description="The new member.")


@strawberry.type(
    description="A member's profile, role, manager or departments changed, or they were "
    "reactivated."
)
class MemberUpdated:
    user: User = strawberry.field(description="The member as they are now.")


@strawberry.type(description="A member was deactivated: they can no longer sign in.")
class MemberDeactivated:
    user: User = strawberry.field(description="The member as they are now (`isActive` false).")


@strawberry.enum(description="What happened to a department.")
class DepartmentChangeKind(Enum):
    CREATED = strawberry.enum_value("CREATED", description="It was created.")
    UPDATED = strawberry.enum_value("UPDATED", description="Its name or leader changed.")
    MOVED = strawberry.enum_value("MOVED", description="It got another parent.")
    DELETED = strawberry.enum_value(
        "DELETED", description="It was deleted: this is its last state; `node` finds it no more."
    )


@strawberry.type(description="A department was created, changed, moved or deleted.")
class DepartmentChanged:
    kind: DepartmentChangeKind = strawberry.field(description="What happened.")
    department: Department = strawberry.field(description="The department as it is now.")


@strawberry.type(description="The organization's name, domain or settings changed.")
class OrganizationUpdated:
    organization: Organization = strawberry.field(description="The organization as it is now.")


OrganizationEvent = Annotated[
    MemberJoined | MemberUpdated | MemberDeactivated | DepartmentChanged | OrganizationUpdated,
    strawberry.union("OrganizationEvent", description="A change in the organization's directory."),
]


def to_graphql(event: admin_events.OrganizationEvent) -> Any:
    """The typed event for a bus payload (built from its snapshots: no query per subscriber),
    or None for a kind this schema does not show."""
    if is_identity_event(event):
        if event["type"] == IdentityEventKind.MEMBER_JOINED:
            return MemberJoined(user=User.from_snapshot(event["user"]))
        if event["type"] == IdentityEventKind.MEMBER_UPDATED:
            return MemberUpdated(user=User.from_snapshot(event["user"]))
        return None
    if not is_admin_event(event):
        return None
    if event["type"] == AdminEventKind.MEMBER_DEACTIVATED:
        return MemberDeactivated(user=User.from_snapshot(event["user"]))
    if event["type"] == AdminEventKind.DEPARTMENT_CHANGED:
        d = event["department"]
        return DepartmentChanged(
            kind=DepartmentChangeKind(event["kind"]),
            department=Department(
                id=d["id"],
                name=d["name"],
                organization_id=d["organizationId"],
                parent_id=d["parentId"],
                leader_id=d["leaderId"],
            ),
        )
    if event["type"] == AdminEventKind.ORGANIZATION_UPDATED:
        org = organization_from_snapshot(event["organization"])
        return OrganizationUpdated(organization=Organization.from_model(org))
    return None


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        description="Directory changes of your organization as they happen: members joining, "
        "changing or leaving, departments changing, settings changing. Needs a signed-in "
        "WebSocket; guests are refused (FORBIDDEN), and a subscriber who becomes a guest or is "
        "deactivated is cut off.",
        directives=needs("directory:read"),
    )
    async def organization_events(self, info: Info) -> AsyncGenerator[OrganizationEvent, None]:
        async for event in live.organization_events(info.context):
            typed = to_graphql(event)
            if typed is not None:
                yield typed
