"""Live WebSockets of this process, so that revoking a session closes its sockets at once; HTTP
streams (``server/stream_response.py``) are registered alike and end the same way.

Revocations travel on the bus (every process hears them); each process closes its own sockets.
A periodic sweep re-checks the sessions behind open sockets, in case an event was lost while
Redis was unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol

from adapters.bus import EventBus
from resolvers.identity import auth_cache
from resolvers.identity.events import IdentityEventKind, is_identity_event

log = logging.getLogger("hello.sockets")

REVOKED_CLOSE_CODE = 4403
SWEEP_SECONDS = 30.0


class Closable(Protocol):
    """A WebSocket, or an HTTP stream: closed when its session is revoked."""

    async def close(self, code: int = ..., reason: str | None = ...) -> None: ...


class SocketRegistry:
    def __init__(self) -> None:
        self._by_session: dict[int, set[Closable]] = defaultdict(set)
        self._by_user: dict[int, set[Closable]] = defaultdict(set)
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, ws: Closable, *, session_id: int, user_id: int) -> None:
        self._by_session[session_id].add(ws)
        self._by_user[user_id].add(ws)

    def remove(self, ws: Closable, *, session_id: int, user_id: int) -> None:
        for index, key in ((self._by_session, session_id), (self._by_user, user_id)):
            sockets = index.get(key)
            if sockets is not None:
                sockets.discard(ws)
                if not sockets:
                    del index[key]

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_session.values())

    async def close_sessions(self, session_ids: list[int], user_ids: list[int]) -> int:
        doomed: set[Closable] = set()
        for sid in session_ids:
            doomed |= self._by_session.get(sid, set())
        for uid in user_ids:  # every socket of these users (deactivation)
            doomed |= self._by_user.get(uid, set())
        for ws in doomed:
            with contextlib.suppress(Exception):
                await ws.close(code=REVOKED_CLOSE_CODE, reason="Session revoked")
        return len(doomed)

    async def start(
        self, bus: EventBus, channel: str, live: Callable[[list[int]], Awaitable[set[int]]]
    ) -> None:
        ready = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._listen(bus, channel, ready)),
            asyncio.create_task(self._sweep(live)),
        ]
        await ready.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def _listen(self, bus: EventBus, channel: str, ready: asyncio.Event) -> None:
        memory = auth_cache.cache()
        while True:
            try:
                async with bus.subscribe(channel) as events:
                    # Tokens remembered longer than a moment while this channel is heard
                    # without a break (resolvers/identity/auth_cache.py); what was read before
                    # is forgotten, as a change may have been missed in between.
                    memory.link = functools.partial(bus.link_since, channel)
                    auth_cache.forget_all()
                    ready.set()
                    async for event in events:
                        if not is_identity_event(event):
                            continue
                        if event["type"] == IdentityEventKind.CREDENTIALS_CHANGED:
                            auth_cache.forget_all()
                        elif event["type"] == IdentityEventKind.SESSIONS_REVOKED:
                            # Tokens this process still remembers stop working now too.
                            auth_cache.forget_all()
                            await self.close_sessions(
                                list(event["sessionIds"]), list(event["userIds"])
                            )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("revocation listener failed; resubscribing")
                _unlink(memory)
                ready.set()
                await asyncio.sleep(1)
            finally:
                _unlink(memory)

    async def sweep(self, live: Callable[[list[int]], Awaitable[set[int]]]) -> int:
        """Close the sockets of sessions that are no longer live; returns how many closed."""
        open_sessions = list(self._by_session)
        if not open_sessions:
            return 0
        dead = set(open_sessions) - await live(open_sessions)
        return await self.close_sessions(sorted(dead), []) if dead else 0

    async def _sweep(self, live: Callable[[list[int]], Awaitable[set[int]]]) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep(live)
            except Exception:
                log.exception("session sweep failed")


def _unlink(memory: auth_cache.AuthCache) -> None:
    """Events may be missed from here on (an overflow, a crash, a shutdown): remembered tokens
    live a moment at most until the listener is back."""
    memory.link = auth_cache.unlinked
    auth_cache.forget_all()
