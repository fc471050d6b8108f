"""Creating chats and reading the chat list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count

from models.identity import Role
from models.messenger import Chat, ChatKind, ChatMember, ChatRole, Message, MessageMention
from resolvers.admin.access import access_users
from resolvers.core import names
from resolvers.core.context import Context
from resolvers.core.errors import CoreErrorCode, DomainError, collect
from resolvers.core.idempotency import once
from resolvers.core.pagination import Page, decode_cursor, encode_cursor, page_size, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.messenger import events
from resolvers.messenger.errors import MessengerErrorCode

MAX_NAME = 100
MAX_DESCRIPTION = 1000


def announce_members(tx: Transaction, chat_id: int, member_ids: list[int], by_user_id: int) -> None:
    """A new chat reaches its members' viewerEvents (which start listening to it)."""
    event = events.members_changed(chat_id, member_ids, [], by_user_id)
    for user_id in member_ids:
        tx.publish(events.user_channel(user_id), event)


def _direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


async def check_chat_create(
    ctx: Context,
    *,
    kind: ChatKind,
    name: str,
    description: str,
    member_ids: list[int],
    idempotency_key: str | None,
) -> Chat:
    """A GROUP chat with you as owner, or the DIRECT chat of you and one other user (created
    once per pair: asking again returns the existing chat)."""
    principal = require_principal(ctx)
    if principal.user.role == Role.GUEST:
        raise DomainError("Guests cannot start chats.", code=MessengerErrorCode.GUEST_NOT_ALLOWED)
    others = [
        u
        for u in await access_users(ctx, member_ids, field="memberIds")
        if u.id != principal.user_id
    ]
    name = name.strip()
    if kind == ChatKind.DIRECT:
        if len(others) != 1:
            raise DomainError(
                "A direct chat has exactly one other member.",
                field="memberIds",
                code=MessengerErrorCode.INVALID_MEMBERS,
            )
        # Opened once per pair: the read answers every later request; only the first writes.
        key = _direct_key(principal.user_id, others[0].id)
        existing = await Chat.get_or_none(direct_key=key)
        if existing is not None:
            return existing
        return await do_direct_chat_create(
            principal.organization_id, principal.user_id, others[0].id, key
        )
    collect(names.name_errors(name, "name", max_length=MAX_NAME, what="Group names"))
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            f"Descriptions have at most {MAX_DESCRIPTION} characters.",
            field="description",
            code=CoreErrorCode.INVALID_NAME,
        )

    async def create() -> Chat:
        return await do_chat_create(
            principal.organization_id,
            principal.user_id,
            name=name,
            description=description,
            member_ids=[u.id for u in others],
        )

    async def load(pk: int) -> Chat | None:
        return await Chat.get_or_none(id=pk, organization_id=principal.organization_id)

    fields = {
        "kind": kind,
        "name": name,
        "description": description,
        "memberIds": {u.id for u in others},
    }
    return await once(principal.user_id, "chatCreate", idempotency_key, create, load, input=fields)


async def do_chat_create(
    organization_id: int,
    owner_id: int,
    *,
    name: str,
    description: str,
    member_ids: list[int],
) -> Chat:
    """A GROUP chat owned by ``owner_id`` with the other members, announced to everyone in it."""
    async with transaction() as tx:
        chat = await Chat.create(
            organization_id=organization_id,
            kind=ChatKind.GROUP,
            name=name,
            description=description,
            created_by_id=owner_id,
            last_activity_at=datetime.now(UTC),
        )
        await ChatMember.bulk_create(
            [ChatMember(chat_id=chat.id, user_id=owner_id, role=ChatRole.OWNER)]
            + [ChatMember(chat_id=chat.id, user_id=uid) for uid in member_ids]
        )
        announce_members(tx, chat.id, [owner_id, *member_ids], owner_id)
    return chat


