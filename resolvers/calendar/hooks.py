"""What happens when an event is saved, beyond the event itself: parts of Calendar that react to
every write of an event (room bookings, reminders, invitations to external addresses) register
here, and the write path calls ``event_saved`` once per saved row, inside its transaction, after
the row and its attendees are written and before commit. A hook may raise a ``DomainError`` to
refuse the whole write (nothing is kept), or change rows (a room's answer) in the same
transaction.

Why hooks rather than calls: the event write path does not need to know which of these exist,
and each of them is tested through the real write path (eventCreate, eventUpdate…)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from models.calendar import Event
from resolvers.calendar.live import EventChange
from resolvers.core.tx import Transaction


@dataclass(slots=True)
class EventSaved:
    event: Event
    """The row as saved: a single event, a series' master, or an exception of a series (then
    ``event.series_id`` is set). Deleted rows have ``deleted_at`` set."""
    change: EventChange
    actor_id: int
    times_changed: bool = True
    """Start, end, zone or recurrence changed (or it is new, cancelled or deleted)."""
    attendees_added: list[int] = field(default_factory=list)
    attendees_removed: list[int] = field(default_factory=list)
    """``EventAttendee`` ids added, and ids of rows removed by this write."""
    removed_emails: list[str] = field(default_factory=list)
    """The addresses of the external attendees this write removed (their rows are gone: an
    invitation's CANCEL needs them)."""
    previous_start: datetime | None = None


Hook = Callable[[Transaction, EventSaved], Awaitable[None]]
_hooks: list[tuple[str, Hook]] = []


def on_event_saved(name: str) -> Callable[[Hook], Hook]:
    """Register a hook (once per name; importing a module twice does not run it twice)."""

    def register(hook: Hook) -> Hook:
        for i, (known, _) in enumerate(_hooks):
            if known == name:
                _hooks[i] = (name, hook)
                return hook
        _hooks.append((name, hook))
        return hook

    return register


async def event_saved(tx: Transaction, saved: EventSaved) -> None:
    for _, hook in list(_hooks):
        await hook(tx, saved)
