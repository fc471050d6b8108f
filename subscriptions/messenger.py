"""Live chat events, with replay: no gap and no duplicate between history and live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

from models.messenger import ChatMember, Message
from resolvers.core.context import Context
from resolvers.messenger import events
from resolvers.messenger.access import access_chat
from resolvers.messenger.events import ChatEvent, MessengerEventKind, is_messenger_event
from subscriptions.core import CatchUp, subscribed

REPLAY_BATCH = 100
# How long a catch-up read waits for other catch-ups of the same chat to join it. Subscribers
# of a chat poll on one clock (adapters/bus_stream.Ticks) and a reconnect signals them all at
# once, so they arrive within a few loop turns; viewerEvents get there after a query of their
# own. Small against the poll interval (2 s) that a catch-up already waits.
GATHER_SECONDS = 0.02


async def chat_events(
    ctx: Context, chat_id: int | None, after_seq: int | None
) -> AsyncIterator[ChatEvent]:
    """Every message after ``after_seq`` from the database, then live events.

    The bus subscription is confirmed *before* the replay query, so a message committed
    meanwhile is in the replay or in the live stream, possibly both; live messages at or below
    the last replayed seq are dropped. Nothing falls between the two.

    Redis down: the subscription opens at once, degraded, so the replay is served from the
    database at once too; then every ``CATCH_UP`` (polls while degraded, one after the bus is
    back) re-reads the messages after the last one delivered, and checks the subscriber is
    still a member (a removal published during the outage was lost). Messages are recovered
    in full; other chat events published during the outage (edits, recalls, reactions, pins,
    typing, read receipts, chat changes) are not, the client refetches those (README, Failure
    modes)."""
    access = await access_chat(ctx, chat_id)
    chat_pk = access.chat.id
    async with subscribed(events.chat_channel(chat_pk)) as live:
        # The highest seq delivered. A live-only subscriber starts at the chat's last message
        # as read before subscribing, so a catch-up or gap fill never skips what follows.
        seen = access.chat.last_seq if after_seq is None else max(after_seq, 0)
        if after_seq is not None:
            async for msg in stored_messages(chat_pk, seen, None):
                yield events.message_added(msg)
                seen = msg.seq
        async for item in live:
            if isinstance(item, CatchUp):
                # Membership is checked again (a removal published during the outage was
                # lost), in the read shared with the chat's other subscribers.
                missed = await missed_messages(
                    chat_pk, seen, member_id=access.member.id, gather=GATHER_SECONDS
                )
                if missed is None:
                    return  # removed from the chat while the bus was away
                for msg in missed:
                    yield events.message_added(msg)
                    seen = msg.seq
                continue
            if not is_messenger_event(item):
                continue  # not an event of ours: no chat event shows it
            event = cast(ChatEvent, item)  # a chat channel carries chat events only
            if (
                event["type"] == MessengerEventKind.MEMBERS_CHANGED
                and access.member.user_id in event["removed"]
            ):
                return  # removed from the chat: its events stop at once
            if event["type"] == MessengerEventKind.MESSAGE_ADDED:
                seq = event["message"]["seq"]
                if seq <= seen:
                    continue  # delivered already
                # Publishes from several processes may arrive out of order; the lower numbers
                # are committed already (a sender holds the chat row until commit), so fill
                # the gap from the database, in order. Only if there is one: this runs per
                # subscriber per message (bench/, figure 4); the chat's subscribers that see
                # the same gap share one read.
                if seq > seen + 1:
                    for msg in await missed_messages(chat_pk, seen) or []:
                        if msg.seq < seq:
                            yield events.message_added(msg)
                seen = seq
            yield event


async def stored_messages(chat_pk: int, after: int, before: int | None) -> AsyncIterator[Message]:
    """Messages with ``after < seq < before`` in order, in batches."""
    while True:
        qs = Message.filter(chat_id=chat_pk, seq__gt=after)
        if before is not None:
            qs = qs.filter(seq__lt=before)
        batch = await qs.order_by("seq").limit(REPLAY_BATCH)
        for msg in batch:
            yield msg
            after = msg.seq
        if len(batch) < REPLAY_BATCH:
            return


class _SharedRead:
    """One read of a chat's messages for every catch-up of that chat that asked before it
    started (so each sees everything committed before it asked)."""

    def __init__(self, chat_pk: int, gather: float) -> None:
        self.chat_pk = chat_pk
        self.loop = asyncio.get_running_loop()
        self.waiters: list[tuple[int, int | None]] = []  # (after, member id to check)
        self.task = asyncio.ensure_future(self._run(gather))
        # Retrieved here so that a failure with every waiter gone is not reported as unhandled.
        self.task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _run(self, gather: float) -> tuple[list[Message], set[int]]:
        try:
            await asyncio.sleep(gather)
        finally:
            # Closed to newcomers before the query starts: a later catch-up gets a later read.
            if _shared_reads.get(self.chat_pk) is self:
                del _shared_reads[self.chat_pk]
        after = min(a for a, _ in self.waiters)
        messages = [m async for m in stored_messages(self.chat_pk, after, None)]
        newest = messages[-1].seq if messages else after
        # Membership only matters to a waiter with something to show; an idle poll costs one
        # query for all of them.
        ask = {m for a, m in self.waiters if m is not None and newest > a}
        rows = await ChatMember.filter(id__in=ask).values_list("id", flat=True) if ask else []
        return messages, {int(r) for r in rows}  # type: ignore[call-overload]


# Per process, per chat: the read now gathering its waiters. Only coordinates the catch-ups of
# this process; what other processes must know is in the database.
_shared_reads: dict[int, _SharedRead] = {}


async def missed_messages(
    chat_pk: int, after: int, *, member_id: int | None = None, gather: float = 0.0
) -> list[Message] | None:
    """Messages with ``seq > after`` in order, read once for all the concurrent catch-ups of
    the chat in this process (the lowest cursor among them, each keeping what follows its own);
    ``None`` if ``member_id`` no longer exists and there was something to show. ``gather``: how
    long a new read waits for others to join (0: the current loop turn)."""
    shared = _shared_reads.get(chat_pk)
    if shared is None or shared.loop is not asyncio.get_running_loop():
        shared = _shared_reads[chat_pk] = _SharedRead(chat_pk, gather)
    shared.waiters.append((after, member_id))
    # Shielded: one waiter going away must not cancel the read for the others.
    messages, present = await asyncio.shield(shared.task)
    mine = [m for m in messages if m.seq > after]
    if member_id is not None and mine and member_id not in present:
        return None
    return mine
