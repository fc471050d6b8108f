"""How events become webhook deliveries: a hook at the end of every transaction that recorded
events (``resolvers.core.tx.add_before_commit_hook``, registered by ``server/`` at start-up).

For the events of the transaction whose type some subscription wants, it finds the active
subscriptions of the event's organization, keeps those whose app may see the event (the bot in
the chat, or among the users who may see the item), and writes one ``WebhookDelivery`` and one
job per (event, subscription) **in the same transaction**: a write that rolls back delivers
nothing, a write that commits delivers at least once.

Cheap when nobody subscribes: each process remembers which event types are subscribed to in
which organizations (one query, kept ``HELLO_WEBHOOK_CACHE_SECONDS``, forgotten at once in every
process when a subscription changes, over the bus; the database stays the truth, so a process
that missed the bus is right again within that time). A transaction whose events nobody wants
costs no query at all.

Order per object: each event gets ``orderingKey`` (``chat:12``, ``org:3``, ``drive:40``) and
``sequence``, taken from a counter row per object with an UPDATE in the writing transaction. The
row stays locked until that transaction commits, so a later event of the same object gets a
higher number and commits after: receivers order (or drop stale) events per ``orderingKey`` by
``sequence``. Deliveries themselves are concurrent and retried independently (a failed one does
not hold the others back).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from adapters.settings import get_settings
from models.apps import App
from models.messenger import Chat, ChatMember
from models.webhooks import WebhookDelivery, WebhookSequence, WebhookSubscription
from resolvers.apps.events import WebhookSubscriptionsChanged, webhook_subscriptions_changed
from resolvers.core.clock import now
from resolvers.core.jobs import do_enqueue
from resolvers.core.tx import Transaction, transaction
from resolvers.core.webhook_events import WebhookAudience, webhook_event_type

DELIVER_JOB = "webhooks.deliver"


def subscriptions_changed_event() -> WebhookSubscriptionsChanged:
    return webhook_subscriptions_changed()


@dataclass
class _Subscribers:
    """Which organizations subscribe to which event types, as this process last read it."""

    by_type: dict[str, frozenset[int]] | None = None
    read_at: float = 0.0
    generation: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def forget(self) -> None:
        self.by_type = None
        self.generation += 1

    async def current(self) -> dict[str, frozenset[int]]:
        ttl = get_settings().webhook_cache_seconds
        if self.by_type is not None and time.monotonic() - self.read_at < ttl:
            return self.by_type
        generation = self.generation
        rows = await WebhookSubscription.all().values_list("organization_id", "event_types")
        found: dict[str, set[int]] = {}
        for org_id, types in rows:
            for t in types or []:
                found.setdefault(t, set()).add(int(org_id))
        fresh = {t: frozenset(orgs) for t, orgs in found.items()}
        if generation == self.generation:  # not forgotten while reading
            self.by_type = fresh
            self.read_at = time.monotonic()
        return fresh


subscribers = _Subscribers()


async def forget_subscribers() -> None:
    subscribers.forget()


def on_bus_event(event: Mapping[str, Any]) -> None:
    """A process heard that subscriptions changed somewhere."""
    subscribers.forget()


@dataclass
class _Candidate:
    event: Mapping[str, Any]
    type: str
    audience: WebhookAudience
    users: set[int] = field(default_factory=set)


def _candidates(tx: Transaction, wanted: dict[str, frozenset[int]]) -> list[_Candidate]:
    """The transaction's events some organization subscribes to, once each (an event published
    on several channels is one event), in the order they were recorded."""
    seen: dict[int, _Candidate] = {}
    out: list[_Candidate] = []
    for channel, event in tx.events:
        kind = event.get("type")
        if not isinstance(kind, str) or kind not in wanted:
            continue
        entry = webhook_event_type(kind)
        if entry is None:
            continue
        prefix, _, rest = channel.partition(":")
        if prefix != entry.audience.value:
            continue  # e.g. members.changed also goes on user channels: the chat's counts
        known = seen.get(id(event))
        if known is None:
            known = _Candidate(event, kind, entry.audience)
            seen[id(event)] = known
            out.append(known)
        if entry.audience == WebhookAudience.USERS and rest.isdigit():
            known.users.add(int(rest))
    return out


def _ordering_key(c: _Candidate, organization_id: int) -> str:
    e = c.event
    if c.audience == WebhookAudience.CHAT:
        return f"chat:{e['chatId']}"
    if c.audience == WebhookAudience.ORGANIZATION:
        return f"org:{organization_id}"
    item = e.get("item")
    if isinstance(item, Mapping) and "id" in item:
        return f"{c.type.partition('.')[0]}:{item['id']}"
    return f"{c.type}:{organization_id}"


async def do_next_sequence(key: str) -> int:
    """The next number of ``key``'s counter, its row locked until the transaction ends."""
    for _ in range(2):
        if await WebhookSequence.filter(key=key).update(last_value=F("last_value") + 1):
            row = await WebhookSequence.get(key=key)
            return int(row.last_value)
        try:
            async with transaction():  # a savepoint: a concurrent first use wins the insert
                await WebhookSequence.create(key=key, last_value=1)
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"could not take a sequence number for {key}")


