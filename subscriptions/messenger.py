"""Live chat events, with replay: no gap and no duplicate between history and live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from models.messenger import ChatMember, Message
from resolvers.messenger import events
from resolvers.messenger.access import access_chat
from resolvers.messenger.events import message_snapshot
from server.context import Context
from subscriptions.core import CatchUp, subscribed

REPLAY_BATCH = 100


async def chat_events(
    ctx: Context, chat_id: int | None, after_seq: int | None
) -> AsyncIterator[dict[str, Any]]:
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
                yield _added(chat_pk, msg)
                seen = msg.seq
        async for event in live:
            if isinstance(event, CatchUp):
                missed = [m async for m in stored_messages(chat_pk, seen, None)]
                # Membership only matters when there is something to show (a removal during
                # the outage was lost); an idle poll costs one query.
                if missed and not await ChatMember.filter(id=access.member.id).exists():
                    return  # removed from the chat while the bus was away
                for msg in missed:
                    yield _added(chat_pk, msg)
                    seen = msg.seq
                continue
            if event.get("type") == "members.changed" and access.member.user_id in event.get(
                "removed", []
            ):
                return  # removed from the chat: its events stop at once
            seq = (event.get("message") or {}).get("seq")
            if event.get("type") == "message.added" and seq is not None:
                if seq <= seen:
                    continue  # delivered already
                # Publishes from several processes may arrive out of order; the lower numbers
                # are committed already (a sender holds the chat row until commit), so fill
                # the gap from the database, in order. Only if there is one: this runs per
                # subscriber per message (bench/, figure 4).
                if seq > seen + 1:
                    async for msg in stored_messages(chat_pk, seen, seq):
                        yield _added(chat_pk, msg)
                seen = seq
            yield event


def _added(chat_pk: int, msg: Message) -> dict[str, Any]:
    return {"type": "message.added", "chatId": chat_pk, "message": message_snapshot(msg)}


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
