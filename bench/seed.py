"""Realistic data for the benchmark, seeded through Hello's own GraphQL API (the same path a
client takes: validation, events, counters), never with raw SQL.

One organization: the viewer (whose screens are measured), 1,000 colleagues, 100 direct
chats, 20 group chats of 50 people each (the first, the "page chat", with 200 messages; the
others 20 to 60), and "All hands" with everyone. Messages mention the viewer now and then, many
carry reactions, the viewer has read most of them and pinned two chats to the top."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from bench.client import BenchError, Client
from bench.queries import MESSAGE_SEND

T = TypeVar("T")

PASSWORD = "bench-password-0123"
MEMBERS = 1000
GROUPS = 20
GROUP_SIZE = 50
DIRECTS = 100
PAGE_CHAT_MESSAGES = 200
GROUP_MESSAGES = (20, 60)
BIG_CHAT_MESSAGES = 20
EMOJI = ["👍", "🎉", "❤️", "😂", "🚀", "👀", "✅"]
FIRST = "Ada Alan Grace Linus Barbara Donald Edsger Frances John Katherine Margaret Niklaus "
FIRST += "Radia Tim Ken Dennis Bjarne Guido Anders Leslie Shafi Sophie Hedy Claude Jean"
LAST = "Lovelace Turing Hopper Torvalds Liskov Knuth Dijkstra Allen Backus Johnson Hamilton "
LAST += "Wirth Perlman Berners-Lee Thompson Ritchie Stroustrup Rossum Hejlsberg Lamport"
# What a team chat says; messages are random runs of these words.
TALK = (
    "the release is ready for review please take a look at the new build numbers from "
    "yesterday look good but latency on the chat list went up after the deploy can we "
    "roll back the flag until tomorrow meeting moved to three design sent the mockups "
    "customer asked about export again docs need an update thanks everyone great work "
    "shipping it now let me check with ops first sounds good to me agreed on the plan"
)
WORDS = TALK.split()

SIGN_UP = """mutation($i: SignUpInput!) { signUp(input: $i) {
  accessToken viewer { id } errors { code message } } }"""
USER_CREATE = """mutation($i: UserCreateInput!) { userCreate(input: $i) {
  user { id } errors { code message } } }"""
SIGN_IN = """mutation($i: SignInInput!) { signIn(input: $i) {
  accessToken viewer { id } errors { code message } } }"""
CHAT_CREATE = """mutation($i: ChatCreateInput!) { chatCreate(input: $i) {
  chat { id lastSeq } errors { code message } } }"""
MEMBERS_ADD = """mutation($i: ChatMembersAddInput!) { chatMembersAdd(input: $i) {
  chat { id lastSeq } errors { code message } } }"""
REACT = """mutation($i: MessageReactionToggleInput!) { messageReactionToggle(input: $i) {
  message { id } errors { code message } } }"""
MARK_READ = """mutation($i: ChatMarkReadInput!) { chatMarkRead(input: $i) { readSeq } }"""
PIN = """mutation($i: ChatMemberSettingsUpdateInput!) { chatMemberSettingsUpdate(input: $i) {
  chat { id } } }"""


@dataclass
class Member:
    id: str
    token: str
    name: str


@dataclass
class Dataset:
    viewer: Member
    members: list[Member]
    groups: list[str]
    """Group chat IDs; group g has members[g * GROUP_SIZE : (g + 1) * GROUP_SIZE] and the
    viewer."""
    big_chat: str
    """"All hands": every member and the viewer."""
    directs: list[str] = field(default_factory=list)
    messages: int = 0

    @property
    def page_chat(self) -> str:
        """The chat of the message page (the one with the most messages)."""
        return self.groups[0]

    def group_of(self, member_index: int) -> str:
        return self.groups[member_index // GROUP_SIZE]


async def bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the jobs at most ``limit`` at a time; results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(one(j) for j in jobs)))


class Seeder:
    def __init__(self, client: Client, rng: random.Random, log: Callable[[str], None]) -> None:
        self.client = client
        self.rng = rng
        self.log = log
        self.last_seq: dict[str, int] = {}
        self.sent = 0

    def text(self) -> str:
        n = self.rng.randint(3, 28)
        words = [self.rng.choice(WORDS) for _ in range(n)]
        return " ".join(words).capitalize() + self.rng.choice([".", "!", "?", "."])

    async def send(
        self, who: Member, chat: str, *, mention: list[str] | None = None, text: str | None = None
    ) -> str:
        payload = await self.client.mutate(
            "messageSend",
            MESSAGE_SEND,
            {
                "input": {
                    "chatId": chat,
                    "text": text or self.text(),
                    "mentionedUserIds": mention or [],
                }
            },
            token=who.token,
        )
        message = payload["message"]
        self.last_seq[chat] = max(self.last_seq.get(chat, 0), message["seq"])
        self.sent += 1
        return str(message["id"])

    async def chat(self, owner: Member, kind: str, member_ids: list[str], name: str = "") -> str:
        payload = await self.client.mutate(
            "chatCreate",
            CHAT_CREATE,
            {"i": {"kind": kind, "name": name, "memberIds": member_ids}},
            token=owner.token,
        )
        chat_id = str(payload["chat"]["id"])
        self.last_seq[chat_id] = payload["chat"]["lastSeq"]
        return chat_id

    async def people(self, viewer: Member) -> list[Member]:
        first, last = FIRST.split(), LAST.split()
        names = [
            f"{first[i % len(first)]} {last[(i // len(first)) % len(last)]} {i}"
            for i in range(MEMBERS)
        ]

        async def create(i: int) -> str:
            email = f"member{i}@bench.test"
            await self.client.mutate(
                "userCreate",
                USER_CREATE,
                {"i": {"email": email, "displayName": names[i], "password": PASSWORD}},
                token=viewer.token,
            )
            return email

        emails = await bounded(4, (partial(create, i) for i in range(MEMBERS)))
        self.log(f"  {MEMBERS} people created")

        async def sign_in(i: int) -> Member:
            data = await self.client.gql(SIGN_IN, {"i": {"email": emails[i], "password": PASSWORD}})
            p = data["signIn"]
            if p["errors"]:
                raise BenchError(f"signIn failed: {p['errors']}")
            return Member(str(p["viewer"]["id"]), str(p["accessToken"]), names[i])

        return await bounded(4, (partial(sign_in, i) for i in range(MEMBERS)))

    async def react(self, who: Member, message_id: str, emoji: str) -> None:
        await self.client.mutate(
            "messageReactionToggle",
            REACT,
            {"i": {"messageId": message_id, "emoji": emoji}},
            token=who.token,
        )

    async def conversation(
        self,
        viewer: Member,
        chat: str,
        speakers: list[Member],
        count: int,
        reaction_rate: float,
    ) -> None:
        rng = self.rng
        messages: list[str] = []
        for _ in range(count):
            who = viewer if rng.random() < 0.1 else rng.choice(speakers)
            mention: list[str] = []
            if who is not viewer and rng.random() < 0.15:
                mention.append(viewer.id)
            if rng.random() < 0.05:
                mention.append(rng.choice(speakers).id)
            messages.append(await self.send(who, chat, mention=mention))
        for message_id in messages:
            if rng.random() >= reaction_rate:
                continue
            for emoji in rng.sample(EMOJI, rng.randint(1, 3)):
                people = rng.sample([viewer, *speakers], rng.randint(1, 4))
                for who in people:
                    await self.react(who, message_id, emoji)


async def seed(url: str, *, log: Callable[[str], None], rng_seed: int = 7) -> Dataset:
    rng = random.Random(rng_seed)
    async with Client(url) as client:
        seeder = Seeder(client, rng, log)
        data = await client.gql(
            SIGN_UP,
            {
                "i": {
                    "email": "viewer@bench.test",
                    "password": PASSWORD,
                    "displayName": "Vera Viewer",
                    "organizationName": "Bench Corp",
                }
            },
        )
        p = data["signUp"]
        if p["errors"]:
            raise BenchError(f"signUp failed: {p['errors']}")
        viewer = Member(str(p["viewer"]["id"]), str(p["accessToken"]), "Vera Viewer")
        members = await seeder.people(viewer)
        log(f"  {MEMBERS} people signed in")

        # Direct chats first: they are the older part of the viewer's list.
        async def direct(i: int) -> str:
            other = members[i]
            chat = await seeder.chat(other, "DIRECT", [viewer.id])
            for _ in range(rng.randint(1, 3)):
                await seeder.send(other, chat)
            if i % 4 == 0:
                await seeder.send(viewer, chat)
            return chat

        directs = await bounded(8, (partial(direct, i) for i in range(DIRECTS)))
        log(f"  {DIRECTS} direct chats")

        groups = []
        for g in range(GROUPS):
            ids = [m.id for m in members[g * GROUP_SIZE : (g + 1) * GROUP_SIZE]]
            groups.append(await seeder.chat(viewer, "GROUP", ids, name=f"Team {g + 1}"))
        big = await seeder.chat(viewer, "GROUP", [m.id for m in members[:99]], name="All hands")
        for start in range(99, MEMBERS, 100):
            payload = await client.mutate(
                "chatMembersAdd",
                MEMBERS_ADD,
                {"i": {"chatId": big, "userIds": [m.id for m in members[start : start + 100]]}},
                token=viewer.token,
            )
            seeder.last_seq[big] = payload["chat"]["lastSeq"]

        def talk(g: int) -> Callable[[], Awaitable[None]]:
            speakers = members[g * GROUP_SIZE : (g + 1) * GROUP_SIZE]
            count = PAGE_CHAT_MESSAGES if g == 0 else rng.randint(*GROUP_MESSAGES)
            rate = 0.5 if g == 0 else 0.2
            return lambda: seeder.conversation(viewer, groups[g], speakers, count, rate)

        # The page chat last, so that it is the most recently active.
        await bounded(8, [talk(g) for g in range(GROUPS - 1, 0, -1)])
        await seeder.conversation(viewer, big, members, BIG_CHAT_MESSAGES, 0.2)
        await talk(0)()
        log(f"  {GROUPS} groups and All hands ({MEMBERS + 1} members), {seeder.sent} messages")

        # The viewer has read most of it: unread and mention counts vary from chat to chat.
        async def mark(chat: str) -> None:
            seq = max(seeder.last_seq.get(chat, 0) - rng.randint(0, 12), 0)
            await client.gql(MARK_READ, {"i": {"chatId": chat, "seq": seq}}, token=viewer.token)

        await bounded(8, (partial(mark, c) for c in [*groups, *directs, big]))
        for chat in (groups[3], directs[0]):
            await client.gql(PIN, {"i": {"chatId": chat, "pinnedToTop": True}}, token=viewer.token)
        return Dataset(viewer, members, groups, big, directs, seeder.sent)
