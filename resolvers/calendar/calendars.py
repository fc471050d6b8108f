"""Calendars themselves: create, update and (soft) delete them, and put someone else's calendar
in your list (``calendarSubscribe``) with your own color, shown or hidden.

Only a calendar's owners (its owner, or someone granted OWNER) change or delete it; a stale
``version`` is a CONFLICT, so two editors never overwrite each other silently. The primary
calendar cannot be deleted (PRIMARY_CALENDAR). A deleted calendar keeps its rows
(``deleted_at``): it disappears from every list and lookup at once, as if it never existed.

Every change is published as CALENDAR_CHANGED (``notify_calendar_change``) after commit, to the
people who have the calendar in view: its owner, the users granted a role on it directly, and
its subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from models.calendar import Calendar, CalendarGrant, CalendarGranteeKind, CalendarRole, Event
from models.calendar import CalendarSubscription as Subscription
from resolvers.calendar.access import access_calendar
from resolvers.calendar.errors import CalendarErrorCode
from resolvers.calendar.fields import check_color, check_text
from resolvers.calendar.hooks import EventSaved, event_saved
from resolvers.calendar.live import (
    CalendarChange,
    CalendarChanged,
    CalendarEventKind,
    EventChange,
)
from resolvers.calendar.publish import do_publish_event_change
from resolvers.calendar.queries import visible_calendars
from resolvers.calendar.recurrence import zone
from resolvers.core.channels import user_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction

MAX_NAME = 100
MAX_DESCRIPTION = 2000


@dataclass(slots=True)
class CalendarFields:
    """What ``calendarCreate`` sets and ``calendarUpdate`` may change (None: unchanged)."""

    name: str | None = None
    description: str | None = None
    color: str | None = None
    time_zone: str | None = None
    organization_role: CalendarRole | None = None
    clear_organization_role: bool = False
    """``calendarUpdate``: nobody in the organization gets a role without a grant."""


def check_calendar_fields(fields: CalendarFields) -> dict[str, Any]:
    """The columns to write, validated (input field names in errors)."""
    out: dict[str, Any] = {}
    if fields.name is not None:
        name = check_text(fields.name.strip(), MAX_NAME, "name")
        if not name:
            raise ValidationFailed("A calendar needs a name.", field="name")
        out["name"] = name
    if fields.description is not None:
        out["description"] = check_text(fields.description, MAX_DESCRIPTION, "description")
    if fields.color is not None:
        out["color"] = check_color(fields.color)
    if fields.time_zone is not None:
        zone(fields.time_zone)
        out["time_zone"] = fields.time_zone
    if fields.organization_role is not None:
        out["organization_role"] = fields.organization_role
    elif fields.clear_organization_role:
        out["organization_role"] = None
    return out


async def calendar_audience(calendar: Calendar) -> set[int]:
    """Who has the calendar in view: its owner, its direct user grantees, its subscribers."""
    people = {calendar.owner_id}
    granted: list[Any] = await CalendarGrant.filter(
        calendar_id=calendar.id, grantee_kind=CalendarGranteeKind.USER
    ).values_list("grantee_id", flat=True)
    people.update(int(u) for u in granted)
    subscribers: list[Any] = await Subscription.filter(calendar_id=calendar.id).values_list(
        "user_id", flat=True
    )
    people.update(int(u) for u in subscribers)
    return people


async def notify_calendar_change(
    tx: Transaction,
    calendar: Calendar,
    change: CalendarChange,
    actor_id: int,
    *,
    also: set[int] | None = None,
) -> None:
    """CALENDAR_CHANGED for everyone who has ``calendar`` in view (and ``also``: people who
    just lost it), after commit. It names no event, so free/busy readers may get it."""
    payload: CalendarChanged = {
        "type": CalendarEventKind.CALENDAR_CHANGED,
        "change": change.value,
        "calendarId": calendar.id,
        "organizationId": calendar.organization_id,
        "actorId": actor_id,
    }
    for user_id in (await calendar_audience(calendar)) | (also or set()):
        tx.publish(user_channel(user_id), payload)


def _conflict(calendar: Calendar) -> DomainError:
    return DomainError(
        f"The calendar changed meanwhile (now version {calendar.version}); reload and retry.",
        field="version",
        code=CalendarErrorCode.CONFLICT,
    )


# -- create, update, delete ---------------------------------------------------------------------


async def check_calendar_create(
    ctx: Context, fields: CalendarFields, idempotency_key: str | None
) -> tuple[Calendar, CalendarRole]:
    principal = require_principal(ctx)
    if fields.name is None:
        raise ValidationFailed("A calendar needs a name.", field="name")
    if fields.time_zone is None:
        fields.time_zone = principal.user.time_zone or "UTC"
    columns = check_calendar_fields(fields)

    async def create() -> Calendar:
        return await do_calendar_create(principal.organization_id, principal.user_id, columns)

    async def load(pk: int) -> Calendar | None:
        return await Calendar.filter(
            id=pk, organization_id=principal.organization_id, deleted_at=None
        ).first()

    calendar = await once(
        principal.user_id,
        "calendarCreate",
        idempotency_key,
        create,
        load,
        input={k: str(v) for k, v in columns.items()},
    )
    return calendar, CalendarRole.OWNER


async def do_calendar_create(
    organization_id: int, owner_id: int, columns: dict[str, Any]
) -> Calendar:
    async with transaction() as tx:
        calendar = await Calendar.create(
            organization_id=organization_id, owner_id=owner_id, **columns
        )
        await notify_calendar_change(tx, calendar, CalendarChange.CREATED, owner_id)
    return calendar


async def check_calendar_update(
    ctx: Context, calendar_id: int | None, version: int | None, fields: CalendarFields
) -> tuple[Calendar, CalendarRole]:
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, role = await access_calendar(ctx, calendar_id, CalendarRole.OWNER)
    columns = check_calendar_fields(fields)
    if version is not None and version != calendar.version:
        raise _conflict(calendar)
    return await do_calendar_update(calendar, calendar.version, columns, principal.user_id), role


async def do_calendar_update(
    calendar: Calendar, version: int, columns: dict[str, Any], actor_id: int
) -> Calendar:
    """Write ``columns`` if the calendar is still at ``version`` (a compare-and-set on the row,
    so of two concurrent writers exactly one wins and the other gets CONFLICT)."""
    async with transaction() as tx:
        changed = await Calendar.filter(id=calendar.id, version=version, deleted_at=None).update(
            **columns, version=version + 1, updated_at=now()
        )
        fresh = await Calendar.get(id=calendar.id)
        if not changed:
            raise _conflict(fresh)
        await notify_calendar_change(tx, fresh, CalendarChange.UPDATED, actor_id)
    return fresh


async def check_calendar_delete(
    ctx: Context, calendar_id: int | None, version: int | None
) -> Calendar:
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, _ = await access_calendar(ctx, calendar_id, CalendarRole.OWNER)
    if calendar.primary_of_id is not None:
        raise DomainError(
            "A primary calendar cannot be deleted.",
            field="calendarId",
            code=CalendarErrorCode.PRIMARY_CALENDAR,
        )
    if version is not None and version != calendar.version:
        raise _conflict(calendar)
    return await do_calendar_delete(calendar, calendar.version, principal.user_id)


async def do_calendar_delete(calendar: Calendar, version: int, actor_id: int) -> Calendar:
    """Soft delete of the calendar and its events: the rows stay (``deleted_at``), unreachable,
    so that an operator can undo an accidental delete; grants and subscriptions stay with
    them. Each deleted event goes through the save hooks (invitations are cancelled,
    reminders dropped) and is published as DELETED, as if deleted one by one."""
    async with transaction() as tx:
        at = now()
        changed = await Calendar.filter(id=calendar.id, version=version, deleted_at=None).update(
            deleted_at=at, version=version + 1, feed_token_hash=None
        )
        fresh = await Calendar.get(id=calendar.id)
        if not changed:
            raise _conflict(fresh)
        events = list(await Event.filter(calendar_id=calendar.id, deleted_at=None, series_id=None))
        await Event.filter(calendar_id=calendar.id, deleted_at=None).update(deleted_at=at)
        for event in events:
            event.deleted_at = at
            await event_saved(
                tx, EventSaved(event=event, change=EventChange.DELETED, actor_id=actor_id)
            )
            await do_publish_event_change(tx, EventChange.DELETED, event, actor_id)
        await notify_calendar_change(tx, fresh, CalendarChange.DELETED, actor_id)
    return fresh


# -- subscriptions ------------------------------------------------------------------------------


async def _visible(ctx: Context, calendar_id: int) -> tuple[Calendar, CalendarRole]:
    """A calendar the viewer has any role on (free/busy is enough to list it), or NOT_FOUND."""
    found = (await visible_calendars(ctx, [calendar_id]))[0]
    if found is None:
        raise NotFound(field="calendarId")
    return found


async def check_calendar_subscribe(
    ctx: Context, calendar_id: int | None, color: str | None, hidden: bool
) -> tuple[Calendar, CalendarRole]:
    """Put a calendar the viewer may see (any role) into their list. Their own calendars are
    always in it: subscribing to one is ALREADY_SUBSCRIBED, like subscribing twice."""
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, role = await _visible(ctx, calendar_id)
    color = check_color(color)
    already = DomainError(
        "The calendar is in your list already.",
        field="calendarId",
        code=CalendarErrorCode.ALREADY_SUBSCRIBED,
    )
    if (
        calendar.owner_id == principal.user_id
        or await Subscription.filter(user_id=principal.user_id, calendar_id=calendar.id).exists()
    ):
        raise already
    try:
        await do_calendar_subscribe(principal.user_id, calendar, color, hidden)
    except IntegrityError:
        raise already from None  # a concurrent subscribe of the same pair won
    return calendar, role


async def do_calendar_subscribe(
    user_id: int, calendar: Calendar, color: str | None, hidden: bool
) -> None:
    async with transaction() as tx:
        # A concurrent duplicate fails on the unique (user, calendar) pair and rolls back.
        await Subscription.create(
            user_id=user_id, calendar_id=calendar.id, color=color, hidden=hidden
        )
        tx.publish(
            user_channel(user_id),
            CalendarChanged(
                type=CalendarEventKind.CALENDAR_CHANGED,
                change=CalendarChange.UPDATED.value,
                calendarId=calendar.id,
                organizationId=calendar.organization_id,
                actorId=user_id,
            ),
        )


async def check_calendar_subscription_update(
    ctx: Context, calendar_id: int | None, color: str | None, hidden: bool | None
) -> tuple[Calendar, CalendarRole]:
    """Change the viewer's color or hidden flag of a calendar in their list."""
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, role = await _visible(ctx, calendar_id)
    color = check_color(color)
    row = await Subscription.filter(user_id=principal.user_id, calendar_id=calendar.id).first()
    if row is None:
        raise NotFound("You have not subscribed to this calendar.", field="calendarId")
    await do_calendar_subscription_update(row, color, hidden)
    return calendar, role


