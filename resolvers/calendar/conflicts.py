"""``Event.viewerConflicts``: the viewer's other busy occurrences that overlap an event.

Which occurrences of the event are compared: a single event or a changed occurrence, its own
times; a series, its occurrences from now (or from its first one, if later) over the next
``SERIES_DAYS`` days, at most ``MAX_OCCURRENCES`` of them. What counts as the viewer's busy time
is free/busy's rule (``freebusy.busy_blocks``: their primary calendar and what they attend and
did not decline, FREE events aside); the event itself and its other occurrences never conflict
with it. The viewer sees the other events in full, as they are theirs or they attend them; a
row they could only see as busy (an event of their primary calendar written by a delegate, say)
still goes through ``seen_events``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.calendar import Event
from resolvers.calendar import expand
from resolvers.calendar.expand import Instance
from resolvers.calendar.freebusy import BusyStatus, busy_blocks
from resolvers.calendar.queries import SeenEvent, seen_events
from resolvers.core import clock
from resolvers.core.context import Context
from resolvers.core.principal import require_principal

SERIES_DAYS = 30
MAX_OCCURRENCES = 100
MAX_CONFLICTS = 50


@dataclass(frozen=True, slots=True)
class Conflict:
    occurrence_start: datetime
    """The start of this event's occurrence that is in conflict."""
    other: Instance
    seen: SeenEvent
    status: BusyStatus


def _own_occurrences(event: Event, now: datetime) -> list[tuple[datetime, datetime]]:
    if not (event.rrule or event.rdates) or event.series_id is not None:
        return [(event.start_at, event.end_at)]
    window_from = max(now, event.start_at)
    window_to = window_from + timedelta(days=SERIES_DAYS)
    found = expand.expand([event], [], window_from, window_to, limit=MAX_OCCURRENCES)
    return [(i.start, i.end) for i in found]


async def viewer_conflicts(ctx: Context, event: Event) -> list[Conflict]:
    principal = require_principal(ctx)
    if event.deleted_at is not None or event.cancelled:
        return []
    spans = _own_occurrences(event, clock.now())
    if not spans:
        return []
    window_from = min(a for a, _ in spans)
    window_to = max(b for _, b in spans)
    if window_to <= window_from:
        return []
    blocks = await busy_blocks([principal.user_id], [], window_from, window_to)
    series = event.series_id or event.id
    mine = [
        (inst, status)
        for inst, status in blocks.users.get(principal.user_id, [])
        if inst.master.id != series
    ]
    pairs: list[tuple[datetime, Instance, BusyStatus]] = []
    for start, end in spans:
        for inst, status in mine:
            if inst.start < end and inst.end > start:
                pairs.append((start, inst, status))
                if len(pairs) >= MAX_CONFLICTS:
                    break
        if len(pairs) >= MAX_CONFLICTS:
            break
    rows = list({inst.row.id: inst.row for _, inst, _ in pairs}.values())
    seen = {s.event.id: s for s in await seen_events(ctx, rows) if s is not None}
    return [
        Conflict(start, inst, seen[inst.row.id], status)
        for start, inst, status in pairs
        if inst.row.id in seen
    ]