async def do_direct_chat_create(
    organization_id: int, user_id: int, other_id: int, key: str
) -> Chat:
    """The DIRECT chat of two people, which ``check_chat_create`` found missing. Its read of an
    existing chat stays in the check (the common case writes nothing); this is the write, and
    the unique ``direct_key`` settles a race between the two people."""
    try:
        async with transaction() as tx:
            chat = await Chat.create(
                organization_id=organization_id,
                kind=ChatKind.DIRECT,
                direct_key=key,
                created_by_id=user_id,
                last_activity_at=datetime.now(UTC),
            )
            await ChatMember.bulk_create(
                [ChatMember(chat_id=chat.id, user_id=uid) for uid in (user_id, other_id)]
            )
            announce_members(tx, chat.id, [user_id, other_id], user_id)
        return chat
    except IntegrityError:
        # Both people opened the chat at once: the unique key kept one; answer with it.
        return await Chat.get(direct_key=key)


# A pinned chat's cursor: this date (after every real one) and the chat's place among the pins.
PINNED_CURSOR_AT = datetime(9999, 1, 1, tzinfo=UTC)


async def viewer_chats(
    ctx: Context, *, first: int | None, after: str | None, last: int | None, before: str | None
) -> Page[Chat]:
    """Your chats: those you pinned to the top first (most recently pinned first), then the
    others, most recently active first. Paging backwards ignores pins."""
    principal = require_principal(ctx)
    qs = Chat.filter(organization_id=principal.organization_id, members__user_id=principal.user_id)
    order = ["-last_activity_at", "-id"]
    if last is not None or before is not None:
        return await paginate(qs, order=order, first=first, after=after, last=last, before=before)
    size, _ = page_size(first, None)
    # Pins are few (at most MAX_PINNED): one query loads them all, on every page, so the other
    # chats can leave them out.
    pins = list(
        await ChatMember.filter(
            user_id=principal.user_id,
            pinned_at__isnull=False,
            chat__organization_id=principal.organization_id,
        )
        .select_related("chat")
        .order_by("-pinned_at", "-id")
    )
    start = 0
    if after is not None:
        at, index = decode_cursor(after, 2, "after")
        if at == PINNED_CURSOR_AT:
            start, after = int(index) + 1, None
        else:
            start = len(pins)
    shown = pins[start : start + size]
    rest_qs = qs.exclude(id__in=[p.chat_id for p in pins]) if pins else qs
    rest = await paginate(rest_qs, order=order, first=size - len(shown), after=after)
    has_next = rest.has_next
    if len(shown) == size:
        has_next = start + size < len(pins) or await rest_qs.exists()
    return Page(
        items=[p.chat for p in shown] + rest.items,
        cursors=[encode_cursor((PINNED_CURSOR_AT, start + i)) for i in range(len(shown))]
        + rest.cursors,
        has_next=has_next,
        has_previous=start > 0 or after is not None,
    )


# --- batch loads for the chat list (one query each per page) --------------------------------


async def memberships(keys: list[tuple[int, int]]) -> Sequence[ChatMember | None]:
    """Memberships by (user_id, chat_id)."""
    rows = await ChatMember.filter(
        user_id__in={u for u, _ in keys}, chat_id__in={c for _, c in keys}
    )
    found = {(m.user_id, m.chat_id): m for m in rows}
    return [found.get(k) for k in keys]


async def last_messages(keys: list[tuple[int, int]]) -> Sequence[Message | None]:
    """Messages by (chat_id, seq)."""
    wanted = [(c, s) for c, s in keys if s > 0]
    if not wanted:
        return [None] * len(keys)
    query = Q(chat_id=wanted[0][0], seq=wanted[0][1])
    for c, s in wanted[1:]:
        query |= Q(chat_id=c, seq=s)
    rows = {(m.chat_id, m.seq): m for m in await Message.filter(query)}
    return [rows.get(k) for k in keys]


async def mention_counts(keys: list[tuple[int, int, int]]) -> Sequence[int]:
    """Mentions of a user above their read position, by (user_id, chat_id, read_seq)."""
    query = Q(user_id=keys[0][0], chat_id=keys[0][1], seq__gt=keys[0][2])
    for u, c, s in keys[1:]:
        query |= Q(user_id=u, chat_id=c, seq__gt=s)
    rows = (
        await MessageMention.filter(query)
        .annotate(n=Count("id"))
        .group_by("user_id", "chat_id")
        .values("user_id", "chat_id", "n")
    )
    counts = {(int(r["user_id"]), int(r["chat_id"])): int(r["n"]) for r in rows}
    return [counts.get((u, c), 0) for u, c, _ in keys]
