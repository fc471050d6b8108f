"""viewerEvents: one stream per signed-in user for everything that concerns them.

Decision: the stream subscribes to the viewer's own channel, to the channel of each of their
chats (the ``MAX_CHATS`` most recently active) and to their organization's presence channel,
and merges them. The alternative, a notice per member on every send, would make each message
cost one publish per member (a 1,000-member group: 1,000 publishes); here a send stays one
publish and the bus fans it out to the processes that hold subscribers.

Membership changes arrive on the user channel (``members.changed`` naming the viewer): being
added starts listening to that chat, being removed stops at once. From chat channels only what
concerns a member is relayed: messages (new, edited, recalled), reactions, pins, chat changes
and other people joining or leaving. Typing and other people's read receipts are left to
``chatEvents`` of the open chat (they would flood a global stream); the viewer's own read
positions come from their user channel (their other devices).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from models.messenger import Chat, ChatMember
from resolvers.identity.queries import require_principal
from resolvers.messenger import events
from resolvers.messenger.presence import chat_partner_ids, presence_channel
from server.context import Context
from subscriptions.core import subscribed

MAX_CHATS = 500
QUEUE_SIZE = 1000
# Relayed from chat channels (see the module docstring for what is not).
_CHAT_TYPES = {
    "message.added",
    "message.updated",
    "message.recalled",
    "reaction.changed",
    "message.pinned",
    "chat.updated",
    "members.changed",
}


class _Merger:
    """One task per channel pumping its events into one queue; a channel can be added or
    dropped while the stream runs."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]] | BaseException] = asyncio.Queue(
            QUEUE_SIZE
        )
        self.pumps: dict[str, asyncio.Task[None]] = {}

    async def add(self, channels: list[str]) -> None:
        """Listen to ``channels``; returns once every one is confirmed (or failed)."""
        waits = []
        for channel in channels:
            if channel in self.pumps:
                continue
            ready = asyncio.Event()
            self.pumps[channel] = asyncio.create_task(self._pump(channel, ready))
            waits.append(ready.wait())
        await asyncio.gather(*waits)

    def drop(self, channel: str) -> None:
        task = self.pumps.pop(channel, None)
        if task is not None:
            task.cancel()

    async def _pump(self, channel: str, ready: asyncio.Event) -> None:
        try:
            async with subscribed(channel) as live:
                ready.set()
                async for event in live:
                    await self.queue.put((channel, event))
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # surfaces in the stream, which then ends
            await self.queue.put(e)
        finally:
            ready.set()

    async def close(self) -> None:
        tasks = list(self.pumps.values())
        self.pumps.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def viewer_chat_ids(user_id: int) -> list[int]:
    rows = (
        await ChatMember.filter(user_id=user_id, chat__disbanded_at__isnull=True)
        .order_by("-chat__last_activity_at")
        .limit(MAX_CHATS)
        .values_list("chat_id", flat=True)
    )
    return [int(r) for r in rows]  # type: ignore[call-overload]


async def viewer_events(ctx: Context) -> AsyncIterator[dict[str, Any]]:
    """Bus payloads that concern the viewer, each as ``(payload)`` with its ``chatId`` (chat
    events) or a ``presence.changed`` payload. Subscriptions are confirmed before the first
    event is awaited, so nothing published after the stream started is missed."""
    principal = require_principal(ctx)
    me, org = principal.user_id, principal.organization_id
    merger = _Merger()
    try:
        chat_ids = await viewer_chat_ids(me)
        partners = await chat_partner_ids(me)
        await merger.add(
            [events.user_channel(me), presence_channel(org)]
            + [events.chat_channel(c) for c in chat_ids]
        )
        while True:
            item = await merger.queue.get()
            if isinstance(item, BaseException):
                raise item
            channel, event = item
            kind = event.get("type")
            if channel == presence_channel(org):
                if kind == "presence.changed" and event.get("userId") in partners:
                    yield event
                continue
            if channel == events.user_channel(me):
                if kind == "members.changed":
                    chat_channel = events.chat_channel(int(event["chatId"]))
                    if me in event.get("added", []):
                        await merger.add([chat_channel])
                        partners |= await chat_partner_ids(me)
                    if me in event.get("removed", []):
                        merger.drop(chat_channel)
                yield event
                continue
            if channel not in merger.pumps or kind not in _CHAT_TYPES:
                continue  # a chat dropped meanwhile, or a type left to chatEvents
            if kind == "members.changed":
                if me in event.get("added", []) or me in event.get("removed", []):
                    continue  # the user channel delivers these (once)
                partners |= set(event.get("added", []))
            yield event
    finally:
        await merger.close()


async def load_chat(chat_id: int, organization_id: int) -> Chat | None:
    return await Chat.filter(id=chat_id, organization_id=organization_id).first()
