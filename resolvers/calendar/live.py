"""Calendar's live events on the bus: their kinds, the payloads they carry, and their webhook
registration. Every payload is a ``TypedDict``; the publishing functions live with the code that
changes things (events, answers, reminders, calendars).

Privacy: a payload that names an event's title, place, description or people is published only
on the user channels of people who see its details (``access.sees_details``): its organizer and
attendees, and the people with a strong enough role on its calendar who have it in their list
(its owner, those granted it, subscribers). Free/busy readers get no live events of it. The
webhook payload's ``data`` is the bus payload, so the same rule holds for apps (their bot must
be one of those people).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard

from resolvers.core.webhook_events import WebhookAudience, register_webhook_event


class CalendarEventKind(StrEnum):
    """The ``type`` of Calendar's events, as it travels on the bus (user channels)."""

    EVENT_CHANGED = "calendar.event.changed"
    RSVP_CHANGED = "calendar.rsvp.changed"
    REMINDER = "calendar.reminder"
    CALENDAR_CHANGED = "calendar.calendar.changed"
    ROOM_BOOKING_CHANGED = "calendar.room_booking.changed"


class EventChange(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    """Anything changed (times, details, attendees, one occurrence)."""
    CANCELLED = "CANCELLED"
    """One occurrence was cancelled."""
    DELETED = "DELETED"
    """The event (or the whole series) was deleted, or the viewer was removed from it."""


class CalendarChange(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SHARED = "SHARED"
    UNSHARED = "UNSHARED"
    DELETED = "DELETED"


class EventSnapshot(TypedDict):
    id: int
    organizationId: int
    calendarId: int
    seriesId: int | None
    recurrenceId: str | None
    title: str
    startAt: str
    endAt: str
    allDay: bool
    timeZone: str
    rrule: str | None
    cancelled: bool
    version: int


class EventChanged(TypedDict):
    type: Literal[CalendarEventKind.EVENT_CHANGED]
    change: str  # an EventChange
    event: EventSnapshot
    actorId: int


class RsvpChanged(TypedDict):
    type: Literal[CalendarEventKind.RSVP_CHANGED]
    eventId: int
    organizationId: int
    attendeeId: int
    userId: int | None
    recurrenceId: str | None
    """Null for an answer to the whole series."""
    response: str  # an AttendeeResponse
    note: str


class ReminderDue(TypedDict):
    type: Literal[CalendarEventKind.REMINDER]
    eventId: int
    organizationId: int
    recurrenceId: str
    """The occurrence's original start (ISO)."""
    title: str
    startAt: str
    minutesBefore: int


class CalendarChanged(TypedDict):
    type: Literal[CalendarEventKind.CALENDAR_CHANGED]
    change: str  # a CalendarChange
    calendarId: int
    organizationId: int
    actorId: int


class RoomBookingChanged(TypedDict):
    type: Literal[CalendarEventKind.ROOM_BOOKING_CHANGED]
    roomId: int
    eventId: int
    organizationId: int
    attendeeId: int
    response: str  # an AttendeeResponse: ACCEPTED booked, DECLINED refused, NEEDS_ACTION pending


CalendarEvent = EventChanged | RsvpChanged | ReminderDue | CalendarChanged | RoomBookingChanged
"""Every event of Calendar, on user channels (``viewerEvents``)."""

_KINDS = frozenset(CalendarEventKind)


def is_calendar_event(event: Mapping[str, Any]) -> TypeGuard[CalendarEvent]:
    return event.get("type") in _KINDS


for _kind, _description in (
    (
        CalendarEventKind.EVENT_CHANGED,
        "An event the app's bot organizes, attends or sees on a calendar in its list was "
        "created, changed, cancelled or deleted.",
    ),
    (CalendarEventKind.RSVP_CHANGED, "An attendee answered an event the app's bot can see."),
    (CalendarEventKind.REMINDER, "A reminder of an event the app's bot attends is due."),
    (CalendarEventKind.CALENDAR_CHANGED, "A calendar the app's bot can see changed."),
    (
        CalendarEventKind.ROOM_BOOKING_CHANGED,
        "A booking of a room the app's bot administers was requested, approved or declined.",
    ),
):
    register_webhook_event(_kind, _description, module="calendar", audience=WebhookAudience.USERS)
