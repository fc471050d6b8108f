"""Group chat management: settings, members, roles, leaving, disbanding, mute and pin-to-top."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import User
from graphql_schema.messenger.error_values import CHAT_NOT_FOUND, MEMBER_CHAT_NOT_FOUND
from graphql_schema.messenger.types import Chat, ChatPolicyEnum
from models import messenger as m
from models.messenger import ChatPolicy, ChatRole
from resolvers.core.errors import CoreErrorCode
from resolvers.identity import queries as identity
from resolvers.messenger import group_chats
from resolvers.messenger.errors import MessengerErrorCode

INPUT = strawberry.argument(description="What to do.")


@strawberry.enum(name="ChatRole", description="A member's role in a group chat.")
class ChatRoleEnum(Enum):
    OWNER = strawberry.enum_value("OWNER", description="Created or was handed the group; one.")
    ADMIN = strawberry.enum_value("ADMIN", description="Manages settings and members.")
    MEMBER = strawberry.enum_value("MEMBER", description="Reads and (by policy) sends.")


@strawberry.type(description="Someone in a chat, with their role.")
class ChatMembership:
    role: ChatRoleEnum = strawberry.field(description="Owner, admin or member.")
    joined_at: datetime = strawberry.field(description="When they joined (UTC).")
    user_id: strawberry.Private[int]

    @strawberry.field(
        description="The person; null if you may not see them (guests see only themselves)."
    )
    async def user(self, info: Info) -> User | None:
        found = await identity.visible_users(info.context, [self.user_id])
        return User.from_model(found[0]) if found[0] is not None else None

    @classmethod
    def from_model(cls, member: m.ChatMember) -> ChatMembership:
        return cls(
            role=ChatRoleEnum[member.role.value], joined_at=member.joined_at, user_id=member.user_id
        )


def _policy(value: ChatPolicyEnum | None) -> ChatPolicy | None:
    return ChatPolicy(value.name) if value is not None else None


def _chat(c: object) -> dict[str, object]:
    return {"chat": Chat.from_model(c)}  # type: ignore[arg-type]


# Codes shared by every group mutation; each mutation's enum lists the ones it can return.
_NOT_A_GROUP = error_code(MessengerErrorCode.NOT_A_GROUP, "Direct chats have no settings.")
_DISBANDED = error_code(MessengerErrorCode.CHAT_DISBANDED, "The group is read-only now.")
# The two refusals every group-chat mutation shares, declared once.
_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN, "You can see the chat but may not do this to it; `message` says why."
)
_NOT_FOUND = CHAT_NOT_FOUND


@strawberry.enum(description="Why `chatUpdate` failed.")
class ChatUpdateErrorCode(Enum):
    NOT_A_GROUP = _NOT_A_GROUP
    CHAT_DISBANDED = _DISBANDED
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, "Name empty or too long.")
    TOO_LONG = error_code(
        MessengerErrorCode.TOO_LONG, "Description over 1000 or announcement over 5000 characters."
    )
    FORBIDDEN = _FORBIDDEN
    NOT_FOUND = _NOT_FOUND


@strawberry.type(description="A reason why `chatUpdate` failed.")
class ChatUpdateError(MutationError):
    code: ChatUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `chatMembersAdd` or `chatMembersRemove` failed.")
class ChatMembersErrorCode(Enum):
    NOT_A_GROUP = _NOT_A_GROUP
    CHAT_DISBANDED = _DISBANDED
    GUEST_NOT_ALLOWED = error_code(
        MessengerErrorCode.GUEST_NOT_ALLOWED, "Add: guests cannot add people to chats."
    )
    OWNER_CANNOT_BE_REMOVED = error_code(
        MessengerErrorCode.OWNER_CANNOT_BE_REMOVED, "The owner hands the group over first."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = _FORBIDDEN
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The chat or a user in `userIds` does not exist or you cannot see it (the "
        "two answer alike); `field` says which input.",
    )


@strawberry.type(description="A reason why a member change failed.")
class ChatMembersError(MutationError):
    code: ChatMembersErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `chatLeave` failed.")
class ChatLeaveErrorCode(Enum):
    NOT_A_GROUP = _NOT_A_GROUP
    OWNER_MUST_HAND_OVER = error_code(
        MessengerErrorCode.OWNER_MUST_HAND_OVER,
        "The owner makes someone else owner (`chatMemberRoleSet`) or disbands first.",
    )
    CHAT_DISBANDED = error_code(
        MessengerErrorCode.CHAT_DISBANDED,
        "The group was disbanded; there is nothing to leave.",
    )
    NOT_FOUND = _NOT_FOUND


@strawberry.type(description="A reason why `chatLeave` failed.")
class ChatLeaveError(MutationError):
    code: ChatLeaveErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `chatDisband` failed.")
class ChatDisbandErrorCode(Enum):
    NOT_A_GROUP = _NOT_A_GROUP
    CHAT_DISBANDED = _DISBANDED
    FORBIDDEN = _FORBIDDEN
    NOT_FOUND = _NOT_FOUND


@strawberry.type(description="A reason why `chatDisband` failed.")
class ChatDisbandError(MutationError):
    code: ChatDisbandErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `chatMemberRoleSet` failed.")
class ChatMemberRoleSetErrorCode(Enum):
    NOT_A_GROUP = _NOT_A_GROUP
    CHAT_DISBANDED = _DISBANDED
    NOT_A_MEMBER = error_code(MessengerErrorCode.NOT_A_MEMBER, "That user is not in it.")
    OWNER_ROLE = error_code(
        MessengerErrorCode.OWNER_ROLE, "The owner cannot change their own role; they hand over."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = _FORBIDDEN
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The chat or the member does not exist or you cannot see it (the two answer "
        "alike); `field` says which input.",
    )


@strawberry.type(description="A reason why `chatMemberRoleSet` failed.")
class ChatMemberRoleSetError(MutationError):
    code: ChatMemberRoleSetErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="New settings of a group; omitted fields stay as they are.")
class ChatUpdateInput:
    chat_id: strawberry.ID = strawberry.field(description="A group you own or administer.")
    name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    description: str | None = strawberry.field(default=None, description="At most 1000.")
    announcement: str | None = strawberry.field(
        default=None, description="Shown to all members; at most 5000 characters, empty: none."
    )
    send_policy: ChatPolicyEnum | None = strawberry.field(
        default=None, description="Who may send messages."
    )
    add_policy: ChatPolicyEnum | None = strawberry.field(
        default=None, description="Who may add members."
    )


@strawberry.input(description="People to add to or remove from a group.")
class ChatMembersInput:
    chat_id: strawberry.ID = strawberry.field(description="A group you are in.")
    user_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 100 active users of your organization (guests may be added)."
    )


@strawberry.input(description="People to add to a group.")
class ChatMembersAddInput(ChatMembersInput):
    pass


@strawberry.input(description="People to remove from a group.")
class ChatMembersRemoveInput(ChatMembersInput):
    pass


@strawberry.input(description="A group to leave.")
class ChatLeaveInput:
    chat_id: strawberry.ID = strawberry.field(description="A group you are in.")


@strawberry.input(description="A group to disband.")
class ChatDisbandInput:
    chat_id: strawberry.ID = strawberry.field(description="A group you own.")


@strawberry.input(description="A member's new role.")
class ChatMemberRoleSetInput:
    chat_id: strawberry.ID = strawberry.field(description="A group you own.")
    user_id: strawberry.ID = strawberry.field(description="A member of it.")
    role: ChatRoleEnum = strawberry.field(
        description="ADMIN or MEMBER; OWNER hands the group over (you become an admin)."
    )


@strawberry.input(description="Your own settings for a chat; omitted fields stay as they are.")
class ChatMemberSettingsUpdateInput:
    chat_id: strawberry.ID = strawberry.field(description="Any chat you are in.")
    muted: bool | None = strawberry.field(default=None, description="No notifications.")
    pinned_to_top: bool | None = strawberry.field(
        default=None, description="Keep it at the top of your chat list."
    )


@strawberry.type(description="The result of `chatUpdate`.")
class ChatUpdatePayload:
    chat: Chat | None = strawberry.field(default=None, description="The group as it is now.")
    errors: list[ChatUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `chatMembersAdd` or `chatMembersRemove`.")
class ChatMembersPayload:
    chat: Chat | None = strawberry.field(default=None, description="The group as it is now.")
    errors: list[ChatMembersError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `chatMembersAdd`.")
class ChatMembersAddPayload(ChatMembersPayload):
    pass


@strawberry.type(description="The result of `chatMembersRemove`.")
class ChatMembersRemovePayload(ChatMembersPayload):
    pass


@strawberry.type(description="The result of `chatLeave`.")
class ChatLeavePayload:
    chat: Chat | None = strawberry.field(
        default=None, description="The group you left (you can no longer read it)."
    )
    errors: list[ChatLeaveError] = strawberry.field(description="Why you are still in it.")


@strawberry.type(description="The result of `chatDisband`.")
class ChatDisbandPayload:
    chat: Chat | None = strawberry.field(default=None, description="The disbanded group.")
    errors: list[ChatDisbandError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `chatMemberRoleSet`.")
class ChatMemberRoleSetPayload:
    member: ChatMembership | None = strawberry.field(
        default=None, description="The member with their new role."
    )
    errors: list[ChatMemberRoleSetError] = strawberry.field(description="Why nothing changed.")


@strawberry.enum(description="Why `chatMemberSettingsUpdate` failed.")
class ChatMemberSettingsUpdateErrorCode(Enum):
    NOT_FOUND = MEMBER_CHAT_NOT_FOUND
    TOO_MANY_PINNED = error_code(
        MessengerErrorCode.TOO_MANY_PINNED,
        "You have pinned 50 chats already: unpin one first.",
    )


@strawberry.type(description="A reason why `chatMemberSettingsUpdate` failed.")
class ChatMemberSettingsUpdateError(MutationError):
    code: ChatMemberSettingsUpdateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.type(description="The result of `chatMemberSettingsUpdate`.")
class ChatMemberSettingsUpdatePayload:
    chat: Chat | None = strawberry.field(
        default=None,
        description="The chat, with your settings in `muted` and `pinnedToTop`; null on failure.",
    )
    errors: list[ChatMemberSettingsUpdateError] = strawberry.field(
        description="Why nothing changed."
    )


@strawberry.type
class GroupChatsMutation:
    @strawberry.mutation(
        description="Change a group's name, description, announcement, or who may send and "
        "add members (its owner and admins).",
        directives=needs("messenger:write"),
    )
    async def chat_update(
        self, info: Info, input: Annotated[ChatUpdateInput, INPUT]
    ) -> ChatUpdatePayload:
        action = group_chats.check_chat_update(
            info.context,
            require_id(input.chat_id, "Chat", "chatId"),
            name=input.name,
            description=input.description,
            announcement=input.announcement,
            send_policy=_policy(input.send_policy),
            add_policy=_policy(input.add_policy),
        )
        return await mutate(ChatUpdatePayload, ChatUpdateError, action, _chat)

    @strawberry.mutation(
        description="Add people to a group (everyone or only admins, by its `addPolicy`). "
        "People already in it are skipped; a system message announces the others.",
        directives=needs("messenger:write"),
    )
    async def chat_members_add(
        self, info: Info, input: Annotated[ChatMembersAddInput, INPUT]
    ) -> ChatMembersAddPayload:
        action = group_chats.check_members_add(
            info.context,
            require_id(input.chat_id, "Chat", "chatId"),
            [require_id(u, "User", "userIds") for u in input.user_ids],
        )
        return await mutate(ChatMembersAddPayload, ChatMembersError, action, _chat)

    @strawberry.mutation(
        description="Remove people from a group (its owner and admins; only the owner removes "
        "admins; the owner cannot be removed). Their live events stop at once.",
        directives=needs("messenger:write"),
    )
    async def chat_members_remove(
        self, info: Info, input: Annotated[ChatMembersRemoveInput, INPUT]
    ) -> ChatMembersRemovePayload:
        action = group_chats.check_members_remove(
            info.context,
            require_id(input.chat_id, "Chat", "chatId"),
            [require_id(u, "User", "userIds") for u in input.user_ids],
        )
        return await mutate(ChatMembersRemovePayload, ChatMembersError, action, _chat)

    @strawberry.mutation(
        description="Leave a group. Its owner hands it over first.",
        directives=needs("messenger:write"),
    )
    async def chat_leave(
        self, info: Info, input: Annotated[ChatLeaveInput, INPUT]
    ) -> ChatLeavePayload:
        action = group_chats.check_leave(info.context, require_id(input.chat_id, "Chat", "chatId"))
        return await mutate(ChatLeavePayload, ChatLeaveError, action, _chat)

    @strawberry.mutation(
        description="Disband a group (its owner): it stays readable to its members but takes "
        "no more messages or changes.",
        directives=needs("messenger:write"),
    )
    async def chat_disband(
        self, info: Info, input: Annotated[ChatDisbandInput, INPUT]
    ) -> ChatDisbandPayload:
        action = group_chats.check_disband(
            info.context, require_id(input.chat_id, "Chat", "chatId")
        )
        return await mutate(ChatDisbandPayload, ChatDisbandError, action, _chat)

    @strawberry.mutation(
        description="Set a member's role in a group (its owner).",
        directives=needs("messenger:write"),
    )
    async def chat_member_role_set(
        self, info: Info, input: Annotated[ChatMemberRoleSetInput, INPUT]
    ) -> ChatMemberRoleSetPayload:
        action = group_chats.check_member_role_set(
            info.context,
            require_id(input.chat_id, "Chat", "chatId"),
            require_id(input.user_id, "User", "userId"),
            ChatRole(input.role.name),
        )
        return await mutate(
            ChatMemberRoleSetPayload,
            ChatMemberRoleSetError,
            action,
            lambda m: {"member": ChatMembership.from_model(m)},
        )

    @strawberry.mutation(
        description="Mute a chat or pin it to the top of your list (for you).",
        directives=needs("messenger:write"),
    )
    async def chat_member_settings_update(
        self, info: Info, input: Annotated[ChatMemberSettingsUpdateInput, INPUT]
    ) -> ChatMemberSettingsUpdatePayload:
        async def run() -> m.Chat:
            member = await group_chats.check_member_settings_update(
                info.context,
                require_id(input.chat_id, "Chat", "chatId"),
                muted=input.muted,
                pinned_to_top=input.pinned_to_top,
            )
            return await member.chat

        return await mutate(
            ChatMemberSettingsUpdatePayload,
            ChatMemberSettingsUpdateError,
            run(),
            lambda chat: {"chat": Chat.from_model(chat)},
        )
