"""Calendar (issue 16): calendars and who may see them, events with RFC 5545 recurrence in their
own IANA time zone, attendees and their answers, meeting rooms in buildings, per-user working
hours.

Times: every instant is stored in UTC (``use_tz``). An event's wall-clock meaning comes from
``time_zone``: a recurring series is expanded in that zone (``resolvers.calendar.recurrence``),
so a weekly 09:00 meeting stays at 09:00 local across DST changes. All-day events keep their
dates (``start_date``, ``end_date`` exclusive) and, for window queries, the instants of those
midnights in the event's zone (``start_at``, ``end_at``).

A recurring series is one ``Event`` row (the master, ``series`` null, ``rrule`` set). An edited
or cancelled occurrence is another ``Event`` row of the same calendar with ``series`` set to the
master and ``recurrence_id`` the occurrence's original start (RFC 5545 RECURRENCE-ID); a
cancelled one has ``cancelled`` set. "This and following" ends the master with an UNTIL and
starts a new master (``split_from``)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.identity import Organization, User


class CalendarRole(StrEnum):
    """What someone may do with a calendar, weakest first (see ``CALENDAR_ROLE_RANK``)."""

    FREE_BUSY = "FREE_BUSY"
    """Sees only when its events make the owner busy: no titles, places or people."""
    READER = "READER"
    """Sees events (a private event only as busy)."""
    WRITER = "WRITER"
    """Creates and changes events; sees private ones."""
    OWNER = "OWNER"
    """Also shares the calendar and deletes it."""


CALENDAR_ROLE_RANK = {
    CalendarRole.FREE_BUSY: 1,
    CalendarRole.READER: 2,
    CalendarRole.WRITER: 3,
    CalendarRole.OWNER: 4,
}


class CalendarGranteeKind(StrEnum):
    USER = "USER"
    DEPARTMENT = "DEPARTMENT"
    GROUP = "GROUP"


class EventVisibility(StrEnum):
    DEFAULT = "DEFAULT"
    """As the calendar shows its events (readers see details)."""
    PUBLIC = "PUBLIC"
    """Details visible to everyone who can see the calendar at all, free/busy readers included."""
    PRIVATE = "PRIVATE"
    """Details only for the calendar's writers and owners and the event's attendees; everyone
    else sees a busy block."""


class ShowAs(StrEnum):
    BUSY = "BUSY"
    FREE = "FREE"
    TENTATIVE = "TENTATIVE"
    OUT_OF_OFFICE = "OUT_OF_OFFICE"


class AttendeeKind(StrEnum):
    USER = "USER"
    ROOM = "ROOM"
    EXTERNAL = "EXTERNAL"
    """An email address outside the organization."""


class AttendeeResponse(StrEnum):
    NEEDS_ACTION = "NEEDS_ACTION"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"


class Calendar(Model):
    """A calendar of one user. Every user has a primary one (``primary_of``), made on first use:
    they may make more (team, project). ``organization_role`` is what every colleague gets
    without a grant: FREE_BUSY by default for a primary calendar, none for others."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="calendars", on_delete=fields.RESTRICT
    )
    organization_id: int
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="calendars", on_delete=fields.RESTRICT
    )
    owner_id: int
    primary_of: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="primary_calendar",
        null=True,
        unique=True,
        on_delete=fields.CASCADE,
    )
    primary_of_id: int | None
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=2000, default="")
    color = fields.CharField(max_length=7, default="#3f51b5")
    """``#rrggbb``."""
    time_zone = fields.CharField(max_length=64, default="UTC")
    """The zone new events of this calendar default to (IANA)."""
    organization_role = fields.CharEnumField(CalendarRole, max_length=12, null=True)
    feed_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    """HMAC of the private iCalendar feed's secret (``resolvers.identity.tokens.token_hash``);
    null when there is no feed. Resetting it revokes the old URL."""
    feed_created_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar"
        indexes = (("organization_id", "owner_id"),)


class CalendarGrant(Model):
    """A role on a calendar for a user, a department (and those below it) or a group."""

    id = fields.BigIntField(primary_key=True)
    calendar: fields.ForeignKeyRelation[Calendar] = fields.ForeignKeyField(
        "models.Calendar", related_name="grants", on_delete=fields.CASCADE
    )
    calendar_id: int
    grantee_kind = fields.CharEnumField(CalendarGranteeKind, max_length=12)
    grantee_id = fields.BigIntField()
    role = fields.CharEnumField(CalendarRole, max_length=12)
    granted_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "calendar_grant"
        unique_together = (("calendar_id", "grantee_kind", "grantee_id"),)
        indexes = (("grantee_kind", "grantee_id"),)


