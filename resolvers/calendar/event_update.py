"""eventUpdate: change an event, one occurrence of a series (THIS), the series from one
occurrence on (THIS_AND_FOLLOWING) or the whole series (ALL).

Concurrency: every write to a series (its master, an occurrence, a split, a delete) raises the
master's ``version`` with ``UPDATE … WHERE id = ? AND version = ?`` inside the write's
transaction. A write based on an older version changes no row and is a CONFLICT naming the
current version, never a silent overwrite, also between processes (the database decides).

Decisions where the issue is silent:

- Only the fields given change; an occurrence's edit (THIS) starts from the series' details and
  the occurrence's times the first time, from its own row after that.
- ALL moving a series' times: an exception is kept when its original start, shifted by the
  same wall-clock change as the series (09:00 -> 10:00 moves every original 09:00 to 10:00),
  is an occurrence of the new rule; it follows the series when its own times were not edited
  (they were the occurrence's), else it keeps them. The others are dropped (deleted), as
  Google Calendar does when a series' rule changes. Answers to single occurrences
  (``OccurrenceResponse``) are kept as they are.
- THIS_AND_FOLLOWING on the first occurrence is ALL. Otherwise the master ends with an UNTIL
  one second before the occurrence (COUNT becomes UNTIL; the new master counts what is left),
  and a new master (new ``ical_uid``, ``split_from_id``) starts at that occurrence with the
  edits, the attendees (their series answers) and the exceptions from there on.
- An attendee who is neither the organizer nor a writer of the calendar may only add
  attendees, and only when ``guestsCanInvite`` allows it (GUESTS_CANNOT_INVITE otherwise);
  anything else is FORBIDDEN.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import F

from models.calendar import AttendeeKind, CalendarRole, Event, EventAttendee
from resolvers.calendar import recurrence
from resolvers.calendar.access import at_least
from resolvers.calendar.attendees import (
    MAX_ATTENDEES,
    AttendeeSpec,
    Invitee,
    resolve_attendees,
)
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.event_create import checked_times
from resolvers.calendar.expand import series_of
from resolvers.calendar.fields import CheckedTimes, Details, Times, check_details
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.live import EventChange
from resolvers.calendar.publish import do_publish_event_change
from resolvers.calendar.queries import SeenEvent, visible_events
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction

TIME_KEYS = ("all_day", "start", "end", "start_date", "end_date", "time_zone")
RECURRENCE_KEYS = ("rrule", "rdates", "exdates")
DETAIL_KEYS = tuple(Details.__dataclass_fields__)


class Scope(StrEnum):
    THIS = "THIS"
    THIS_AND_FOLLOWING = "THIS_AND_FOLLOWING"
    ALL = "ALL"


class EventConflict(DomainError):
    """A write based on an older version; ``current`` is the event as it is now."""

    code = CalendarErrorCode.CONFLICT

    def __init__(self, current: Event, field: str = "version"):
        super().__init__(
            f"The event changed meanwhile: its current version is {current.version}.",
            field=field,
        )
        self.current = current


@dataclass(slots=True)
class EventPatch:
    """What an update gives: only these change. ``times`` holds ``Times`` fields by name,
    ``details`` ``Details`` fields by name."""

    times: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    attendees_add: list[AttendeeSpec] = field(default_factory=list)
    attendees_remove: list[int] = field(default_factory=list)

    @property
    def edits_event(self) -> bool:
        return bool(self.times or self.details or self.attendees_remove)


@dataclass(slots=True)
class Target:
    """The event a write names: its series master (or the single event), how the viewer sees
    it, and the occurrence named by an exception's id, if that is what was named."""

    master: Event
    seen: SeenEvent
    recurrence_id: datetime | None


async def access_event(ctx: Context, event_id: int | None, field_name: str = "eventId") -> Target:
    """The event (an exception's id names its series and that occurrence), NOT_FOUND if the
    viewer cannot see it."""
    if event_id is None:
        raise NotFound(field=field_name)
    seen = (await visible_events(ctx, [event_id]))[0]
    if seen is None:
        raise NotFound(field=field_name)
    row = seen.event
    if row.series_id is None:
        return Target(row, seen, None)
    master = (await visible_events(ctx, [row.series_id]))[0]
    if master is None:
        raise NotFound(field=field_name)
    return Target(master.event, master, row.recurrence_id)


