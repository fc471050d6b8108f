"""Root fields of a person's calendar settings: ``calendarSettings`` and
``calendarSettingsUpdate`` (working hours, default reminders, time zone)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.events import INPUT, INVALID_REMINDER, UNKNOWN_TIME_ZONE
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from resolvers.calendar import settings as s
from resolvers.calendar.errors import CalendarErrorCode


@strawberry.type(description="A block of working hours on one weekday, in the person's zone.")
class WorkingHours:
    weekday: int = strawberry.field(description="ISO weekday: 1 Monday … 7 Sunday.")
    start: str = strawberry.field(description="`HH:MM`.")
    end: str = strawberry.field(description="`HH:MM` (`24:00` is midnight at the day's end).")


@strawberry.input(description="A block of working hours on one weekday, in your zone.")
class WorkingHoursInput:
    weekday: int = strawberry.field(description="ISO weekday: 1 Monday … 7 Sunday.")
    start: str = strawberry.field(description="`HH:MM`, 00:00 to 23:59.")
    end: str = strawberry.field(description="`HH:MM`, after `start` on the same day (24:00 ok).")


@strawberry.type(description="Your calendar settings.")
class CalendarSettings:
    time_zone: str = strawberry.field(
        description="Your IANA time zone (your profile's): working hours are read in it."
    )
    working_hours: list[WorkingHours] = strawberry.field(
        description="When you work, by weekday (Monday to Friday 09:00-17:00 until you set "
        "them; an empty list means no working hours)."
    )
    default_reminder_minutes: list[int] = strawberry.field(
        description="Reminders (minutes before) for events you are invited to that set none."
    )
    customized: bool = strawberry.field(description="False while the default working hours apply.")

    @classmethod
    def of(cls, found: s.Settings) -> CalendarSettings:
        return cls(
            time_zone=found.time_zone,
            working_hours=[
                WorkingHours(weekday=b.weekday, start=b.start, end=b.end)
                for b in found.working_hours
            ],
            default_reminder_minutes=list(found.default_reminder_minutes),
            customized=found.customized,
        )


@strawberry.input(description="What to change in your calendar settings; omitted parts stay.")
class CalendarSettingsUpdateInput:
    working_hours: list[WorkingHoursInput] | None = strawberry.field(
        default=None,
        description=f"All your working hours (replacing them; at most {s.MAX_BLOCKS} blocks, "
        "blocks of one day may not overlap).",
    )
    default_reminder_minutes: list[int] | None = strawberry.field(
        default=None, description="At most 5, each 0 to 40,320 minutes before."
    )
    time_zone: str | None = strawberry.field(
        default=None, description="Your IANA time zone (changes your profile's)."
    )


@strawberry.enum(description="Why `calendarSettingsUpdate` failed.")
class CalendarSettingsUpdateErrorCode(Enum):
    INVALID_WORKING_HOURS = error_code(
        CalendarErrorCode.INVALID_WORKING_HOURS,
        "A weekday outside 1-7, a time not `HH:MM`, a block ending before it starts, or two "
        "blocks of one day overlapping; `field` says which.",
    )
    INVALID_REMINDER = INVALID_REMINDER
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    BAD_USER_INPUT = BAD_USER_INPUT


@strawberry.type(description="A reason why `calendarSettingsUpdate` failed.")
class CalendarSettingsUpdateError(MutationError):
    code: CalendarSettingsUpdateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `calendarSettingsUpdate`.")
class CalendarSettingsUpdatePayload:
    calendar_settings: CalendarSettings | None = strawberry.field(
        default=None, description="Your settings as they now are."
    )
    errors: list[CalendarSettingsUpdateError] = strawberry.field(
        description="Why nothing was changed."
    )


@strawberry.type
class CalendarSettingsQuery:
    @strawberry.field(
        description="Your calendar settings: working hours, default reminders, time zone.",
        directives=needs("calendar:read"),
    )
    async def calendar_settings(self, info: Info) -> CalendarSettings:
        return CalendarSettings.of(await s.viewer_settings(info.context))


@strawberry.type
class CalendarSettingsMutation:
    @strawberry.mutation(
        description="Change your working hours, default reminders or time zone.",
        directives=needs("calendar:write"),
    )
    async def calendar_settings_update(
        self, info: Info, input: Annotated[CalendarSettingsUpdateInput, INPUT]
    ) -> CalendarSettingsUpdatePayload:
        action = s.check_calendar_settings_update(
            info.context,
            working_hours=(
                [s.WorkingBlock(b.weekday, b.start, b.end) for b in input.working_hours]
                if input.working_hours is not None
                else None
            ),
            default_reminder_minutes=input.default_reminder_minutes,
            time_zone=input.time_zone,
        )
        return await mutate(
            CalendarSettingsUpdatePayload,
            CalendarSettingsUpdateError,
            action,
            lambda found: {"calendar_settings": CalendarSettings.of(found)},
        )
