"""GraphQL types of Calendar: calendars, events (a single event, a series, or one changed
occurrence), their attendees and recurrence.

Privacy is decided once per event and viewer (``resolvers.calendar.queries.SeenEvent``): an
``Event`` built without details answers its title as "Busy" and its description, location,
attendees, attachments and links as empty, so no field can leak what a free/busy reader may not
see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from graphql_schema.admin.departments import Department
from graphql_schema.admin.groups import Group
from graphql_schema.core.node import VisibleNode, global_id
from graphql_schema.drive.sharing import Grantee
from graphql_schema.identity.types import User, visible_user
from graphql_schema.meetings.types import Meeting, meeting_of_event
from models import calendar as m
from resolvers.admin.queries import visible_departments, visible_groups
from resolvers.calendar import calendars, queries, sharing
from resolvers.calendar.conflicts import viewer_conflicts
from resolvers.calendar.recurrence import instance_key

BUSY_TITLE = "Busy"


@strawberry.enum(name="CalendarRole", description="What someone may do with a calendar.")
class CalendarRoleEnum(Enum):
    FREE_BUSY = strawberry.enum_value(
        "FREE_BUSY", description="See when its events make the owner busy, nothing more."
    )
    READER = strawberry.enum_value(
        "READER", description="See its events (private ones only as busy)."
    )
    WRITER = strawberry.enum_value(
        "WRITER", description="Create and change its events, and see private ones."
    )
    OWNER = strawberry.enum_value("OWNER", description="Also share it and delete it.")


@strawberry.enum(name="EventVisibility", description="Who sees an event's details.")
class EventVisibilityEnum(Enum):
    DEFAULT = strawberry.enum_value(
        "DEFAULT", description="As the calendar shows events: readers see details."
    )
    PUBLIC = strawberry.enum_value(
        "PUBLIC", description="Everyone who can see the calendar at all, free/busy included."
    )
    PRIVATE = strawberry.enum_value(
        "PRIVATE",
        description="Only its calendar's writers and owners, its organizer and attendees; "
        "everyone else sees a busy block.",
    )


@strawberry.enum(name="ShowAs", description="How an event counts in free/busy.")
class ShowAsEnum(Enum):
    BUSY = strawberry.enum_value("BUSY", description="Busy.")
    FREE = strawberry.enum_value("FREE", description="Free: does not block time.")
    TENTATIVE = strawberry.enum_value("TENTATIVE", description="Maybe busy.")
    OUT_OF_OFFICE = strawberry.enum_value("OUT_OF_OFFICE", description="Away.")


@strawberry.enum(name="AttendeeKind", description="What an attendee is.")
class AttendeeKindEnum(Enum):
    USER = strawberry.enum_value("USER", description="A person of the organization.")
    ROOM = strawberry.enum_value("ROOM", description="A meeting room.")
    EXTERNAL = strawberry.enum_value(
        "EXTERNAL", description="An email address outside the organization."
    )


@strawberry.enum(name="AttendeeResponse", description="An attendee's answer.")
class AttendeeResponseEnum(Enum):
    NEEDS_ACTION = strawberry.enum_value(
        "NEEDS_ACTION", description="Not answered yet (a room: awaiting its admin)."
    )
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Going (a room: booked).")
    DECLINED = strawberry.enum_value(
        "DECLINED", description="Not going (a room: refused, or taken at that time)."
    )
    TENTATIVE = strawberry.enum_value("TENTATIVE", description="Maybe.")


@strawberry.type(description="How an event repeats (RFC 5545), in its own time zone.")
class Recurrence:
    rrule: str | None = strawberry.field(
        description="The RRULE value, like `FREQ=WEEKLY;BYDAY=MO,WE`; null for none."
    )
    rdates: list[str] = strawberry.field(
        description="Extra starts: UTC instants (ISO 8601), or dates for all-day events."
    )
    exdates: list[str] = strawberry.field(
        description="Removed starts: UTC instants (ISO 8601), or dates for all-day events."
    )


@strawberry.federation.type(
    keys=["id"],
    description="A calendar: every person has a primary one and may make more (team, "
    "project). Its owner shares it with people, departments and groups.",
)
class Calendar(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str = strawberry.field(description="At most 2,000 characters.")
    color: str = strawberry.field(description="`#rrggbb`.")
    time_zone: str = strawberry.field(description="The IANA zone new events default to.")
    is_primary: bool = strawberry.field(description="True for its owner's primary calendar.")
    viewer_role: CalendarRoleEnum = strawberry.field(description="Your role on it.")
    organization_role: CalendarRoleEnum | None = strawberry.field(
        description="The role everyone in its organization gets without a grant (guests "
        "excepted); null for none."
    )
    version: int = strawberry.field(description="Raised by every change.")
    created_at: datetime = strawberry.field(description="When it was created.")
    owner_id: strawberry.Private[int]
    model: strawberry.Private[m.Calendar]

    fetch_visible = staticmethod(queries.visible_calendars)

    @strawberry.field(description="Who owns it.")
    async def owner(self, info: Info) -> User | None:
        return await visible_user(info, self.owner_id)

    @strawberry.field(
        description="Who it is shared with (oldest grant first); empty unless you own it."
    )
    async def grants(self, info: Info) -> list[CalendarGrant]:
        if self.viewer_role != CalendarRoleEnum.OWNER:
            return []
        rows = await _request_loader(info, "grants", lambda: _grants_batch).load(self.id)
        return [CalendarGrant.from_model(g) for g in rows]

    @strawberry.field(
        description="Whether you hid it in your list (its events stay, only your view changes)."
    )
    async def hidden(self, info: Info) -> bool:
        sub = await _subscription(info, self.id)
        return sub is not None and sub.hidden

    @strawberry.field(description="The color you show it in: yours if you chose one, else `color`.")
    async def list_color(self, info: Info) -> str:
        sub = await _subscription(info, self.id)
        return sub.color if sub is not None and sub.color else self.color

    @classmethod
    def from_model(cls, found: Any) -> Calendar:
        calendar, role = found
        return cls(
            id=calendar.id,
            name=calendar.name,
            description=calendar.description,
            color=calendar.color,
            time_zone=calendar.time_zone,
            is_primary=calendar.primary_of_id is not None,
            viewer_role=CalendarRoleEnum[m.CalendarRole(role).value],
            organization_role=(
                CalendarRoleEnum[m.CalendarRole(calendar.organization_role).value]
                if calendar.organization_role
                else None
            ),
            version=calendar.version,
            created_at=calendar.created_at,
            owner_id=calendar.owner_id,
            model=calendar,
        )


@strawberry.enum(name="CalendarGranteeKind", description="Who a calendar grant is for.")
class CalendarGranteeKindEnum(Enum):
    USER = strawberry.enum_value("USER", description="One person.")
    DEPARTMENT = strawberry.enum_value(
        "DEPARTMENT", description="Members of a department and of the departments below it."
    )
    GROUP = strawberry.enum_value("GROUP", description="Members of a group.")


@strawberry.type(description="A role on a calendar for a user, a department or a group.")
class CalendarGrant:
    id: strawberry.ID = strawberry.field(description="This grant's ID.")
    role: CalendarRoleEnum = strawberry.field(description="The role it gives.")
    grantee_kind: CalendarGranteeKindEnum = strawberry.field(description="Who it is for.")
    created_at: datetime = strawberry.field(description="When it was first granted.")
    grantee_id: strawberry.Private[int]

    @strawberry.field(description="The user, department or group; null if you cannot see it.")
    async def grantee(self, info: Info) -> Grantee | None:
        ctx = info.context
        if self.grantee_kind == CalendarGranteeKindEnum.USER:
            return await visible_user(info, self.grantee_id)
        if self.grantee_kind == CalendarGranteeKindEnum.DEPARTMENT:
            dept = (await visible_departments(ctx, [self.grantee_id]))[0]
            return Department.from_model(dept) if dept is not None else None
        group = (await visible_groups(ctx, [self.grantee_id]))[0]
        return Group.from_model(group) if group is not None else None

    @classmethod
    def from_model(cls, g: m.CalendarGrant) -> CalendarGrant:
        return cls(
            id=global_id("CalendarGrant", g.id),
            role=CalendarRoleEnum[m.CalendarRole(g.role).value],
            grantee_kind=CalendarGranteeKindEnum[m.CalendarGranteeKind(g.grantee_kind).value],
            created_at=g.created_at,
            grantee_id=g.grantee_id,
        )


def _request_loader(info: Info, name: str, make: Callable[[], Any]) -> DataLoader[Any, Any]:
    """A DataLoader batch function made once per request (it may close over the context)."""
    return info.context.loaders.get(info.context.per_request(f"calendar.types.{name}", make))


async def _grants_batch(ids: list[int]) -> list[list[m.CalendarGrant]]:
    found = await sharing.grants_of(ids)
    return [found[i] for i in ids]


async def _subscription(info: Info, calendar_id: int) -> m.CalendarSubscription | None:
    user_id = info.context.principal.user_id

    def make() -> Callable[[list[int]], Awaitable[list[m.CalendarSubscription | None]]]:
        return lambda ids: calendars.subscriptions_of(user_id, ids)

    found: m.CalendarSubscription | None = await _request_loader(info, "subscriptions", make).load(
        calendar_id
    )
    return found


async def _attendees_batch(event_ids: list[int]) -> list[list[m.EventAttendee]]:
    """The attendees of each event (a master or single event), the organizer first: one query
    for a page of events, whichever of ``attendees`` and ``responseTally`` ask."""
    by_event: dict[int, list[m.EventAttendee]] = {i: [] for i in event_ids}
    for a in await m.EventAttendee.filter(event_id__in=event_ids).order_by("-is_organizer", "id"):
        by_event[a.event_id].append(a)
    return [by_event[i] for i in event_ids]


async def _attendees(info: Info, event_id: int) -> list[m.EventAttendee]:
    found: list[m.EventAttendee] = await _request_loader(
        info, "attendees", lambda: _attendees_batch
    ).load(event_id)
    return found


@strawberry.type(description="Someone or something invited to an event.")
class EventAttendee:
    id: strawberry.ID = strawberry.field(description="This invitation's ID.")
    kind: AttendeeKindEnum = strawberry.field(description="A person, a room or an address.")
    display_name: str = strawberry.field(description="The person's, room's or given name.")
    email: str | None = strawberry.field(description="An external attendee's address.")
    optional: bool = strawberry.field(description="Optional attendance.")
    is_organizer: bool = strawberry.field(description="True for the organizer.")
    response: AttendeeResponseEnum = strawberry.field(
        description="Their answer for the series (or the single event)."
    )
    note: str = strawberry.field(description="What they wrote with their answer.")
    user_id: strawberry.Private[int | None]
    room_id: strawberry.Private[int | None]

    @strawberry.field(description="The person; null for rooms and external addresses.")
    async def user(self, info: Info) -> User | None:
        return await visible_user(info, self.user_id) if self.user_id is not None else None

    @classmethod
    def from_model(cls, a: m.EventAttendee) -> EventAttendee:
        return cls(
            id=global_id("EventAttendee", a.id),
            kind=AttendeeKindEnum[m.AttendeeKind(a.kind).value],
            display_name=a.display_name,
            email=a.email,
            optional=a.optional,
            is_organizer=a.is_organizer,
            response=AttendeeResponseEnum[m.AttendeeResponse(a.response).value],
            note=a.note,
            user_id=a.user_id,
            room_id=a.room_id,
        )


@strawberry.type(description="How an event's attendees answered.")
class ResponseTally:
    accepted: int = strawberry.field(description="Going.")
    declined: int = strawberry.field(description="Not going.")
    tentative: int = strawberry.field(description="Maybe.")
    needs_action: int = strawberry.field(description="Not answered yet.")


@strawberry.federation.type(
    keys=["id"],
    description="An event: a single one, a recurring series, or one changed occurrence of a "
    "series (`series` set). Without the right to see its details (a free/busy reader, or a "
    'private event), `title` is "Busy" and what it says is empty.',
)
class Event(VisibleNode):
    id: relay.NodeID[int]
    has_details: bool = strawberry.field(
        description="False when you see only when it is (a busy block)."
    )
    title: str = strawberry.field(description="At most 500 characters.")
    description: str = strawberry.field(description="At most 8,000 characters.")
    location: str = strawberry.field(description="At most 500 characters.")
    all_day: bool = strawberry.field(description="An all-day event (dates, no times).")
    start_at: datetime = strawberry.field(
        description="When it (a series: its first occurrence) starts; for an all-day event, "
        "the midnight of `startDate` in `timeZone`."
    )
    end_at: datetime = strawberry.field(description="When it (or its first occurrence) ends.")
    start_date: date | None = strawberry.field(description="An all-day event's first day.")
    end_date: date | None = strawberry.field(
        description="The day after an all-day event's last day (exclusive)."
    )
    time_zone: str = strawberry.field(description="The IANA zone it is expanded in.")
    recurrence: Recurrence | None = strawberry.field(
        description="How it repeats; null for a single event or an occurrence."
    )
    recurrence_id: datetime | None = strawberry.field(
        description="For a changed occurrence of a series: the original start it replaces."
    )
    cancelled: bool = strawberry.field(description="A cancelled occurrence of a series.")
    visibility: EventVisibilityEnum = strawberry.field(description="Who sees its details.")
    show_as: ShowAsEnum = strawberry.field(description="How it counts in free/busy.")
    color: str | None = strawberry.field(description="`#rrggbb`, or the calendar's.")
    reminder_minutes: list[int] = strawberry.field(
        description="The organizer's reminders, minutes before (attendees may set their own)."
    )
    guests_can_invite: bool = strawberry.field(description="Attendees may invite others.")
    guests_can_see_guests: bool = strawberry.field(description="Attendees may see the guest list.")
    ical_uid: str = strawberry.field(description="Its iCalendar UID.")
    version: int = strawberry.field(
        description="Raised by every change; pass it back to `eventUpdate` (a stale one is a "
        "CONFLICT)."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    calendar_id: strawberry.Private[int]
    organizer_id: strawberry.Private[int]
    series_id: strawberry.Private[int | None]
    model: strawberry.Private[m.Event]
    role: strawberry.Private[m.CalendarRole | None] = None

    fetch_visible = staticmethod(queries.visible_events)

    @strawberry.field(description="The calendar it is on; null if you cannot see the calendar.")
    async def calendar(self, info: Info) -> Calendar | None:
        ctx = info.context
        found = await _request_loader(
            info, "calendars", lambda: lambda ids: queries.visible_calendars(ctx, ids)
        ).load(self.calendar_id)
        return Calendar.from_model(found) if found is not None else None

    @strawberry.field(description="Who organizes it; null without details.")
    async def organizer(self, info: Info) -> User | None:
        if not self.has_details:
            return None
        return await visible_user(info, self.organizer_id)

    @strawberry.field(description="The series a changed occurrence belongs to; null for others.")
    async def series(self, info: Info) -> Event | None:
        if self.series_id is None:
            return None
        ctx = info.context
        found = await _request_loader(
            info, "events", lambda: lambda ids: queries.visible_events(ctx, ids)
        ).load(self.series_id)
        return Event.from_model(found) if found is not None else None

    @strawberry.field(
        description="Its video meeting (created with `withMeeting`), for those who see its "
        "details; a changed occurrence has its series' meeting."
    )
    async def meeting(self, info: Info) -> Meeting | None:
        if not self.has_details:
            return None
        return await meeting_of_event(info, self.series_id or self.model.id)

    @strawberry.field(
        description="Its attendees, the organizer first (empty without details, or when "
        "attendees may not see the guest list and you are neither its organizer nor a writer "
        "of its calendar)."
    )
    async def attendees(self, info: Info) -> list[EventAttendee]:
        if not self.has_details:
            return []
        rows = await _attendees(info, self.series_id or self.model.id)
        if not self.model.guests_can_see_guests and not self._manages(info):
            me = info.context.principal.user_id if info.context.principal else None
            rows = [a for a in rows if a.is_organizer or (me is not None and a.user_id == me)]
        return [EventAttendee.from_model(a) for a in rows]

    @strawberry.field(
        description="Your other busy occurrences that overlap this event: for a series, its "
        "occurrences of the next 30 days (from its first one, if later; at most 100 of them); "
        "otherwise its own times. Your busy time is as `freeBusy` counts it (declined and "
        "FREE events do not conflict); at most 50."
    )
    async def viewer_conflicts(self, info: Info) -> list[EventConflict]:
        return [
            EventConflict(
                occurrence_start=c.occurrence_start,
                start=c.other.start,
                end=c.other.end,
                title=BUSY_TITLE if not c.seen.details else c.seen.event.title,
                recurrence_id=c.other.recurrence_id if c.other.is_recurring else None,
                event=Event.from_model(c.seen),
            )
            for c in await viewer_conflicts(info.context, self.model)
        ]

    def _manages(self, info: Info) -> bool:
        """The organizer, and writers and owners of its calendar."""
        principal = info.context.principal
        if principal is not None and principal.user_id == self.organizer_id:
            return True
        return (
            self.role is not None
            and m.CALENDAR_ROLE_RANK[m.CalendarRole(self.role)]
            >= (m.CALENDAR_ROLE_RANK[m.CalendarRole.WRITER])
        )

    @strawberry.field(
        description="How many attendees answered what (the series answers; rooms left out); "
        "null unless you are its organizer or a writer of its calendar."
    )
    async def response_tally(self, info: Info) -> ResponseTally | None:
        if not self.has_details or not self._manages(info):
            return None
        counts = {r: 0 for r in m.AttendeeResponse}
        for a in await _attendees(info, self.series_id or self.model.id):
            if a.kind != m.AttendeeKind.ROOM:
                counts[m.AttendeeResponse(a.response)] += 1
        return ResponseTally(
            accepted=counts[m.AttendeeResponse.ACCEPTED],
            declined=counts[m.AttendeeResponse.DECLINED],
            tentative=counts[m.AttendeeResponse.TENTATIVE],
            needs_action=counts[m.AttendeeResponse.NEEDS_ACTION],
        )

    @classmethod
    def from_model(cls, seen: queries.SeenEvent) -> Event:
        e, details = seen.event, seen.details
        return cls(
            id=e.id,
            has_details=details,
            title=e.title if details else BUSY_TITLE,
            description=e.description if details else "",
            location=e.location if details else "",
            all_day=e.all_day,
            start_at=e.start_at,
            end_at=e.end_at,
            start_date=e.start_date,
            end_date=e.end_date,
            time_zone=e.time_zone,
            recurrence=(
                Recurrence(rrule=e.rrule, rdates=list(e.rdates), exdates=list(e.exdates))
                if e.rrule or e.rdates
                else None
            ),
            recurrence_id=e.recurrence_id,
            cancelled=e.cancelled,
            visibility=EventVisibilityEnum[m.EventVisibility(e.visibility).value],
            show_as=ShowAsEnum[m.ShowAs(e.show_as).value],
            color=e.color if details else None,
            reminder_minutes=list(e.reminder_minutes) if details else [],
            guests_can_invite=e.guests_can_invite,
            guests_can_see_guests=e.guests_can_see_guests,
            ical_uid=e.ical_uid if details else "",
            version=e.version,
            created_at=e.created_at,
            updated_at=e.updated_at,
            calendar_id=e.calendar_id,
            organizer_id=e.organizer_id,
            series_id=e.series_id,
            model=e,
            role=seen.role,
        )


@strawberry.type(description="Another busy occurrence of yours that overlaps an event.")
class EventConflict:
    occurrence_start: datetime = strawberry.field(
        description="The start of the event's occurrence that it overlaps."
    )
    start: datetime = strawberry.field(description="When the other occurrence starts.")
    end: datetime = strawberry.field(description="When it ends.")
    title: str = strawberry.field(description='Its title as you see it ("Busy" without details).')
    recurrence_id: datetime | None = strawberry.field(
        description="Its original start, when it is an occurrence of a series."
    )
    event: Event = strawberry.field(
        description="The other event (its series, or the changed occurrence)."
    )


def occurrence_id(event_id: int, recurrence_id: datetime) -> strawberry.ID:
    """The stable global ID of one occurrence of a series: the series and its original start."""
    return strawberry.ID(
        str(relay.GlobalID("EventOccurrence", f"{event_id}_{instance_key(recurrence_id)}"))
    )
