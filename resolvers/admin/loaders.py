"""Batch loads of the directory, for DataLoaders (``ctx.loaders.get(fn)``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from models.admin import Department, DepartmentMember
from resolvers.core.loaders import by_key


async def departments_by_user(user_ids: list[int]) -> Sequence[list[Department]]:
    """The departments of each user, by name."""
    rows = await DepartmentMember.filter(user_id__in=user_ids).select_related("department")
    found: dict[int, list[Department]] = defaultdict(list)
    for row in rows:
        found[row.user_id].append(row.department)
    return [sorted(found.get(uid, []), key=lambda d: (d.name, d.id)) for uid in user_ids]


async def departments_by_id(ids: list[int]) -> Sequence[Department | None]:
    return by_key(await Department.filter(id__in=ids), ids)
