"""Buildings, meeting rooms and their bookings: the ``Building`` and ``Room`` types, the
``buildings``, ``rooms`` and ``roomBookings`` queries, the mutations that manage them, and the
room admin's ``roomBookingApprove`` / ``roomBookingDecline``.

The building and room mutations share one error type, ``RoomError`` (like departments'): they
fail for the same reasons, and each code's description names the mutations that return it.
Importing ``resolvers.calendar.room_booking`` here registers the ``rooms`` save hook."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.calendar.types import Event, EventAttendee
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, global_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import User, visible_user
from models import calendar as m
from resolvers.calendar import queries, rooms
from resolvers.calendar import room_booking as booking
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.rooms import BookableBy, BuildingFields, RoomFields
from resolvers.core.errors import CoreErrorCode
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


def _booking(attendee: m.EventAttendee, event: m.Event) -> RoomBooking:
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
        return [_booking(a, e) for a, e in found]


# --- building and room mutations -----------------------------------------------------------


@strawberry.enum(description="Why a building or room mutation failed.")
class RoomErrorCode(Enum):
    NAME_TAKEN = error_code(
        CalendarErrorCode.NAME_TAKEN,
        "Building create/update: another building of the organization has this name (in any "
        "case); room create/update: another room of the building has.",
    )
    UNKNOWN_FLOOR = error_code(
        CalendarErrorCode.UNKNOWN_FLOOR,
        "Room create/update: the floor is not one of the building's; building update: a room "
        "is on a floor the new list leaves out.",
    )
    BUILDING_NOT_EMPTY = error_code(
        CalendarErrorCode.BUILDING_NOT_EMPTY,
        "Building delete: rooms (disabled ones too) are in it.",
    )
    UNKNOWN_TIME_ZONE = error_code(
        CalendarErrorCode.UNKNOWN_TIME_ZONE, "`timeZone` is not an IANA zone name."
    )
    INVALID_EMAIL = error_code(CalendarErrorCode.INVALID_EMAIL, "The room's address is not one.")
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins manage buildings."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The building, room, admin, person, department or group named does not exist or you "
        "cannot see it (the two answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why a building or room mutation changed nothing.")
class RoomError(MutationError):
    code: RoomErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A new building.")
class BuildingCreateInput:
    name: str = strawberry.field(description="1 to 100 characters, unique in the organization.")
    address: str = strawberry.field(default="", description="At most 500 characters.")
    floors: list[str] = strawberry.field(
        default_factory=list, description="Floor names bottom up (at most 200, 50 characters)."
    )
    time_zone: str = strawberry.field(default="UTC", description="The IANA zone it is in.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first building."
    )


@strawberry.input(description="Changes to a building; what is null stays.")
class BuildingUpdateInput:
    building_id: strawberry.ID = strawberry.field(description="The building.")
    name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    address: str | None = strawberry.field(default=None, description="At most 500 characters.")
    floors: list[str] | None = strawberry.field(
        default=None, description="The whole new floor list (rooms' floors must stay in it)."
    )
    time_zone: str | None = strawberry.field(default=None, description="An IANA zone.")


@strawberry.input(description="A building to delete (it must have no rooms).")
class BuildingDeleteInput:
    building_id: strawberry.ID = strawberry.field(description="The building.")


@strawberry.type(description="The result of `buildingCreate`.")
class BuildingCreatePayload:
    building: Building | None = strawberry.field(default=None, description="The new building.")
    errors: list[RoomError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `buildingUpdate`.")
class BuildingUpdatePayload:
    building: Building | None = strawberry.field(
        default=None, description="The building as changed."
    )
    errors: list[RoomError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `buildingDelete`.")
class BuildingDeletePayload:
    building: Building | None = strawberry.field(
        default=None, description="The building as it was."
    )
    errors: list[RoomError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(
    description="Someone who may book a room: exactly one of `userId`, `departmentId` (and "
    "those below it) and `groupId`."
)
class RoomBookableByInput:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="A person.")
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="A department."
    )
    group_id: strawberry.ID | None = strawberry.field(default=None, description="A group.")

    def spec(self, where: str) -> BookableBy:
        return BookableBy(
            user_id=require_id(self.user_id, "User", f"{where}.userId"),
            department_id=require_id(self.department_id, "Department", f"{where}.departmentId"),
            group_id=require_id(self.group_id, "Group", f"{where}.groupId"),
        )


def _bookable(entries: list[RoomBookableByInput] | None) -> list[BookableBy] | None:
    if entries is None:
        return None
    return [e.spec(f"bookableBy.{i}") for i, e in enumerate(entries[: rooms.MAX_BOOKABLE_BY + 1])]


@strawberry.input(description="A new meeting room.")
class RoomCreateInput:
    building_id: strawberry.ID = strawberry.field(description="Its building.")
    name: str = strawberry.field(description="1 to 100 characters, unique in the building.")
    floor: str = strawberry.field(default="", description="One of the building's floors.")
    capacity: int = strawberry.field(default=0, description="How many it seats (0 to 100,000).")
    equipment: list[str] = strawberry.field(
        default_factory=list, description="Equipment tags (at most 20, 50 characters each)."
    )
    bookable_by: list[RoomBookableByInput] = strawberry.field(
        default_factory=list,
        description="Who may book it (at most 100); empty: everyone in the organization.",
    )
    requires_approval: bool = strawberry.field(
        default=False, description="Bookings wait for the admin's approval."
    )
    admin_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who approves bookings (a member, not a guest); null: the organization's "
        "admins.",
    )
    email: str | None = strawberry.field(default=None, description="Its iCalendar address.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first room."
    )


@strawberry.input(description="Changes to a room; what is null stays.")
class RoomUpdateInput:
    room_id: strawberry.ID = strawberry.field(description="The room.")
    name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    floor: str | None = strawberry.field(
        default=None, description="One of the building's floors, or empty."
    )
    capacity: int | None = strawberry.field(default=None, description="0 to 100,000.")
    equipment: list[str] | None = strawberry.field(
        default=None, description="The whole new tag list."
    )
    bookable_by: list[RoomBookableByInput] | None = strawberry.field(
        default=None, description="The whole new list; empty: everyone."
    )
    requires_approval: bool | None = strawberry.field(
        default=None, description="Bookings wait for approval."
    )
    admin_id: strawberry.ID | None = strawberry.field(default=None, description="A new admin.")
    clear_admin: bool = strawberry.field(
        default=False, description="No admin: the organization's admins approve."
    )
    email: str | None = strawberry.field(
        default=None, description="Its iCalendar address (empty clears it)."
    )


@strawberry.input(description="Disable a room (or enable it again).")
class RoomDisableInput:
    room_id: strawberry.ID = strawberry.field(description="The room.")
    disabled: bool = strawberry.field(
        default=True,
        description="True disables it (its bookings stay; new ones are refused); false "
        "enables it again.",
    )


@strawberry.type(description="The result of `roomCreate`.")
class RoomCreatePayload:
    room: Room | None = strawberry.field(default=None, description="The new room.")
    errors: list[RoomError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `roomUpdate`.")
class RoomUpdatePayload:
    room: Room | None = strawberry.field(default=None, description="The room as changed.")
    errors: list[RoomError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `roomDisable`.")
class RoomDisablePayload:
    room: Room | None = strawberry.field(default=None, description="The room.")
    errors: list[RoomError] = strawberry.field(description="Why nothing changed.")


def _building(b: m.Building) -> dict[str, object]:
    return {"building": Building.from_model(b)}


def _room(r: m.Room) -> dict[str, object]:
    return {"room": Room.from_model(r)}


# --- booking answers -----------------------------------------------------------------------


@strawberry.enum(description="Why a room booking answer failed.")
class RoomBookingErrorCode(Enum):
    NOT_PENDING = error_code(
        CalendarErrorCode.NOT_PENDING, "The booking was answered already (or is not pending)."
    )
    # Approving expands the stored series to re-check overlaps: a stored recurrence or zone
    # that no longer parses (a zone dropped from the tz database) would surface as these.
    INVALID_RECURRENCE = error_code(
        CalendarErrorCode.INVALID_RECURRENCE,
        "The event's stored recurrence no longer parses, so overlaps cannot be checked.",
    )
    UNKNOWN_TIME_ZONE = error_code(
        CalendarErrorCode.UNKNOWN_TIME_ZONE,
        "The event's stored zone is no longer known, so overlaps cannot be checked.",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "No such booking, or you are neither the room's admin nor an organization admin "
        "(the two answer alike).",
    )


@strawberry.type(description="A reason why a room booking answer changed nothing.")
class RoomBookingError(MutationError):
    code: RoomBookingErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(
    description="A pending booking to answer: `attendeeId` (the room's attendee ID on the "
    "event), or `eventId` and `roomId`."
)
class RoomBookingAnswerInput:
    attendee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The room's attendee ID (`EventAttendee.id`)."
    )
    event_id: strawberry.ID | None = strawberry.field(
        default=None, description="The event (a single event or a series)."
    )
    room_id: strawberry.ID | None = strawberry.field(default=None, description="The room.")
    note: str = strawberry.field(
        default="", description="Shown on the event with the answer (at most 500 characters)."
    )


@strawberry.type(description="The result of `roomBookingApprove`.")
class RoomBookingApprovePayload:
    booking: RoomBooking | None = strawberry.field(
        default=None,
        description="The booking as answered: approving a booking taken meanwhile declines it "
        "(the note says when).",
    )
    errors: list[RoomBookingError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `roomBookingDecline`.")
class RoomBookingDeclinePayload:
    booking: RoomBooking | None = strawberry.field(
        default=None,
        description="The booking as answered: approving a booking taken meanwhile declines it "
        "(the note says when).",
    )
    errors: list[RoomBookingError] = strawberry.field(description="Why nothing changed.")


async def _answer(info: Info, input: RoomBookingAnswerInput, approve: bool, payload: type[P]) -> P:
    async def action() -> tuple[m.EventAttendee, m.Event]:
        attendee = await booking.check_booking_answer(
            info.context,
            approve=approve,
            attendee_id=require_id(input.attendee_id, "EventAttendee", "attendeeId"),
            event_id=require_id(input.event_id, "Event", "eventId"),
            room_id=require_id(input.room_id, "Room", "roomId"),
            note=input.note,
        )
        return attendee, await m.Event.get(id=attendee.event_id)

    return await mutate(payload, RoomBookingError, action(), lambda r: {"booking": _booking(*r)})


@strawberry.type
class CalendarRoomsMutation:
    @strawberry.mutation(description="Add a building.", directives=needs("calendar:write"))
    async def building_create(
        self, info: Info, input: Annotated[BuildingCreateInput, INPUT]
    ) -> BuildingCreatePayload:
        fields = BuildingFields(input.name, input.address, list(input.floors), input.time_zone)
        action = rooms.check_building_create(info.context, fields, input.idempotency_key)
        return await mutate(BuildingCreatePayload, RoomError, action, _building)

    @strawberry.mutation(description="Change a building.", directives=needs("calendar:write"))
    async def building_update(
        self, info: Info, input: Annotated[BuildingUpdateInput, INPUT]
    ) -> BuildingUpdatePayload:
        async def action() -> m.Building:
            return await rooms.check_building_update(
                info.context,
                require_id(input.building_id, "Building", "buildingId"),
                BuildingFields(
                    input.name,
                    input.address,
                    list(input.floors) if input.floors is not None else None,
                    input.time_zone,
                ),
            )

        return await mutate(BuildingUpdatePayload, RoomError, action(), _building)

    @strawberry.mutation(
        description="Delete a building that has no rooms.", directives=needs("calendar:write")
    )
    async def building_delete(
        self, info: Info, input: Annotated[BuildingDeleteInput, INPUT]
    ) -> BuildingDeletePayload:
        async def action() -> m.Building:
            return await rooms.check_building_delete(
                info.context, require_id(input.building_id, "Building", "buildingId")
            )

        return await mutate(BuildingDeletePayload, RoomError, action(), _building)

    @strawberry.mutation(description="Add a meeting room.", directives=needs("calendar:write"))
    async def room_create(
        self, info: Info, input: Annotated[RoomCreateInput, INPUT]
    ) -> RoomCreatePayload:
        async def action() -> m.Room:
            return await rooms.check_room_create(
                info.context,
                require_id(input.building_id, "Building", "buildingId"),
                RoomFields(
                    name=input.name,
                    floor=input.floor,
                    capacity=input.capacity,
                    equipment=list(input.equipment),
                    bookable_by=_bookable(input.bookable_by),
                    requires_approval=input.requires_approval,
                    admin_id=require_id(input.admin_id, "User", "adminId"),
                    email=input.email,
                ),
                input.idempotency_key,
            )

        return await mutate(RoomCreatePayload, RoomError, action(), _room)

    @strawberry.mutation(description="Change a meeting room.", directives=needs("calendar:write"))
    async def room_update(
        self, info: Info, input: Annotated[RoomUpdateInput, INPUT]
    ) -> RoomUpdatePayload:
        async def action() -> m.Room:
            return await rooms.check_room_update(
                info.context,
                require_id(input.room_id, "Room", "roomId"),
                RoomFields(
                    name=input.name,
                    floor=input.floor,
                    capacity=input.capacity,
                    equipment=list(input.equipment) if input.equipment is not None else None,
                    bookable_by=_bookable(input.bookable_by),
                    requires_approval=input.requires_approval,
                    admin_id=require_id(input.admin_id, "User", "adminId"),
                    clear_admin=input.clear_admin,
                    email=input.email,
                ),
            )

        return await mutate(RoomUpdatePayload, RoomError, action(), _room)

    @strawberry.mutation(
        description="Disable a room (its bookings stay, new ones are refused), or enable it.",
        directives=needs("calendar:write"),
    )
    async def room_disable(
        self, info: Info, input: Annotated[RoomDisableInput, INPUT]
    ) -> RoomDisablePayload:
        async def action() -> m.Room:
            return await rooms.check_room_disable(
                info.context, require_id(input.room_id, "Room", "roomId"), input.disabled
            )

        return await mutate(RoomDisablePayload, RoomError, action(), _room)

    @strawberry.mutation(
        description="Approve a pending booking of a room you administer (re-checked: if the "
        "time was taken meanwhile, the booking is declined instead).",
        directives=needs("calendar:write"),
    )
    async def room_booking_approve(
        self, info: Info, input: Annotated[RoomBookingAnswerInput, INPUT]
    ) -> RoomBookingApprovePayload:
        return await _answer(info, input, True, RoomBookingApprovePayload)

    @strawberry.mutation(
        description="Decline a pending booking of a room you administer.",
        directives=needs("calendar:write"),
    )
    async def room_booking_decline(
        self, info: Info, input: Annotated[RoomBookingAnswerInput, INPUT]
    ) -> RoomBookingDeclinePayload:
        return await _answer(info, input, False, RoomBookingDeclinePayload)
