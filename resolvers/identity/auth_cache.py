"""Validated access tokens, remembered (``HELLO_AUTH_CACHE_SECONDS``, 1 s, and up to
``HELLO_AUTH_CACHE_LINKED_SECONDS``, 5 s, while the bus is heard without a break).

Every request and every WebSocket authenticates, and a busy client sends many requests a second
with one token: the cache answers those from memory instead of one query each. It holds the row
``authenticate`` read (token, session and user columns), never a model object: each request
builds its own ``User`` from it, so nothing one request changes leaks into another.

An entry is dropped as soon as this process learns that what it was read from changed:

- a write in this process to a user, a sign-in session or a token (a model's save or delete,
  through the signals below, or a queryset update that calls ``forget_all``) clears the cache at
  once and again after its transaction commits, so a request that read the old row between the
  write and the commit cannot keep it; the same signals tell every other process on the auth
  channel (``credentials.changed``, after the commit);
- a revocation on another process reaches this one on the bus (``sessions.revoked`` on the auth
  channel, which ``server/sockets.py`` also closes sockets on) and clears it.

How long an entry may live otherwise depends on whether this process would have heard of a
change. While the auth channel has been heard without a break since the entry was read
(``EventBus.link_since``: Redis connected and the channel confirmed all along, or the
in-process bus), every change made since reached this process and cleared the entry, so it
lives up to ``linked_ttl``: a member sending every few seconds is not looked up again each time.
Otherwise (no bus, the connection lost even for a moment, an entry read while it was down) it
lives at most ``ttl``, which bounds what a process can miss. So a revoked session is refused
everywhere within ``HELLO_AUTH_CACHE_SECONDS``, and at once where the bus carries the revocation.
Clearing everything is coarse on purpose: these writes are rare next to reads, and a precise
index (token by session, by user) would be one more thing to keep right.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tortoise.signals import post_delete, post_save

from adapters.settings import get_settings
from models.identity import AuthSession, AuthToken, User
from resolvers.core import tx
from resolvers.identity import events

Row = dict[str, Any]

MAX_ENTRIES = 100_000
"""Far above the tokens one process sees within a second; a flood of distinct tokens clears
the cache instead of growing it."""


def unlinked() -> float | None:
    """The link of a process that hears no bus: every entry lives at most the TTL."""
    return None


class AuthCache:
    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        linked_ttl: float = 0.0,
        link: Callable[[], float | None] = unlinked,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        # ``link``: since when (on ``clock``) every change would have reached this process, or
        # None while that is not so (``EventBus.link_since`` of the auth channel).
        self.linked_ttl = linked_ttl
        self.link = link
        self.epoch = 0
        self._entries: dict[str, tuple[float, Row]] = {}

    def get(self, key: str) -> Row | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, row = entry
        age = self.clock() - stored_at
        if age < self.ttl:
            return row
        if age < self.linked_ttl:
            since = self.link()
            if since is not None and since <= stored_at:
                return row  # heard without a break since it was read: nothing changed
        del self._entries[key]
        return None

    def put(self, key: str, row: Row, epoch: int) -> None:
        """Remember ``row`` read for ``key`` if nothing was forgotten since ``epoch`` (the
        epoch before the read): a row read across a write is not kept."""
        if self.ttl <= 0 or epoch != self.epoch:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (self.clock(), row)

    def forget_all(self) -> None:
        self.epoch += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_cache: AuthCache | None = None


def cache() -> AuthCache:
    """The process's cache, with the TTL of the settings when first asked."""
    global _cache
    if _cache is None:
        settings = get_settings()
        _cache = AuthCache(
            settings.auth_cache_seconds, linked_ttl=settings.auth_cache_linked_seconds
        )
    return _cache


def forget_all() -> None:
    """Drop every entry now and, inside a transaction, again after it commits."""
    cache().forget_all()
    current = tx.current()
    if current is not None:

        async def again() -> None:
            cache().forget_all()

        current.after_commit(again)


async def _changed(sender: Any, instance: Any, *args: Any) -> None:
    # post_save passes (created, using_db, update_fields), post_delete (using_db). A new
    # session or token is not in the cache; a changed or deleted row may be.
    if args and args[0] is True:
        return
    forget_all()
    # Every other process too, once the change is committed (here: at once outside one).
    change = (events.AUTH_CHANNEL, events.credentials_changed())
    current = tx.current()
    if current is None:
        await tx.publish_events([change])
    elif change not in current.events:
        current.publish(*change)


for _model in (User, AuthSession, AuthToken):
    post_save(_model)(_changed)
    post_delete(_model)(_changed)
