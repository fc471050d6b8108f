"""Messenger: search. (Scaffold: replace the placeholder fields with the real API.)"""

from __future__ import annotations

import strawberry


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Placeholder until the search API lands.")
    def placeholder_search_query(self) -> bool:
        return False


@strawberry.type
class SearchMutation:
    @strawberry.mutation(description="Placeholder until the search API lands.")
    def placeholder_search_mutation(self) -> bool:
        return False
