"""Reminders: a durable job per due reminder, delivered at ``start - minutes`` to each attendee
who is a person and has not declined, with their own ``reminder_minutes`` or else the event's.
Delivery is a ``ReminderDue`` on their user channel (``viewerEvents``, and webhooks of their
bots, registered in ``live``).

Only the next due reminder of each attendee is queued: its handler queues the one after it, so a
series that never ends costs one job per attendee at a time. A reminder whose time has passed
when it is scheduled (an event made five minutes before it starts, with a ten-minute reminder)
is skipped.

Moves and cancellations need no bookkeeping of old jobs: a job carries the event's ``version``,
the attendee's reminder list and the occurrence's start, and the handler re-checks all three
against the database when it runs; a stale job does nothing. Every write of an event raises its
version and calls the ``reminders`` save hook, which queues the next reminders anew (job keys
include the version and the start, so a new schedule never collides with an old one)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from tortoise.expressions import Q

from models.calendar import AttendeeKind, AttendeeResponse, Event, EventAttendee
from resolvers.calendar import expand
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.fields import check_reminders
from resolvers.calendar.hooks import EventSaved, on_event_saved
from resolvers.calendar.live import CalendarEventKind, ReminderDue
from resolvers.calendar.queries import visible_events
from resolvers.calendar.recurrence import instance_key
from resolvers.core.channels import user_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.core.jobs import JobContext, do_enqueue, job_handler
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction

REMINDER_JOB = "calendar.reminder"
HORIZON_DAYS = 366
"""How far ahead the next occurrence with a reminder is looked for."""
MAX_LEAD = timedelta(minutes=40_320)
"""The longest reminder (``fields.MAX_REMINDER_MINUTES``)."""


def minutes_of(attendee: EventAttendee, event: Event) -> list[int]:
    """Their own reminders, or the event's; earliest reminder first (most minutes)."""
    chosen = attendee.reminder_minutes if attendee.reminder_minutes is not None else None
    return sorted(set(chosen if chosen is not None else event.reminder_minutes), reverse=True)


def _digest(minutes: list[int]) -> str:
    return hashlib.sha256(json.dumps(minutes).encode()).hexdigest()[:12]


async def next_due(
    master: Event, minutes: list[int], after: tuple[datetime, int] | None
) -> tuple[datetime, datetime, int, datetime] | None:
    """The first reminder due at or after now (and after ``after``, a (start, minutes) already
    delivered): its occurrence's recurrence id and start, the minutes, and when it is due."""
    if not minutes:
        return None
    moment = now()
    # Occurrences starting within the longest lead of now may still have a reminder due.
    window_from = max(moment, master.start_at - MAX_LEAD)
    if after is not None:
        window_from = max(window_from, after[0])
    window_to = window_from + timedelta(days=HORIZON_DAYS) + MAX_LEAD
    for instance in await expand.instances(Q(id=master.id), window_from, window_to):
        for m in minutes:
            if after is not None and (instance.start, -m) <= (after[0], -after[1]):
                continue
            due = instance.start - timedelta(minutes=m)
            if due >= moment:
                return instance.recurrence_id, instance.start, m, due
    return None


Due = tuple[datetime, datetime, int, datetime] | None


async def do_schedule(
    master: Event,
    attendee: EventAttendee,
    after: tuple[datetime, int] | None = None,
    *,
    known: dict[tuple[int, ...], Due] | None = None,
) -> None:
    """Queue the attendee's next reminder (in the open transaction). ``known``: next reminders
    already found for a list of minutes, so that a thousand attendees with the event's own
    reminders cost one expansion, not a thousand."""
    if attendee.kind != AttendeeKind.USER or attendee.user_id is None:
        return
    if attendee.response == AttendeeResponse.DECLINED:
        return
    minutes = minutes_of(attendee, master)
    if known is not None and tuple(minutes) in known:
        found = known[tuple(minutes)]
    else:
        found = await next_due(master, minutes, after)
        if known is not None:
            known[tuple(minutes)] = found
    if found is None:
        return
    recurrence_id, start, m, due = found
    key = (
        f"{attendee.id}:{master.version}:{_digest(minutes)}:{instance_key(recurrence_id)}:"
        f"{instance_key(start)}:{m}"
    )
    await do_enqueue(
        REMINDER_JOB,
        {
            "attendeeId": attendee.id,
            "eventId": master.id,
            "version": master.version,
            "minutesDigest": _digest(minutes),
            "recurrenceId": recurrence_id.isoformat(),
            "startAt": start.isoformat(),
            "minutes": m,
        },
        key=key,
        run_at=due,
        organization_id=master.organization_id,
    )


