"""Admin: invitations. (Scaffold: replace the placeholder fields with the real API.)"""

from __future__ import annotations

import strawberry


@strawberry.type
class InvitationsQuery:
    @strawberry.field(description="Placeholder until the invitations API lands.")
    def placeholder_invitations_query(self) -> bool:
        return False


@strawberry.type
class InvitationsMutation:
    @strawberry.mutation(description="Placeholder until the invitations API lands.")
    def placeholder_invitations_mutation(self) -> bool:
        return False
