"""Events in a window as occurrences, exceptions applied: the one expansion every read uses
(``events``, free/busy, room bookings, conflicts, reminders).

``load_window`` reads the rows that can have an occurrence in the window (masters and single
events that start before its end and have not ended before its start, and the exceptions of
those series), in two queries; ``expand`` turns them into ``Instance``s in time order. An
exception replaces the occurrence whose original start (``recurrence_id``) it names: a cancelled
one removes it, an edited one moves it (into or out of the window) and carries its own details.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from models.calendar import Event
from resolvers.calendar import recurrence
from resolvers.calendar.recurrence import Occurrence, Series

MAX_INSTANCES = 20_000
"""At most this many occurrences of one series in one window (an HOURLY series over a year is
8,784): beyond it the series is cut, never the server's memory."""


def series_of(event: Event) -> Series:
    """What expansion needs of a stored event."""
    return Series(
        start=event.start_at,
        end=event.end_at,
        tz=recurrence.zone(event.time_zone),
        rrule=event.rrule,
        rdates=list(event.rdates or []),
        exdates=list(event.exdates or []),
        all_day=event.all_day,
        start_date=event.start_date,
        end_date=event.end_date,
    )


@dataclass(slots=True)
class Instance:
    """One occurrence as it happens: ``master`` is the series (or the single event),
    ``exception`` the row that changed this occurrence, if any (its title, place and show-as
    are the occurrence's)."""

    master: Event
    recurrence_id: datetime
    start: datetime
    end: datetime
    exception: Event | None = None

    @property
    def row(self) -> Event:
        """The row whose details this occurrence shows."""
        return self.exception or self.master

    @property
    def is_recurring(self) -> bool:
        return bool(self.master.rrule or self.master.rdates)


async def load_window(
    where: Q, window_from: datetime, window_to: datetime
) -> tuple[list[Event], list[Event]]:
    """The masters and single events matching ``where`` (say ``Q(calendar_id__in=…)``) that may
    have an occurrence in the window, and every exception of those series that may matter
    there (its original start or its new times near the window)."""
    masters = await Event.filter(
        where,
        Q(series_end_at__isnull=True) | Q(series_end_at__gt=window_from),
        series_id=None,
        deleted_at=None,
        start_at__lt=window_to,
    ).order_by("start_at", "id")
    series_ids = [m.id for m in masters if m.rrule or m.rdates]
    exceptions: list[Event] = []
    if series_ids:
        # An occurrence lasts at most fields.MAX_EVENT_DAYS: an exception whose original start
        # is further before the window cannot have had an occurrence in it.
        reach = timedelta(days=366 * 5 + 1)
        exceptions = list(
            await Event.filter(
                Q(recurrence_id__gte=window_from - reach, recurrence_id__lt=window_to)
                | Q(start_at__lt=window_to, end_at__gt=window_from),
                series_id__in=series_ids,
                deleted_at=None,
            )
        )
    return list(masters), exceptions


def _overlaps(start: datetime, end: datetime, window_from: datetime, window_to: datetime) -> bool:
    return (start < window_to and end > window_from) or (start == end == window_from)


def expand(
    masters: Iterable[Event],
    exceptions: Iterable[Event],
    window_from: datetime,
    window_to: datetime,
    *,
    limit: int = MAX_INSTANCES,
) -> list[Instance]:
    """The occurrences of ``masters`` in ``[window_from, window_to)`` with ``exceptions``
    applied, ordered by start, then by the master's id."""
    by_series: dict[int, dict[datetime, Event]] = defaultdict(dict)
    for e in exceptions:
        if e.series_id is not None and e.recurrence_id is not None:
            by_series[e.series_id][e.recurrence_id] = e
    out: list[Instance] = []
    for master in masters:
        changed = by_series.get(master.id, {})
        if not (master.rrule or master.rdates):
            if _overlaps(master.start_at, master.end_at, window_from, window_to):
                out.append(Instance(master, master.start_at, master.start_at, master.end_at))
            continue
        # Occurrences that an exception moves into the window from outside it are added below.
        seen: set[datetime] = set()
        for occ in recurrence.occurrences(series_of(master), window_from, window_to, limit=limit):
            seen.add(occ.recurrence_id)
            exception = changed.get(occ.recurrence_id)
            instance = _apply(master, occ, exception)
            if instance is not None and _overlaps(
                instance.start, instance.end, window_from, window_to
            ):
                out.append(instance)
        for recurrence_id, exception in changed.items():
            if recurrence_id in seen or exception.cancelled:
                continue
            if _overlaps(exception.start_at, exception.end_at, window_from, window_to):
                out.append(
                    Instance(master, recurrence_id, exception.start_at, exception.end_at, exception)
                )
    out.sort(key=lambda i: (i.start, i.master.id))
    return out


def _apply(master: Event, occ: Occurrence, exception: Event | None) -> Instance | None:
    if exception is None:
        return Instance(master, occ.recurrence_id, occ.start, occ.end)
    if exception.cancelled:
        return None
    return Instance(master, occ.recurrence_id, exception.start_at, exception.end_at, exception)


async def instances(where: Q, window_from: datetime, window_to: datetime) -> list[Instance]:
    """``load_window`` then ``expand``."""
    masters, exceptions = await load_window(where, window_from, window_to)
    return expand(masters, exceptions, window_from, window_to)