def is_editor(ctx: Context, target: Target) -> bool:
    principal = require_principal(ctx)
    return target.master.organizer_id == principal.user_id or at_least(
        target.seen.role, CalendarRole.WRITER
    )


def is_recurring(event: Event) -> bool:
    return bool(event.rrule or event.rdates)


async def check_occurrence(master: Event, recurrence_id: datetime | None, scope: Scope) -> datetime:
    """The occurrence ``recurrence_id`` names: NOT_RECURRING for a single event,
    NOT_AN_OCCURRENCE when the series has no occurrence starting then (an existing exception
    counts, also a cancelled one)."""
    if not is_recurring(master):
        raise DomainError(
            f"{scope.value} needs a recurring event.",
            field="scope",
            code=CalendarErrorCode.NOT_RECURRING,
        )
    if recurrence_id is None:
        raise ValidationFailed(f"{scope.value} needs recurrenceId.", field="recurrenceId")
    rid = recurrence_id.astimezone(UTC)
    if await Event.filter(
        series_id=master.id, instance_key=recurrence.instance_key(rid), deleted_at=None
    ).exists():
        return rid
    series = series_of(master)
    found = list(recurrence.occurrences(series, rid, rid + timedelta(seconds=1), limit=50))
    if not any(o.recurrence_id == rid for o in found):
        raise DomainError(
            "That is not the start of an occurrence of the series.",
            field="recurrenceId",
            code=CalendarErrorCode.NOT_AN_OCCURRENCE,
        )
    return rid


def _times_of(row: Event) -> Times:
    return Times(
        all_day=row.all_day,
        start=None if row.all_day else row.start_at,
        end=None if row.all_day else row.end_at,
        start_date=row.start_date,
        end_date=row.end_date,
        time_zone=row.time_zone,
        rrule=row.rrule,
        rdates=list(row.rdates or []),
        exdates=list(row.exdates or []),
    )


def _details_of(row: Event) -> Details:
    return Details(**{k: getattr(row, k) for k in DETAIL_KEYS})


def merged_times(base: Times, patch: EventPatch) -> Times:
    times = Times(**{k: getattr(base, k) for k in Times.__dataclass_fields__})
    for k, v in patch.times.items():
        setattr(times, k, v)
    if "all_day" in patch.times and patch.times["all_day"] != base.all_day:
        # Switching between all-day and timed: the other kind's fields go unless given (then
        # check_times refuses the mix).
        for key in ("start", "end") if times.all_day else ("start_date", "end_date"):
            if key not in patch.times:
                setattr(times, key, None)
    return times


def occurrence_times(master: Event, rid: datetime) -> Times:
    """The times of the occurrence starting at ``rid`` (not recurring)."""
    series = series_of(master)
    if master.all_day:
        day = rid.astimezone(series.tz).date()
        return Times(
            all_day=True,
            start_date=day,
            end_date=day + timedelta(days=series.days),
            time_zone=master.time_zone,
        )
    return Times(start=rid, end=rid + series.duration, time_zone=master.time_zone, all_day=False)


@dataclass(slots=True)
class Plan:
    """A checked update, ready for ``do_event_update``."""

    target: Target
    version: int
    scope: Scope
    recurrence_id: datetime | None
    details: Details
    checked: CheckedTimes | None
    times_changed: bool
    invitees: list[Invitee]
    remove: list[int]
    actor_id: int


