"""Transactions whose events are published only after commit.

``async with transaction() as tx: ...; tx.publish(channel, event)``: events recorded inside are
sent to the bus after the outermost transaction commits and dropped if it rolls back, so no
client ever sees a write that did not happen. A nested ``transaction()`` is a savepoint with
its own events and after-commit actions: they join the enclosing transaction only if the nested
block succeeds, so a caller that catches a nested failure does not publish what rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from adapters import runtime

log = logging.getLogger("hello.events")


@dataclass
class Transaction:
    events: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    after: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        self.events.append((channel, event))

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once the outermost transaction has committed (never on rollback):
        for side effects outside the database, such as deleting blobs nothing refers to."""
        self.after.append(action)


_current: ContextVar[Transaction | None] = ContextVar("hello_tx", default=None)

BeforeCommit = Callable[[Transaction], Awaitable[None]]
_before_commit: list[BeforeCommit] = []


def add_before_commit_hook(hook: BeforeCommit) -> None:
    """Run ``hook(tx)`` at the end of every outermost transaction that recorded events, inside
    it, just before it commits: what the hook writes commits or rolls back with the events
    (webhook deliveries are enqueued this way). Registered by ``server/`` at start-up, since
    core may not import the modules that need it. A hook must be cheap when it has nothing to
    do: it runs in every write."""
    if hook not in _before_commit:
        _before_commit.append(hook)


def current() -> Transaction | None:
    """The transaction this code runs in, innermost first, or None outside one."""
    return _current.get()


@asynccontextmanager
async def transaction() -> AsyncIterator[Transaction]:
    outer = _current.get()
    if outer is not None:
        # Nested: a savepoint. Its events wait apart until it is released (an exception skips
        # the merge below), then ride on the outer transaction, whose commit publishes them.
        nested = Transaction()
        token = _current.set(nested)
        try:
            async with in_transaction():
                yield nested
        finally:
            _current.reset(token)
        outer.events.extend(nested.events)
        outer.after.extend(nested.after)
        return
    tx = Transaction()
    token = _current.set(tx)
    try:
        async with in_transaction():
            yield tx
            # Reached only when the block succeeded: hooks see exactly what will commit.
            if tx.events:
                for hook in _before_commit:
                    await hook(tx)
    finally:
        _current.reset(token)
    await publish_events(tx.events)
    for action in tx.after:
        try:
            await action()
        except Exception:
            log.exception("an after-commit action failed")


async def publish_events(events: list[tuple[str, Mapping[str, Any]]]) -> None:
    services = runtime.maybe_current()
    if services is None:
        # A command-line tool without a running server: nobody can be subscribed.
        return
    for channel, event in events:
        try:
            await services.bus.publish(channel, event)
        except Exception:
            # The write is committed; a lost live event must not turn it into an error.
            # Clients recover state on reconnect (replay by sequence, refetch).
            log.exception("publishing %s after commit failed", channel)
