"""Shared steps of the Calendar tests: events made through ``eventCreate``, ids, and grants
written directly for tests that are not about sharing."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.calendar import Calendar, CalendarGrant, CalendarGranteeKind, CalendarRole
from tests.client import Account, Api

EVENT_FIELDS = (
    "id hasDetails title description location allDay startAt endAt startDate endDate timeZone "
    "recurrence { rrule rdates exdates } recurrenceId cancelled visibility showAs color "
    "reminderMinutes guestsCanInvite guestsCanSeeGuests icalUid version "
    "calendar { id } attendees { kind displayName email optional isOrganizer response note "
    "user { id } }"
)
CREATE = (
    "mutation($i: EventCreateInput!) { eventCreate(input: $i) { event { "
    + EVENT_FIELDS
    + " } errors { code field message } } }"
)
CALENDARS = (
    "query { calendars { id name color timeZone isPrimary viewerRole version owner { id } } }"
)


def pk(global_id: str) -> int:
    """The database id behind a global ID."""
    return int(GlobalID.from_id(global_id).node_id)


async def create_event(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    """``eventCreate``'s payload (``event`` and ``errors``)."""
    data = await api.gql(CREATE, {"i": fields}, token=who.access_token)
    return data["eventCreate"]


async def event_ok(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    payload = await create_event(api, who, **fields)
    assert payload["errors"] == [], payload
    return payload["event"]


async def refused(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    """The one error of an ``eventCreate`` that must fail."""
    payload = await create_event(api, who, **fields)
    assert payload["event"] is None and len(payload["errors"]) == 1, payload
    return payload["errors"][0]


async def calendars(api: Api, who: Account) -> list[dict[str, Any]]:
    return (await api.gql(CALENDARS, token=who.access_token))["calendars"]


async def primary(api: Api, who: Account) -> dict[str, Any]:
    return next(c for c in await calendars(api, who) if c["isPrimary"])


async def grant(calendar_id: str, who: Account, role: CalendarRole) -> None:
    """Give ``who`` a role on a calendar directly in the database (for tests not about
    sharing; ``calendarShare`` is tested on its own)."""
    calendar = await Calendar.get(id=pk(calendar_id))
    await CalendarGrant.update_or_create(
        calendar_id=calendar.id,
        grantee_kind=CalendarGranteeKind.USER,
        grantee_id=pk(who.user_id),
        defaults={"role": role},
    )
