"""What ``viewerEvents`` tells an account about its own security (admin acts on it)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from graphql_schema.identity.types import User, visible_user
from resolvers.admin.events import AdminEvent, AdminEventKind


@strawberry.type(
    description="An admin reset your password. Every session of yours ends right after this "
    "event; sign in with the password the admin gives you, then choose your own. If you did "
    "not expect it, tell your organization's owner."
)
class PasswordResetByAdmin:
    at: datetime = strawberry.field(description="When.")
    actor_id: strawberry.Private[int]

    @strawberry.field(description="The admin who did it; null if you may not see them.")
    async def reset_by(self, info: Info) -> User | None:
        return await visible_user(info, self.actor_id)


def to_account_event(event: AdminEvent) -> PasswordResetByAdmin | None:
    if event["type"] == AdminEventKind.ACCOUNT_PASSWORD_RESET:
        return PasswordResetByAdmin(
            at=datetime.fromisoformat(event["at"]), actor_id=int(event["actorId"])
        )
    return None
