"""Lost PostgreSQL connections (reliability review, issue 12 item 4): the next requests answer
in the GraphQL JSON shape, either retried on a fresh connection or SERVICE_UNAVAILABLE with
``Retry-After``; never uvicorn's plain-text 500. A write is retried only if nothing of it can
have been committed, so a retry never doubles it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from adapters.settings import get_settings
from models.messenger import Message
from tests.client import Account, Api
from tests.messenger.helpers import SEND, group
from tests.services import missing

ROUNDS = 6


@pytest.fixture
async def terminator(server: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of our own to the test's database, to end the app's other connections."""
    if not os.environ.get("HELLO_TEST_DATABASE_URL"):
        missing("HELLO_TEST_DATABASE_URL is not set: no PostgreSQL connections to terminate")
    url = urlsplit(get_settings().resolved_database_url())
    conn = await asyncpg.connect(urlunsplit(url._replace(scheme="postgresql", query="")))
    try:
        yield conn
    finally:
        await conn.close()


async def terminate_app_connections(conn: asyncpg.Connection) -> int:
    # Only backends of this test run's own database, never anyone else's; never ourselves.
    return await conn.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )


def assert_graphql_json(r: httpx.Response) -> dict:
    assert r.headers["content-type"].startswith("application/json"), (r.status_code, r.text)
    body = r.json()
    if r.status_code == 503:
        assert int(r.headers["retry-after"]) >= 1
        assert {e["extensions"]["code"] for e in body["errors"]} == {"SERVICE_UNAVAILABLE"}
        assert "asyncpg" not in r.text and "terminating" not in r.text
    else:
        assert r.status_code == 200, r.text
        assert "errors" not in body, body
    return body


async def test_requests_after_connections_die_answer_json(
    api: Api, terminator: asyncpg.Connection
) -> None:
    a = await api.sign_up()
    answered = 0
    for _ in range(ROUNDS):
        # Given the app's pooled connections were just terminated
        assert await terminate_app_connections(terminator) >= 1
        # When a signed-in client asks (authentication, then the operation, both read)
        r = await api.post("{ viewer { id organization { name } } }", token=a.access_token)
        # Then the answer is GraphQL JSON: a retried success, or SERVICE_UNAVAILABLE
        body = assert_graphql_json(r)
        if r.status_code == 200:
            answered += 1
            assert body["data"]["viewer"]["id"] == a.user_id
    # Reads are safe to retry: with a fresh connection a moment later, they succeed.
    assert answered == ROUNDS


async def cut_off_while_waiting(
    conn: asyncpg.Connection, table: str, request: Awaitable[httpx.Response]
) -> httpx.Response:
    """Send ``request`` while ``table`` is locked, so that its statement on ``table`` waits;
    terminate the app's connection that waits there, then let go of the lock."""
    async with conn.transaction():
        await conn.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        task = asyncio.ensure_future(request)
        async with asyncio.timeout(10):
            while not (waiting := await waiting_pids(conn)):
                await asyncio.sleep(0.02)
        for pid in waiting:
            await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    return await task


async def waiting_pids(conn: asyncpg.Connection) -> set[int]:
    # Only backends of this test run's own database, and only those waiting for our lock.
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    return {r["pid"] for r in rows}


async def test_a_read_cut_off_midway_is_retried(api: Api, terminator: asyncpg.Connection) -> None:
    a = await api.sign_up()
    query = "{ viewer { id organization { name } } }"
    r = await cut_off_while_waiting(
        terminator, "organization", api.post(query, token=a.access_token)
    )
    body = assert_graphql_json(r)
    assert r.status_code == 200
    assert body["data"]["viewer"]["organization"]["name"] == "Acme"


async def test_a_write_cut_off_before_its_commit_is_retried_once(
    api: Api, terminator: asyncpg.Connection
) -> None:
    a = await api.sign_up()
    b = await api.add_member(a)
    chat = await group(api, a, [b])
    request = api.post(SEND, {"i": {"chatId": chat, "text": "once"}}, token=a.access_token)
    r = await cut_off_while_waiting(terminator, "message", request)
    body = assert_graphql_json(r)
    # Its transaction never committed, so running it again was safe: it succeeded, once.
    assert r.status_code == 200
    assert body["data"]["messageSend"]["errors"] == []
    assert await Message.filter(chat_id=await chat_pk(chat), text="once").count() == 1


