"""Small GraphQL types of a message: its earlier versions and its reactions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.identity.types import User
from resolvers.identity import queries as identity


@strawberry.type(description="An earlier version of an edited message.")
class MessageVersion:
    text: str = strawberry.field(description="Its plain text.")
    content: JSON | None = strawberry.field(description="Its rich content, if any.")
    edited_at: datetime = strawberry.field(description="When this version was replaced.")


@strawberry.type(description="One emoji's reactions on a message.")
class MessageReaction:
    emoji: str = strawberry.field(description="The emoji.")
    count: int = strawberry.field(description="How many people reacted with it.")
    user_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The first people who reacted with it (at most 20).")
    async def users(self, info: Info) -> list[User]:
        found = await identity.visible_users(info.context, self.user_ids[:20])
        return [User.from_model(u) for u in found if u is not None]

    # Known when the reactions are read (the viewer is in the context there): a plain
    # attribute costs graphql-core less than a resolver per reaction.
    viewer_reacted: bool = strawberry.field(description="Whether you reacted with it.")
