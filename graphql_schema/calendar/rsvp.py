"""``eventRespond``: an attendee's answer for a whole series (or event) or one occurrence."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.event_mutations import NOT_AN_OCCURRENCE, NOT_RECURRING, as_seen
from graphql_schema.calendar.events import INPUT, INVALID_RECURRENCE, UNKNOWN_TIME_ZONE
from graphql_schema.calendar.types import Event
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.calendar import AttendeeResponse
from models.calendar import Event as EventModel
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.rsvp import check_event_respond
from resolvers.core.errors import CoreErrorCode


@strawberry.enum(name="RsvpResponse", description="An answer to an invitation.")
class RsvpResponseEnum(Enum):
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Going.")
    DECLINED = strawberry.enum_value("DECLINED", description="Not going.")
    TENTATIVE = strawberry.enum_value("TENTATIVE", description="Maybe.")


@strawberry.input(description="Your answer to an event, a series or one occurrence.")
class EventRespondInput:
    event_id: strawberry.ID = strawberry.field(description="The event or series.")
    recurrence_id: datetime | None = strawberry.field(
        default=None,
        description="One occurrence (its original start); the whole series if omitted.",
    )
    response: RsvpResponseEnum = strawberry.field(description="Your answer.")
    note: str = strawberry.field(default="", description="A note (at most 500 characters).")


@strawberry.enum(description="Why `eventRespond` failed.")
class EventRespondErrorCode(Enum):
    NOT_AN_ATTENDEE = error_code(
        CalendarErrorCode.NOT_AN_ATTENDEE, "You are not invited to this event."
    )
    NOT_AN_OCCURRENCE = NOT_AN_OCCURRENCE
    NOT_RECURRING = NOT_RECURRING
    # A stored recurrence that no longer parses (say, an imported one) when finding the
    # occurrence answered for.
    INVALID_RECURRENCE = INVALID_RECURRENCE
    UNKNOWN_TIME_ZONE = UNKNOWN_TIME_ZONE
    BAD_USER_INPUT = BAD_USER_INPUT
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND, "The event does not exist or you cannot see it."
    )


@strawberry.type(description="A reason why `eventRespond` failed.")
class EventRespondError(MutationError):
    code: EventRespondErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `eventRespond`.")
class EventRespondPayload:
    event: Event | None = strawberry.field(default=None, description="The event answered.")
    errors: list[EventRespondError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class CalendarRsvpMutation:
    @strawberry.mutation(
        description="Answer an invitation, for the whole series or one occurrence. The "
        "organizer (and attendees, when they may see the guest list) are told.",
        directives=needs("calendar:write"),
    )
    async def event_respond(
        self, info: Info, input: Annotated[EventRespondInput, INPUT]
    ) -> EventRespondPayload:
        action = check_event_respond(
            info.context,
            event_id=require_id(input.event_id, "Event", "eventId"),
            recurrence_id=input.recurrence_id,
            response=AttendeeResponse[input.response.name],
            note=input.note,
        )

        async def act() -> Event | None:
            event: EventModel = await action
            return await as_seen(info, event)

        return await mutate(EventRespondPayload, EventRespondError, act(), lambda ev: {"event": ev})
