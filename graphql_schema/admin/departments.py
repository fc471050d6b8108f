"""Departments: the tree, its members, and the mutations that shape it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from models import admin as m


@strawberry.federation.type(keys=["id"], description="A node of the department tree.")
class Department(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="1 to 100 characters, unique among siblings.")
    organization_id: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]
    leader_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, dept: m.Department) -> Department:
        return cls(
            id=dept.id,
            name=dept.name,
            organization_id=dept.organization_id,
            parent_id=dept.parent_id,
            leader_id=dept.leader_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Department | None]:
        from graphql_schema.core.node import parse_node_ids
        from resolvers.admin.queries import visible_departments

        ids = parse_node_ids(node_ids)
        found = await visible_departments(info.context, [i for i in ids if i is not None])
        it = iter(found)
        return [
            cls.from_model(d) if (i is not None and (d := next(it)) is not None) else None
            for i in ids
        ]


@strawberry.type
class DepartmentQuery:
    @strawberry.field(description="A department by global ID, or null if not visible to you.")
    async def department(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The department's global ID.")
        ],
    ) -> Department | None:
        from graphql_schema.core.node import resolve_global_ids

        found = await resolve_global_ids(info, [id])
        return found[0] if isinstance(found[0], Department) else None


@strawberry.type
class DepartmentMutation:
    @strawberry.mutation(description="Placeholder until the departments API lands.")
    def placeholder_departments_mutation(self) -> bool:
        return False