async def check_event_update(
    ctx: Context,
    *,
    event_id: int | None,
    version: int,
    scope: Scope,
    recurrence_id: datetime | None,
    patch: EventPatch,
) -> Event:
    principal = require_principal(ctx)
    target = await access_event(ctx, event_id)
    master = target.master
    if target.recurrence_id is not None:
        # An occurrence's own id: the edit is of that occurrence.
        scope, recurrence_id = Scope.THIS, target.recurrence_id
    if not is_editor(ctx, target):
        party = target.seen.details and (
            await EventAttendee.filter(event_id=master.id, user_id=principal.user_id).exists()
        )
        if not party or patch.edits_event:
            raise Forbidden(
                "Only the organizer and the calendar's writers may change this event.",
                field="eventId",
            )
        if patch.attendees_add and not master.guests_can_invite:
            raise DomainError(
                "The organizer does not let guests invite others.",
                field="attendeesAdd",
                code=CalendarErrorCode.GUESTS_CANNOT_INVITE,
            )
    rid: datetime | None = None
    if scope != Scope.ALL:
        rid = await check_occurrence(master, recurrence_id, scope)
        first = recurrence.first_occurrence(series_of(master))
        if scope == Scope.THIS_AND_FOLLOWING and first is not None and first.recurrence_id == rid:
            scope, rid = Scope.ALL, None
    if scope == Scope.THIS:
        if any(k in patch.times for k in RECURRENCE_KEYS):
            raise ValidationFailed(
                "One occurrence has no recurrence of its own.", field="recurrence"
            )
        if patch.attendees_add or patch.attendees_remove:
            raise ValidationFailed(
                "Attendees belong to the series: change them with scope ALL or THIS_AND_FOLLOWING.",
                field="attendeesAdd",
            )
    # The row whose values the edit starts from.
    base_row = master
    base_times = _times_of(master)
    if scope == Scope.THIS:
        assert rid is not None
        existing = await Event.filter(
            series_id=master.id, instance_key=recurrence.instance_key(rid)
        ).first()
        if existing is not None:
            base_row, base_times = existing, _times_of(existing)
        else:
            base_times = occurrence_times(master, rid)
    elif scope == Scope.THIS_AND_FOLLOWING:
        assert rid is not None
        occ = occurrence_times(master, rid)
        base_times.start, base_times.end = occ.start, occ.end
        base_times.start_date, base_times.end_date = occ.start_date, occ.end_date
    details = _details_of(base_row)
    for k, v in patch.details.items():
        setattr(details, k, v)
    check_details(details)
    checked: CheckedTimes | None = None
    times_changed = scope == Scope.THIS_AND_FOLLOWING
    if patch.times or scope != Scope.ALL:
        times = merged_times(base_times, patch)
        if scope == Scope.THIS:
            times.rrule, times.rdates, times.exdates = None, [], []
        if scope == Scope.THIS_AND_FOLLOWING:
            times.rdates = [d for d in times.rdates if _date_key(d, master) >= rid]  # type: ignore[operator]
            times.exdates = [d for d in times.exdates if _date_key(d, master) >= rid]  # type: ignore[operator]
            if times.rrule and "rrule" not in patch.times:
                times.rrule = _remaining_rule(master, rid)  # type: ignore[arg-type]
        checked = await checked_times(times)
        if scope == Scope.ALL:
            prior = await checked_times(_times_of(master))
            times_changed = prior.columns() != checked.columns()
        elif scope == Scope.THIS:
            was = (base_row.start_at, base_row.end_at) if base_row is not master else None
            if was is None:
                assert rid is not None
                was = (rid, rid + series_of(master).duration)
            times_changed = (checked.start_at, checked.end_at) != was
    invitees = await resolve_attendees(
        principal.organization_id, patch.attendees_add, "attendeesAdd"
    )
    if patch.attendees_remove:
        rows: list[Any] = await EventAttendee.filter(
            id__in=patch.attendees_remove, event_id=master.id
        ).values_list("id", "is_organizer")
        known = {int(i): bool(o) for i, o in rows}
        for i, attendee_id in enumerate(patch.attendees_remove):
            if attendee_id not in known:
                raise NotFound(field=f"attendeesRemove.{i}")
            if known[attendee_id]:
                raise ValidationFailed(
                    "The organizer always attends.", field=f"attendeesRemove.{i}"
                )
    if master.version != version:
        raise EventConflict(master)
    plan = Plan(
        target=target,
        version=version,
        scope=scope,
        recurrence_id=rid,
        details=details,
        checked=checked,
        times_changed=times_changed,
        invitees=invitees,
        remove=list(patch.attendees_remove),
        actor_id=principal.user_id,
    )
    return await do_event_update(plan)


