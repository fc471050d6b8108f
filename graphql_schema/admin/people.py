"""Admin: people. (Scaffold: replace the placeholder fields with the real API.)"""

from __future__ import annotations

import strawberry


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="Placeholder until the people API lands.")
    def placeholder_people_query(self) -> bool:
        return False


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Placeholder until the people API lands.")
    def placeholder_people_mutation(self) -> bool:
        return False
