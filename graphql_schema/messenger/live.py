"""Messenger: live. (Scaffold: replace the placeholder fields with the real API.)"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry


@strawberry.type
class LiveQuery:
    @strawberry.field(description="Placeholder until the live API lands.")
    def placeholder_live_query(self) -> bool:
        return False


@strawberry.type
class LiveMutation:
    @strawberry.mutation(description="Placeholder until the live API lands.")
    def placeholder_live_mutation(self) -> bool:
        return False


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="Placeholder until the live API lands.")
    async def placeholder_live_subscription(self) -> AsyncGenerator[bool, None]:
        yield False
