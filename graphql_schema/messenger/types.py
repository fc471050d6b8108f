"""GraphQL types of Messenger: chats and messages."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, connection
from graphql_schema.core.lazy import lazy_class
from graphql_schema.core.node import VisibleNode
from graphql_schema.drive.sharing import MessageAttachment, attachments_of
from graphql_schema.identity.types import User
from graphql_schema.meetings.types import Meeting, meeting_of_card
from graphql_schema.messenger.message_parts import MessageReaction, MessageVersion
from graphql_schema.messenger.prefetch import (
    peer_id,
    peer_title,
    prime_page,
    ready_or_later,
    system_message_text,
    visible_snapshot,
    visible_user,
)
from models import messenger as m
from resolvers.core.loaders import NOT_LOADED
from resolvers.core.pagination import paginate
from resolvers.identity import queries as identity
from resolvers.identity.events import UserSnapshot
from resolvers.messenger import chats as chat_queries
from resolvers.messenger import system_text
from resolvers.messenger.events import (
    ChatSnapshot,
    MessageSnapshot,
    chat_snapshot,
    message_snapshot,
)
from resolvers.messenger.group_chats import chat_members
from resolvers.messenger.message_reads import edit_histories, reaction_summaries, readers
from resolvers.messenger.messages import chat_messages, thread_replies
from resolvers.messenger.queries import visible_chats, visible_messages

if TYPE_CHECKING:
    from graphql_schema.messenger.group_chats import ChatMembership, ChatRoleEnum

# Group chats import this module: their types are lazy here (core/lazy.py).
ChatRoleRef = Annotated["ChatRoleEnum", strawberry.lazy("graphql_schema.messenger.group_chats")]
MembershipRef = Annotated["ChatMembership", strawberry.lazy("graphql_schema.messenger.group_chats")]


def _reactions(rows: list[dict[str, Any]], viewer: int | None) -> list[MessageReaction]:
    """One ``MessageReaction`` per row, its attributes set as one dict (as
    ``Message.from_snapshot`` does; the same as its ``__init__`` sets)."""
    reactions = []
    for r in rows:
        reaction = _new(MessageReaction)
        user_ids = r["userIds"]
        reaction.__dict__ = {
            "emoji": r["emoji"],
            "count": r["count"],
            "user_ids": user_ids,
            "viewer_reacted": viewer in user_ids,
        }
        reactions.append(reaction)
    return reactions


_new = object.__new__
_fromisoformat = datetime.fromisoformat


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


@strawberry.enum(name="ChatKind", description="What kind of conversation a chat is.")
class ChatKindEnum(Enum):
    GROUP = strawberry.enum_value("GROUP", description="Named, with owners and admins.")
    DIRECT = strawberry.enum_value("DIRECT", description="Two people; one chat per pair.")


@strawberry.federation.type(keys=["id"], description="A message in a chat.")
class Message(VisibleNode):
    id: relay.NodeID[int]
    seq: int = strawberry.field(
        description="Position in its chat: 1, 2, 3… with no gaps, in send order."
    )
    stored_text: strawberry.Private[str]
    stored_content: strawberry.Private[Any]
    kind: strawberry.Private[str]
    reply_count: int = strawberry.field(description="Replies in this message's thread.")
    last_reply_at: datetime | None = strawberry.field(description="When its thread last grew.")
    edited_at: datetime | None = strawberry.field(description="When it was last edited, if ever.")
    edit_count: int = strawberry.field(description="How often it was edited (at most 20).")
    recalled_at: datetime | None = strawberry.field(
        description="When it was recalled: its content is erased, the tombstone stays."
    )
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")
    chat_id: strawberry.Private[int]
    sender_id: strawberry.Private[int | None]
    reply_to_id: strawberry.Private[int | None]
    thread_root_id: strawberry.Private[int | None]
    forwarded_from_id: strawberry.Private[int | None]
    # What a new message's event carries of its sender; None: loaded (visible_user).
    sender_snapshot: strawberry.Private[UserSnapshot | None] = None

    @strawberry.field(
        description="Plain text, up to 150 KB (the rendering of rich content); empty once "
        "recalled. System messages (members added or removed, a group disbanded) are written "
        "for you: people you may not see are counted, never named."
    )
    def text(self, info: Info) -> str:
        if self.kind != "SYSTEM" or not system_text.people_of(self.stored_content):
            return self.stored_text
        return cast(Any, system_message_text(info, self.stored_content))  # or an awaitable

    @strawberry.field(
        description="Rich text as structured content, if the message has any; null once "
        "recalled, and for system messages."
    )
    def content(self) -> JSON | None:
        # A system message's content holds the ids of everyone it concerns: not for readers.
        return None if self.kind == "SYSTEM" else self.stored_content

    @strawberry.field(
        description="The video meeting this message is the card of (a meeting started from "
        "the chat), live: its status, who is in it; null for other messages."
    )
    async def meeting(self, info: Info) -> Meeting | None:
        return await meeting_of_card(info, self.id)

    @strawberry.field(description="Who sent it; null for system messages or if not visible.")
    def sender(self, info: Info) -> User | None:
        if self.sender_id is None:
            return None
        if self.sender_snapshot is not None:  # no query, the same rule
            return visible_snapshot(info, self.sender_snapshot)
        return cast(Any, visible_user(info, self.sender_id))  # or an awaitable of it

    @strawberry.field(
        description="Replies in this message's thread by `seq`, oldest first: `first` (at most "
        "100, default 20) after `afterSeq`."
    )
    async def thread(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many.")] = None,
        after_seq: Annotated[
            int | None, strawberry.argument(description="Start after this seq.")
        ] = None,
    ) -> MessagePage:
        rows, more = await thread_replies(info.context, self.id, self.chat_id, first, after_seq)
        await prime_page(info, rows)
        return MessagePage(
            messages=[Message.from_model(r) for r in rows],
            has_newer=more,
            has_older=after_seq is not None and after_seq > 0,
        )

    @strawberry.field(description="Drive files sent with it, in order; empty once recalled.")
    async def attachments(self, info: Info) -> list[MessageAttachment]:
        return await attachments_of(info, self.id, self.recalled_at is not None)

    @strawberry.field(description="Earlier versions, oldest first; empty once recalled.")
    async def edit_history(self, info: Info) -> list[MessageVersion]:
        rows = await info.context.loaders.get(edit_histories).load(self.id)
        return [MessageVersion(text=e.text, content=e.content, edited_at=e.edited_at) for e in rows]

    @strawberry.field(description="Reactions by emoji, in the order each was first used.")
    def reactions(self, info: Info) -> list[MessageReaction]:
        context = info.context
        principal = context.principal
        viewer = principal.user_id if principal is not None else None
        loader = context.loaders.get(reaction_summaries)
        rows = loader.loaded(self.id)
        if rows is not NOT_LOADED:  # primed with the page (prime_page)
            return _reactions(rows, viewer)
        return cast(Any, ready_or_later(loader.load(self.id), lambda r: _reactions(r, viewer)))

    @strawberry.field(
        description="How many members have read this far, the sender excluded; null in chats "
        "over 1000 members (no read receipts there)."
    )
    async def read_count(self, info: Info) -> int | None:
        ids = await self._readers(info)
        return len(ids) if ids is not None else None

    @strawberry.field(
        description="Members who have read this far (the sender excluded), in join order; "
        "empty in chats over 1000 members."
    )
    async def read_by(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many, at most 100.")] = 20,
    ) -> list[User]:
        ids = (await self._readers(info) or [])[: max(0, min(first, 100))]
        found = await identity.visible_users(info.context, ids)
        return [User.from_model(u) for u in found if u is not None]

    async def _readers(self, info: Info) -> list[int] | None:
        return await info.context.loaders.get(readers).load(
            (self.chat_id, self.seq, self.sender_id)
        )

    @classmethod
    def from_model(cls, msg: m.Message) -> Message:
        return cls.from_snapshot(message_snapshot(msg))

    @classmethod
    def from_snapshot(cls, s: MessageSnapshot) -> Message:
        """From ``resolvers.messenger.events.message_snapshot`` (what events carry). A page
        builds one per row: the instance's attributes are set as one dict, without the
        dataclass ``__init__`` and its seventeen keyword arguments (the same attributes,
        which tests/messenger/test_message_types.py checks against ``__init__``)."""
        message = _new(cls)
        edited, last_reply, recalled = s["editedAt"], s["lastReplyAt"], s["recalledAt"]
        message.__dict__ = {
            "id": s["id"],
            "seq": s["seq"],
            "stored_text": s["text"],
            "stored_content": s["content"],
            "kind": s["kind"],
            "reply_count": s["replyCount"],
            "last_reply_at": None if last_reply is None else _fromisoformat(last_reply),
            "edited_at": None if edited is None else _fromisoformat(edited),
            "edit_count": s["editCount"],
            "recalled_at": None if recalled is None else _fromisoformat(recalled),
            "created_at": _fromisoformat(s["createdAt"]),
            "chat_id": s["chatId"],
            "sender_id": s["senderId"],
            "reply_to_id": s["replyToId"],
            "thread_root_id": s["threadRootId"],
            "forwarded_from_id": s["forwardedFromId"],
            "sender_snapshot": s.get("sender"),
        }
        return message

    fetch_visible = staticmethod(visible_messages)


@strawberry.type(description="A page of messages, ordered by `seq`.")
class MessagePage:
    messages: list[Message] = strawberry.field(description="Oldest first.")
    has_newer: bool = strawberry.field(description="More messages follow the last one.")
    has_older: bool = strawberry.field(description="More messages precede the first one.")


@strawberry.enum(name="ChatPolicy", description="Who may do something in a group chat.")
class ChatPolicyEnum(Enum):
    EVERYONE = strawberry.enum_value("EVERYONE", description="Every member.")
    ADMINS = strawberry.enum_value("ADMINS", description="The owner and the chat admins only.")


@strawberry.federation.type(keys=["id"], description="A conversation.")
class Chat(VisibleNode):
    id: relay.NodeID[int]
    kind: ChatKindEnum = strawberry.field(description="GROUP or DIRECT.")
    name: str = strawberry.field(description="A group's name; empty for direct chats.")
    description: str = strawberry.field(description="A group's description.")
    announcement: str = strawberry.field(description="A group's announcement, shown to all.")
    send_policy: ChatPolicyEnum = strawberry.field(description="Who may send messages.")
    add_policy: ChatPolicyEnum = strawberry.field(description="Who may add members.")
    disbanded_at: datetime | None = strawberry.field(
        description="When the group was disbanded: it is read-only from then on."
    )
    last_seq: int = strawberry.field(description="The `seq` of the newest message; 0 if none.")
    last_activity_at: datetime = strawberry.field(description="Creation or the newest message.")
    direct_user_ids: strawberry.Private[list[int] | None]

    @strawberry.field(
        description="What a chat list shows: a group's name; for a DIRECT chat the other "
        'person\'s display name as you may see them ("Someone" when you may not: guests see '
        "only themselves, members no deactivated people), your own in a chat with yourself."
    )
    def title(self, info: Info) -> str:
        if self.direct_user_ids is None:
            return self.name
        return cast(Any, peer_title(info, self.direct_user_ids))  # or an awaitable

    @strawberry.field(
        description="The other person of a DIRECT chat (you, in a chat with yourself); null "
        "for groups, and when you may not see them."
    )
    def peer(self, info: Info) -> User | None:
        peer = peer_id(info, self.direct_user_ids) if self.direct_user_ids else None
        return None if peer is None else cast(Any, visible_user(info, peer))  # or an awaitable

    @strawberry.field(description="The newest message, if any.")
    async def last_message(self, info: Info) -> Message | None:
        msg = await info.context.loaders.get(chat_queries.last_messages).load(
            (self.id, self.last_seq)
        )
        return Message.from_model(msg) if msg is not None else None

    @strawberry.field(description="Messages after your read position (0 for chats you left).")
    async def unread_count(self, info: Info) -> int:
        member = await _membership(info, self.id)
        return max(self.last_seq - member.read_seq, 0) if member else 0

    @strawberry.field(description="Unread messages that mention you.")
    async def mention_count(self, info: Info) -> int:
        member = await _membership(info, self.id)
        if member is None:
            return 0
        return await info.context.loaders.get(chat_queries.mention_counts).load(
            (member.user_id, self.id, member.read_seq)
        )

    @strawberry.field(description="Your read position: the highest `seq` you have read.")
    async def read_seq(self, info: Info) -> int:
        member = await _membership(info, self.id)
        return member.read_seq if member else 0

    @strawberry.field(
        description="Messages by `seq`: `first` after `afterSeq` (oldest first), or `last` "
        "before `beforeSeq` (by default the newest `last`). At most 100."
    )
    async def messages(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="How many after `afterSeq`.")
        ] = None,
        after_seq: Annotated[
            int | None, strawberry.argument(description="Start after this seq.")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="How many before `beforeSeq`.")
        ] = None,
        before_seq: Annotated[
            int | None, strawberry.argument(description="End before this seq.")
        ] = None,
    ) -> MessagePage:
        if first is None and last is None:
            last = 20
        rows, has_next, has_previous = await chat_messages(
            info.context, self.id, first=first, after=after_seq, last=last, before=before_seq
        )
        await prime_page(info, rows)
        return MessagePage(
            messages=[Message.from_model(r) for r in rows],
            has_newer=has_next,
            has_older=has_previous,
        )

    @strawberry.field(description="Your role in this chat; null if you are not in it.")
    async def viewer_role(self, info: Info) -> ChatRoleRef | None:
        member = await _membership(info, self.id)
        return lazy_class(ChatRoleRef)[member.role.value] if member else None

    @strawberry.field(description="You muted this chat: no notifications from it.")
    async def muted(self, info: Info) -> bool:
        member = await _membership(info, self.id)
        return bool(member and member.muted)

    @strawberry.field(description="You pinned this chat to the top of your list.")
    async def pinned_to_top(self, info: Info) -> bool:
        member = await _membership(info, self.id)
        return bool(member and member.pinned_at is not None)

    @strawberry.field(description="The members with their roles, in the order they joined.")
    async def members(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many.")] = None,
        after: After = None,
    ) -> Connection[MembershipRef]:
        qs = await chat_members(info.context, self.id)
        page = await paginate(qs, order=["id"], first=first, after=after)
        return connection(page, lazy_class(MembershipRef).from_model)

    @classmethod
    def from_model(cls, chat: m.Chat) -> Chat:
        return cls.from_snapshot(chat_snapshot(chat))

    @classmethod
    def from_snapshot(cls, s: ChatSnapshot) -> Chat:
        """From ``resolvers.messenger.events.chat_snapshot`` (what events carry)."""
        return cls(
            id=s["id"],
            kind=ChatKindEnum[s["kind"]],
            name=s["name"],
            description=s["description"],
            announcement=s["announcement"],
            send_policy=ChatPolicyEnum[s["sendPolicy"]],
            add_policy=ChatPolicyEnum[s["addPolicy"]],
            disbanded_at=_dt(s["disbandedAt"]),
            last_seq=s["lastSeq"],
            last_activity_at=datetime.fromisoformat(s["lastActivityAt"]),
            # Snapshots published before titles existed lack the pair.
            direct_user_ids=s.get("directUserIds"),
        )

    fetch_visible = staticmethod(visible_chats)


async def _membership(info: Info, chat_id: int) -> m.ChatMember | None:
    principal = info.context.principal
    if principal is None:
        return None
    return await info.context.loaders.get(chat_queries.memberships).load(
        (principal.user_id, chat_id)
    )
