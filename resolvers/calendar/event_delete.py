"""eventDelete: delete an event or a whole series (ALL: ``deleted_at``, its exceptions with
it), cancel one occurrence (THIS: a cancelled exception row, never an EXDATE, so that the
occurrence keeps its RECURRENCE-ID and an undo or an iTIP CANCEL can name it), or end a series
before one occurrence (THIS_AND_FOLLOWING: an UNTIL, the later exceptions deleted).

``version`` is optional (a delete is rarely based on what one saw); when given, a stale one is
a CONFLICT, as for eventUpdate. Only the organizer and the calendar's writers may delete: an
attendee declines instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.calendar import Event
from resolvers.calendar import recurrence
from resolvers.calendar.event_update import (
    EventConflict,
    Scope,
    _finish,
    access_event,
    check_occurrence,
    claim,
    do_end_series,
    is_editor,
    occurrence_times,
)
from resolvers.calendar.expand import series_of
from resolvers.calendar.live import EventChange
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction


async def check_event_delete(
    ctx: Context,
    *,
    event_id: int | None,
    version: int | None,
    scope: Scope,
    recurrence_id: datetime | None,
) -> Event:
    principal = require_principal(ctx)
    target = await access_event(ctx, event_id)
    master = target.master
    if target.recurrence_id is not None:
        scope, recurrence_id = Scope.THIS, target.recurrence_id
    if not is_editor(ctx, target):
        raise Forbidden(
            "Only the organizer and the calendar's writers may delete this event.",
            field="eventId",
        )
    rid: datetime | None = None
    if scope != Scope.ALL:
        rid = await check_occurrence(master, recurrence_id, scope)
        first = recurrence.first_occurrence(series_of(master))
        if scope == Scope.THIS_AND_FOLLOWING and first is not None and first.recurrence_id == rid:
            scope, rid = Scope.ALL, None
    if version is not None and version != master.version:
        raise EventConflict(master)
    return await do_event_delete(
        master, master.version if version is None else version, scope, rid, principal.user_id
    )


async def do_event_delete(
    master: Event, version: int, scope: Scope, rid: datetime | None, actor_id: int
) -> Event:
    """The master as it is after the write (deleted for ALL)."""
    async with transaction() as tx:
        if scope == Scope.ALL:
            row = await claim(master, version, deleted_at=now(), sequence=master.sequence + 1)
            await Event.filter(series_id=master.id, deleted_at=None).update(deleted_at=now())
            await _finish(tx, row, EventChange.DELETED, actor_id, times_changed=True)
            return row
        assert rid is not None
        if scope == Scope.THIS_AND_FOLLOWING:
            row = await claim(master, version, **(await do_end_series(master, rid)))
            await Event.filter(series_id=master.id, recurrence_id__gte=rid, deleted_at=None).update(
                deleted_at=now()
            )
            await _finish(tx, row, EventChange.UPDATED, actor_id, times_changed=True)
            return row
        row = await claim(master, version)
        key = recurrence.instance_key(rid)
        exc = await Event.filter(series_id=master.id, instance_key=key).first()
        if exc is None:
            times = occurrence_times(master, rid)
            columns: dict[str, Any] = {
                "all_day": master.all_day,
                "start_at": rid,
                "end_at": rid + series_of(master).duration,
                "start_date": times.start_date,
                "end_date": times.end_date,
                "time_zone": master.time_zone,
            }
            exc = await Event.create(
                organization_id=master.organization_id,
                calendar_id=master.calendar_id,
                organizer_id=master.organizer_id,
                ical_uid=master.ical_uid,
                instance_key=key,
                series_id=master.id,
                recurrence_id=rid,
                cancelled=True,
                title=master.title,
                visibility=master.visibility,
                show_as=master.show_as,
                sequence=master.sequence + 1,
                series_end_at=columns["end_at"],
                created_by_id=actor_id,
                **columns,
            )
        else:
            await Event.filter(id=exc.id).update(
                cancelled=True, version=exc.version + 1, sequence=exc.sequence + 1, deleted_at=None
            )
            exc = await Event.get(id=exc.id)
        await _finish(tx, exc, EventChange.CANCELLED, actor_id, times_changed=True)
        return row
