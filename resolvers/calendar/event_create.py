"""eventCreate: a single event or a recurring series on a calendar the viewer may write (their
primary calendar when none is named), with its attendees, in one transaction; the hooks
(``hooks``: rooms, reminders, invitations) run before commit and the change is published after
it."""

from __future__ import annotations

import asyncio
import uuid

from models.calendar import CalendarRole, Event
from models.identity import User
from models.meetings import MeetingKind
from resolvers.calendar.access import access_calendar, do_primary_calendar
from resolvers.calendar.attendees import (
    AttendeeSpec,
    Invitee,
    do_add_attendees,
    resolve_attendees,
)
from resolvers.calendar.fields import CheckedTimes, Details, Times, check_details, check_times
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.live import EventChange
from resolvers.calendar.publish import do_publish_event_change
from resolvers.core.context import Context
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.meetings.create import do_meeting_create


async def checked_times(times: Times, *, prefix: str = "") -> CheckedTimes:
    """``check_times``, in a worker thread when there is a recurrence to search (a rule that
    yields nothing costs seconds of CPU to prove so, which must not stall the event loop)."""
    if times.rrule or times.rdates:
        return await asyncio.to_thread(check_times, times, prefix=prefix)
    return check_times(times, prefix=prefix)


async def check_event_create(
    ctx: Context,
    *,
    calendar_id: int | None,
    times: Times,
    details: Details,
    attendees: list[AttendeeSpec],
    idempotency_key: str | None,
    with_meeting: bool = False,
) -> Event:
    principal = require_principal(ctx)
    if calendar_id is None:
        calendar = await do_primary_calendar(principal.user)
        calendar_id = calendar.id
    calendar, _ = await access_calendar(ctx, calendar_id, CalendarRole.WRITER)
    check_details(details)
    if not times.time_zone:
        times.time_zone = calendar.time_zone
    checked = await checked_times(times)
    invitees = await resolve_attendees(principal.organization_id, attendees)

    async def create() -> Event:
        return await do_event_create(
            principal.user, calendar.id, checked, details, invitees, with_meeting=with_meeting
        )

    async def load(pk: int) -> Event | None:
        return await Event.filter(id=pk, organization_id=principal.organization_id).first()

    fingerprint = {
        "calendarId": calendar.id,
        **{k: str(v) for k, v in checked.columns().items()},
        **{k: str(v) for k, v in details.columns().items()},
        "attendees": sorted(str(i.key) + str(i.optional) for i in invitees),
        "withMeeting": with_meeting,
    }
    return await once(
        principal.user_id, "eventCreate", idempotency_key, create, load, input=fingerprint
    )


async def do_event_create(
    organizer: User,
    calendar_id: int,
    checked: CheckedTimes,
    details: Details,
    invitees: list[Invitee],
    *,
    with_meeting: bool = False,
) -> Event:
    """The event, its attendees, its video meeting if asked (its meeting link), and the hooks
    in one transaction; published after commit."""
    async with transaction() as tx:
        event = await Event.create(
            organization_id=organizer.organization_id,
            calendar_id=calendar_id,
            organizer_id=organizer.id,
            ical_uid=f"{uuid.uuid4()}@hello",
            created_by_id=organizer.id,
            **checked.columns(),
            **details.columns(),
        )
        rows = await do_add_attendees(event, invitees, added_by=organizer.id, organizer=organizer)
        if with_meeting:
            await do_meeting_create(
                organizer.organization_id,
                organizer.id,
                topic=details.title[:255],
                kind=MeetingKind.SCHEDULED,
                event_id=event.id,
                chat_id=details.chat_id,
            )
        await event_saved(
            tx,
            EventSaved(
                event=event,
                change=EventChange.CREATED,
                actor_id=organizer.id,
                attendees_added=[r.id for r in rows],
            ),
        )
        await do_publish_event_change(tx, EventChange.CREATED, event, organizer.id)
    return event
