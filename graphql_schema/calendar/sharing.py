"""Root fields of calendar sharing: ``calendarShare`` and ``calendarUnshare`` (owners only; the
grants are ``Calendar.grants``)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.calendars import INPUT
from graphql_schema.calendar.types import Calendar, CalendarGrant, CalendarRoleEnum
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.calendar import CalendarRole
from resolvers.calendar import sharing
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.core.errors import CoreErrorCode

INVALID_GRANTEE = error_code(
    CalendarErrorCode.INVALID_GRANTEE, "Name exactly one of `userId`, `departmentId`, `groupId`."
)
CANNOT_CHANGE_OWNER = error_code(
    CalendarErrorCode.CANNOT_CHANGE_OWNER, "The owner's own role cannot be granted or removed."
)
SHARE_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN, "You can see the calendar but do not own it (or you are a guest)."
)
SHARE_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The calendar, the grantee or the grant does not exist or you cannot see it (the two "
    "answer alike); `field` says which input.",
)


@strawberry.input(
    description="Share a calendar you own with exactly one of a user, a department (and those "
    "below it) or a group. Sharing again with the same grantee changes the role."
)
class CalendarShareInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you own.")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="A user.")
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="A department: its members and those of the ones below it."
    )
    group_id: strawberry.ID | None = strawberry.field(default=None, description="A group.")
    role: CalendarRoleEnum = strawberry.field(description="The role to give.")


@strawberry.enum(description="Why `calendarShare` failed.")
class CalendarShareErrorCode(Enum):
    INVALID_GRANTEE = INVALID_GRANTEE
    CANNOT_CHANGE_OWNER = CANNOT_CHANGE_OWNER
    FORBIDDEN = SHARE_FORBIDDEN
    NOT_FOUND = SHARE_NOT_FOUND


@strawberry.type(description="A reason why `calendarShare` changed nothing.")
class CalendarShareError(MutationError):
    code: CalendarShareErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarShare`.")
class CalendarSharePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    grant: CalendarGrant | None = strawberry.field(
        default=None, description="The grant (new or changed)."
    )
    errors: list[CalendarShareError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="Remove a grant from a calendar you own, named by its grantee.")
class CalendarUnshareInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you own.")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="A user.")
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="A department."
    )
    group_id: strawberry.ID | None = strawberry.field(default=None, description="A group.")


@strawberry.enum(description="Why `calendarUnshare` failed.")
class CalendarUnshareErrorCode(Enum):
    INVALID_GRANTEE = INVALID_GRANTEE
    CANNOT_CHANGE_OWNER = CANNOT_CHANGE_OWNER
    FORBIDDEN = SHARE_FORBIDDEN
    NOT_FOUND = SHARE_NOT_FOUND


@strawberry.type(description="A reason why `calendarUnshare` changed nothing.")
class CalendarUnshareError(MutationError):
    code: CalendarUnshareErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarUnshare`.")
class CalendarUnsharePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    errors: list[CalendarUnshareError] = strawberry.field(description="Why nothing changed.")


def _grantee_ids(inp: CalendarShareInput | CalendarUnshareInput) -> dict[str, int | None]:
    return {
        "calendar_id": require_id(inp.calendar_id, "Calendar", "calendarId"),
        "user_id": require_id(inp.user_id, "User", "userId"),
        "department_id": require_id(inp.department_id, "Department", "departmentId"),
        "group_id": require_id(inp.group_id, "Group", "groupId"),
    }


@strawberry.type
class CalendarSharingMutation:
    @strawberry.mutation(
        description="Share a calendar you own with a user, a department or a group.",
        directives=needs("calendar:write"),
    )
    async def calendar_share(
        self, info: Info, input: Annotated[CalendarShareInput, INPUT]
    ) -> CalendarSharePayload:
        action = sharing.check_calendar_share(
            info.context, role=CalendarRole(input.role.name), **_grantee_ids(input)
        )
        return await mutate(
            CalendarSharePayload,
            CalendarShareError,
            action,
            lambda r: {
                "calendar": Calendar.from_model((r[0], CalendarRole.OWNER)),
                "grant": CalendarGrant.from_model(r[1]),
            },
        )

    @strawberry.mutation(
        description="Remove a grant from a calendar you own.", directives=needs("calendar:write")
    )
    async def calendar_unshare(
        self, info: Info, input: Annotated[CalendarUnshareInput, INPUT]
    ) -> CalendarUnsharePayload:
        action = sharing.check_calendar_unshare(info.context, **_grantee_ids(input))
        return await mutate(
            CalendarUnsharePayload,
            CalendarUnshareError,
            action,
            lambda c: {"calendar": Calendar.from_model((c, CalendarRole.OWNER))},
        )
