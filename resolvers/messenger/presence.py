"""Presence (ONLINE, AWAY, OFFLINE, last seen) and typing indicators.

Presence lives in the key-value store, so every process sees the same answer (Redis at scale,
memory when embedded). Two values per user:

- ``presence:alive:<user>``: some WebSocket of the user is open. Refreshed by any frame the
  client sends (graphql-transport-ws pings are heartbeats) and, for quiet clients, by each
  process every ``ALIVE_TTL / 3`` seconds for the sockets it holds; it expires ``ALIVE_TTL``
  seconds later, so a crashed process clears it by itself.
- ``presence:active:<user>``: when the user last did something (anything but a heartbeat:
  subscribing, typing). Kept ``SEEN_TTL`` (30 days): it is ``lastSeenAt``.

Status: no live connection is OFFLINE; a connection with activity in the last ``AWAY_AFTER``
seconds is ONLINE, otherwise AWAY. AWAY is computed when read, never published (it would need
a timer per user); connect (OFFLINE -> ONLINE) and the last disconnect (-> OFFLINE) are
published on the organization's presence channel for viewerEvents.

Writes are throttled per process (``REFRESH_EVERY``), so a chatty socket costs one store write
every few seconds, not one per frame. Typing is relayed on the chat channel, never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tortoise.expressions import Subquery

from adapters import runtime
from adapters.kv import StoreUnavailable
from models.messenger import ChatMember
from resolvers.core.context import Context
from resolvers.core.errors import CoreErrorCode, DomainError, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.identity.queries import visible_users
from resolvers.messenger import events
from resolvers.messenger.access import access_chat
from resolvers.messenger.errors import MessengerErrorCode

log = logging.getLogger("hello.presence")

ALIVE_TTL = 75.0
AWAY_AFTER = 300.0
SEEN_TTL = 30 * 24 * 3600.0
REFRESH_EVERY = 15.0
ALIVE_REFRESH = ALIVE_TTL / 3  # how often a process re-announces the sockets it holds
TYPING_EVERY = 2  # seconds: at most one typing event per user and chat in this window
MAX_USERS = 100


class PresenceStatus(StrEnum):
    ONLINE = "ONLINE"
    AWAY = "AWAY"
    OFFLINE = "OFFLINE"


@dataclass(frozen=True)
class Presence:
    user_id: int
    status: PresenceStatus
    last_seen_at: datetime | None


def presence_channel(organization_id: int) -> str:
    return f"presence:{organization_id}"


def _alive(user_id: int) -> str:
    return f"presence:alive:{user_id}"


def _active(user_id: int) -> str:
    return f"presence:active:{user_id}"


class _Local:
    """This process's open sockets per user and when it last wrote each key (the throttle)."""

    def __init__(self) -> None:
        self.sockets: dict[int, int] = {}
        self.alive_written: dict[int, float] = {}
        self.active_written: dict[int, float] = {}
        self.refresher: asyncio.Task[None] | None = None


_local = _Local()


async def _publish(organization_id: int, user_id: int, status: PresenceStatus) -> None:
    services = runtime.maybe_current()
    if services is not None:
        try:
            await services.bus.publish(
                presence_channel(organization_id),
                events.presence_changed(organization_id, user_id, status),
            )
        except Exception:  # presence is best effort: never fail the socket for it
            log.warning("presence: publishing failed", exc_info=True)


async def _refresh_alive() -> None:
    """While this process holds sockets, keep their users alive even if the clients send
    nothing (many graphql-ws clients do not ping): one write per user every ALIVE_TTL / 3."""
    while _local.sockets:
        await asyncio.sleep(ALIVE_REFRESH)
        services = runtime.maybe_current()
        if services is None:
            continue
        for user_id in list(_local.sockets):
            try:
                await services.store.put(_alive(user_id), "1", ALIVE_TTL)
                _local.alive_written[user_id] = time.monotonic()
            except Exception:  # keep looping: the next round retries
                log.warning("presence: refreshing failed", exc_info=True)
                break


async def connected(user_id: int, organization_id: int) -> None:
    """A WebSocket of the user opened on this process."""
    _local.sockets[user_id] = _local.sockets.get(user_id, 0) + 1
    refresher = _local.refresher
    if (
        refresher is None
        or refresher.done()
        or refresher.get_loop() is not asyncio.get_running_loop()
    ):
        _local.refresher = asyncio.create_task(_refresh_alive(), name="hello.presence")
    services = runtime.maybe_current()
    if services is None:
        return
    try:
        was_alive = (await services.store.get_many([_alive(user_id)]))[0] is not None
        await _write(user_id, active=True, force=True)
    except StoreUnavailable:
        return
    if not was_alive:
        await _publish(organization_id, user_id, PresenceStatus.ONLINE)


