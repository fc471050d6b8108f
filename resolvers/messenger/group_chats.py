"""Group chat management: settings, members and their roles, leaving, disbanding, and each
member's own mute and pin-to-top.

Rules (where the issue was silent, the choice is written here):
- The owner and chat admins change settings and remove members; only the owner changes roles,
  removes admins, or disbands. ``add_policy`` decides who adds members.
- Anyone active in the organization may be added, guests included: being added to a chat is how
  a guest is explicitly given it. Guests themselves add nobody (GUEST_NOT_ALLOWED, whatever the
  add policy): they see only themselves, so "only people visible to the guest" would be nobody
  anyway, and letting them name arbitrary ids made the add (and its system message) an oracle
  of who exists.
- System messages store ids and are rendered per reader (``system_text``): nobody's name
  reaches a reader who may not see that person.
- The owner hands over (``member_role_set`` with OWNER: the old owner becomes an admin) before
  leaving. A disbanded group is read-only; its members may still leave and mute or pin it.
- Membership changes post a SYSTEM message with the chat's next ``seq``. Messenger actions are
  chat activity, not administration: nothing here writes the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.queryset import QuerySet

from models.identity import Role, User
from models.messenger import Chat, ChatKind, ChatMember, ChatPolicy, ChatRole, Message, MessageKind
from resolvers.admin.access import access_users, check_id_count
from resolvers.core import names
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed, collect
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.messenger import events, system_text
from resolvers.messenger.access import ChatAccess, access_chat
from resolvers.messenger.chats import MAX_DESCRIPTION, MAX_NAME
from resolvers.messenger.errors import MessengerErrorCode
from resolvers.messenger.messages import next_seq

MAX_ANNOUNCEMENT = 5000
MAX_PINNED = 50
ADMIN_ROLES = (ChatRole.OWNER, ChatRole.ADMIN)


def is_admin(member: ChatMember) -> bool:
    return member.role in ADMIN_ROLES


def check_can_send(chat: Chat, member: ChatMember) -> None:
    """May this member send to this chat now? For ``messageSend`` (typed errors)."""
    if chat.disbanded_at is not None:
        raise DomainError(
            "This group was disbanded; it is read-only.", code=MessengerErrorCode.CHAT_DISBANDED
        )
    if chat.send_policy == ChatPolicy.ADMINS and not is_admin(member):
        raise DomainError(
            "Only the group's admins may send here.", code=MessengerErrorCode.ADMINS_ONLY
        )


async def _group(ctx: Context, chat_id: int | None, *, writable: bool = True) -> ChatAccess:
    """Your membership of a group chat (NOT_FOUND if you are not in it)."""
    access = await access_chat(ctx, chat_id)
    if access.chat.kind != ChatKind.GROUP:
        raise DomainError(
            "Direct chats have no group settings.", code=MessengerErrorCode.NOT_A_GROUP
        )
    if writable and access.chat.disbanded_at is not None:
        raise DomainError(
            "This group was disbanded; it is read-only.", code=MessengerErrorCode.CHAT_DISBANDED
        )
    return access


def _require_admin(access: ChatAccess) -> None:
    if not is_admin(access.member):
        raise Forbidden("Only the group's owner and admins may do this.")


def _require_owner(access: ChatAccess) -> None:
    if access.member.role != ChatRole.OWNER:
        raise Forbidden("Only the group's owner may do this.")


async def _lock_chat(chat_id: int) -> None:
    """Hold the chat row until the transaction ends, so concurrent membership changes of one
    chat (from any process) run one after the other and each sees the other's result."""
    conn = connections.get("default")
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    await conn.execute_query(
        f'UPDATE "chat" SET "last_seq" = "last_seq" WHERE "id" = {placeholder}', [chat_id]
    )


