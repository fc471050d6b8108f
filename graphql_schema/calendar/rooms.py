"""Buildings, meeting rooms and their bookings: the ``Building``, ``Room`` and ``RoomBooking``
types and the ``buildings``, ``rooms`` and ``roomBookings`` queries (the mutations are in
``room_mutations``). Importing ``resolvers.calendar.room_booking`` here registers the ``rooms``
save hook."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.calendar.types import Event, EventAttendee
from graphql_schema.core.node import VisibleNode, global_id, require_id
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import User, visible_user
from models import calendar as m
from resolvers.calendar import queries, rooms
from resolvers.calendar import room_booking as booking
from resolvers.core.principal import require_principal

INPUT = strawberry.argument(description="What to do.")
MAX_BOOKINGS = 100
P = TypeVar("P")


@strawberry.federation.type(
    keys=["id"], description="A building of the organization, with its floors and rooms."
)
class Building(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="1 to 100 characters, unique in the organization.")
    address: str = strawberry.field(description="At most 500 characters.")
    floors: list[str] = strawberry.field(description="Its floor names, bottom up.")
    time_zone: str = strawberry.field(description="The IANA zone it is in.")

    fetch_visible = staticmethod(rooms.visible_buildings)

    @strawberry.field(description="Its rooms (disabled ones too), by name.")
    async def rooms(self, info: Info) -> list[Room]:
        found = await m.Room.filter(building_id=self.id).order_by("name", "id")
        return [Room.from_model(r) for r in found]

    @classmethod
    def from_model(cls, b: m.Building) -> Building:
        return cls(
            id=b.id,
            name=b.name,
            address=b.address,
            floors=list(b.floors),
            time_zone=b.time_zone,
        )


@strawberry.enum(name="RoomBookableByKind", description="Who a `bookableBy` entry names.")
class BookableByKind(Enum):
    USER = strawberry.enum_value("USER", description="A person.")
    DEPARTMENT = strawberry.enum_value(
        "DEPARTMENT", description="Everyone in a department and those below it."
    )
    GROUP = strawberry.enum_value("GROUP", description="Everyone in a group.")


@strawberry.type(description="Someone who may book a room.")
class RoomBookableBy:
    kind: BookableByKind = strawberry.field(description="A person, a department or a group.")
    grantee_id: strawberry.ID = strawberry.field(
        description="The global ID of the User, Department or Group."
    )


_KIND_TYPE = {"USER": "User", "DEPARTMENT": "Department", "GROUP": "Group"}


@strawberry.federation.type(
    keys=["id"],
    description="A meeting room. Invite it to an event (an attendee with `roomId`) to book it: "
    "it answers at once, booked (ACCEPTED), taken (DECLINED) or pending its admin's approval "
    "(NEEDS_ACTION).",
)
class Room(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="1 to 100 characters, unique in its building.")
    floor: str = strawberry.field(description="One of its building's floors, or empty.")
    capacity: int = strawberry.field(description="How many people it seats.")
    equipment: list[str] = strawberry.field(
        description="Equipment tags, lower case (`projector`, `video`, `whiteboard`…)."
    )
    requires_approval: bool = strawberry.field(
        description="Bookings wait for its admin's approval."
    )
    email: str | None = strawberry.field(description="Its iCalendar address, if set.")
    disabled: bool = strawberry.field(description="Disabled rooms cannot be booked.")
    bookable_by: list[RoomBookableBy] = strawberry.field(
        description="Who may book it (its admin and the organization's admins always may); "
        "empty: everyone in the organization."
    )
    building_id: strawberry.Private[int]
    admin_id: strawberry.Private[int | None]
    model: strawberry.Private[m.Room]

    fetch_visible = staticmethod(rooms.visible_rooms)

    @strawberry.field(description="The building it is in.")
    async def building(self, info: Info) -> Building | None:
        found = (await rooms.visible_buildings(info.context, [self.building_id]))[0]
        return Building.from_model(found) if found is not None else None

    @strawberry.field(description="Who approves its bookings; null: the organization's admins.")
    async def admin(self, info: Info) -> User | None:
        return await visible_user(info, self.admin_id) if self.admin_id is not None else None

    @strawberry.field(description="Whether you may book it.")
    async def viewer_can_book(self, info: Info) -> bool:
        principal = require_principal(info.context)
        return self.model.disabled_at is None and await booking.may_book(
            principal.user_id, self.model
        )

    @classmethod
    def from_model(cls, r: m.Room) -> Room:
        return cls(
            id=r.id,
            name=r.name,
            floor=r.floor,
            capacity=r.capacity,
            equipment=list(r.equipment),
            requires_approval=r.requires_approval,
            email=r.email,
            disabled=r.disabled_at is not None,
            bookable_by=[
                RoomBookableBy(
                    kind=BookableByKind[str(e["kind"])],
                    grantee_id=global_id(_KIND_TYPE[str(e["kind"])], int(str(e["id"]))),
                )
                for e in r.bookable_by
            ],
            building_id=r.building_id,
            admin_id=r.admin_id,
            model=r,
        )


@strawberry.type(description="A booking of a room: the room invited to an event.")
class RoomBooking:
    attendee: EventAttendee = strawberry.field(
        description="The room as an attendee of the event: its answer and note."
    )
    start_at: datetime = strawberry.field(
        description="When the event (a series: its first occurrence) starts."
    )
    end_at: datetime = strawberry.field(description="When it (or its first occurrence) ends.")
    rrule: str | None = strawberry.field(description="How it repeats; null for a single event.")
    event_id: strawberry.Private[int]

    @strawberry.field(description="The event, as you may see it (null if you cannot).")
    async def event(self, info: Info) -> Event | None:
        found = (await queries.visible_events(info.context, [self.event_id]))[0]
        return Event.from_model(found) if found is not None else None


def room_booking_of(attendee: m.EventAttendee, event: m.Event) -> RoomBooking:
    return RoomBooking(
        attendee=EventAttendee.from_model(attendee),
        start_at=event.start_at,
        end_at=event.end_at,
        rrule=event.rrule,
        event_id=event.id,
    )


@strawberry.enum(name="RoomBookingStatus", description="Where a room booking stands.")
class RoomBookingStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Awaiting the admin's approval.")
    BOOKED = strawberry.enum_value("BOOKED", description="Accepted.")
    DECLINED = strawberry.enum_value("DECLINED", description="Refused, or taken at that time.")


_STATUS = {
    RoomBookingStatus.PENDING: m.AttendeeResponse.NEEDS_ACTION,
    RoomBookingStatus.BOOKED: m.AttendeeResponse.ACCEPTED,
    RoomBookingStatus.DECLINED: m.AttendeeResponse.DECLINED,
}


# --- queries -------------------------------------------------------------------------------


@strawberry.type
class CalendarRoomsQuery:
    @strawberry.field(
        description="The organization's buildings, by name.", directives=needs("calendar:read")
    )
    async def buildings(self, info: Info) -> list[Building]:
        return [Building.from_model(b) for b in await rooms.building_list(info.context)]

    @strawberry.field(
        description="The organization's rooms that are not disabled, by building and name; "
        "with `availableFrom` and `availableTo`, only those free in all of that window "
        "(recurring bookings expanded; pending bookings hold their time).",
        directives=needs("calendar:read"),
    )
    async def rooms(
        self,
        info: Info,
        building_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this building's rooms.")
        ] = None,
        min_capacity: Annotated[
            int | None, strawberry.argument(description="Seating at least this many.")
        ] = None,
        equipment: Annotated[
            list[str] | None, strawberry.argument(description="Having all of these tags.")
        ] = None,
        available_from: Annotated[
            datetime | None, strawberry.argument(description="Free from this instant…")
        ] = None,
        available_to: Annotated[
            datetime | None,
            strawberry.argument(description="…to this one (a window of at most 366 days)."),
        ] = None,
    ) -> list[Room]:
        found = await rooms.room_list(
            info.context,
            building_id=require_id(building_id, "Building", "buildingId"),
            min_capacity=min_capacity,
            equipment=list(equipment or [])[:20],
            available_from=available_from,
            available_to=available_to,
        )
        return [Room.from_model(r) for r in found]

    @strawberry.field(
        description=f"A room's bookings of events not over yet, soonest first (at most "
        f"{MAX_BOOKINGS}): for its admin and the organization's admins.",
        directives=needs("calendar:read"),
    )
    async def room_bookings(
        self,
        info: Info,
        room_id: Annotated[strawberry.ID, strawberry.argument(description="The room.")],
        status: Annotated[
            RoomBookingStatus | None, strawberry.argument(description="Only these; all if null.")
        ] = None,
    ) -> list[RoomBooking]:
        found = await booking.room_bookings(
            info.context,
            require_id(room_id, "Room", "roomId"),
            _STATUS[status] if status is not None else None,
            MAX_BOOKINGS,
        )
        return [room_booking_of(a, e) for a, e in found]
