"""eventRespond: an attendee answers for the whole series (their ``EventAttendee`` row) or for
one occurrence (an ``OccurrenceResponse``, which wins over the series answer for that
occurrence). Someone who is not an attendee is NOT_AN_ATTENDEE (the organizer is one, always
ACCEPTED, and may change that too).

RSVP_CHANGED goes to the organizer, to the calendar's owner, to the one who answered (their
other devices) and, when the guest list is visible to guests (``guestsCanSeeGuests``), to the
other people attending; never to people who see only a busy block."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.calendar import AttendeeResponse, Calendar, Event, EventAttendee, OccurrenceResponse
from resolvers.calendar import recurrence
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.event_update import Scope, access_event, check_occurrence
from resolvers.calendar.fields import check_text
from resolvers.calendar.live import CalendarEventKind, RsvpChanged
from resolvers.core.channels import user_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction

MAX_NOTE = 500


async def check_event_respond(
    ctx: Context,
    *,
    event_id: int | None,
    recurrence_id: datetime | None,
    response: AttendeeResponse,
    note: str,
) -> Event:
    principal = require_principal(ctx)
    target = await access_event(ctx, event_id)
    master = target.master
    rid = target.recurrence_id if target.recurrence_id is not None else recurrence_id
    if response == AttendeeResponse.NEEDS_ACTION:
        raise ValidationFailed("Answer ACCEPTED, DECLINED or TENTATIVE.", field="response")
    check_text(note, MAX_NOTE, "note")
    attendee = await EventAttendee.filter(event_id=master.id, user_id=principal.user_id).first()
    if attendee is None:
        raise DomainError(
            "You are not invited to this event.",
            field="eventId",
            code=CalendarErrorCode.NOT_AN_ATTENDEE,
        )
    if rid is not None:
        rid = await check_occurrence(master, rid, Scope.THIS)
    return await do_event_respond(master, attendee, rid, response, note)


async def do_event_respond(
    master: Event,
    attendee: EventAttendee,
    rid: datetime | None,
    response: AttendeeResponse,
    note: str,
) -> Event:
    async with transaction() as tx:
        if rid is None:
            await EventAttendee.filter(id=attendee.id).update(
                response=response, note=note, responded_at=now()
            )
        else:
            await OccurrenceResponse.update_or_create(
                attendee_id=attendee.id,
                recurrence_id=rid,
                defaults={"response": response, "note": note},
            )
        payload: RsvpChanged = {
            "type": CalendarEventKind.RSVP_CHANGED,
            "eventId": master.id,
            "organizationId": master.organization_id,
            "attendeeId": attendee.id,
            "userId": attendee.user_id,
            "recurrenceId": recurrence.instance_key(rid) if rid is not None else None,
            "response": response.value,
            "note": note,
        }
        owner: list[Any] = await Calendar.filter(id=master.calendar_id).values_list(
            "owner_id", flat=True
        )
        audience = {master.organizer_id, *(int(o) for o in owner)}
        if attendee.user_id is not None:
            audience.add(attendee.user_id)
        if master.guests_can_see_guests:
            others: list[Any] = await EventAttendee.filter(
                event_id=master.id, user_id__not_isnull=True
            ).values_list("user_id", flat=True)
            audience.update(int(u) for u in others)
        for user_id in sorted(audience):
            tx.publish(user_channel(user_id), payload)
    return master
