"""iTIP (RFC 5546) for attendees outside the organization: they have no Hello account, so they
learn of an event by mail with a ``.ics`` attached — METHOD:REQUEST when they are invited or
the event changes, METHOD:CANCEL when it is deleted.

Hand-over to Mail (which does not exist yet): the ``itip`` save hook records, in the same
transaction as the event write, one ``OutboundInvitation`` row per external recipient
(recipient, method, the ``.ics`` text, the event's SEQUENCE, status QUEUED) and enqueues the
durable job ``calendar.itip_deliver`` keyed by the row. The job's handler sends through
``deliver`` when a mailer is registered (``register_mailer``, which Mail will call at start-up)
and marks the row SENT; without one it leaves the row QUEUED and succeeds, so nothing retries
in a loop and Mail can pick up every QUEUED row when it arrives. A write that rolls back leaves
neither row nor job.

What is sent: the whole event with its changed occurrences (``ics.build_ics``) as its organizer
sees it — title, times, every attendee with PARTSTAT, ORGANIZER, UID and SEQUENCE. An address
removed from an event that goes on gets a CANCEL too (``EventSaved.removed_emails``, from the
write path, since the rows are gone by then).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from models.calendar import (
    AttendeeKind,
    Event,
    EventAttendee,
    InvitationMethod,
    InvitationStatus,
    OutboundInvitation,
)
from resolvers.calendar.hooks import EventSaved, on_event_saved
from resolvers.calendar.ics import Shown, build_ics, load_people
from resolvers.calendar.live import EventChange
from resolvers.core.clock import now
from resolvers.core.jobs import JobContext, do_enqueue, job_handler
from resolvers.core.tx import Transaction

DELIVER_JOB = "calendar.itip_deliver"

Mailer = Callable[[OutboundInvitation], Awaitable[None]]
_mailer: list[Mailer] = []


def register_mailer(mailer: Mailer) -> None:
    """Mail registers how to send one invitation (raising makes the job retry)."""
    _mailer[:] = [mailer]


async def itip_ics(master: Event, method: InvitationMethod) -> bytes:
    rows = [master, *await Event.filter(series_id=master.id, deleted_at=None).order_by("id")]
    shown = [Shown(e, True) for e in rows]
    return build_ics(
        shown,
        await load_people(rows),
        method=method.value,
        cancelled=method == InvitationMethod.CANCEL,
    )


@on_event_saved("itip")
async def itip_on_save(tx: Transaction, saved: EventSaved) -> None:
    del tx
    event = saved.event
    master = event if event.series_id is None else await Event.get(id=event.series_id)
    externals = await EventAttendee.filter(
        event_id=master.id, kind=AttendeeKind.EXTERNAL, email__not_isnull=True
    ).order_by("id")
    deleted = saved.change == EventChange.DELETED and event.series_id is None
    if saved.change == EventChange.CREATED or deleted:
        recipients = [a.email or "" for a in externals]
    else:
        # A change that leaves the times alone tells only the newly invited.
        added = set(saved.attendees_added)
        recipients = [a.email or "" for a in externals if saved.times_changed or a.id in added]
    method = InvitationMethod.CANCEL if deleted else InvitationMethod.REQUEST
    if recipients:
        await _record(master, method, recipients)
    # Addresses removed from an event that goes on are told it is cancelled for them.
    removed = [e for e in saved.removed_emails if e not in recipients]
    if removed and not deleted:
        await _record(master, InvitationMethod.CANCEL, removed)


async def _record(master: Event, method: InvitationMethod, recipients: list[str]) -> None:
    body = await itip_ics(master, method)
    for recipient in recipients:
        row = await OutboundInvitation.create(
            organization_id=master.organization_id,
            event_id=master.id,
            recipient=recipient,
            method=method,
            sequence=master.sequence,
            ics=body.decode(),
        )
        await do_enqueue(
            DELIVER_JOB,
            {"invitationId": row.id},
            key=f"itip:{row.id}",
            organization_id=master.organization_id,
        )


@job_handler(DELIVER_JOB, max_attempts=5)
async def itip_deliver(ctx: JobContext) -> None:
    invitation = await OutboundInvitation.filter(id=int(ctx.args["invitationId"])).first()
    if invitation is None or invitation.status != InvitationStatus.QUEUED:
        return  # sent already (a second run of the job), or the event is gone
    if not _mailer:
        return  # no mailer yet: the row stays QUEUED for Mail to send
    await OutboundInvitation.filter(id=invitation.id).update(attempts=invitation.attempts + 1)
    await _mailer[0](invitation)
    await OutboundInvitation.filter(id=invitation.id).update(
        status=InvitationStatus.SENT, sent_at=now()
    )
