"""``Event.viewerConflicts``: the viewer's other busy occurrences that overlap an event.

Which occurrences of the event are compared: a single event or a changed occurrence, its own
times; a series, its occurrences from now (or from its first one, if later) over the next
``SERIES_DAYS`` days, at most ``MAX_OCCURRENCES`` of them. What counts as the viewer's busy time
is free/busy's rule (``freebusy.busy_blocks``: their primary calendar and what they attend and
did not decline, FREE events aside); the event itself and its other occurrences never conflict
with it. The viewer sees the other events in full: they are on the viewer's own primary
calendar or the viewer attends them (``access.sees_details``' parties and owners)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.calendar import Event
from resolvers.calendar import expand
from resolvers.calendar.expand import Instance
from resolvers.calendar.freebusy import BusyStatus, busy_blocks
from resolvers.calendar.queries import SeenEvent
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
    """The viewer's conflicts with ``event``; the events of one request are batched (one
    ``busy_blocks`` over the span of them all), so a list asking for it costs no more SQL
    than one event."""
    principal = require_principal(ctx)
    found: list[Conflict] = await ctx.loaders.get(_conflicts_of).load((principal.user_id, event))
    return found


async def _conflicts_of(keys: list[tuple[int, Event]]) -> list[list[Conflict]]:
    now = clock.now()
    out: list[list[Conflict]] = []
    by_viewer: dict[int, list[tuple[int, list[tuple[datetime, datetime]]]]] = {}
    for n, (viewer, event) in enumerate(keys):
        out.append([])
        if event.deleted_at is not None or event.cancelled:
            continue
        spans = [(a, b) for a, b in _own_occurrences(event, now) if b > a]
        if spans:
            by_viewer.setdefault(viewer, []).append((n, spans))
    for viewer, wanted in by_viewer.items():
        window_from = min(a for _, spans in wanted for a, _ in spans)
        window_to = max(b for _, spans in wanted for _, b in spans)
        blocks = (await busy_blocks([viewer], [], window_from, window_to)).users.get(viewer, [])
        for n, spans in wanted:
            event = keys[n][1]
            series = event.series_id or event.id
            mine = [(i, s) for i, s in blocks if i.master.id != series]
            found: list[Conflict] = []
            for start, end in spans:
                for inst, status in mine:
                    if inst.start < end and inst.end > start and len(found) < MAX_CONFLICTS:
                        # Theirs, or one they attend: they see its details.
                        seen = SeenEvent(inst.row, None, True)
                        found.append(Conflict(start, inst, seen, status))
            out[n] = found
    return out
