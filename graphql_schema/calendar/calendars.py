"""Root fields of calendars themselves: create, update, delete, and putting someone else's
calendar in your list (subscribe, change your color or hide it, unsubscribe)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.events import UNKNOWN_TIME_ZONE
from graphql_schema.calendar.types import Calendar, CalendarRoleEnum
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.calendar import CalendarRole
from resolvers.calendar import calendars
from resolvers.calendar.calendars import CalendarFields
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.core.errors import CoreErrorCode

INPUT = strawberry.argument(description="What to do.")

INVALID_COLOR = error_code(CalendarErrorCode.INVALID_COLOR, "A color is `#rrggbb`.")
CONFLICT = error_code(
    CalendarErrorCode.CONFLICT,
    "The calendar changed since the `version` you read: reload it and retry.",
)
CALENDAR_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN, "You can see the calendar but do not own it."
)
CALENDAR_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The calendar does not exist or you cannot see it (the two answer alike).",
)


def _role(value: CalendarRoleEnum | None) -> CalendarRole | None:
    return CalendarRole(value.name) if value is not None else None


# -- calendarCreate -----------------------------------------------------------------------------


@strawberry.input(description="A new calendar of yours (a team's, a project's).")
class CalendarCreateInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str = strawberry.field(default="", description="At most 2,000 characters.")
    color: str = strawberry.field(default="#3f51b5", description="`#rrggbb`.")
    time_zone: str | None = strawberry.field(
        default=None, description="The IANA zone new events default to; yours if omitted."
    )
    organization_role: CalendarRoleEnum | None = strawberry.field(
        default=None,
        description="The role everyone in your organization gets without a grant (guests "
        "excepted); none if omitted.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first calendar."
    )


@strawberry.enum(description="Why `calendarCreate` failed.")
class CalendarCreateErrorCode(Enum):
    INVALID_COLOR = INVALID_COLOR
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `calendarCreate` failed.")
class CalendarCreateError(MutationError):
    code: CalendarCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarCreate`.")
class CalendarCreatePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The new calendar.")
    errors: list[CalendarCreateError] = strawberry.field(description="Why nothing was created.")


# -- calendarUpdate -----------------------------------------------------------------------------


@strawberry.input(description="Change a calendar you own; omitted fields stay as they are.")
class CalendarUpdateInput:
    calendar_id: strawberry.ID = strawberry.field(description="The calendar.")
    version: int | None = strawberry.field(
        default=None,
        description="The `version` you read: if it changed meanwhile nothing is written "
        "(CONFLICT). Omit to overwrite.",
    )
    name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    description: str | None = strawberry.field(
        default=None, description="At most 2,000 characters."
    )
    color: str | None = strawberry.field(default=None, description="`#rrggbb`.")
    time_zone: str | None = strawberry.field(default=None, description="An IANA zone name.")
    organization_role: CalendarRoleEnum | None = strawberry.field(
        default=None, description="The role everyone in your organization gets without a grant."
    )
    clear_organization_role: bool = strawberry.field(
        default=False,
        description="True: nobody gets a role without a grant (ignored with `organizationRole`).",
    )


@strawberry.enum(description="Why `calendarUpdate` failed.")
class CalendarUpdateErrorCode(Enum):
    CONFLICT = CONFLICT
    INVALID_COLOR = INVALID_COLOR
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = CALENDAR_FORBIDDEN
    NOT_FOUND = CALENDAR_NOT_FOUND


@strawberry.type(description="A reason why `calendarUpdate` failed.")
class CalendarUpdateError(MutationError):
    code: CalendarUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarUpdate`.")
class CalendarUpdatePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    errors: list[CalendarUpdateError] = strawberry.field(description="Why nothing changed.")


# -- calendarDelete -----------------------------------------------------------------------------


@strawberry.input(description="Delete a calendar you own, with its events.")
class CalendarDeleteInput:
    calendar_id: strawberry.ID = strawberry.field(description="The calendar (not your primary).")
    version: int | None = strawberry.field(
        default=None, description="The `version` you read (CONFLICT if it changed)."
    )


@strawberry.enum(description="Why `calendarDelete` failed.")
class CalendarDeleteErrorCode(Enum):
    PRIMARY_CALENDAR = error_code(
        CalendarErrorCode.PRIMARY_CALENDAR, "A primary calendar cannot be deleted."
    )
    CONFLICT = CONFLICT
    FORBIDDEN = CALENDAR_FORBIDDEN
    NOT_FOUND = CALENDAR_NOT_FOUND


@strawberry.type(description="A reason why `calendarDelete` failed.")
class CalendarDeleteError(MutationError):
    code: CalendarDeleteErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `calendarDelete`.")
class CalendarDeletePayload:
    calendar_id: strawberry.ID | None = strawberry.field(
        default=None, description="The deleted calendar's ID."
    )
    errors: list[CalendarDeleteError] = strawberry.field(description="Why nothing was deleted.")


# -- subscriptions ------------------------------------------------------------------------------


@strawberry.input(description="Put a calendar you may see into your list.")
class CalendarSubscribeInput:
    calendar_id: strawberry.ID = strawberry.field(description="Someone else's calendar.")
    color: str | None = strawberry.field(
        default=None, description="Your color for it (`#rrggbb`); its own if omitted."
    )
    hidden: bool = strawberry.field(default=False, description="In your list but not shown.")


@strawberry.enum(description="Why `calendarSubscribe` failed.")
class CalendarSubscribeErrorCode(Enum):
    ALREADY_SUBSCRIBED = error_code(
        CalendarErrorCode.ALREADY_SUBSCRIBED,
        "It is in your list already (your own calendars always are).",
    )
    INVALID_COLOR = INVALID_COLOR
    NOT_FOUND = CALENDAR_NOT_FOUND


@strawberry.type(description="A reason why `calendarSubscribe` failed.")
class CalendarSubscribeError(MutationError):
    code: CalendarSubscribeErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `calendarSubscribe`.")
class CalendarSubscribePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    errors: list[CalendarSubscribeError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="Change how a calendar you subscribed to shows in your list.")
class CalendarSubscriptionUpdateInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you subscribed to.")
    color: str | None = strawberry.field(default=None, description="Your color (`#rrggbb`).")
    hidden: bool | None = strawberry.field(default=None, description="Hide or show it.")


@strawberry.enum(description="Why `calendarSubscriptionUpdate` failed.")
class CalendarSubscriptionUpdateErrorCode(Enum):
    INVALID_COLOR = INVALID_COLOR
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The calendar does not exist, you cannot see it, or you have not subscribed to it.",
    )


@strawberry.type(description="A reason why `calendarSubscriptionUpdate` failed.")
class CalendarSubscriptionUpdateError(MutationError):
    code: CalendarSubscriptionUpdateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `calendarSubscriptionUpdate`.")
class CalendarSubscriptionUpdatePayload:
    calendar: Calendar | None = strawberry.field(default=None, description="The calendar.")
    errors: list[CalendarSubscriptionUpdateError] = strawberry.field(
        description="Why nothing changed."
    )


@strawberry.input(description="Take a calendar out of your list.")
class CalendarUnsubscribeInput:
    calendar_id: strawberry.ID = strawberry.field(description="A calendar you subscribed to.")


@strawberry.enum(description="Why `calendarUnsubscribe` failed.")
class CalendarUnsubscribeErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The calendar does not exist, you cannot see it, or you have not subscribed to it.",
    )


@strawberry.type(description="A reason why `calendarUnsubscribe` failed.")
class CalendarUnsubscribeError(MutationError):
    code: CalendarUnsubscribeErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `calendarUnsubscribe`.")
class CalendarUnsubscribePayload:
    calendar_id: strawberry.ID | None = strawberry.field(
        default=None, description="The calendar taken out of your list."
    )
    errors: list[CalendarUnsubscribeError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class CalendarsMutation:
    @strawberry.mutation(
        description="Create a calendar of yours.", directives=needs("calendar:write")
    )
    async def calendar_create(
        self, info: Info, input: Annotated[CalendarCreateInput, INPUT]
    ) -> CalendarCreatePayload:
        action = calendars.check_calendar_create(
            info.context,
            CalendarFields(
                name=input.name,
                description=input.description,
                color=input.color,
                time_zone=input.time_zone,
                organization_role=_role(input.organization_role),
            ),
            input.idempotency_key,
        )
        return await mutate(
            CalendarCreatePayload,
            CalendarCreateError,
            action,
            lambda c: {"calendar": Calendar.from_model(c)},
        )

    @strawberry.mutation(
        description="Change a calendar you own (name, description, color, zone, the "
        "organization's role).",
        directives=needs("calendar:write"),
    )
    async def calendar_update(
        self, info: Info, input: Annotated[CalendarUpdateInput, INPUT]
    ) -> CalendarUpdatePayload:
        action = calendars.check_calendar_update(
            info.context,
            require_id(input.calendar_id, "Calendar", "calendarId"),
            input.version,
            CalendarFields(
                name=input.name,
                description=input.description,
                color=input.color,
                time_zone=input.time_zone,
                organization_role=_role(input.organization_role),
                clear_organization_role=input.clear_organization_role,
            ),
        )
        return await mutate(
            CalendarUpdatePayload,
            CalendarUpdateError,
            action,
            lambda c: {"calendar": Calendar.from_model(c)},
        )

    @strawberry.mutation(
        description="Delete a calendar you own and its events (not your primary calendar).",
        directives=needs("calendar:write"),
    )
    async def calendar_delete(
        self, info: Info, input: Annotated[CalendarDeleteInput, INPUT]
    ) -> CalendarDeletePayload:
        action = calendars.check_calendar_delete(
            info.context, require_id(input.calendar_id, "Calendar", "calendarId"), input.version
        )
        return await mutate(
            CalendarDeletePayload,
            CalendarDeleteError,
            action,
            lambda _: {"calendar_id": input.calendar_id},
        )

    @strawberry.mutation(
        description="Put a calendar you may see (shared with you, or a colleague's free/busy) "
        "into your list, with your own color.",
        directives=needs("calendar:write"),
    )
    async def calendar_subscribe(
        self, info: Info, input: Annotated[CalendarSubscribeInput, INPUT]
    ) -> CalendarSubscribePayload:
        action = calendars.check_calendar_subscribe(
            info.context,
            require_id(input.calendar_id, "Calendar", "calendarId"),
            input.color,
            input.hidden,
        )
        return await mutate(
            CalendarSubscribePayload,
            CalendarSubscribeError,
            action,
            lambda c: {"calendar": Calendar.from_model(c)},
        )

    @strawberry.mutation(
        description="Change your color for a calendar in your list, or hide or show it.",
        directives=needs("calendar:write"),
    )
    async def calendar_subscription_update(
        self, info: Info, input: Annotated[CalendarSubscriptionUpdateInput, INPUT]
    ) -> CalendarSubscriptionUpdatePayload:
        action = calendars.check_calendar_subscription_update(
            info.context,
            require_id(input.calendar_id, "Calendar", "calendarId"),
            input.color,
            input.hidden,
        )
        return await mutate(
            CalendarSubscriptionUpdatePayload,
            CalendarSubscriptionUpdateError,
            action,
            lambda c: {"calendar": Calendar.from_model(c)},
        )

    @strawberry.mutation(
        description="Take a calendar out of your list (its events stay).",
        directives=needs("calendar:write"),
    )
    async def calendar_unsubscribe(
        self, info: Info, input: Annotated[CalendarUnsubscribeInput, INPUT]
    ) -> CalendarUnsubscribePayload:
        action = calendars.check_calendar_unsubscribe(
            info.context, require_id(input.calendar_id, "Calendar", "calendarId")
        )
        return await mutate(
            CalendarUnsubscribePayload,
            CalendarUnsubscribeError,
            action,
            lambda _: {"calendar_id": input.calendar_id},
        )
