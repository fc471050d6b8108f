"""Batch loads of the directory, for DataLoaders (``ctx.loaders.get(fn)``), and the two tree
walks (ancestors, subtree height) as recursive CTEs: one query each, whatever the depth."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tortoise.functions import Count

from models.admin import Department, DepartmentMember, Group, GroupMember
from resolvers.core.loaders import by_key
from resolvers.core.sql import raw

MAX_DEPTH = 32
"""Deepest level of the department tree (a top-level department is at depth 1). Writes keep
the tree within it; the tree walks stop there too, so even a corrupt cycle cannot loop."""


async def departments_by_user(user_ids: list[int]) -> Sequence[list[Department]]:
    """The departments of each user, by name."""
    rows = await DepartmentMember.filter(user_id__in=user_ids).select_related("department")
    found: dict[int, list[Department]] = defaultdict(list)
    for row in rows:
        found[row.user_id].append(row.department)
    return [sorted(found.get(uid, []), key=lambda d: (d.name, d.id)) for uid in user_ids]


async def departments_by_id(ids: list[int]) -> Sequence[Department | None]:
    return by_key(await Department.filter(id__in=ids), ids)


async def groups_by_id(ids: list[int]) -> Sequence[Group | None]:
    return by_key(await Group.filter(id__in=ids), ids)


async def group_member_counts(group_ids: list[int]) -> Sequence[int]:
    """Active members per group, in one grouped query."""
    rows = (
        await GroupMember.filter(group_id__in=group_ids, user__is_active=True)
        .annotate(n=Count("id"))
        .group_by("group_id")
        .values("group_id", "n")
    )
    counts = {int(r["group_id"]): int(r["n"]) for r in rows}
    return [counts.get(g, 0) for g in group_ids]


_ANCESTORS = """
WITH RECURSIVE up(start_id, id, depth) AS (
    SELECT id, id, 0 FROM department WHERE id IN ({marks})
    UNION ALL
    SELECT up.start_id, d.parent_id, up.depth + 1
    FROM up JOIN department d ON d.id = up.id
    WHERE d.parent_id IS NOT NULL AND up.depth < {limit}
)
SELECT up.start_id, up.depth, d.id, d.organization_id, d.parent_id, d.name, d.leader_id
FROM up JOIN department d ON d.id = up.id
"""


async def department_paths(ids: list[int]) -> Sequence[list[Department]]:
    """For each department, the departments from its root down to itself (empty if it does not
    exist). One recursive query for the whole batch."""
    if not ids:
        return []
    sql = _ANCESTORS.format(marks=", ".join("?" * len(ids)), limit=MAX_DEPTH)
    rows = await raw(sql, list(ids))
    chains: dict[int, list[tuple[int, Department]]] = defaultdict(list)
    for r in rows:
        # Rows carry only what the GraphQL type shows; these instances are never saved.
        dept = Department(
            id=r["id"],
            organization_id=r["organization_id"],
            parent_id=r["parent_id"],
            name=r["name"],
            leader_id=r["leader_id"],
        )
        chains[int(r["start_id"])].append((int(r["depth"]), dept))
    return [[d for _, d in sorted(chains.get(i, []), key=lambda p: -p[0])] for i in ids]


_HEIGHT = """
WITH RECURSIVE down(id, depth) AS (
    SELECT id, 0 FROM department WHERE id = ?
    UNION ALL
    SELECT d.id, down.depth + 1 FROM department d JOIN down ON d.parent_id = down.id
    WHERE down.depth < {limit}
)
SELECT MAX(depth) AS height FROM down
"""


async def subtree_height(department_id: int) -> int:
    """Levels below a department (0 for a leaf), in one recursive query."""
    rows = await raw(_HEIGHT.format(limit=MAX_DEPTH), [department_id])
    return int(rows[0]["height"] or 0) if rows else 0