class CalendarSubscription(Model):
    """A calendar in someone's list (their own calendars are always in it, without a row):
    shown or hidden, with their own color."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="calendar_subscriptions", on_delete=fields.CASCADE
    )
    user_id: int
    calendar: fields.ForeignKeyRelation[Calendar] = fields.ForeignKeyField(
        "models.Calendar", related_name="subscriptions", on_delete=fields.CASCADE
    )
    calendar_id: int
    color = fields.CharField(max_length=7, null=True)
    hidden = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "calendar_subscription"
        unique_together = (("user_id", "calendar_id"),)


class Event(Model):
    """A single event, a recurring series (its master), or one changed or cancelled occurrence
    of a series (``series`` set). See the module docstring for times and recurrence."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="events", on_delete=fields.RESTRICT
    )
    organization_id: int
    calendar: fields.ForeignKeyRelation[Calendar] = fields.ForeignKeyField(
        "models.Calendar", related_name="events", on_delete=fields.CASCADE
    )
    calendar_id: int
    organizer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="organized_events", on_delete=fields.RESTRICT
    )
    organizer_id: int
    ical_uid = fields.CharField(max_length=255)
    """RFC 5545 UID: shared by a master and its exceptions; kept from an imported file."""
    instance_key = fields.CharField(max_length=32, default="")
    """"" for a master or single event; an exception's ``recurrence_id`` as ``YYYYMMDDTHHMMSSZ``
    (with ``ical_uid``, unique in the calendar)."""
    series: fields.ForeignKeyNullableRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="exceptions", null=True, on_delete=fields.CASCADE
    )
    series_id: int | None
    recurrence_id = fields.DatetimeField(null=True)
    """An exception's original start (UTC instant; midnight in the event's zone if all-day)."""
    cancelled = fields.BooleanField(default=False)
    """An exception that removes its occurrence (a whole event is deleted with ``deleted_at``)."""
    split_from_id = fields.BigIntField(null=True)
    """The master this one continues ("this and following")."""

    title = fields.CharField(max_length=500, default="")
    description = fields.TextField(default="")
    location = fields.CharField(max_length=500, default="")
    all_day = fields.BooleanField(default=False)
    start_at = fields.DatetimeField()
    end_at = fields.DatetimeField()
    """For a series, those of its first occurrence."""
    start_date = fields.DateField(null=True)
    end_date = fields.DateField(null=True)
    """All-day events only; ``end_date`` is exclusive (a one-day event ends the next day)."""
    time_zone = fields.CharField(max_length=64, default="UTC")
    rrule = fields.CharField(max_length=1000, null=True)
    """One RFC 5545 RRULE value without the ``RRULE:`` prefix (``FREQ=WEEKLY;BYDAY=MO``)."""
    rdates: list[str] = fields.JSONField(default=list)
    exdates: list[str] = fields.JSONField(default=list)
    """Extra and removed occurrence starts: UTC instants in ISO 8601 for timed events, dates
    (``YYYY-MM-DD``) for all-day ones."""
    series_end_at = fields.DatetimeField(null=True)
    """The end of the last occurrence; null while a series never ends. For a single event,
    ``end_at``. A window query reads rows with ``start_at < to`` and ``series_end_at > from``
    (or null)."""

    visibility = fields.CharEnumField(
        EventVisibility, max_length=8, default=EventVisibility.DEFAULT
    )
    show_as = fields.CharEnumField(ShowAs, max_length=16, default=ShowAs.BUSY)
    color = fields.CharField(max_length=7, null=True)
    attachment_file_ids: list[int] = fields.JSONField(default=list)
    """Drive files (ids), seen by each viewer as Drive lets them."""
    chat_id = fields.BigIntField(null=True)
    doc_id = fields.BigIntField(null=True)
    """A Drive item (a doc, once Docs exists)."""
    reminder_minutes: list[int] = fields.JSONField(default=list)
    """The organizer's default reminders (minutes before), for attendees who set none."""
    guests_can_invite = fields.BooleanField(default=False)
    guests_can_see_guests = fields.BooleanField(default=True)
    ical_extra: dict[str, object] = fields.JSONField(default=dict)
    """What an imported VEVENT had that Hello does not model (X- properties and the like), so
    that exporting it again loses nothing."""

    version = fields.IntField(default=1)
    """Raised by every change; a write based on an older one is a CONFLICT."""
    sequence = fields.IntField(default=0)
    """RFC 5545 SEQUENCE: raised when times or recurrence change (iTIP)."""
    created_by_id = fields.BigIntField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_event"
        unique_together = (("calendar_id", "ical_uid", "instance_key"),)
        indexes = (("calendar_id", "start_at"), ("calendar_id", "series_end_at"))


class EventAttendee(Model):
    """Someone or something invited to an event (a master or a single event: an exception has
    the attendees of its series). A group or department invited is expanded into a row per
    person (``via_group_id`` / ``via_department_id``), and each answers for themselves."""

    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="attendees", on_delete=fields.CASCADE
    )
    event_id: int
    kind = fields.CharEnumField(AttendeeKind, max_length=8)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="event_invitations", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="bookings", null=True, on_delete=fields.CASCADE
    )
    room_id: int | None
    email = fields.CharField(max_length=254, null=True)
    """An external attendee's address (lower-cased)."""
    display_name = fields.CharField(max_length=100, default="")
    optional = fields.BooleanField(default=False)
    is_organizer = fields.BooleanField(default=False)
    via_group_id = fields.BigIntField(null=True)
    via_department_id = fields.BigIntField(null=True)
    response = fields.CharEnumField(
        AttendeeResponse, max_length=16, default=AttendeeResponse.NEEDS_ACTION
    )
    note = fields.CharField(max_length=500, default="")
    responded_at = fields.DatetimeField(null=True)
    reminder_minutes: list[int] | None = fields.JSONField(null=True)
    """Their own reminders; null uses the event's."""
    added_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_attendee"
        unique_together = (("event_id", "user_id"), ("event_id", "room_id"), ("event_id", "email"))
        indexes = (("user_id", "event_id"), ("room_id", "event_id"))


