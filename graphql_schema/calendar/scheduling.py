"""Root fields of scheduling: ``freeBusy`` and ``findMeetingTimes``, and the conflict type
``Event.viewerConflicts`` returns.

An id the viewer may not see (another organization's person or room, a person whose calendar
they have no role on, any room for a guest) fails the whole query with NOT_FOUND and its
position in the error's ``field`` (``userIds.2``): a partial answer would let a client mistake a
hidden person for a free one."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import global_id, require_id
from graphql_schema.core.scopes import needs
from resolvers.calendar import freebusy, scheduling
from resolvers.calendar.freebusy import Busy

IDS_LIMIT = f"at most {freebusy.MAX_IDS}"


@strawberry.enum(name="BusyStatus", description="How a busy stretch is busy.")
class BusyStatusEnum(Enum):
    TENTATIVE = strawberry.enum_value(
        "TENTATIVE",
        description="Maybe busy: shown as tentative, answered maybe, or a room booking "
        "awaiting approval.",
    )
    BUSY = strawberry.enum_value("BUSY", description="Busy.")
    OUT_OF_OFFICE = strawberry.enum_value("OUT_OF_OFFICE", description="Away.")


@strawberry.type(description="A stretch of busy time; nothing about what fills it.")
class BusyInterval:
    start: datetime = strawberry.field(description="When it starts.")
    end: datetime = strawberry.field(description="When it ends.")
    status: BusyStatusEnum = strawberry.field(
        description="The strongest status over the stretch (away, busy, tentative)."
    )

    @classmethod
    def of(cls, b: Busy) -> BusyInterval:
        return cls(start=b.start, end=b.end, status=BusyStatusEnum[b.status.value])


@strawberry.type(description="One person's or room's busy time in the window.")
class FreeBusyEntry:
    id: strawberry.ID = strawberry.field(description="The person's or room's ID.")
    busy: list[BusyInterval] = strawberry.field(
        description="Busy stretches, merged (overlapping and touching ones as one), in time "
        "order; what is not in here is free."
    )


@strawberry.type(description="Free/busy of people and rooms, in the order asked (each once).")
class FreeBusy:
    people: list[FreeBusyEntry] = strawberry.field(description="Per person asked for.")
    rooms: list[FreeBusyEntry] = strawberry.field(description="Per room asked for.")


@strawberry.enum(name="MeetingTimeDropReason", description="Why a candidate slot was dropped.")
class DropReasonEnum(Enum):
    ATTENDEE_BUSY = strawberry.enum_value(
        "ATTENDEE_BUSY", description="A required attendee is busy (or tentative) then."
    )
    OUTSIDE_WORKING_HOURS = strawberry.enum_value(
        "OUTSIDE_WORKING_HOURS",
        description="The slot is not inside a required attendee's working hours (their zone).",
    )
    ROOM_BUSY = strawberry.enum_value("ROOM_BUSY", description="A room is booked then.")


@strawberry.type(description="A suggested time for a meeting.")
class MeetingTimeSuggestion:
    start: datetime = strawberry.field(description="When it would start.")
    end: datetime = strawberry.field(description="When it would end.")
    score: float = strawberry.field(
        description="1.0 when everyone is free; less by an equal share for each optional "
        "attendee in conflict."
    )
    free_attendee_ids: list[strawberry.ID] = strawberry.field(
        description="Attendees (required and optional) free and within their working hours."
    )
    busy_attendee_ids: list[strawberry.ID] = strawberry.field(
        description="Optional attendees who are busy or outside their working hours."
    )


@strawberry.type(
    description="How many candidate slots one reason dropped, for one attendee or room."
)
class MeetingTimeDrop:
    reason: DropReasonEnum = strawberry.field(description="Why.")
    attendee_id: strawberry.ID | None = strawberry.field(
        description="The attendee it is about (null for a room)."
    )
    room_id: strawberry.ID | None = strawberry.field(
        description="The room it is about (null for an attendee)."
    )
    count: int = strawberry.field(
        description="Candidates dropped for this reason (a slot with two reasons counts in both)."
    )
    examples: list[datetime] = strawberry.field(
        description=f"The first {scheduling.MAX_EXAMPLES} such candidates' starts."
    )


@strawberry.type(description="The answer of `findMeetingTimes`.")
class MeetingTimes:
    suggestions: list[MeetingTimeSuggestion] = strawberry.field(
        description="Best first: fewest optional attendees in conflict, then earliest."
    )
    dropped: list[MeetingTimeDrop] = strawberry.field(
        description="Why the other candidates were dropped, the most frequent reason first."
    )
    candidates: int = strawberry.field(description="How many candidate slots were looked at.")


@strawberry.input(description="What meeting to find a time for.")
class FindMeetingTimesInput:
    attendee_ids: list[strawberry.ID] = strawberry.field(
        description=f"Required attendees ({IDS_LIMIT}): a slot where one is busy is dropped."
    )
    duration_minutes: int = strawberry.field(description="How long (in minutes).")
    start: datetime = strawberry.field(description="The window's start.", name="from")
    end: datetime = strawberry.field(
        description=f"The window's end (at most {scheduling.MAX_WINDOW_DAYS} days after `from`).",
        name="to",
    )
    room_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description=f"Rooms that must all be free ({IDS_LIMIT})."
    )
    optional_attendee_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=f"Optional attendees ({IDS_LIMIT}): their conflicts lower a slot's rank.",
    )
    working_hours_only: bool = strawberry.field(
        default=True,
        description="Only slots inside every attendee's working hours, in their own zone.",
    )
    granularity_minutes: int = strawberry.field(
        default=15, description="Candidates start every so many minutes (5 to 1,440)."
    )
    max_results: int = strawberry.field(default=20, description="At most this many (1 to 100).")


def _ids(raw: list[strawberry.ID], type_name: str, field: str) -> list[int]:
    if len(raw) > freebusy.MAX_IDS:
        freebusy.check_ids([0] * len(raw), field)
    return [require_id(r, type_name, f"{field}.{i}") for i, r in enumerate(raw)]


@strawberry.type
class CalendarSchedulingQuery:
    @strawberry.field(
        description="When people and rooms are busy between `from` and `to` (at most 366 "
        "days), recurring events expanded: busy stretches only, never what fills them. A "
        "person's is visible to anyone with a role on their primary calendar (colleagues, by "
        "default), a room's to the members of its organization; any other id fails the query "
        "with NOT_FOUND and its position in `field`.",
        directives=needs("calendar:read"),
    )
    async def free_busy(
        self,
        info: Info,
        start: Annotated[
            datetime, strawberry.argument(name="from", description="The window's start.")
        ],
        end: Annotated[datetime, strawberry.argument(name="to", description="The window's end.")],
        user_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description=f"People ({IDS_LIMIT})."),
        ] = None,
        room_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description=f"Meeting rooms ({IDS_LIMIT})."),
        ] = None,
    ) -> FreeBusy:
        users = _ids(user_ids or [], "User", "userIds")
        rooms = _ids(room_ids or [], "Room", "roomIds")
        found = await freebusy.free_busy(info.context, users, rooms, start, end)
        return FreeBusy(
            people=[
                FreeBusyEntry(
                    id=global_id("User", u), busy=[BusyInterval.of(b) for b in found.users[u]]
                )
                for u in dict.fromkeys(users)
            ],
            rooms=[
                FreeBusyEntry(
                    id=global_id("Room", r), busy=[BusyInterval.of(b) for b in found.rooms[r]]
                )
                for r in dict.fromkeys(rooms)
            ],
        )

    @strawberry.field(
        description="Suggested times for a meeting: slots where every required attendee and "
        "room is free (and, by default, inside everyone's working hours in their own zone), "
        "ranked; and why the other slots were dropped. People and rooms are authorized as in "
        "`freeBusy`.",
        directives=needs("calendar:read"),
    )
    async def find_meeting_times(
        self,
        info: Info,
        input: Annotated[FindMeetingTimesInput, strawberry.argument(description="The meeting.")],
    ) -> MeetingTimes:
        req = scheduling.Request(
            attendee_ids=_ids(input.attendee_ids, "User", "attendeeIds"),
            optional_ids=_ids(input.optional_attendee_ids, "User", "optionalAttendeeIds"),
            room_ids=_ids(input.room_ids, "Room", "roomIds"),
            duration_minutes=input.duration_minutes,
            window_from=input.start,
            window_to=input.end,
            working_hours_only=input.working_hours_only,
            granularity_minutes=input.granularity_minutes,
            max_results=input.max_results,
        )
        found = await scheduling.find_meeting_times(info.context, req)
        return MeetingTimes(
            suggestions=[
                MeetingTimeSuggestion(
                    start=s.start,
                    end=s.end,
                    score=s.score,
                    free_attendee_ids=[global_id("User", u) for u in s.free],
                    busy_attendee_ids=[global_id("User", u) for u in s.busy],
                )
                for s in found.suggestions
            ],
            dropped=[
                MeetingTimeDrop(
                    reason=DropReasonEnum[d.reason.value],
                    attendee_id=global_id("User", d.user_id) if d.user_id is not None else None,
                    room_id=global_id("Room", d.room_id) if d.room_id is not None else None,
                    count=d.count,
                    examples=list(d.examples),
                )
                for d in found.dropped
            ],
            candidates=found.candidates,
        )