def _date_key(value: str, master: Event) -> datetime:
    return recurrence.parse_dates([value], master.all_day, recurrence.zone(master.time_zone), "x")[
        0
    ]


def _remaining_rule(master: Event, rid: datetime) -> str:
    """The master's rule for a series that starts at ``rid``: COUNT less what came before."""
    rule = recurrence.normalize_rrule(master.rrule or "")
    parts = dict(p.split("=", 1) for p in rule.split(";"))
    if "COUNT" in parts:
        # COUNT counts what the rule yields, EXDATEs included (RFC 5545): walk the rule itself.
        series = series_of(master)
        before = 0
        for start in recurrence.rule_of(series) or []:
            if recurrence.as_utc(start, series) >= rid:
                break
            before += 1
        parts["COUNT"] = str(max(1, int(parts["COUNT"]) - before))
    return ";".join(f"{k}={v}" for k, v in parts.items())


def ended_rule(master: Event, rid: datetime) -> str:
    """The master's rule ending just before the occurrence at ``rid``."""
    rule = recurrence.normalize_rrule(master.rrule or "")
    parts = {k: v for k, v in (p.split("=", 1) for p in rule.split(";")) if k not in ("COUNT",)}
    if master.all_day:
        day = rid.astimezone(recurrence.zone(master.time_zone)).date() - timedelta(days=1)
        parts["UNTIL"] = day.strftime("%Y%m%d")
    else:
        parts["UNTIL"] = recurrence.instance_key(rid - timedelta(seconds=1))
    return ";".join(f"{k}={v}" for k, v in parts.items())


async def claim(master: Event, version: int, **columns: Any) -> Event:
    """Raise the master's version if it is still ``version`` (CONFLICT otherwise), with
    ``columns`` changed in the same statement; the row as it is now."""
    changed = await Event.filter(id=master.id, version=version, deleted_at=None).update(
        version=F("version") + 1, **columns
    )
    current = await Event.get(id=master.id)
    if not changed:
        raise EventConflict(current)
    return current


async def _finish(
    tx: Transaction,
    row: Event,
    change: EventChange,
    actor_id: int,
    *,
    times_changed: bool,
    added: list[int] | None = None,
    removed: list[int] | None = None,
    removed_emails: list[str] | None = None,
    also: set[int] | None = None,
    previous_start: datetime | None = None,
) -> None:
    await event_saved(
        tx,
        EventSaved(
            event=row,
            change=change,
            actor_id=actor_id,
            times_changed=times_changed,
            attendees_added=added or [],
            attendees_removed=removed or [],
            removed_emails=removed_emails or [],
            previous_start=previous_start,
        ),
    )
    await do_publish_event_change(tx, change, row, actor_id, also=also)


async def do_attendee_changes(
    event: Event, invitees: list[Invitee], remove: list[int], actor_id: int
) -> tuple[list[int], list[int], set[int], list[str]]:
    """Add and remove attendees of a master (in the caller's transaction): the ids added, the
    ids removed, the users removed (who are told) and the external addresses removed (who get
    an iTIP CANCEL)."""
    removed_users: set[int] = set()
    removed_emails: list[str] = []
    if remove:
        rows: list[Any] = await EventAttendee.filter(
            id__in=remove, event_id=event.id, is_organizer=False
        ).values_list("user_id", "kind", "email")
        removed_users = {int(u) for u, _, _ in rows if u is not None}
        removed_emails = sorted(
            str(e) for _, k, e in rows if k == AttendeeKind.EXTERNAL and e is not None
        )
        await EventAttendee.filter(id__in=remove, event_id=event.id, is_organizer=False).delete()
    existing = await EventAttendee.filter(event_id=event.id)
    keys = {
        ("user", a.user_id)
        if a.kind == AttendeeKind.USER
        else ("room", a.room_id)
        if a.kind == AttendeeKind.ROOM
        else ("email", a.email)
        for a in existing
    }
    new = [
        EventAttendee(
            event_id=event.id,
            kind=i.kind,
            user_id=i.user_id,
            room_id=i.room_id,
            email=i.email,
            display_name=i.display_name,
            optional=i.optional,
            via_group_id=i.via_group_id,
            via_department_id=i.via_department_id,
            added_by_id=actor_id,
        )
        for i in invitees
        if i.key not in keys
    ]
    if len(existing) + len(new) > MAX_ATTENDEES + 1:
        raise DomainError(
            f"An event has at most {MAX_ATTENDEES} attendees.",
            field="attendeesAdd",
            code=CalendarErrorCode.TOO_MANY_ATTENDEES,
        )
    added: list[int] = []
    if new:
        before = {a.id for a in existing}
        await EventAttendee.bulk_create(new)
        rows2: list[Any] = await EventAttendee.filter(event_id=event.id).values_list(
            "id", flat=True
        )
        added = sorted(int(i) for i in rows2 if int(i) not in before)
    return added, list(remove), removed_users, removed_emails


