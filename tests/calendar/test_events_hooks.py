"""Every saved row of an event write runs the save hooks (rooms, reminders and invitations
register there) with what changed, inside the write's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resolvers.calendar import hooks
from resolvers.calendar.hooks import EventSaved, on_event_saved
from resolvers.core.tx import Transaction
from tests.calendar.event_ops import delete, update_ok
from tests.calendar.helpers import event_ok, pk
from tests.client import Api

START = "2026-03-02T09:00:00Z"
END = "2026-03-02T09:30:00Z"


@pytest.fixture
def saved() -> Iterator[list[EventSaved]]:
    got: list[EventSaved] = []

    async def record(tx: Transaction, s: EventSaved) -> None:
        got.append(s)

    on_event_saved("test.recorder")(record)
    try:
        yield got
    finally:
        hooks._hooks[:] = [h for h in hooks._hooks if h[0] != "test.recorder"]


async def test_each_write_reports_its_rows(api: Api, saved: list[EventSaved]) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    s = await event_ok(
        api,
        ada,
        title="Daily",
        startAt=START,
        endAt=END,
        recurrence={"rrule": "FREQ=DAILY;COUNT=5"},
    )
    saved.clear()
    await update_ok(api, ada, eventId=s["id"], version=1, title="Renamed")
    await update_ok(api, ada, eventId=s["id"], version=2, attendeesAdd=[{"userId": bob.user_id}])
    await update_ok(
        api,
        ada,
        eventId=s["id"],
        version=3,
        scope="THIS",
        recurrenceId="2026-03-03T09:00:00Z",
        startAt="2026-03-03T11:00:00Z",
        endAt="2026-03-03T11:30:00Z",
    )
    new = await update_ok(
        api,
        ada,
        eventId=s["id"],
        version=4,
        scope="THIS_AND_FOLLOWING",
        recurrenceId="2026-03-05T09:00:00Z",
        title="Later",
    )
    await delete(api, ada, eventId=new["id"], scope="THIS", recurrenceId="2026-03-06T09:00:00Z")
    await delete(api, ada, eventId=new["id"])
    got = [
        (x.change.value, x.event.series_id is not None, x.times_changed, len(x.attendees_added))
        for x in saved
    ]
    assert got == [
        ("UPDATED", False, False, 0),  # a title
        ("UPDATED", False, False, 1),  # Bob
        ("UPDATED", True, True, 0),  # one occurrence moved (its exception row)
        ("UPDATED", False, True, 0),  # the old series ends
        ("CREATED", False, True, 2),  # the new one, with the organizer and Bob
        ("CANCELLED", True, True, 0),
        ("DELETED", False, True, 0),
    ]
    assert saved[-1].event.id == pk(new["id"]) and saved[-1].event.deleted_at is not None
