"""Publishing an event's changes on the user channels of the people who see its details
(``live`` says who and why), after commit."""

from __future__ import annotations

from typing import Any

from models.calendar import CALENDAR_ROLE_RANK as RANK
from models.calendar import (
    Calendar,
    CalendarGrant,
    CalendarGranteeKind,
    CalendarRole,
    CalendarSubscription,
    Event,
    EventAttendee,
    EventVisibility,
)
from resolvers.calendar.live import (
    CalendarEventKind,
    EventChange,
    EventChanged,
    EventSnapshot,
)
from resolvers.calendar.recurrence import instance_key
from resolvers.core.channels import user_channel
from resolvers.core.tx import Transaction
from resolvers.drive.access import grantees_for_user


def event_snapshot(event: Event) -> EventSnapshot:
    return {
        "id": event.id,
        "organizationId": event.organization_id,
        "calendarId": event.calendar_id,
        "seriesId": event.series_id,
        "recurrenceId": instance_key(event.recurrence_id) if event.recurrence_id else None,
        "title": event.title,
        "startAt": event.start_at.isoformat(),
        "endAt": event.end_at.isoformat(),
        "allDay": event.all_day,
        "timeZone": event.time_zone,
        "rrule": event.rrule,
        "cancelled": event.cancelled,
        "version": event.version,
    }


async def detail_audience(event: Event) -> set[int]:
    """The users who see ``event``'s details and have it in view: its organizer and attendees,
    its calendar's owner, and the people granted a strong enough role on the calendar directly
    or who subscribed to it (checked against their departments and groups)."""
    master_id = event.series_id or event.id
    people: set[int] = {event.organizer_id}
    rows: list[Any] = await EventAttendee.filter(
        event_id=master_id, user_id__not_isnull=True
    ).values_list("user_id", flat=True)
    people.update(int(u) for u in rows)
    calendar = await Calendar.get(id=event.calendar_id)
    people.add(calendar.owner_id)
    need = {
        EventVisibility.PUBLIC: CalendarRole.FREE_BUSY,
        EventVisibility.DEFAULT: CalendarRole.READER,
        EventVisibility.PRIVATE: CalendarRole.WRITER,
    }[EventVisibility(event.visibility)]
    grants: list[Any] = await CalendarGrant.filter(calendar_id=calendar.id).values_list(
        "grantee_kind", "grantee_id", "role"
    )
    for kind, grantee_id, role in grants:
        if kind == CalendarGranteeKind.USER and RANK[CalendarRole(role)] >= RANK[need]:
            people.add(int(grantee_id))
    subscribers: list[Any] = await CalendarSubscription.filter(calendar_id=calendar.id).values_list(
        "user_id", flat=True
    )
    for user_id in subscribers:
        if int(user_id) in people:
            continue
        grantees = await grantees_for_user(int(user_id))
        best = CalendarRole(calendar.organization_role) if calendar.organization_role else None
        for kind, grantee_id, role in grants:
            if grantees.matches(kind, int(grantee_id)) and (
                best is None or RANK[CalendarRole(role)] > RANK[best]
            ):
                best = CalendarRole(role)
        if best is not None and RANK[best] >= RANK[need]:
            people.add(int(user_id))
    return people


async def do_publish_event_change(
    tx: Transaction,
    change: EventChange,
    event: Event,
    actor_id: int,
    *,
    also: set[int] | None = None,
) -> None:
    """Tell the people who see ``event`` (and ``also``: people who just lost sight of it, who
    get the change with the snapshot they saw) after commit."""
    payload: EventChanged = {
        "type": CalendarEventKind.EVENT_CHANGED,
        "change": change.value,
        "event": event_snapshot(event),
        "actorId": actor_id,
    }
    for user_id in (await detail_audience(event)) | (also or set()):
        tx.publish(user_channel(user_id), payload)
