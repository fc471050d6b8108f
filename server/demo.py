"""``hello demo``: an organization with people, departments and chats, so that a newcomer sees a
living Messenger in GraphiQL.

Everything goes through the domain functions (validation, audit, events), as if the owner and
the members had used the API. It lives in ``server/``, next to the CLI that runs it, and not in
any module's resolvers: like a client, it uses Identity, Admin and Messenger together, and no
module owns that. The whole seed is one transaction (the domain functions join it),
so it is all or nothing, and a second run that finds the owner changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from models.identity import Role, User
from models.messenger import ChatKind
from resolvers.admin.departments import check_department_create, check_department_members
from resolvers.admin.people import check_user_create
from resolvers.core.context import Context, Principal, RequestMeta
from resolvers.core.tx import transaction
from resolvers.identity.actions import check_organization_create
from resolvers.messenger.chats import check_chat_create
from resolvers.messenger.messages import check_message_send

ORGANIZATION = "Hello Demo"
OWNER_EMAIL = "demo@hello.test"
OWNER_NAME = "Dana Demo"
# (display name, email, department)
PEOPLE = [
    ("Ada Lovelace", "ada@hello.test", "Engineering"),
    ("Grace Hopper", "grace@hello.test", "Engineering"),
    ("Susan Kare", "susan@hello.test", "Design"),
    ("Dieter Rams", "dieter@hello.test", "Design"),
]
DEPARTMENTS = ["Engineering", "Design"]
GROUP_NAME = "Welcome to Hello"
# (speaker: 0 is the owner, else index into PEOPLE + 1, text)
GROUP_MESSAGES = [
    (0, "Welcome, everyone! This is our team chat."),
    (1, "Hi all, Ada here. Engineering is ready for the launch."),
    (3, "Design too: the new icons are in."),
    (2, "Ship it! 🚀"),
    (0, "Great work. Retro on Friday at 10."),
]
DIRECT_MESSAGES = [
    (0, "Ada, do you have a minute for the roadmap?"),
    (1, "Sure, after lunch?"),
    (0, "Perfect, thanks!"),
]


@dataclass
class DemoResult:
    created: bool
    owner_email: str
    password: str | None
    """The password of every demo account; None when nothing was created."""
    people: int = 0
    chats: int = 0
    messages: int = 0


def _as(user: User) -> Context:
    """A context acting as ``user``, as a signed-in request would."""
    ctx = Context(request=None, response=None, meta=RequestMeta(request_id="hello-demo"))  # type: ignore[arg-type]
    ctx.principal = Principal(user=user, session_id=0)
    return ctx


async def seed_demo(password: str | None = None) -> DemoResult:
    if await User.filter(email=OWNER_EMAIL).exists():
        return DemoResult(created=False, owner_email=OWNER_EMAIL, password=None)
    password = password or secrets.token_urlsafe(12)
    async with transaction():
        owner = await check_organization_create(
            organization_name=ORGANIZATION,
            email=OWNER_EMAIL,
            password=password,
            display_name=OWNER_NAME,
        )
        as_owner = _as(owner)
        departments = {}
        for name in DEPARTMENTS:
            departments[name] = await check_department_create(
                as_owner, name=name, parent_id=None, leader_id=None, idempotency_key=None
            )
        people: list[User] = []
        for display_name, email, dept in PEOPLE:
            created = await check_user_create(
                as_owner,
                email=email,
                display_name=display_name,
                password=password,
                role=Role.MEMBER,
                department_ids=[departments[dept].id],
                manager_id=None,
                idempotency_key=None,
            )
            people.append(created.user)
        # The owner sits in Engineering too (added, not created there).
        await check_department_members(
            as_owner, departments["Engineering"].id, [owner.id], add=True
        )
        speakers = [owner, *people]
        team = await check_chat_create(
            as_owner,
            kind=ChatKind.GROUP,
            name=GROUP_NAME,
            description="Everyone in Hello Demo.",
            member_ids=[p.id for p in people],
            idempotency_key=None,
        )
        direct = await check_chat_create(
            as_owner,
            kind=ChatKind.DIRECT,
            name="",
            description="",
            member_ids=[people[0].id],
            idempotency_key=None,
        )
        sent = 0
        for chat_id, script in ((team.id, GROUP_MESSAGES), (direct.id, DIRECT_MESSAGES)):
            for speaker, text in script:
                await check_message_send(
                    _as(speakers[speaker]),
                    chat_id=chat_id,
                    text=text,
                    reply_to_id=None,
                    mention_ids=[],
                    idempotency_key=None,
                )
                sent += 1
    return DemoResult(
        created=True,
        owner_email=OWNER_EMAIL,
        password=password,
        people=len(speakers),
        chats=2,
        messages=sent,
    )