class OccurrenceResponse(Model):
    """An attendee's answer for one occurrence of a series, overriding their series answer."""

    id = fields.BigIntField(primary_key=True)
    attendee: fields.ForeignKeyRelation[EventAttendee] = fields.ForeignKeyField(
        "models.EventAttendee", related_name="occurrence_responses", on_delete=fields.CASCADE
    )
    attendee_id: int
    recurrence_id = fields.DatetimeField()
    response = fields.CharEnumField(AttendeeResponse, max_length=16)
    note = fields.CharField(max_length=500, default="")
    responded_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_occurrence_response"
        unique_together = (("attendee_id", "recurrence_id"),)


class Building(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="buildings", on_delete=fields.RESTRICT
    )
    organization_id: int
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=500, default="")
    floors: list[str] = fields.JSONField(default=list)
    """Floor names, bottom up."""
    time_zone = fields.CharField(max_length=64, default="UTC")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_building"
        unique_together = (("organization_id", "name"),)


class Room(Model):
    """A meeting room. It is booked by being an attendee of an event (``EventAttendee`` with
    ``room``): ACCEPTED is booked, NEEDS_ACTION awaits its admin's approval, DECLINED was
    refused or taken. ``version`` is raised by every booking decision, so that two processes
    booking the same room serialize on its row."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="rooms", on_delete=fields.RESTRICT
    )
    organization_id: int
    building: fields.ForeignKeyRelation[Building] = fields.ForeignKeyField(
        "models.Building", related_name="rooms", on_delete=fields.RESTRICT
    )
    building_id: int
    floor = fields.CharField(max_length=50, default="")
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=254, null=True)
    """How the room is addressed in iCalendar (generated when not set)."""
    capacity = fields.IntField(default=0)
    equipment: list[str] = fields.JSONField(default=list)
    """Free-form tags: ``projector``, ``video``, ``whiteboard``…"""
    bookable_by: list[dict[str, object]] = fields.JSONField(default=list)
    """Who may book it: ``[{"kind": "USER"|"DEPARTMENT"|"GROUP", "id": n}]``; empty is
    everyone in the organization."""
    requires_approval = fields.BooleanField(default=False)
    admin: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="administered_rooms", null=True, on_delete=fields.SET_NULL
    )
    admin_id: int | None
    """Who approves bookings (organization admins may too)."""
    disabled_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_room"
        unique_together = (("building_id", "name"),)


class CalendarSettings(Model):
    """A person's calendar settings (their time zone is ``User.time_zone``)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="calendar_settings", on_delete=fields.CASCADE
    )
    user_id: int
    working_hours: list[dict[str, object]] = fields.JSONField(default=list)
    """``[{"weekday": 1..7 (ISO, Monday 1), "start": "09:00", "end": "17:00"}]`` in the user's
    zone; empty means Monday to Friday, 09:00 to 17:00."""
    default_reminder_minutes: list[int] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_settings"


# -- D: imports and outbound iTIP ---------------------------------------------------------------


class CalendarImport(Model):
    """One ``calendarImport``: what it did, so that a retry with its idempotency key answers
    the same counts (and an owner can see what came in)."""

    id = fields.BigIntField(primary_key=True)
    calendar: fields.ForeignKeyRelation[Calendar] = fields.ForeignKeyField(
        "models.Calendar", related_name="imports", on_delete=fields.CASCADE
    )
    calendar_id: int
    user_id = fields.BigIntField()
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    skipped = fields.IntField(default=0)
    errors: list[dict[str, object]] = fields.JSONField(default=list)
    """Per-item problems: ``[{"uid", "code", "message"}]`` (those items were skipped)."""
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "calendar_import"


class InvitationMethod(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


class InvitationStatus(StrEnum):
    QUEUED = "QUEUED"
    """Waiting for a mailer (Mail sends it and marks it SENT)."""
    SENT = "SENT"
    FAILED = "FAILED"


class OutboundInvitation(Model):
    """An iTIP message (RFC 5546) for an external attendee, recorded in the transaction of the
    event write that calls for it: Mail sends it (``resolvers.calendar.itip``)."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.BigIntField()
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="outbound_invitations", on_delete=fields.CASCADE
    )
    event_id: int
    recipient = fields.CharField(max_length=254)
    method = fields.CharEnumField(InvitationMethod, max_length=8)
    sequence = fields.IntField()
    ics = fields.TextField()
    """The iCalendar text (UTF-8, CRLF lines) to attach."""
    status = fields.CharEnumField(InvitationStatus, max_length=8, default=InvitationStatus.QUEUED)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "calendar_outbound_invitation"
        indexes = (("status", "id"), ("event_id", "id"))
