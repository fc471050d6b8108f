"""GraphQL types of identity: organizations, users and their sign-in sessions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import (
    After,
    Before,
    Connection,
    First,
    FirstFromStart,
    Last,
    connection,
)
from graphql_schema.core.lazy import lazy_class
from graphql_schema.core.node import VisibleNode, parse_node_ids
from graphql_schema.core.scopes import needs
from models import identity as m
from resolvers.admin.loaders import departments_by_user
from resolvers.admin.sessions import live_sessions_by_user, may_read_sessions, visible_sessions
from resolvers.core.errors import Forbidden
from resolvers.identity import queries
from resolvers.identity.events import UserSnapshot
from resolvers.messenger.chats import viewer_chats

if TYPE_CHECKING:
    from graphql_schema.admin.departments import Department
    from graphql_schema.admin.organization import OrganizationSettings
    from graphql_schema.messenger.types import Chat

# Every schema module imports this one: the types of the others are lazy here (core/lazy.py).
SettingsRef = Annotated[
    "OrganizationSettings", strawberry.lazy("graphql_schema.admin.organization")
]
ChatRef = Annotated["Chat", strawberry.lazy("graphql_schema.messenger.types")]
DepartmentRef = Annotated["Department", strawberry.lazy("graphql_schema.admin.departments")]


@strawberry.enum(name="Role", description="What a user may do in the organization.")
class RoleEnum(Enum):
    OWNER = strawberry.enum_value(
        "OWNER", description="Exactly one per organization: everything, and ownership transfer."
    )
    ADMIN = strawberry.enum_value(
        "ADMIN", description="Manages people, departments, groups, invitations and settings."
    )
    MEMBER = strawberry.enum_value("MEMBER", description="Sees the directory; uses the modules.")
    GUEST = strawberry.enum_value("GUEST", description="Sees only what is explicitly shared.")


@strawberry.federation.type(
    keys=["id"], description="A tenant of Hello. Everything else belongs to exactly one."
)
class Organization(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Display name, 1 to 100 characters.")
    domain: str | None = strawberry.field(
        description="The primary email domain of the organization, e.g. `acme.com`."
    )
    model: strawberry.Private[m.Organization]

    @strawberry.field(
        description="Organization-wide settings. Admins change them with organizationUpdate."
    )
    def settings(self) -> SettingsRef:
        return lazy_class(SettingsRef).from_model(self.model)

    @strawberry.field(
        description="Active members, ordered by display name, of your own organization. A "
        "guest, who may not read the directory, finds only itself.",
        directives=needs("directory:read"),
    )
    async def members(
        self,
        info: Info,
        first: FirstFromStart = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[User]:
        page = await queries.organization_members(
            info.context, self.id, first=first, after=after, last=last, before=before
        )
        return connection(page, User.from_model)

    @classmethod
    def from_model(cls, org: m.Organization) -> Organization:
        return cls(id=org.id, name=org.name, domain=org.domain, model=org)

    fetch_visible = staticmethod(queries.visible_organizations)


@strawberry.type(description="One sign-in on one device; its tokens rotate within it.")
class Session(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime = strawberry.field(description="When the user signed in.")
    revoked_at: datetime | None = strawberry.field(
        description="When the session was ended, or null while it is live."
    )
    user_agent: str = strawberry.field(description="The browser or app that signed in.")
    ip: str = strawberry.field(description="The address the sign-in came from.")
    current: bool = strawberry.field(
        description="This is the session of the token that made this request."
    )

    @classmethod
    def from_model(cls, s: m.AuthSession, current_session_id: int | None) -> Session:
        return cls(
            id=s.id,
            created_at=s.created_at,
            revoked_at=s.revoked_at,
            user_agent=s.user_agent,
            ip=s.ip,
            current=s.id == current_session_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Session | None]:
        principal = info.context.principal
        current = principal.session_id if principal else None
        ids = parse_node_ids(node_ids)
        found = iter(await visible_sessions(info.context, [i for i in ids if i is not None]))
        return [
            cls.from_model(s, current) if (i is not None and (s := next(found))) else None
            for i in ids
        ]


@strawberry.federation.type(keys=["id"], description="A person in an organization.")
class User(VisibleNode):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="Sign-in email, lower-cased, unique in Hello.")
    display_name: str = strawberry.field(description="Name shown to others, 1 to 100 characters.")
    role: RoleEnum = strawberry.field(description="What this user may do in the organization.")
    is_active: bool = strawberry.field(
        description="False once deactivated: the user cannot sign in; their content stays."
    )
    time_zone: str = strawberry.field(description="IANA time zone name, e.g. `Asia/Shanghai`.")
    locale: str = strawberry.field(description="BCP 47 language tag, e.g. `en` or `zh-CN`.")
    is_bot: bool = strawberry.field(
        description="An app's bot user (see `App.botUser`), not a person: it acts through its "
        "app's tokens and never signs in with a password."
    )
    organization_id: strawberry.Private[int]
    manager_id: strawberry.Private[int | None]
    # Known when built from a model; events carry no such flag (then it is loaded).
    must_change_password_flag: strawberry.Private[bool | None] = None

    def _is_self_or_admin(self, info: Info) -> bool:
        principal = info.context.principal
        return principal is not None and (
            principal.user_id == self.id
            or (
                principal.organization_id == self.organization_id
                and principal.user.role in (m.Role.OWNER, m.Role.ADMIN)
            )
        )

    @strawberry.field(
        description="An admin reset the password: the user must choose a new one with "
        "`passwordChange` before anything else works. Visible to the user and to admins; "
        "null for others."
    )
    async def must_change_password(self, info: Info) -> bool | None:
        if not self._is_self_or_admin(info):
            return None
        principal = info.context.principal
        assert principal is not None
        if principal.user_id == self.id:  # this request's own, freshest state
            return bool(principal.user.must_change_password)
        if self.must_change_password_flag is not None:
            return self.must_change_password_flag
        user = await info.context.loaders.get(queries.users_by_id).load(self.id)
        return bool(user.must_change_password) if user is not None else None

    @strawberry.field(
        description="Live sign-in sessions, newest first (at most 100). Visible to the user "
        "themselves, to the owner, and to admins for everyone but the owner; null for anyone "
        "else.",
        directives=needs("profile:read"),
    )
    async def sessions(self, info: Info) -> list[Session] | None:
        principal = info.context.principal
        if not may_read_sessions(principal, self.id, self.organization_id, self.role.name):
            return None
        rows = await info.context.loaders.get(live_sessions_by_user).load(self.id)
        current = principal.session_id if principal else None
        return [Session.from_model(s, current) for s in rows]

    @strawberry.field(
        description="Your chats, most recently active first, with unread and mention counts. "
        "Only on `viewer`: another user's chats are nobody else's business.",
        directives=needs("messenger:read"),
    )
    async def chats(
        self,
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[ChatRef]:
        principal = info.context.principal
        if principal is None or principal.user_id != self.id:
            raise Forbidden("Only your own chats can be listed.")
        page = await viewer_chats(info.context, first=first, after=after, last=None, before=None)
        return connection(page, lazy_class(ChatRef).from_model)

    @strawberry.field(description="This user's manager, if any (and if visible to you).")
    async def manager(self, info: Info) -> User | None:
        if self.manager_id is None:
            return None
        found = await queries.visible_users(info.context, [self.manager_id])
        return User.from_model(found[0]) if found[0] is not None else None

    @strawberry.field(description="Departments this user sits in (a user may sit in several).")
    async def departments(self, info: Info) -> list[DepartmentRef]:
        if info.context.principal is None or (
            info.context.principal.organization_id != self.organization_id
        ):
            return []
        rows = await info.context.loaders.get(departments_by_user).load(self.id)
        return [lazy_class(DepartmentRef).from_model(d) for d in rows]

    @strawberry.field(description="The organization this user belongs to.")
    async def organization(self, info: Info) -> Organization:
        org = await info.context.loaders.get(queries.organizations_by_id).load(self.organization_id)
        return Organization.from_model(org)

    @classmethod
    def from_model(cls, user: m.User) -> User:
        """As ``from_snapshot(user_snapshot(user))`` reads it, without the snapshot."""
        role = user.role
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=RoleEnum(role.value if hasattr(role, "value") else str(role)),
            is_active=user.is_active,
            time_zone=user.time_zone,
            locale=user.locale,
            is_bot=user.is_bot,
            organization_id=user.organization_id,
            manager_id=user.manager_id,
            must_change_password_flag=user.must_change_password,
        )

    @classmethod
    def from_snapshot(cls, snapshot: UserSnapshot) -> User:
        """From a user snapshot (``resolvers.identity.events.user_snapshot``), which events
        carry, so a user in an event resolves without a query."""
        return cls(
            id=snapshot["id"],
            email=snapshot["email"],
            display_name=snapshot["displayName"],
            role=RoleEnum(snapshot["role"]),
            is_active=snapshot["isActive"],
            time_zone=snapshot["timeZone"],
            locale=snapshot["locale"],
            # Snapshots from before bots existed lack the key: people, then.
            is_bot=snapshot.get("isBot", False),
            organization_id=snapshot["organizationId"],
            manager_id=snapshot["managerId"],
        )

    fetch_visible = staticmethod(queries.visible_users)


async def visible_user(info: Info, user_id: int | None) -> User | None:
    """The ``User`` for an id held by another object (creator, actor, owner…), or None when it
    is missing or not visible to the viewer (``queries.visible_users``: one batched load)."""
    if user_id is None:
        return None
    found = (await queries.visible_users(info.context, [user_id]))[0]
    return User.from_model(found) if found is not None else None
