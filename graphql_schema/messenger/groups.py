"""Messenger: groups. (Scaffold: replace the placeholder fields with the real API.)"""

from __future__ import annotations

import strawberry


@strawberry.type
class GroupsQuery:
    @strawberry.field(description="Placeholder until the groups API lands.")
    def placeholder_groups_query(self) -> bool:
        return False


@strawberry.type
class GroupsMutation:
    @strawberry.mutation(description="Placeholder until the groups API lands.")
    def placeholder_groups_mutation(self) -> bool:
        return False
