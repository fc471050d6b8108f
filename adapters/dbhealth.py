"""A lost database connection: telling it from other faults, and knowing whether the operation
that met it may simply run again.

PostgreSQL connections die under us (a failover, ``pg_terminate_backend``, an idle timeout in a
proxy); the pool replaces them on the next acquire, so the request that met a dead one is
usually fine a moment later. Running it again is safe when nothing it did can have been kept:
a read, or writes whose transaction never committed (the server rolled them back when the
connection died). It is not safe once a COMMIT was sent, or a statement outside a transaction
wrote something (autocommit), even if the answer never came back.

This module is also the Tortoise engine for PostgreSQL (``client_class``): its client notes, in
the operation's ``Ledger``, every COMMIT and every autocommit write it sends.
"""

from __future__ import annotations

import contextlib
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError

RETRY_AFTER_SECONDS = 1
UNAVAILABLE_MESSAGE = "The database is unavailable for a moment; retry shortly."


def _lost_types() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        ConnectionError,  # refused, reset, broken pipe: before asyncpg wraps them
        DBConnectionError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
        asyncpg.exceptions.AdminShutdownError,
        asyncpg.exceptions.CrashShutdownError,
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.TooManyConnectionsError,
    )


_LOST = _lost_types()

# A pooled connection whose backend was terminated while it sat idle gets the server's FATAL
# outside any operation: asyncpg's protocol then waits, in its ERROR_CONSUME state (2), for a
# ReadyForQuery that never comes, and every statement fails with "cannot switch to state N;
# another operation (2) is in progress" until it reads EOF ("protocol is in the failed state"
# after that). Matched by message: the same class (InternalClientError) also reports genuine
# faults of ours or of the driver (a protocol violation, releasing a free pool holder), and
# InterfaceError's "cannot perform operation: another operation is in progress" is what two
# tasks sharing one connection get, a programming error; neither is a lost connection.
_STRANDED = re.compile(
    r"cannot switch to state \d+; (another operation \(2\) is in progress"
    r'|protocol is in the "failed" state)'
)


def _stranded(exc: BaseException) -> bool:
    import asyncpg

    return type(exc) is asyncpg.exceptions.InternalClientError and bool(
        _STRANDED.fullmatch(str(exc))
    )


def connection_lost(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an exception it was raised from, is a lost or refused connection."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, _LOST) or _stranded(exc):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The error a client gets instead of the driver's internals: typed, with when to retry."""
    return GraphQLError(
        UNAVAILABLE_MESSAGE,
        nodes=error.nodes if error is not None else None,
        path=error.path if error is not None else None,
        extensions={"code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS},
    )


async def renew_connections() -> None:
    """Have the pool replace every connection at its next use. A connection dies rarely
    alone (a failover or a restart ends them all), and asyncpg may hand out a dead one that it
    has not yet noticed, or one left mid-operation ("another operation is in progress")."""
    from tortoise import connections

    client = connections.get("default")
    expire = getattr(client, "_expire_connections", None)
    if expire is not None:
        await expire()


@dataclass
class Ledger:
    """What one attempt at an operation may have made durable."""

    may_have_written: bool = False


_ledger: ContextVar[Ledger | None] = ContextVar("hello_db_ledger", default=None)


class recording:  # lower case: used as the function it was, ``with recording() as ledger``
    """Note in a fresh ledger what the code run inside (and the tasks it starts) sends. A
    class rather than a ``@contextmanager`` generator: it runs around every operation."""

    __slots__ = ("ledger", "token")

    def __enter__(self) -> Ledger:
        ledger = self.ledger = Ledger()
        self.token = _ledger.set(ledger)
        return ledger

    def __exit__(self, *exc_info: object) -> None:
        _ledger.reset(self.token)


def _wrote() -> None:
    ledger = _ledger.get()
    if ledger is not None:
        ledger.may_have_written = True


def _reads_only(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


class _Transaction(TransactionWrapper):
    async def commit(self) -> None:
        # Before sending it: a COMMIT whose answer was lost may still have happened.
        _wrote()
        await super().commit()


class _TransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> Any:
        try:
            return await super().__aenter__()
        except BaseException:
            # Tortoise acquires the connection and makes it the task's current one *before*
            # BEGIN, and a failed ``__aenter__`` gets no ``__aexit__``. On a dead connection
            # BEGIN fails, and that connection would stay the task's: the view's retry would
            # run on it and fail with "connection is closed", an internal error, instead of
            # on a fresh one. Undo both.
            token = getattr(self, "token", None)
            if token is not None:
                get_connections().reset(token)
                with contextlib.suppress(Exception):
                    await self.client._parent._pool.release(self.client._connection)
            raise


class HelloAsyncpgClient(AsyncpgDBClient):
    """asyncpg, noting what would make a retry unsafe. Statements inside a transaction go
    through ``_Transaction`` and count only when it commits."""

    def _in_transaction(self) -> TransactionContext:
        return _TransactionContext(_Transaction(self), self._pool_init_lock)

    async def create_pool(self, **kwargs: Any) -> Any:
        # asyncpg's default reset sends a query on every release to the pool (advisory
        # unlock, CLOSE ALL, UNLISTEN, RESET ALL), and Tortoise releases after every statement
        # outside a transaction and after every transaction: one more round trip each, which
        # the caller waits for. We keep no session state (Drive's advisory locks are
        # transaction-scoped; nothing LISTENs, SETs or opens cursors), so the release only
        # does asyncpg's own part: an open transaction is still rolled back, listeners dropped.
        return await super().create_pool(reset=_keep_session, **kwargs)

    async def execute_insert(self, query: str, values: list) -> Any:
        _wrote()
        return await super().execute_insert(query, values)

    async def execute_many(self, query: str, values: list) -> None:
        _wrote()
        await super().execute_many(query, values)

    async def execute_script(self, query: str) -> None:
        _wrote()
        await super().execute_script(query)

    async def execute_query(self, query: str, values: list | None = None) -> Any:
        if not _reads_only(query):
            _wrote()
        return await super().execute_query(query, values)

    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        if not _reads_only(query):
            _wrote()
        return await super().execute_query_dict(query, values)


async def _keep_session(connection: Any) -> None:
    """The pool's reset: nothing beyond what asyncpg always does (see ``create_pool``)."""


client_class = HelloAsyncpgClient
ENGINE = __name__