async def _system_message(chat: Chat, content: dict[str, Any]) -> Message:
    """A SYSTEM message (no sender) with the chat's next seq; call inside the transaction.
    It stores ids and a text naming nobody; readers get it rendered (``system_text``)."""
    seq = await next_seq(chat.id)
    now = datetime.now(UTC)
    await Chat.filter(id=chat.id).update(last_activity_at=now)
    chat.last_seq, chat.last_activity_at = seq, now
    return await Message.create(
        chat_id=chat.id,
        seq=seq,
        sender_id=None,
        kind=MessageKind.SYSTEM,
        text=system_text.neutral_text(content),
        content=content,
        created_at=now,
    )


# --- settings ------------------------------------------------------------------------------


async def check_chat_update(
    ctx: Context,
    chat_id: int | None,
    *,
    name: str | None,
    description: str | None,
    announcement: str | None,
    send_policy: ChatPolicy | None,
    add_policy: ChatPolicy | None,
) -> Chat:
    access = await _group(ctx, chat_id)
    _require_admin(access)
    changes: dict[str, object] = {}
    if name is not None:
        collect(names.name_errors(name, "name", max_length=MAX_NAME, what="Group names"))
        changes["name"] = name.strip()
    if description is not None:
        if len(description) > MAX_DESCRIPTION:
            raise DomainError(
                f"Descriptions have at most {MAX_DESCRIPTION} characters.",
                field="description",
                code=MessengerErrorCode.TOO_LONG,
            )
        changes["description"] = description
    if announcement is not None:
        if len(announcement) > MAX_ANNOUNCEMENT:
            raise DomainError(
                f"Announcements have at most {MAX_ANNOUNCEMENT} characters.",
                field="announcement",
                code=MessengerErrorCode.TOO_LONG,
            )
        changes["announcement"] = announcement
    if send_policy is not None:
        changes["send_policy"] = send_policy
    if add_policy is not None:
        changes["add_policy"] = add_policy
    return await do_chat_update(access.chat, changes)


async def do_chat_update(chat: Chat, changes: dict[str, object]) -> Chat:
    if not changes:
        return chat  # nothing asked: no write, no event
    async with transaction() as tx:
        await Chat.filter(id=chat.id).update(**changes)
        chat = await Chat.get(id=chat.id)
        tx.publish(events.chat_channel(chat.id), events.chat_updated(chat))
    return chat


# --- members -------------------------------------------------------------------------------


async def check_members_add(ctx: Context, chat_id: int | None, user_ids: list[int]) -> Chat:
    principal = require_principal(ctx)
    access = await _group(ctx, chat_id)
    if principal.user.role == Role.GUEST:
        # Before the users are looked up: no answer may depend on which ids exist.
        raise DomainError(
            "Guests cannot add people to chats.", code=MessengerErrorCode.GUEST_NOT_ALLOWED
        )
    if access.chat.add_policy == ChatPolicy.ADMINS:
        _require_admin(access)
    if not user_ids:
        raise ValidationFailed("Name at least one user.", field="userIds")
    users = await access_users(ctx, user_ids, field="userIds")  # also enforces at most 100
    return await do_members_add(access.chat, principal.user, users)


async def do_members_add(chat: Chat, actor: User, users: list[User]) -> Chat:
    async with transaction() as tx:
        await _lock_chat(chat.id)
        # Read after taking the lock: another admin's concurrent add has committed by now, so
        # its users count as present and nobody is added (or announced) twice.
        present = set(
            await ChatMember.filter(chat_id=chat.id, user_id__in=[u.id for u in users]).values_list(
                "user_id", flat=True
            )
        )
        new = [u for u in users if u.id not in present]
        if new:
            await ChatMember.bulk_create([ChatMember(chat_id=chat.id, user_id=u.id) for u in new])
            added = system_text.system_content(system_text.ADDED, actor.id, [u.id for u in new])
            await _announce(tx, chat, added, new, [], actor)
    return await Chat.get(id=chat.id)