async def do_enqueue_deliveries(tx: Transaction) -> None:
    """The before-commit hook: deliveries (and their jobs) for the events of ``tx``."""
    wanted = await subscribers.current()
    if not wanted:
        return
    candidates = _candidates(tx, wanted)
    if not candidates:
        return
    # The organization of each event.
    chat_ids = {int(c.event["chatId"]) for c in candidates if c.audience == WebhookAudience.CHAT}
    chat_orgs: dict[int, int] = {}
    if chat_ids:
        rows = await Chat.filter(id__in=chat_ids).values_list("id", "organization_id")
        chat_orgs = {int(i): int(o) for i, o in rows}
    placed: list[tuple[_Candidate, int | None]] = []
    for c in candidates:
        if c.audience == WebhookAudience.CHAT:
            org: int | None = chat_orgs.get(int(c.event["chatId"]))
        elif c.audience == WebhookAudience.ORGANIZATION:
            org = int(c.event["organizationId"])
        else:
            org = None  # any organization whose app's bot is among the users
        if org is not None and org not in wanted[c.type]:
            continue
        placed.append((c, org))
    if not placed:
        return
    orgs = {o for _, o in placed if o is not None}
    any_users = any(o is None for _, o in placed)
    types = {c.type for c, _ in placed}
    orgs |= {o for t in types for o in wanted[t]} if any_users else set()
    subs = [
        s
        for s in await WebhookSubscription.filter(organization_id__in=orgs)
        if set(s.event_types) & types
    ]
    if not subs:
        return
    apps = {
        a.id: a for a in await App.filter(id__in={s.app_id for s in subs}, disabled_at__isnull=True)
    }
    subs = [s for s in subs if s.app_id in apps]
    bots = {apps[s.app_id].bot_user_id for s in subs}
    members: set[tuple[int, int]] = set()
    if chat_ids and bots:
        rows = await ChatMember.filter(chat_id__in=chat_ids, user_id__in=bots).values_list(
            "chat_id", "user_id"
        )
        members = {(int(ch), int(u)) for ch, u in rows}
    at = now()
    until = at + timedelta(seconds=get_settings().webhook_retry_window_seconds)
    for c, org in placed:
        targets = []
        for s in subs:
            if c.type not in s.event_types:
                continue
            bot = apps[s.app_id].bot_user_id
            if c.audience == WebhookAudience.CHAT:
                if s.organization_id != org or (int(c.event["chatId"]), bot) not in members:
                    continue
            elif c.audience == WebhookAudience.ORGANIZATION:
                if s.organization_id != org:
                    continue
            elif bot not in c.users:
                continue
            targets.append(s)
        if not targets:
            continue
        org_id = org if org is not None else targets[0].organization_id
        key = _ordering_key(c, org_id)
        sequence = await do_next_sequence(key)
        event_id = "evt_" + uuid.uuid4().hex
        body = json.dumps(
            {
                "id": event_id,
                "type": c.type,
                "createdAt": at.isoformat(),
                "organizationId": org_id,
                "orderingKey": key,
                "sequence": sequence,
                "data": c.event,
            },
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )
        chat_id = int(c.event["chatId"]) if c.audience == WebhookAudience.CHAT else None
        for s in targets:
            delivery = await WebhookDelivery.create(
                subscription_id=s.id,
                organization_id=s.organization_id,
                event_id=event_id,
                event_type=c.type,
                body=body,
                chat_id=chat_id,
                retry_until=until,
                next_attempt_at=at,
            )
            await do_enqueue_attempt(delivery, at)


async def do_enqueue_attempt(delivery: WebhookDelivery, run_at: Any) -> None:
    """The job of the next attempt of ``delivery`` (in the open transaction)."""
    await do_enqueue(
        DELIVER_JOB,
        {"delivery": delivery.id, "generation": delivery.generation},
        key=f"{delivery.id}:g{delivery.generation}:a{delivery.attempts + 1}",
        run_at=run_at,
        organization_id=delivery.organization_id,
    )
