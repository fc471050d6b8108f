"""iTIP for external attendees: a REQUEST on creation (tests/interop/test_ical_js.py reads it
with ical.js too), and a CANCEL when the event is deleted, each recorded with its delivery job
in the write's transaction."""

from __future__ import annotations

import icalendar

from models.calendar import Event, InvitationMethod, InvitationStatus, OutboundInvitation
from models.jobs import BackgroundJob
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.live import EventChange
from resolvers.core.clock import now
from resolvers.core.tx import transaction
from tests.calendar.helpers import event_ok, pk
from tests.client import Api


async def test_deleting_an_event_cancels_it_for_external_attendees(api: Api) -> None:
    ada = await api.sign_up()
    created = await event_ok(
        api,
        ada,
        title="Vendor call",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
        attendees=[{"email": "vera@vendor.example"}, {"email": "otto@vendor.example"}],
    )
    event = await Event.get(id=pk(created["id"]))
    # The deletion path is eventDelete's (another part of issue 16): its write and its hooks.
    async with transaction() as tx:
        event.deleted_at = now()
        event.sequence += 1
        await event.save(update_fields=["deleted_at", "sequence"])
        await event_saved(tx, EventSaved(event=event, change=EventChange.DELETED, actor_id=1))
    rows = await OutboundInvitation.filter(event_id=event.id).order_by("id")
    assert [(r.method, r.recipient) for r in rows] == [
        (InvitationMethod.REQUEST, "vera@vendor.example"),
        (InvitationMethod.REQUEST, "otto@vendor.example"),
        (InvitationMethod.CANCEL, "vera@vendor.example"),
        (InvitationMethod.CANCEL, "otto@vendor.example"),
    ]
    cancel = rows[2]
    assert cancel.sequence == 1 and cancel.status == InvitationStatus.QUEUED
    parsed = icalendar.Calendar.from_ical(cancel.ics)
    assert str(parsed["METHOD"]) == "CANCEL"
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent["SEQUENCE"] == 1
    assert str(vevent["UID"]) == event.ical_uid
    jobs = await BackgroundJob.filter(
        name="calendar.itip_deliver", key__in=[f"itip:{r.id}" for r in rows]
    )
    assert len(jobs) == 4


async def test_a_rolled_back_write_records_no_invitation(api: Api) -> None:
    ada = await api.sign_up()
    created = await event_ok(
        api,
        ada,
        title="Vendor call",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        attendees=[{"email": "vera@vendor.example"}],
    )
    event = await Event.get(id=pk(created["id"]))
    try:
        async with transaction() as tx:
            await event_saved(tx, EventSaved(event=event, change=EventChange.DELETED, actor_id=1))
            raise RuntimeError("the write fails after its hooks")
    except RuntimeError:
        pass
    assert await OutboundInvitation.filter(event_id=event.id).count() == 1  # the REQUEST only
