"""Messenger: message_ops. (Scaffold: replace the placeholder fields with the real API.)"""

from __future__ import annotations

import strawberry


@strawberry.type
class MessageOpsQuery:
    @strawberry.field(description="Placeholder until the message_ops API lands.")
    def placeholder_message_ops_query(self) -> bool:
        return False


@strawberry.type
class MessageOpsMutation:
    @strawberry.mutation(description="Placeholder until the message_ops API lands.")
    def placeholder_message_ops_mutation(self) -> bool:
        return False
