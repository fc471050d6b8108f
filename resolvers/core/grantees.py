"""The grantee of a share: exactly one of a person, a department or a group of the sharer's
organization. Drive and Calendar share alike, so they check a grantee here."""

from __future__ import annotations

from models.admin import Department, Group
from models.identity import User
from resolvers.core.context import Principal
from resolvers.core.errors import ErrorCode, NotFound, ValidationFailed


async def check_grantee(
    principal: Principal,
    user_id: int | None,
    department_id: int | None,
    group_id: int | None,
    *,
    invalid: ErrorCode,
) -> tuple[str, int]:
    """The one grantee named, as (``USER`` | ``DEPARTMENT`` | ``GROUP``, id): ``invalid`` when
    not exactly one is named, NOT_FOUND on its field when it is not of the organization (or
    the person is deactivated)."""
    named = [
        (kind, pk, field)
        for kind, pk, field in (
            ("USER", user_id, "userId"),
            ("DEPARTMENT", department_id, "departmentId"),
            ("GROUP", group_id, "groupId"),
        )
        if pk is not None
    ]
    if len(named) != 1:
        raise ValidationFailed(
            "Name exactly one of userId, departmentId and groupId.", field="userId", code=invalid
        )
    kind, pk, field = named[0]
    org = principal.organization_id
    if kind == "USER":
        found = await User.filter(id=pk, organization_id=org, is_active=True).exists()
    elif kind == "DEPARTMENT":
        found = await Department.filter(id=pk, organization_id=org).exists()
    else:
        found = await Group.filter(id=pk, organization_id=org).exists()
    if not found:
        raise NotFound(field=field)
    return kind, int(pk)