async def do_event_update(plan: Plan) -> Event:
    async with transaction() as tx:
        if plan.scope == Scope.ALL:
            return await _do_all(tx, plan)
        if plan.scope == Scope.THIS:
            return await _do_this(tx, plan)
        return await _do_following(tx, plan)


async def _do_all(tx: Transaction, plan: Plan) -> Event:
    old = plan.target.master
    columns: dict[str, Any] = dict(plan.details.columns())
    if plan.checked is not None:
        columns.update(plan.checked.columns())
    if plan.times_changed:
        columns["sequence"] = old.sequence + 1
    master = await claim(old, plan.version, **columns)
    if plan.times_changed and is_recurring(old):
        await _do_move_exceptions(old, master)
    added, removed, gone, emails = await do_attendee_changes(
        master, plan.invitees, plan.remove, plan.actor_id
    )
    await _finish(
        tx,
        master,
        EventChange.UPDATED,
        plan.actor_id,
        times_changed=plan.times_changed,
        added=added,
        removed=removed,
        removed_emails=emails,
        also=gone,
        previous_start=old.start_at if plan.times_changed else None,
    )
    return master


async def _do_move_exceptions(old: Event, new: Event) -> None:
    """Keep the exceptions whose shifted original start is an occurrence of the new series
    (see the module docstring), drop the others."""
    old_series, new_series = series_of(old), series_of(new)
    old_start_local = old.start_at.astimezone(old_series.tz).replace(tzinfo=None)
    new_start_local = new.start_at.astimezone(new_series.tz).replace(tzinfo=None)
    shift = new_start_local - old_start_local
    for exc in await Event.filter(series_id=old.id, deleted_at=None):
        assert exc.recurrence_id is not None
        local = exc.recurrence_id.astimezone(old_series.tz).replace(tzinfo=None) + shift
        rid = local.replace(tzinfo=new_series.tz).astimezone(UTC)
        hits = recurrence.occurrences(new_series, rid, rid + timedelta(seconds=1), limit=50)
        if not any(o.recurrence_id == rid for o in hits):
            await Event.filter(id=exc.id).delete()
            continue
        columns: dict[str, Any] = {
            "recurrence_id": rid,
            "instance_key": recurrence.instance_key(rid),
            "version": exc.version + 1,
        }
        untouched = exc.start_at == exc.recurrence_id and (
            exc.end_at - exc.start_at == old_series.duration
        )
        if untouched and not new.all_day:
            columns.update(start_at=rid, end_at=rid + new_series.duration, time_zone=new.time_zone)
        await Event.filter(id=exc.id).update(**columns)