async def check_members_remove(ctx: Context, chat_id: int | None, user_ids: list[int]) -> Chat:
    principal = require_principal(ctx)
    access = await _group(ctx, chat_id)
    _require_admin(access)
    if not user_ids:
        raise ValidationFailed("Name at least one user.", field="userIds")
    users = await _organization_users(ctx, user_ids)
    roles = {
        m.user_id: m.role
        for m in await ChatMember.filter(chat_id=access.chat.id, user_id__in=[u.id for u in users])
    }
    if any(roles.get(u.id) == ChatRole.OWNER for u in users):
        raise DomainError(
            "The owner cannot be removed; they hand over first.",
            field="userIds",
            code=MessengerErrorCode.OWNER_CANNOT_BE_REMOVED,
        )
    if access.member.role != ChatRole.OWNER and any(
        roles.get(u.id) == ChatRole.ADMIN and u.id != principal.user_id for u in users
    ):
        raise Forbidden("Only the owner may remove an admin.")
    # Users who are not members are skipped: removing twice is harmless.
    return await do_members_remove(access.chat, principal.user, users, verb="removed")


async def _organization_users(ctx: Context, user_ids: list[int]) -> list[User]:
    """Like ``access_users`` but deactivated people count too: an admin must be able to take
    someone who left the company out of a chat."""
    principal = require_principal(ctx)
    check_id_count(user_ids, "userIds")
    wanted = list(dict.fromkeys(user_ids))
    found = await User.filter(id__in=wanted, organization_id=principal.organization_id)
    if len(found) != len(wanted):
        raise NotFound(field="userIds")
    return list(found)


async def do_members_remove(chat: Chat, actor: User, users: list[User], *, verb: str) -> Chat:
    async with transaction() as tx:
        await _lock_chat(chat.id)
        present = set(
            await ChatMember.filter(chat_id=chat.id, user_id__in=[u.id for u in users]).values_list(
                "user_id", flat=True
            )
        )
        gone = [u for u in users if u.id in present]
        if gone:
            await ChatMember.filter(chat_id=chat.id, user_id__in=[u.id for u in gone]).delete()
            alone = [u.id for u in gone] == [actor.id]  # an admin removing themselves leaves
            content = (
                system_text.system_content(system_text.LEFT, actor.id)
                if verb == "left" or alone
                else system_text.system_content(system_text.REMOVED, actor.id, [u.id for u in gone])
            )
            await _announce(tx, chat, content, [], gone, actor)
    return await Chat.get(id=chat.id)


async def _announce(
    tx: Transaction,
    chat: Chat,
    content: dict[str, Any],
    added: list[User],
    removed: list[User],
    actor: User,
) -> None:
    message = await _system_message(chat, content)
    changed = events.members_changed(
        chat.id, [u.id for u in added], [u.id for u in removed], actor.id
    )
    tx.publish(events.chat_channel(chat.id), events.message_added(message))
    tx.publish(events.chat_channel(chat.id), changed)
    for u in added + removed:
        tx.publish(events.user_channel(u.id), changed)


async def check_leave(ctx: Context, chat_id: int | None) -> Chat:
    principal = require_principal(ctx)
    access = await _group(ctx, chat_id, writable=False)
    if access.member.role == ChatRole.OWNER and access.chat.disbanded_at is None:
        raise DomainError(
            "The owner hands the group over (or disbands it) before leaving.",
            code=MessengerErrorCode.OWNER_MUST_HAND_OVER,
        )
    return await do_leave(access, principal.user)


async def do_leave(access: ChatAccess, user: User) -> Chat:
    if access.chat.disbanded_at is not None:
        # A disbanded group takes no new messages, system ones included; the event still ends
        # your open streams and tells your other devices.
        async with transaction() as tx:
            await ChatMember.filter(id=access.member.id).delete()
            left = events.members_changed(access.chat.id, [], [user.id], user.id)
            tx.publish(events.chat_channel(access.chat.id), left)
            tx.publish(events.user_channel(user.id), left)
        return access.chat
    return await do_members_remove(access.chat, user, [user], verb="left")