async def disconnected(user_id: int, organization_id: int) -> None:
    """A WebSocket of the user closed. On its last one here the user goes OFFLINE; a socket
    on another process re-announces itself with its next refresh (within ALIVE_TTL / 3)."""
    left = _local.sockets.get(user_id, 0) - 1
    if left > 0:
        _local.sockets[user_id] = left
        return
    _local.sockets.pop(user_id, None)
    _local.alive_written.pop(user_id, None)
    _local.active_written.pop(user_id, None)
    services = runtime.maybe_current()
    if services is None:
        return
    try:
        await services.store.forget(_alive(user_id))
    except StoreUnavailable:
        return
    await _publish(organization_id, user_id, PresenceStatus.OFFLINE)


async def seen(user_id: int, *, active: bool) -> None:
    """A frame from the user's socket: a heartbeat (``active=False``) or an action. Cheap: at
    most one store write per user, kind and ``REFRESH_EVERY`` on this process."""
    with contextlib.suppress(StoreUnavailable):
        await _write(user_id, active=active, force=False)


async def _write(user_id: int, *, active: bool, force: bool) -> None:
    services = runtime.maybe_current()
    if services is None:
        return
    now = time.monotonic()
    if force or now - _local.alive_written.get(user_id, -REFRESH_EVERY) >= REFRESH_EVERY:
        _local.alive_written[user_id] = now
        await services.store.put(_alive(user_id), "1", ALIVE_TTL)
    if active and (
        force or now - _local.active_written.get(user_id, -REFRESH_EVERY) >= REFRESH_EVERY
    ):
        _local.active_written[user_id] = now
        stamp = datetime.now(UTC).isoformat()
        await services.store.put(_active(user_id), stamp, SEEN_TTL)


async def presence_of(ctx: Context, user_ids: list[int | None]) -> list[Presence | None]:
    """Presence of users of the viewer's organization, in order; None for an id the viewer
    cannot see (another organization's user reads exactly like one that does not exist)."""
    require_principal(ctx)
    if len(user_ids) > MAX_USERS:
        raise ValidationFailed(f"At most {MAX_USERS} users at once.", field="userIds")
    known = [u for u in user_ids if u is not None]
    users = dict(zip(known, await visible_users(ctx, known), strict=True))
    visible = [u for u in known if users.get(u) is not None]
    keys = [k for u in visible for k in (_alive(u), _active(u))]
    try:
        values = await runtime.current().store.get_many(keys)
    except StoreUnavailable as e:
        raise PresenceUnavailable() from e
    stored = {u: (values[2 * i], values[2 * i + 1]) for i, u in enumerate(visible)}
    now = datetime.now(UTC)
    result: list[Presence | None] = []
    for uid in user_ids:
        if uid is None or uid not in stored:
            result.append(None)
            continue
        alive, active = stored[uid]
        last = datetime.fromisoformat(active) if active else None
        if alive is None:
            status = PresenceStatus.OFFLINE
        elif last is not None and (now - last).total_seconds() < AWAY_AFTER:
            status = PresenceStatus.ONLINE
        else:
            status = PresenceStatus.AWAY
        result.append(Presence(uid, status, last))
    return result


class PresenceUnavailable(DomainError):
    code = CoreErrorCode.SERVICE_UNAVAILABLE
    default_message = "Presence is unavailable right now; try again shortly."


async def typing_start(ctx: Context, chat_id: int | None) -> bool:
    """Tell the chat's members the viewer is typing. Members only (others: NOT_FOUND). True if
    an event went out; calls within ``TYPING_EVERY`` seconds of the last one succeed quietly,
    so a client may call on every keystroke."""
    access = await access_chat(ctx, chat_id)
    user_id = access.member.user_id
    if access.chat.disbanded_at is not None:
        raise TypingNotAllowed("The chat was disbanded.", field="chatId")
    services = runtime.current()
    await seen(user_id, active=True)
    try:
        hits = await services.store.hit(f"typing:{access.chat.id}:{user_id}", TYPING_EVERY)
    except StoreUnavailable:
        return False  # typing is a courtesy: drop it rather than fail the caller
    if hits > 1:
        return False
    await services.bus.publish(
        events.chat_channel(access.chat.id), events.typing(access.chat.id, user_id)
    )
    return True


class TypingNotAllowed(DomainError):
    code = MessengerErrorCode.CHAT_DISBANDED
    default_message = "The chat was disbanded."


async def chat_partner_ids(user_id: int, limit: int = 5000) -> set[int]:
    """The people the user shares a chat with (bounded): whose presence viewerEvents relays."""
    chat_ids = Subquery(ChatMember.filter(user_id=user_id).values("chat_id"))
    rows = (
        await ChatMember.filter(chat_id__in=chat_ids)
        .exclude(user_id=user_id)
        .distinct()
        .limit(limit)
        .values_list("user_id", flat=True)
    )
    return {int(r) for r in rows}  # type: ignore[call-overload]
