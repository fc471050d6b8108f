"""Two ``hello serve`` processes over one PostgreSQL database: updates of one event based on
the same version race, and exactly one wins; the others are CONFLICTs (``UPDATE … WHERE
version = ?`` decides in the database, not in a process)."""

from __future__ import annotations

import asyncio

import httpx

from models.calendar import Event
from tests.calendar.event_ops import UPDATE
from tests.calendar.helpers import event_ok, pk
from tests.client import Api
from tests.drive.processes import hello_serve
from tests.services import require_env


async def test_two_processes_one_winner(api: Api) -> None:
    require_env("HELLO_TEST_DATABASE_URL")  # two processes share a server database
    ada = await api.sign_up()
    event = await event_ok(
        api, ada, title="Plan", startAt="2026-03-02T09:00:00Z", endAt="2026-03-02T10:00:00Z"
    )
    headers = {"authorization": f"Bearer {ada.access_token}"}
    async with hello_serve() as (other, _), httpx.AsyncClient(base_url=other) as client:

        async def there(i: int) -> dict:  # type: ignore[type-arg]
            body = {
                "query": UPDATE,
                "variables": {"i": {"eventId": event["id"], "version": 1, "title": f"B{i}"}},
            }
            r = await client.post("/graphql", json=body, headers=headers, timeout=30)
            return r.json()["data"]["eventUpdate"]  # type: ignore[no-any-return]

        async def here(i: int) -> dict:  # type: ignore[type-arg]
            data = await api.gql(
                UPDATE,
                {"i": {"eventId": event["id"], "version": 1, "title": f"A{i}"}},
                token=ada.access_token,
            )
            return data["eventUpdate"]  # type: ignore[no-any-return]

        results = await asyncio.gather(*(f(i) for i in range(4) for f in (here, there)))
    winners = [r for r in results if not r["errors"]]
    assert len(winners) == 1, results
    assert all(r["errors"][0]["code"] == "CONFLICT" for r in results if r["errors"])
    row = await Event.get(id=pk(event["id"]))
    assert row.version == 2 and row.title == winners[0]["event"]["title"]
