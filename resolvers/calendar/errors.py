"""The codes Calendar raises beyond ``CoreErrorCode``: one name from the ``raise`` in
``resolvers/calendar`` to the values of each mutation's error enum in ``graphql_schema/calendar``
(``error_code``) and the feed's HTTP answers."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class CalendarErrorCode(ErrorCode):
    # A write based on an older ``version`` of the event or calendar (the current one is in
    # the error's message and the payload's object).
    CONFLICT = auto()
    # End before start, or an all-day event given instants (or a timed one given dates).
    INVALID_TIME_RANGE = auto()
    # Not an IANA zone name that zoneinfo knows.
    UNKNOWN_TIME_ZONE = auto()
    # An RRULE, RDATE or EXDATE that does not parse, or COUNT with UNTIL.
    INVALID_RECURRENCE = auto()
    # A recurrence that yields no occurrence at all.
    NO_OCCURRENCES = auto()
    # A query window longer than recurrence.MAX_WINDOW_DAYS.
    WINDOW_TOO_LARGE = auto()
    # An occurrence id (recurrenceId) that is not an occurrence of the series.
    NOT_AN_OCCURRENCE = auto()
    # An operation on one occurrence of an event that does not recur.
    NOT_RECURRING = auto()
    # More than attendees.MAX_ATTENDEES (after expanding groups and departments).
    TOO_MANY_ATTENDEES = auto()
    INVALID_EMAIL = auto()
    # A guest who may not invite others (or see the guest list) tried to.
    GUESTS_CANNOT_INVITE = auto()
    # An RSVP from someone who is not an attendee.
    NOT_AN_ATTENDEE = auto()
    # The primary calendar cannot be deleted; the owner's role cannot be taken away.
    PRIMARY_CALENDAR = auto()
    CANNOT_CHANGE_OWNER = auto()
    # Not exactly one of userId, departmentId and groupId (or a grant named twice).
    INVALID_GRANTEE = auto()
    ALREADY_SUBSCRIBED = auto()
    INVALID_COLOR = auto()
    # A room someone may not book, or a disabled one.
    ROOM_NOT_BOOKABLE = auto()
    # A room booking answered twice, or by someone who is not its admin.
    NOT_PENDING = auto()
    NAME_TAKEN = auto()
    # A floor not in the building's list.
    UNKNOWN_FLOOR = auto()
    # An .ics file that does not parse, or holds nothing to import.
    INVALID_ICALENDAR = auto()
    ICALENDAR_TOO_LARGE = auto()
    # findMeetingTimes: a duration longer than the window, or a window too long.
    INVALID_DURATION = auto()
    INVALID_WORKING_HOURS = auto()
    INVALID_REMINDER = auto()
    # --- B (rooms, bookings, reminders) ---
    # buildingDelete: rooms (disabled ones included) are still in the building.
    BUILDING_NOT_EMPTY = auto()
