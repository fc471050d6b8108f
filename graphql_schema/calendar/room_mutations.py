"""The mutations of buildings and rooms, and the room admin's ``roomBookingApprove`` /
``roomBookingDecline``.

The building and room mutations share one error type, ``RoomError`` (like departments'): they
fail for the same reasons, and each code's description names the mutations that return it."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from graphql_schema.calendar.rooms import Building, Room, RoomBooking, room_booking_of
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models import calendar as m
from resolvers.calendar import room_booking as booking
from resolvers.calendar import rooms
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.rooms import BookableBy, BuildingFields, RoomFields
from resolvers.core.errors import CoreErrorCode

INPUT = strawberry.argument(description="What to do.")
P = TypeVar("P")


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

    return await mutate(
        payload, RoomBookingError, action(), lambda r: {"booking": room_booking_of(*r)}
    )


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
