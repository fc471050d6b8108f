"""GraphQL types of identity: organizations and users."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import Connection, connection
from graphql_schema.core.node import parse_node_ids, resolve_reference
from models import identity as m
from resolvers.identity import queries


async def _visible(
    ids: Iterable[Any],
    fetch: Callable[[list[int]], Awaitable[list[Any]]],
    convert: Callable[[Any], Any],
) -> list[Any]:
    parsed = parse_node_ids(ids)
    found = await fetch([i for i in parsed if i is not None])
    it = iter(found)
    return [convert(r) if (i is not None and (r := next(it)) is not None) else None for i in parsed]


@strawberry.federation.type(
    keys=["id"], description="A tenant of Hello. Everything else belongs to exactly one."
)
class Organization(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Display name, 1 to 100 characters.")

    @strawberry.field(
        description="Active members, ordered by display name. Only members of the "
        "organization may list them."
    )
    async def members(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(description="Page size from the start (default 20, at most 100)."),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Start after this cursor.")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="Page size from the end (at most 100).")
        ] = None,
        before: Annotated[
            str | None, strawberry.argument(description="End before this cursor.")
        ] = None,
    ) -> Connection[User]:
        page = await queries.organization_members(
            info.context, self.id, first=first, after=after, last=last, before=before
        )
        return connection(page, User.from_model)

    @classmethod
    def from_model(cls, org: m.Organization) -> Organization:
        return cls(id=org.id, name=org.name)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Organization | None]:
        return await _visible(
            node_ids, lambda ids: queries.visible_organizations(info.context, ids), cls.from_model
        )

    @classmethod
    def global_id(cls, pk: int) -> str:
        return str(relay.GlobalID(cls.__name__, str(pk)))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        """Federation: another subgraph's reference, with the same tenancy as ``node``."""
        return await resolve_reference(cls, info, id)


@strawberry.federation.type(keys=["id"], description="A person in an organization.")
class User(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="Sign-in email, lower-cased, unique in Hello.")
    display_name: str = strawberry.field(description="Name shown to others, 1 to 100 characters.")
    organization_id: strawberry.Private[int]

    @strawberry.field(description="The organization this user belongs to.")
    async def organization(self, info: Info) -> Organization:
        org = await info.context.loaders.get(queries.organizations_by_id).load(self.organization_id)
        return Organization.from_model(org)

    @classmethod
    def from_model(cls, user: m.User) -> User:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            organization_id=user.organization_id,
        )

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> User:
        """From an event's user snapshot (see ``resolvers.identity.events.user_snapshot``)."""
        return cls(
            id=snapshot["id"],
            email=snapshot["email"],
            display_name=snapshot["displayName"],
            organization_id=snapshot["organizationId"],
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[User | None]:
        return await _visible(
            node_ids, lambda ids: queries.visible_users(info.context, ids), cls.from_model
        )

    @classmethod
    def global_id(cls, pk: int) -> str:
        return str(relay.GlobalID(cls.__name__, str(pk)))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        """Federation: another subgraph's reference, with the same tenancy as ``node``."""
        return await resolve_reference(cls, info, id)
