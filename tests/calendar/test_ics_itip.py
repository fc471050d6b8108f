"""iTIP for external attendees: a REQUEST on creation (tests/interop/test_ical_js.py reads it
with ical.js too), and a CANCEL when the event is deleted, each recorded with its delivery job
in the write's transaction."""

from __future__ import annotations

import icalendar

from graphql_schema.core.node import global_id
from models.calendar import (
    Event,
    EventAttendee,
    InvitationMethod,
    InvitationStatus,
    OutboundInvitation,
)
from models.jobs import BackgroundJob
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.live import EventChange
from resolvers.core.tx import transaction
from tests.calendar.event_ops import delete, update_ok
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
    deleted = await delete(api, ada, eventId=created["id"], version=event.version)
    assert deleted["errors"] == [], deleted
    rows = await OutboundInvitation.filter(event_id=event.id).order_by("id")
    assert [(r.method, r.recipient) for r in rows] == [
        (InvitationMethod.REQUEST, "vera@vendor.example"),
        (InvitationMethod.REQUEST, "otto@vendor.example"),
        (InvitationMethod.CANCEL, "vera@vendor.example"),
        (InvitationMethod.CANCEL, "otto@vendor.example"),
    ]
    cancel = rows[2]
    assert cancel.sequence >= 1 and cancel.status == InvitationStatus.QUEUED
    parsed = icalendar.Calendar.from_ical(cancel.ics)
    assert str(parsed["METHOD"]) == "CANCEL"
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent["SEQUENCE"] == cancel.sequence
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


async def test_an_address_removed_from_an_event_that_goes_on_gets_a_cancel(api: Api) -> None:
    ada = await api.sign_up()
    created = await event_ok(
        api,
        ada,
        title="Vendor call",
        startAt="2026-03-02T14:00:00Z",
        endAt="2026-03-02T15:00:00Z",
        attendees=[{"email": "vera@vendor.example"}, {"email": "otto@vendor.example"}],
    )
    event = await Event.get(id=pk(created["id"]))
    otto = await EventAttendee.get(event_id=event.id, email="otto@vendor.example")
    updated = await update_ok(
        api,
        ada,
        eventId=created["id"],
        version=event.version,
        attendeesRemove=[global_id("EventAttendee", otto.id)],
    )
    assert [a["email"] for a in updated["attendees"] if a["kind"] == "EXTERNAL"] == [
        "vera@vendor.example"
    ]
    rows = await OutboundInvitation.filter(event_id=event.id).order_by("id")
    # Vera's invitation is unchanged (the times stayed): only Otto hears, and it is a CANCEL.
    assert [(r.method, r.recipient) for r in rows] == [
        (InvitationMethod.REQUEST, "vera@vendor.example"),
        (InvitationMethod.REQUEST, "otto@vendor.example"),
        (InvitationMethod.CANCEL, "otto@vendor.example"),
    ]
    parsed = icalendar.Calendar.from_ical(rows[2].ics)
    assert str(parsed["METHOD"]) == "CANCEL"
    assert str(parsed.walk("VEVENT")[0]["UID"]) == event.ical_uid
