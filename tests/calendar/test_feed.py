"""A calendar's private iCalendar feed: made and remade by its owner, read without signing in
as a reader would see it, cached by ETag, revoked, rate limited."""

from __future__ import annotations

from typing import Any

import icalendar

from adapters.settings import get_settings
from models.calendar import Calendar
from tests.calendar.helpers import event_ok, pk, primary
from tests.client import Account, Api

RESET = (
    "mutation($i: CalendarFeedResetInput!) { calendarFeedReset(input: $i) { url "
    "calendar { id } errors { code field } } }"
)
REVOKE = (
    "mutation($i: CalendarFeedRevokeInput!) { calendarFeedRevoke(input: $i) { calendar { id } "
    "errors { code field } } }"
)
WHEN = {"startAt": "2026-03-02T14:00:00Z", "endAt": "2026-03-02T15:00:00Z"}


async def reset(api: Api, who: Account, calendar_id: str) -> dict[str, Any]:
    data = await api.gql(RESET, {"i": {"calendarId": calendar_id}}, token=who.access_token)
    return data["calendarFeedReset"]


def path_of(url: str) -> str:
    return url[url.index("/calendar/feeds/") :]


async def test_the_feed_shows_what_a_reader_sees(api: Api) -> None:
    ada = await api.sign_up()
    cal = (await primary(api, ada))["id"]
    await event_ok(api, ada, title="Plan", **WHEN)
    await event_ok(api, ada, title="Doctor", visibility="PRIVATE", **WHEN)
    p = await reset(api, ada, cal)
    assert p["errors"] == [] and p["url"].endswith(".ics")
    token = p["url"].rsplit("/", 1)[1].removesuffix(".ics")
    row = await Calendar.get(id=pk(cal))
    assert row.feed_token_hash and token not in row.feed_token_hash  # only a hash is kept

    r = await api.http.get(path_of(p["url"]))  # no credentials
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert r.headers["etag"] and r.headers["last-modified"].endswith("GMT")
    parsed = icalendar.Calendar.from_ical(r.text)
    assert sorted(str(v.get("SUMMARY", "")) for v in parsed.walk("VEVENT")) == ["", "Plan"]

    cached = await api.http.get(path_of(p["url"]), headers={"if-none-match": r.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    await event_ok(api, ada, title="New", **WHEN)
    fresh = await api.http.get(path_of(p["url"]), headers={"if-none-match": r.headers["etag"]})
    assert fresh.status_code == 200 and "New" in fresh.text


async def test_reset_replaces_and_revoke_ends_the_url(api: Api) -> None:
    ada = await api.sign_up()
    cal = (await primary(api, ada))["id"]
    first = (await reset(api, ada, cal))["url"]
    second = (await reset(api, ada, cal))["url"]
    assert first != second
    assert (await api.http.get(path_of(first))).status_code == 404
    assert (await api.http.get(path_of(second))).status_code == 200
    p = await api.gql(REVOKE, {"i": {"calendarId": cal}}, token=ada.access_token)
    assert p["calendarFeedRevoke"]["errors"] == []
    assert (await api.http.get(path_of(second))).status_code == 404
    assert (await api.http.get("/calendar/feeds/hcf_unknown.ics")).status_code == 404
    assert (await Calendar.get(id=pk(cal))).feed_token_hash is None


async def test_owners_only(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    stranger = await api.sign_up(organization="Other")
    cal = (await primary(api, ada))["id"]
    assert (await reset(api, bob, cal))["errors"] == [{"code": "FORBIDDEN", "field": "calendarId"}]
    assert (await reset(api, stranger, cal))["errors"] == [
        {"code": "NOT_FOUND", "field": "calendarId"}
    ]
    assert (await Calendar.get(id=pk(cal))).feed_token_hash is None


async def test_rate_limited(api: Api, monkeypatch: Any) -> None:
    monkeypatch.setattr(get_settings(), "incoming_webhook_rate_capacity", 2)
    monkeypatch.setattr(get_settings(), "incoming_webhook_rate_refill_per_second", 0.01)
    ada = await api.sign_up()
    url = path_of((await reset(api, ada, (await primary(api, ada))["id"]))["url"])
    codes = [(await api.http.get(url)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = await api.http.get(url)
    assert int(limited.headers["retry-after"]) >= 1