async def test_a_write_that_met_a_dead_connection_is_never_doubled(
    api: Api, terminator: asyncpg.Connection
) -> None:
    a = await api.sign_up()
    b = await api.add_member(a)
    chat = await group(api, a, [b])
    sent: list[str] = []
    for n in range(ROUNDS):
        await terminate_app_connections(terminator)
        r = await api.post(SEND, {"i": {"chatId": chat, "text": f"m{n}"}}, token=a.access_token)
        body = assert_graphql_json(r)
        if r.status_code == 200:
            assert body["data"]["messageSend"]["errors"] == []
            sent.append(f"m{n}")
    texts = [m.text for m in await Message.filter(chat_id=await chat_pk(chat)).order_by("seq")]
    # Each message at most once; every one reported as sent is there.
    assert len(texts) == len(set(texts)), texts
    assert set(sent) <= set(texts)


async def chat_pk(chat_id: str) -> int:
    from graphql_schema.core.node import decode_id

    pk = decode_id(chat_id, "Chat")
    assert pk is not None
    return pk


async def test_sign_in_after_connections_die_answers_json(
    api: Api, terminator: asyncpg.Connection
) -> None:
    a: Account = await api.sign_up()
    for _ in range(3):
        await terminate_app_connections(terminator)
        r = await api.post(
            "mutation($i: SignInInput!) { signIn(input: $i) { accessToken errors { code } } }",
            {"i": {"email": a.email, "password": a.password}},
        )
        assert_graphql_json(r)


async def test_the_ledger_tells_what_may_have_been_committed(
    api: Api, terminator: asyncpg.Connection
) -> None:
    from tortoise.transactions import in_transaction

    from adapters.dbhealth import recording
    from models.identity import Organization

    with recording() as ledger:
        await Organization.filter(id=-1).first()
        async with in_transaction():
            await Organization.filter(id=-1).update(name="x")
            await Organization.filter(id=-1).first()
    with recording() as rolled_back:
        try:
            async with in_transaction():
                await Organization.filter(id=-1).update(name="x")
                raise LookupError
        except LookupError:
            pass
    with recording() as autocommit:
        await Organization.filter(id=-1).update(name="x")
    # Reads never count; writes count once their transaction commits, or at once without one.
    assert (ledger.may_have_written, rolled_back.may_have_written) == (True, False)
    assert autocommit.may_have_written
    with recording() as reads:
        await Organization.filter(id=-1).first()
    assert not reads.may_have_written


async def test_a_transaction_that_met_a_dead_connection_leaves_the_retry_a_fresh_one(
    api: Api, terminator: asyncpg.Connection
) -> None:
    """The view retries an operation in the task where its first attempt failed. A transaction
    whose BEGIN met a dead connection used to stay that task's connection, so the retry failed
    with "connection is closed" (an INTERNAL_SERVER_ERROR under ``make chaos`` pg-terminate)."""
    from tortoise.transactions import in_transaction

    from adapters.dbhealth import connection_lost, renew_connections
    from models.identity import Organization

    a = await api.sign_up(organization="Retried Inc")
    failed = 0
    for _ in range(ROUNDS * 2):
        # Given the app's pooled connections were just terminated
        await terminate_app_connections(terminator)
        # When a transaction starts, as an operation's first attempt does
        try:
            async with in_transaction():
                await Organization.filter(id=-1).first()
        except Exception as e:
            # Then whatever it met is a lost connection (so the view retries, or answers
            # SERVICE_UNAVAILABLE), never an internal error
            assert connection_lost(e), repr(e)
            failed += 1
        # and the same task's next transaction, the retry, runs on a fresh connection
        await renew_connections()
        async with in_transaction():
            assert await Organization.filter(name="Retried Inc").count() >= 1
    assert failed >= 1  # the termination did strike a first attempt
    assert a.organization_id


async def test_two_queries_at_once_on_one_connection_are_not_a_lost_connection(
    terminator: asyncpg.Connection,
) -> None:
    from adapters.dbhealth import connection_lost

    # Given a query running on a connection
    busy = asyncio.ensure_future(terminator.fetchval("SELECT pg_sleep(0.3)"))
    await asyncio.sleep(0.05)
    # When another one uses the same connection at the same time (a programming error)
    with pytest.raises(asyncpg.InterfaceError) as caught:
        await terminator.fetchval("SELECT 1")
    await busy
    # Then asyncpg's "another operation is in progress" is not taken for a lost connection
    # (which would retry it, or hide it as SERVICE_UNAVAILABLE): it stays an internal error
    assert "another operation is in progress" in str(caught.value)
    assert not connection_lost(caught.value)
    # and the connection is fine afterwards
    assert await terminator.fetchval("SELECT 1") == 1