@on_event_saved("reminders")
async def schedule_reminders(tx: Transaction, saved: EventSaved) -> None:
    """Every write raises the event's version, which makes its queued reminders stale: queue
    every attendee's next one again (new attendees' too)."""
    event = saved.event
    master = event
    if event.series_id is not None:
        master = await Event.get(id=event.series_id)
    if master.deleted_at is not None:
        return  # its jobs find it deleted and do nothing
    known: dict[tuple[int, ...], Due] = {}
    for attendee in await EventAttendee.filter(event_id=master.id, kind=AttendeeKind.USER):
        await do_schedule(master, attendee, known=known)


@job_handler(REMINDER_JOB, max_attempts=5)
async def deliver_reminder(ctx: JobContext) -> None:
    """Deliver if nothing changed since it was queued, then queue the attendee's next one."""
    args = ctx.args
    attendee = await EventAttendee.filter(id=int(args["attendeeId"])).first()
    master = await Event.filter(id=int(args["eventId"])).first()
    if attendee is None or master is None or master.deleted_at is not None:
        return
    if master.version != int(args["version"]) or attendee.event_id != master.id:
        return
    if attendee.response == AttendeeResponse.DECLINED or attendee.user_id is None:
        return
    minutes = minutes_of(attendee, master)
    if _digest(minutes) != args["minutesDigest"]:
        return
    recurrence_id = datetime.fromisoformat(str(args["recurrenceId"]))
    start = datetime.fromisoformat(str(args["startAt"]))
    # The occurrence must still be there, at that time (an edited or cancelled occurrence
    # is another row, which does not raise the series' version).
    found = await expand.instances(
        Q(id=master.id), start - timedelta(seconds=1), start + timedelta(seconds=1)
    )
    instance = next((i for i in found if i.recurrence_id == recurrence_id), None)
    if instance is None or instance.start != start:
        return
    async with transaction() as tx:
        payload: ReminderDue = {
            "type": CalendarEventKind.REMINDER,
            "eventId": master.id,
            "organizationId": master.organization_id,
            "recurrenceId": recurrence_id.isoformat(),
            "title": instance.row.title,
            "startAt": start.isoformat(),
            "minutesBefore": int(args["minutes"]),
        }
        tx.publish(user_channel(attendee.user_id), payload)
        await do_schedule(master, attendee, after=(start, int(args["minutes"])))


async def check_reminder_set(ctx: Context, event_id: int, minutes: list[int] | None) -> Event:
    """An attendee's own reminders for an event (null: the event's again). An event the
    viewer cannot see is NOT_FOUND; one they see but do not attend, NOT_AN_ATTENDEE."""
    principal = require_principal(ctx)
    checked = check_reminders(list(minutes), "minutes") if minutes is not None else None
    seen = (await visible_events(ctx, [event_id]))[0]
    if seen is None:
        raise NotFound(field="eventId")
    event = seen.event
    master = event if event.series_id is None else await Event.get(id=event.series_id)
    attendee = await EventAttendee.filter(event_id=master.id, user_id=principal.user_id).first()
    if attendee is None:
        raise DomainError(
            "Only an attendee sets reminders of their own.",
            field="eventId",
            code=CalendarErrorCode.NOT_AN_ATTENDEE,
        )
    return await do_reminder_set(master, attendee, checked)


async def do_reminder_set(
    master: Event, attendee: EventAttendee, minutes: list[int] | None
) -> Event:
    async with transaction():
        attendee.reminder_minutes = minutes
        await attendee.save(update_fields=["reminder_minutes", "updated_at"])
        await do_schedule(master, attendee)
    return master
