"""Issue 14: validated access tokens are remembered for ``HELLO_AUTH_CACHE_SECONDS``, and
whatever could make one invalid clears them (resolvers/identity/auth_cache.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from adapters import runtime
from models.identity import User
from resolvers.core.channels import AUTH_CHANNEL
from resolvers.core.tx import transaction
from resolvers.identity import auth_cache
from resolvers.identity.auth_cache import AuthCache
from resolvers.identity.events import IdentityEventKind
from tests.client import Api, count_queries
from tests.drive.processes import hello_serve
from tests.services import require_env
from tests.timing import FakeClock, eventually

VIEWER = "{ viewer { id displayName role } }"
SIGN_OUT = "mutation { signOut { signedOut errors { code } } }"


def test_an_entry_lives_at_most_the_ttl() -> None:
    clock = FakeClock()
    memory = AuthCache(1.0, clock)
    memory.put("k", {"row": 1}, memory.epoch)
    clock.advance(0.999)
    assert memory.get("k") == {"row": 1}
    clock.advance(0.001)
    assert memory.get("k") is None
    assert len(memory) == 0


def test_a_row_read_across_a_change_is_not_kept() -> None:
    memory = AuthCache(1.0, FakeClock())
    epoch = memory.epoch  # before the read
    memory.forget_all()  # a revocation lands while the row is being read
    memory.put("k", {"row": "old"}, epoch)
    assert memory.get("k") is None
    memory.put("k", {"row": "new"}, memory.epoch)
    assert memory.get("k") == {"row": "new"}


def test_zero_seconds_remembers_nothing() -> None:
    memory = AuthCache(0, FakeClock())
    memory.put("k", {"row": 1}, memory.epoch)
    assert memory.get("k") is None


@pytest.fixture
def long_memory() -> Iterator[None]:
    """Tokens remembered for an hour, so a busy machine cannot let one lapse mid-test."""
    memory = auth_cache.cache()
    ttl, memory.ttl = memory.ttl, 3600.0
    try:
        yield
    finally:
        memory.ttl = ttl


async def test_a_remembered_token_costs_no_query(api: Api, long_memory: None) -> None:
    account = await api.sign_up()
    with count_queries() as cold:  # starts with nothing remembered
        await api.gql(VIEWER, token=account.access_token)
    with count_queries(forget_tokens=False) as warm:
        await api.gql(VIEWER, token=account.access_token)
    # The authentication query is the one the second request did not make.
    assert len(warm) == len(cold) - 1, (cold, warm)
    assert not [q for q in warm if "token_hash" in q], warm


async def test_sign_out_and_changes_to_the_user_take_effect_at_once(api: Api) -> None:
    account = await api.sign_up()
    await api.gql(VIEWER, token=account.access_token)  # remembered now
    # A change to the user through the API is seen by the next request
    await api.gql(
        'mutation { viewerUpdate(input: {displayName: "Grace"}) { errors { code } } }',
        token=account.access_token,
    )
    assert (await api.gql(VIEWER, token=account.access_token))["viewer"]["displayName"] == "Grace"
    # So is a write to the user made elsewhere in the process (a save fires the signal)
    pk = int((await User.filter(email=account.email).values_list("id", flat=True))[0])
    user = await User.get(id=pk)
    user.display_name = "Ada again"
    async with transaction():
        await user.save(update_fields=["display_name"])
    assert (await api.gql(VIEWER, token=account.access_token))["viewer"][
        "displayName"
    ] == "Ada again"
    # And signing out refuses the remembered token on the very next request
    assert (await api.gql(SIGN_OUT, token=account.access_token))["signOut"]["signedOut"]
    assert (await api.post(VIEWER, token=account.access_token)).status_code == 401


async def test_a_deactivated_member_is_refused_at_once(api: Api, long_memory: None) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    await api.gql(VIEWER, token=member.access_token)  # remembered for an hour
    out = await api.gql(
        "mutation($id: ID!) { userDeactivate(input: {userId: $id}) { errors { code } } }",
        {"id": member.user_id},
        token=owner.access_token,
    )
    assert out["userDeactivate"]["errors"] == []
    assert (await api.post(VIEWER, token=member.access_token)).status_code == 401


async def test_a_revocation_on_another_process_reaches_this_one_on_the_bus(
    api: Api, long_memory: None
) -> None:
    require_env("HELLO_TEST_REDIS_URL")  # the bus between two processes
    # Given a token this process remembers for far longer than the test takes
    account = await api.sign_up()
    await api.gql(VIEWER, token=account.access_token)
    # When the session is signed out on another process
    async with hello_serve() as (other, _), httpx.AsyncClient(base_url=other) as client:
        r = await client.post(
            "/graphql",
            json={"query": SIGN_OUT},
            headers={"authorization": f"Bearer {account.access_token}"},
        )
        assert r.json()["data"]["signOut"]["signedOut"] is True

        # Then this process refuses it as soon as the revocation arrives
        async def refused() -> bool:
            return (await api.post(VIEWER, token=account.access_token)).status_code == 401

        await eventually(refused, timeout=10, interval=0.05, what="the revocation")


class Link:
    """A bus link for the cache: heard without a break since ``since``, or not (None)."""

    def __init__(self) -> None:
        self.since: float | None = 0.0

    def __call__(self) -> float | None:
        return self.since


def test_an_entry_lives_longer_while_the_bus_is_heard_without_a_break() -> None:
    clock, link = FakeClock(), Link()
    memory = AuthCache(1.0, clock, linked_ttl=60.0, link=link)
    clock.advance(5)
    memory.put("k", {"row": 1}, memory.epoch)
    clock.advance(59.9)
    assert memory.get("k") == {"row": 1}
    clock.advance(0.1)
    assert memory.get("k") is None


def test_a_lost_link_brings_every_entry_back_to_the_ttl() -> None:
    clock, link = FakeClock(), Link()
    memory = AuthCache(1.0, clock, linked_ttl=60.0, link=link)
    memory.put("k", {"row": 1}, memory.epoch)
    clock.advance(2)
    link.since = None  # the connection dropped: a revocation may be missed
    assert memory.get("k") is None
    # Read while the link is down: the TTL only, even once it is back
    memory.put("k", {"row": 2}, memory.epoch)
    clock.advance(0.5)
    link.since = clock()
    assert memory.get("k") == {"row": 2}
    clock.advance(0.5)
    assert memory.get("k") is None


def test_an_entry_read_before_an_outage_is_not_trusted_after_it() -> None:
    clock, link = FakeClock(), Link()
    memory = AuthCache(1.0, clock, linked_ttl=60.0, link=link)
    memory.put("k", {"row": 1}, memory.epoch)
    clock.advance(3)
    link.since = clock()  # reconnected: what came between may be missed
    clock.advance(1)
    assert memory.get("k") is None


async def test_a_change_to_a_user_is_told_to_every_process(api: Api) -> None:
    # Given a subscriber of the auth channel (every process has one, server/sockets.py)
    account = await api.sign_up()
    user = await User.get(email=account.email)
    bus = runtime.current().bus
    got: list[dict[str, object]] = []
    async with bus.subscribe(AUTH_CHANNEL) as sub:

        async def pump() -> None:
            async for event in sub:
                got.append(event)

        task = asyncio.create_task(pump())
        try:
            # When a user is saved in a transaction
            async with transaction():
                await user.save(update_fields=["display_name"])
            # Then the others hear of it once, after the commit
            await eventually(
                lambda: any(e["type"] == IdentityEventKind.CREDENTIALS_CHANGED for e in got),
                what="credentials.changed",
            )
        finally:
            task.cancel()