async def check_disband(ctx: Context, chat_id: int | None) -> Chat:
    principal = require_principal(ctx)
    access = await _group(ctx, chat_id)
    _require_owner(access)
    return await do_disband(access.chat, principal.user_id)


async def do_disband(chat: Chat, actor_id: int) -> Chat:
    async with transaction() as tx:
        await _lock_chat(chat.id)
        message = await _system_message(
            chat, system_text.system_content(system_text.DISBANDED, actor_id)
        )
        await Chat.filter(id=chat.id).update(disbanded_at=datetime.now(UTC))
        chat = await Chat.get(id=chat.id)
        tx.publish(events.chat_channel(chat.id), events.message_added(message))
        tx.publish(events.chat_channel(chat.id), events.chat_updated(chat))
    return chat


async def check_member_role_set(
    ctx: Context, chat_id: int | None, user_id: int | None, role: ChatRole
) -> ChatMember:
    """The owner makes a member an admin or a member again, or hands ownership over (OWNER:
    the previous owner becomes an admin)."""
    principal = require_principal(ctx)
    access = await _group(ctx, chat_id)
    _require_owner(access)
    user = (await access_users(ctx, [user_id or 0], field="userId"))[0]
    target = await ChatMember.get_or_none(chat_id=access.chat.id, user_id=user.id)
    if target is None:
        raise DomainError(
            "Not a member of this chat.", field="userId", code=MessengerErrorCode.NOT_A_MEMBER
        )
    if target.user_id == principal.user_id:
        raise DomainError(
            "The owner hands over to someone else instead.",
            field="userId",
            code=MessengerErrorCode.OWNER_ROLE,
        )
    return await do_member_role_set(access, target, role)


async def do_member_role_set(access: ChatAccess, target: ChatMember, role: ChatRole) -> ChatMember:
    """``access`` is the owner's own membership: handing over (OWNER) makes them an admin."""
    async with transaction() as tx:
        if role == ChatRole.OWNER:
            await ChatMember.filter(id=access.member.id).update(role=ChatRole.ADMIN)
        await ChatMember.filter(id=target.id).update(role=role)
        target.role = role
        # Roles are chat settings to the clients: ChatUpdated tells them to refetch members.
        tx.publish(events.chat_channel(access.chat.id), events.chat_updated(access.chat))
    return target


async def check_member_settings_update(
    ctx: Context, chat_id: int | None, *, muted: bool | None, pinned_to_top: bool | None
) -> ChatMember:
    """Your own mute and pin-to-top, for any chat you are in (direct and disbanded too)."""
    access = await access_chat(ctx, chat_id)
    member = access.member
    changes: dict[str, object] = {}
    if muted is not None:
        changes["muted"] = muted
    if pinned_to_top is not None and pinned_to_top != (member.pinned_at is not None):
        if pinned_to_top and (
            await ChatMember.filter(user_id=member.user_id, pinned_at__isnull=False).count()
            >= MAX_PINNED
        ):
            # The chat list loads every pin on each page: keep them few.
            raise ValidationFailed(
                f"At most {MAX_PINNED} pinned chats.",
                field="pinnedToTop",
                code=MessengerErrorCode.TOO_MANY_PINNED,
            )
        changes["pinned_at"] = datetime.now(UTC) if pinned_to_top else None
    return await do_member_settings_update(member, changes)


async def do_member_settings_update(member: ChatMember, changes: dict[str, object]) -> ChatMember:
    if not changes:
        return member  # nothing to change: no write
    async with transaction():
        await ChatMember.filter(id=member.id).update(**changes)
    return await ChatMember.get(id=member.id)


async def chat_members(ctx: Context, chat_id: int) -> QuerySet[ChatMember]:
    """The members of a chat you are in, for paging by join order."""
    await access_chat(ctx, chat_id)
    return ChatMember.filter(chat_id=chat_id)
