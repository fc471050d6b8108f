"""Validated access tokens, remembered for a moment (``HELLO_AUTH_CACHE_SECONDS``, 1 s).

Every request and every WebSocket authenticates, and a busy client sends many requests a second
with one token: the cache answers those from memory instead of one query each. It holds the row
``authenticate`` read (token, session and user columns), never a model object: each request
builds its own ``User`` from it, so nothing one request changes leaks into another.

An entry is dropped as soon as this process learns that what it was read from changed, and
otherwise lives at most ``HELLO_AUTH_CACHE_SECONDS``, which bounds what another process can miss:

- a write in this process to a user, a sign-in session or a token (a model's save or delete,
  through the signals below, or a queryset update that calls ``forget_all``) clears the cache at
  once and again after its transaction commits, so a request that read the old row between the
  write and the commit cannot keep it;
- a revocation on another process reaches this one on the bus (``sessions.revoked`` on the auth
  channel, which ``server/sockets.py`` also closes sockets on) and clears it;
- without a bus, or for a user's role or profile changed on another process, the age limit does.

So a revoked session is refused everywhere within ``HELLO_AUTH_CACHE_SECONDS`` and at once
where the bus carries the revocation. Clearing everything is coarse on purpose: these writes are
rare next to reads, and a precise index (token by session, by user) would be one more thing to
keep right.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tortoise.signals import post_delete, post_save

from adapters.settings import get_settings
from models.identity import AuthSession, AuthToken, User
from resolvers.core import tx

Row = dict[str, Any]

MAX_ENTRIES = 100_000
"""Far above the tokens one process sees within a second; a flood of distinct tokens clears
the cache instead of growing it."""


class AuthCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.epoch = 0
        self._entries: dict[str, tuple[float, Row]] = {}

    def get(self, key: str) -> Row | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, row = entry
        if self.clock() - stored_at >= self.ttl:
            del self._entries[key]
            return None
        return row

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
        _cache = AuthCache(get_settings().auth_cache_seconds)
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


for _model in (User, AuthSession, AuthToken):
    post_save(_model)(_changed)
    post_delete(_model)(_changed)
