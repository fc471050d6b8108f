"""Steps of the event-life tests: the window query, eventUpdate, eventDelete, eventRespond."""

from __future__ import annotations

from typing import Any

from tests.calendar.helpers import EVENT_FIELDS
from tests.client import Account, Api

OCCURRENCE_FIELDS = (
    "id recurrenceId startAt endAt allDay startDate endDate hasDetails title location showAs "
    "color viewerResponse event { id title hasDetails version } calendar { id }"
)
EVENTS = (
    "query($c: [ID!]!, $f: DateTime!, $t: DateTime!) { events(calendarIds: $c, from: $f, to: $t) "
    "{ " + OCCURRENCE_FIELDS + " } }"
)


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ event {{ "
        + EVENT_FIELDS
        + " responseTally { accepted declined tentative needsAction } } "
        "errors { code field message } } }"
    )


UPDATE = _mutation("eventUpdate", "EventUpdateInput")
DELETE = _mutation("eventDelete", "EventDeleteInput")
RESPOND = _mutation("eventRespond", "EventRespondInput")


async def window(
    api: Api, who: Account, calendar_ids: list[str], start: str, end: str
) -> list[dict[str, Any]]:
    data = await api.gql(EVENTS, {"c": calendar_ids, "f": start, "t": end}, token=who.access_token)
    return data["events"]  # type: ignore[no-any-return]


async def window_error(
    api: Api, who: Account, calendar_ids: list[str], start: str, end: str
) -> dict[str, Any]:
    r = await api.post(EVENTS, {"c": calendar_ids, "f": start, "t": end}, token=who.access_token)
    body = r.json()
    assert body.get("errors"), body
    return body["errors"][0]  # type: ignore[no-any-return]


async def update(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    return (await api.gql(UPDATE, {"i": fields}, token=who.access_token))["eventUpdate"]  # type: ignore[no-any-return]


async def update_ok(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    payload = await update(api, who, **fields)
    assert payload["errors"] == [], payload
    return payload["event"]  # type: ignore[no-any-return]


async def delete(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    return (await api.gql(DELETE, {"i": fields}, token=who.access_token))["eventDelete"]  # type: ignore[no-any-return]


async def respond(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    return (await api.gql(RESPOND, {"i": fields}, token=who.access_token))["eventRespond"]  # type: ignore[no-any-return]
