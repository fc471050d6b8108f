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

Redis down (``subscriptions/core.py``): the stream keeps a cursor per chat (the last ``seq``
delivered, and the viewer's read position), and on ``CATCH_UP`` re-reads from the database the
viewer's chats (following chats joined, dropping chats left), the messages after each cursor
and read positions that moved. Not recovered, because the database keeps no record of them to
read back: edits, recalls, reactions, pins, chat changes, other people joining or leaving,
presence changes and Drive changes published during the outage (README, Failure modes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

from models.messenger import Chat, ChatMember
from resolvers.admin.events import AccountPasswordReset
from resolvers.calendar.live import CalendarEvent
from resolvers.core.context import Context
from resolvers.core.principal import require_principal
from resolvers.docs.events import DocMentioned
from resolvers.drive.events import DriveEvent
from resolvers.messenger import events
from resolvers.messenger.events import (
    ChatEvent,
    MessengerEventKind,
    PresenceChanged,
    is_messenger_event,
)
from resolvers.messenger.presence import chat_partner_ids, presence_channel
from subscriptions.core import CatchUp, subscribed
from subscriptions.messenger import GATHER_SECONDS, missed_messages

MAX_CHATS = 500
QUEUE_SIZE = 1000
# Relayed from chat channels (see the module docstring for what is not).
_CHAT_KINDS = frozenset(
    {
        MessengerEventKind.MESSAGE_ADDED,
        MessengerEventKind.MESSAGE_UPDATED,
        MessengerEventKind.MESSAGE_RECALLED,
        MessengerEventKind.REACTION_CHANGED,
        MessengerEventKind.MESSAGE_PINNED,
        MessengerEventKind.CHAT_UPDATED,
        MessengerEventKind.MEMBERS_CHANGED,
    }
)

UserChannelEvent = ChatEvent | DriveEvent | AccountPasswordReset | CalendarEvent | DocMentioned
"""What a user channel carries: Messenger's events that concern the user (being added or
removed, their read positions), Drive's changes, Admin's password reset, Calendar's events and
Docs' mentions."""

ViewerEvent = UserChannelEvent | PresenceChanged
"""What the viewer's stream yields: the above, chat events of the viewer's chats, presence."""


class Merger:
    """One task per channel pumping its events into one queue; a channel can be added or
    dropped while the stream runs."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any] | CatchUp] | BaseException] = (
            asyncio.Queue(QUEUE_SIZE)
        )
        self.pumps: dict[str, asyncio.Task[None]] = {}
        # One CATCH_UP in the queue at a time: hundreds of channels that reconnect together
        # need one catch-up of the whole stream, not one each.
        self.catch_up_queued = False

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
                    if isinstance(event, CatchUp):
                        if self.catch_up_queued:
                            continue
                        self.catch_up_queued = True
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


class _Cursors:
    """Where the stream stands in each chat: the last message delivered and the viewer's read
    position; what a catch-up reads after."""

    def __init__(self) -> None:
        self.seqs: dict[int, int] = {}
        self.reads: dict[int, int] = {}
        self.latest: dict[int, tuple[int, int]] = {}  # as the last catch-up read them


async def viewer_chats(user_id: int) -> list[tuple[int, int, int]]:
    """(chat id, last seq, the viewer's read seq) of the viewer's ``MAX_CHATS`` most active."""
    rows = (
        await ChatMember.filter(user_id=user_id, chat__disbanded_at__isnull=True)
        .order_by("-chat__last_activity_at")
        .limit(MAX_CHATS)
        .values_list("chat_id", "chat__last_seq", "read_seq")
    )
    return [(int(c), int(s), int(r)) for c, s, r in rows]


async def viewer_events(ctx: Context) -> AsyncIterator[ViewerEvent]:
    """Bus payloads that concern the viewer, each as ``(payload)`` with its ``chatId`` (chat
    events) or a ``presence.changed`` payload. Subscriptions are confirmed before the first
    event is awaited, so nothing published after the stream started is missed."""
    principal = require_principal(ctx)
    me, org = principal.user_id, principal.organization_id
    merger = Merger()
    at = _Cursors()
    try:
        chats = await viewer_chats(me)
        for chat_id, last_seq, read_seq in chats:
            at.seqs[chat_id], at.reads[chat_id] = last_seq, read_seq
        partners = await chat_partner_ids(me)
        await merger.add(
            [events.user_channel(me), presence_channel(org)]
            + [events.chat_channel(c) for c, _, _ in chats]
        )
        while True:
            item = await merger.queue.get()
            if isinstance(item, BaseException):
                raise item
            channel, payload = item
            if isinstance(payload, CatchUp):
                merger.catch_up_queued = False
                if await _catch_up(me, merger, at):
                    partners |= await chat_partner_ids(me)
                async for missed in _missed(me, at):
                    yield missed
                continue
            if channel == presence_channel(org):
                if (
                    is_messenger_event(payload)
                    and payload["type"] == MessengerEventKind.PRESENCE_CHANGED
                    and payload["userId"] in partners
                ):
                    yield payload
                continue
            if channel == events.user_channel(me):
                mine = cast(UserChannelEvent, payload)
                if is_messenger_event(mine):
                    if mine["type"] == MessengerEventKind.MEMBERS_CHANGED:
                        chat_id = int(mine["chatId"])
                        if me in mine["added"]:
                            await merger.add([events.chat_channel(chat_id)])
                            partners |= await chat_partner_ids(me)
                        if me in mine["removed"]:
                            merger.drop(events.chat_channel(chat_id))
                            at.seqs.pop(chat_id, None)
                    elif mine["type"] == MessengerEventKind.READ_UP_TO:
                        chat_id = int(mine["chatId"])
                        at.reads[chat_id] = max(at.reads.get(chat_id, 0), int(mine["seq"]))
                yield mine
                continue
            if channel not in merger.pumps or payload.get("type") not in _CHAT_KINDS:
                continue  # a chat dropped meanwhile, or a kind left to chatEvents
            event = cast(ChatEvent, payload)  # one of the chat kinds above
            if event["type"] == MessengerEventKind.MEMBERS_CHANGED:
                if me in event["added"] or me in event["removed"]:
                    continue  # the user channel delivers these (once)
                partners |= set(event["added"])
            if event["type"] == MessengerEventKind.MESSAGE_ADDED:
                chat_id, seq = int(event["chatId"]), int(event["message"]["seq"])
                prev = at.seqs.get(chat_id)
                if prev is not None and seq <= prev:
                    continue  # delivered already, by a catch-up
                if prev is not None and seq > prev + 1:
                    # Missed while the bus was away (or published out of order): fill in, in
                    # a read shared with the chat's other subscribers that see the same gap.
                    for msg in await missed_messages(chat_id, prev) or []:
                        if msg.seq < seq:
                            yield events.message_added(msg)
                at.seqs[chat_id] = seq
            yield event
    finally:
        await merger.close()


async def _catch_up(me: int, merger: Merger, at: _Cursors) -> bool:
    """Follow the chats the viewer joined and drop those they left while the bus was away;
    True if any was joined."""
    chats = await viewer_chats(me)
    current = {c for c, _, _ in chats}
    for chat_id in [c for c in at.seqs if c not in current]:
        merger.drop(events.chat_channel(chat_id))
        del at.seqs[chat_id]
    joined = [(c, s) for c, s, _ in chats if c not in at.seqs]
    # Chats joined during the outage stream from their latest message on, as after a
    # members.changed; the ones already followed keep their cursor for _missed.
    for chat_id, last_seq in joined:
        at.seqs[chat_id] = last_seq
    await merger.add([events.chat_channel(c) for c, _ in joined])
    at.latest = {c: (s, r) for c, s, r in chats}
    return bool(joined)


async def _missed(me: int, at: _Cursors) -> AsyncIterator[ChatEvent]:
    """Messages after each chat's cursor, and the viewer's read positions that moved. The
    chats are read together, each in the read shared with that chat's other subscribers in
    this process (chatEvents and other viewers catching up at the same time)."""
    behind = [
        (chat_id, seen)
        for chat_id, (last_seq, _) in at.latest.items()
        if (seen := at.seqs.get(chat_id)) is not None and last_seq > seen
    ]
    reads = await asyncio.gather(
        *(missed_messages(chat_id, seen, gather=GATHER_SECONDS) for chat_id, seen in behind)
    )
    missed = {chat_id: msgs or [] for (chat_id, _), msgs in zip(behind, reads, strict=True)}
    for chat_id, (_, read_seq) in at.latest.items():
        for msg in missed.get(chat_id, []):
            yield events.message_added(msg)
            at.seqs[chat_id] = msg.seq
        if read_seq > at.reads.get(chat_id, 0):
            at.reads[chat_id] = read_seq
            yield events.read_up_to(chat_id, me, read_seq)


async def load_chat(chat_id: int, organization_id: int) -> Chat | None:
    return await Chat.filter(id=chat_id, organization_id=organization_id).first()
