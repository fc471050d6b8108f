"""A tiny second subgraph for the federation test: "colors" extends Hello's ``User`` by its key
with a ``favoriteColor``, and lists the users who like a color (so the gateway must come back
to Hello's ``_entities`` for their names).

It is a stock strawberry federation app, as a team that splits a module out of Hello would
write one, and knows nothing of Hello but the ``User`` key (and the federation version Hello
links, to stay in step with it). Favorite colors live in a dict the test fills
(``FAVORITES``): the subgraph runs in the test's process."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.asgi import GraphQL

from graphql_schema.schema import FEDERATION_VERSION

FAVORITES: dict[str, str] = {}
"""User id (Hello's global id) -> favorite color."""


# No descriptions on the shared types: the composer keeps one, and Hello's should win.
@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(description="The user's favorite color; null when they have not chosen.")
    def favorite_color(self) -> str | None:
        return FAVORITES.get(str(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field(description="Users whose favorite color is `color`.")
    def fans_of(
        self,
        color: Annotated[str, strawberry.argument(description="A color name, such as `teal`.")],
    ) -> list[User]:
        return [User(id=strawberry.ID(uid)) for uid, c in FAVORITES.items() if c == color]


def create_app() -> GraphQL:
    schema = strawberry.federation.Schema(
        query=Query, types=[User], federation_version=FEDERATION_VERSION
    )
    return GraphQL(schema, graphql_ide=None)