async def do_calendar_subscription_update(
    row: Subscription, color: str | None, hidden: bool | None
) -> None:
    async with transaction():
        if color is not None:
            row.color = color
        if hidden is not None:
            row.hidden = hidden
        await row.save(update_fields=["color", "hidden"])


async def check_calendar_unsubscribe(ctx: Context, calendar_id: int | None) -> None:
    """Take a calendar out of the viewer's list. One they may no longer see is NOT_FOUND, like
    one they never subscribed to (its subscription row is then simply never shown)."""
    principal = require_principal(ctx)
    if calendar_id is None:
        raise NotFound(field="calendarId")
    calendar, _ = await _visible(ctx, calendar_id)
    row = await Subscription.filter(user_id=principal.user_id, calendar_id=calendar.id).first()
    if row is None:
        raise NotFound("You have not subscribed to this calendar.", field="calendarId")
    await do_calendar_unsubscribe(row)


async def do_calendar_unsubscribe(row: Subscription) -> None:
    async with transaction():
        await row.delete()


async def subscriptions_of(user_id: int, calendar_ids: list[int]) -> list[Subscription | None]:
    """The user's subscription row of each calendar (None for none), in one query."""
    rows = {
        s.calendar_id: s
        for s in await Subscription.filter(user_id=user_id, calendar_id__in=calendar_ids)
    }
    return [rows.get(i) for i in calendar_ids]
