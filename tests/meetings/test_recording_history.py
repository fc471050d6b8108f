"""Meeting history for reports: the meetings one took part in, newest first, with their start,
end, duration and who was in them when (everyone's intervals for the host, one's own for an
attendee); nothing of meetings one was not in, nor of another organization's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.client import Account, Api, count_queries
from tests.meetings.helpers import LEAVE, create_meeting, join_ok

HISTORY = """query($first: Int, $after: String) { meetingHistory(first: $first, after: $after) {
  edges { cursor node { id topic status startedAt endedAt durationSeconds
    attendance { joinedAt leftAt participant { displayName } } } }
  pageInfo { hasNextPage endCursor } } }"""


async def _history(api: Api, who: Account, **page: Any) -> dict[str, Any]:
    return (await api.gql(HISTORY, page, token=who.access_token))["meetingHistory"]


async def _leave(api: Api, who: Account, meeting_id: str) -> None:
    left = (await api.gql(LEAVE, {"m": meeting_id}, token=who.access_token))["meetingLeave"]
    assert left["errors"] == [], left["errors"]


async def test_history_lists_the_meetings_one_attended_with_who_was_there_when(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    eve = await api.sign_up(organization="Other")
    first = await create_meeting(api, ada, topic="Planning")
    await join_ok(api, ada, first["id"])
    await join_ok(api, bob, None, number=first["number"])
    await _leave(api, bob, first["id"])
    await join_ok(api, bob, first["id"])  # Bob comes back: a second interval
    await _leave(api, bob, first["id"])
    await _leave(api, ada, first["id"])  # the last one out ends it
    second = await create_meeting(api, ada, topic="Retro")
    await join_ok(api, ada, second["id"])

    # Ada hosted both: newest start first, everyone's intervals.
    mine = await _history(api, ada)
    nodes = [e["node"] for e in mine["edges"]]
    assert [n["topic"] for n in nodes] == ["Retro", "Planning"]
    live, done = nodes
    assert live["status"] == "LIVE" and live["endedAt"] is None
    assert done["status"] == "ENDED" and done["durationSeconds"] is not None
    started, ended = (datetime.fromisoformat(done[k]) for k in ("startedAt", "endedAt"))
    assert done["durationSeconds"] == int((ended - started).total_seconds())
    who = [a["participant"]["displayName"] for a in done["attendance"]]
    assert sorted(who) == ["Ada", "Bob", "Bob"]
    assert all(a["leftAt"] is not None for a in done["attendance"])

    # Bob attended the first only, and sees his own two intervals of it.
    his = [e["node"] for e in (await _history(api, bob))["edges"]]
    assert [n["topic"] for n in his] == ["Planning"]
    assert [a["participant"]["displayName"] for a in his[0]["attendance"]] == ["Bob", "Bob"]

    # Cat was in neither; another organization sees nothing.
    assert (await _history(api, cat))["edges"] == []
    assert (await _history(api, eve))["edges"] == []

    # Keyset pages.
    page = await _history(api, ada, first=1)
    assert [e["node"]["topic"] for e in page["edges"]] == ["Retro"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _history(api, ada, first=1, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["topic"] for e in rest["edges"]] == ["Planning"]
    assert rest["pageInfo"]["hasNextPage"] is False


COUNTED = """query($first: Int) { meetingHistory(first: $first) { edges { node { id
  durationSeconds attendance { joinedAt leftAt } recordings { id state } } } } }"""


async def test_a_page_of_history_costs_the_same_queries_whatever_its_size(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    for topic in ("One", "Two", "Three"):
        meeting = await create_meeting(api, ada, topic=topic)
        await join_ok(api, ada, meeting["id"])
        await join_ok(api, bob, None, number=meeting["number"])
        await _leave(api, bob, meeting["id"])
        await _leave(api, ada, meeting["id"])
    counts = []
    for first in (1, 3):
        with count_queries() as statements:
            got = await api.gql(COUNTED, {"first": first}, token=ada.access_token)
        nodes = [e["node"] for e in got["meetingHistory"]["edges"]]
        assert len(nodes) == first and all(len(n["attendance"]) == 2 for n in nodes)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