async def _do_this(tx: Transaction, plan: Plan) -> Event:
    master = await claim(plan.target.master, plan.version)
    rid = plan.recurrence_id
    assert rid is not None and plan.checked is not None
    key = recurrence.instance_key(rid)
    columns: dict[str, Any] = {**plan.details.columns(), **plan.checked.columns()}
    columns["series_end_at"] = plan.checked.end_at
    row = await Event.filter(series_id=master.id, instance_key=key).first()
    if row is None:
        row = await Event.create(
            organization_id=master.organization_id,
            calendar_id=master.calendar_id,
            organizer_id=master.organizer_id,
            ical_uid=master.ical_uid,
            instance_key=key,
            series_id=master.id,
            recurrence_id=rid,
            sequence=master.sequence + (1 if plan.times_changed else 0),
            created_by_id=plan.actor_id,
            **columns,
        )
    else:
        columns.update(
            version=row.version + 1,
            sequence=row.sequence + (1 if plan.times_changed else 0),
            cancelled=False,
            deleted_at=None,
        )
        await Event.filter(id=row.id).update(**columns)
        row = await Event.get(id=row.id)
    await _finish(tx, row, EventChange.UPDATED, plan.actor_id, times_changed=plan.times_changed)
    return master


async def do_end_series(master: Event, rid: datetime) -> dict[str, Any]:
    """The columns that end ``master`` just before ``rid`` (its RRULE's UNTIL, its dates)."""
    key = lambda d: _date_key(d, master)  # noqa: E731
    checked = await checked_times(
        Times(
            **{
                **{k: getattr(_times_of(master), k) for k in Times.__dataclass_fields__},
                "rrule": ended_rule(master, rid) if master.rrule else None,
                "rdates": [d for d in master.rdates or [] if key(d) < rid],
                "exdates": [d for d in master.exdates or [] if key(d) < rid],
            }
        )
    )
    return {
        "rrule": checked.rrule,
        "rdates": checked.rdates,
        "exdates": checked.exdates,
        "series_end_at": checked.series_end_at,
        "sequence": master.sequence + 1,
    }


async def _do_following(tx: Transaction, plan: Plan) -> Event:
    old = plan.target.master
    rid = plan.recurrence_id
    assert rid is not None and plan.checked is not None
    master = await claim(old, plan.version, **(await do_end_series(old, rid)))
    new = await Event.create(
        organization_id=old.organization_id,
        calendar_id=old.calendar_id,
        organizer_id=old.organizer_id,
        ical_uid=f"{uuid.uuid4()}@hello",
        split_from_id=old.id,
        created_by_id=plan.actor_id,
        sequence=0,
        ical_extra=dict(old.ical_extra or {}),
        **plan.details.columns(),
        **plan.checked.columns(),
    )
    await Event.filter(series_id=old.id, recurrence_id__gte=rid).update(
        series_id=new.id, ical_uid=new.ical_uid
    )
    attendees = await EventAttendee.filter(event_id=old.id).order_by("id")
    await EventAttendee.bulk_create(
        [
            EventAttendee(
                event_id=new.id,
                kind=a.kind,
                user_id=a.user_id,
                room_id=a.room_id,
                email=a.email,
                display_name=a.display_name,
                optional=a.optional,
                is_organizer=a.is_organizer,
                via_group_id=a.via_group_id,
                via_department_id=a.via_department_id,
                response=a.response,
                note=a.note,
                responded_at=a.responded_at,
                reminder_minutes=a.reminder_minutes,
                added_by_id=a.added_by_id,
            )
            for a in attendees
        ]
    )
    copied: list[Any] = await EventAttendee.filter(event_id=new.id).values_list("id", flat=True)
    remove_users: list[Any] = await EventAttendee.filter(id__in=plan.remove).values_list(
        "user_id", "room_id", "email"
    )
    remove_ids: list[Any] = []
    for user_id, room_id, email in remove_users:
        q = EventAttendee.filter(event_id=new.id, is_organizer=False)
        if user_id is not None:
            q = q.filter(user_id=user_id)
        elif room_id is not None:
            q = q.filter(room_id=room_id)
        else:
            q = q.filter(email=email)
        remove_ids.extend(await q.values_list("id", flat=True))
    added, removed, gone, emails = await do_attendee_changes(
        new, plan.invitees, [int(i) for i in remove_ids], plan.actor_id
    )
    await _finish(tx, master, EventChange.UPDATED, plan.actor_id, times_changed=True)
    await _finish(
        tx,
        new,
        EventChange.CREATED,
        plan.actor_id,
        times_changed=True,
        added=sorted({int(i) for i in copied} - set(removed)) + added,
        removed=removed,
        removed_emails=emails,
        also=gone,
    )
    return new
