"""Root fields of identity: the viewer and the organization's live events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.identity.types import User
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


OrganizationEvent = Annotated[
    MemberJoined,
    strawberry.union("OrganizationEvent", description="A change in the organization's directory."),
]


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        description="Directory changes of your organization as they happen (members joining). "
        "Needs a signed-in WebSocket."
    )
    async def organization_events(self, info: Info) -> AsyncGenerator[OrganizationEvent, None]:
        async for event in live.organization_events(info.context):
            if event["type"] == "member.joined":
                yield MemberJoined(user=User.from_snapshot(event["user"]))
