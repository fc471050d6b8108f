"""Figure 2: Hello's schema execution from memory, against graphql-yoga on the same data.

The choice: Hello's *own* message types (``Message``, ``MessagePage``, ``MessageReaction``,
``User`` from ``graphql_schema``) with their production resolvers, executed by Hello's view
(``HelloGraphQL``, whose queries run in ``server/http_operations.py``: body parsing, the
limits with their parse and validation caches, the cost and rate limit, orjson) — only the
data comes from memory instead of the database:

- the root ``chat(id:)`` returns a ``MemoryChat`` whose ``messages`` builds the page with
  ``Message.from_snapshot`` from stored snapshots (as ``Chat.messages`` does from rows);
- the per-request DataLoaders that the resolvers use (``users_by_id`` for senders,
  ``reaction_summaries`` for reactions) are backed by dictionaries.

So the figure shows what executing Hello's real types costs, including their relay IDs and
async DataLoader resolvers, and optimisations to those types show up here. The yoga server
(``bench/yoga/server.mjs``) serves the same SDL shape with the same structure (global IDs,
DataLoaders for senders and reactions) from the same fixture file, and returns the same
``data`` bytes."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.messenger.prefetch import prime_page
from graphql_schema.messenger.types import Message, MessagePage
from resolvers.core.loaders import Loaders, LoadFn, SharedLoader
from resolvers.messenger.events import MessageSnapshot

MESSAGES = 60
USERS = 12
EMOJI = ["👍", "🎉", "❤️", "😂", "🚀"]
VOCABULARY = "ship review deploy latency chat list build numbers plan agreed thanks docs"


def make_fixture(seed: int = 3) -> dict[str, Any]:
    """Deterministic in-memory data: one chat of 60 messages by 12 people, with reactions.
    Messages are in the form of ``resolvers.messenger.events.message_snapshot``."""
    rng = random.Random(seed)
    words = VOCABULARY.split()
    users = [
        {"id": i, "email": f"user{i}@memory.test", "displayName": f"Person {i}"}
        for i in range(1, USERS + 1)
    ]
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    messages = []
    reactions: dict[str, list[dict[str, Any]]] = {}
    for n in range(1, MESSAGES + 1):
        mid = 1000 + n
        created = start + timedelta(minutes=3 * n, seconds=rng.randint(0, 59))
        edited = created + timedelta(minutes=1) if rng.random() < 0.1 else None
        messages.append(
            {
                "id": mid,
                "chatId": 7,
                "seq": n,
                "senderId": rng.randint(1, USERS),
                "kind": "TEXT",
                "text": " ".join(rng.choice(words) for _ in range(rng.randint(3, 20))),
                "content": None,
                "replyToId": None,
                "threadRootId": None,
                "replyCount": 0,
                "lastReplyAt": None,
                "editedAt": edited.isoformat() if edited else None,
                "editCount": 1 if edited else 0,
                "recalledAt": None,
                "forwardedFromId": None,
                "createdAt": created.isoformat(),
            }
        )
        if rng.random() < 0.5:
            reactions[str(mid)] = [
                {"emoji": e, "count": len(ids), "userIds": ids}
                for e in rng.sample(EMOJI, rng.randint(1, 3))
                for ids in [rng.sample(range(1, USERS + 1), rng.randint(1, 4))]
            ]
    return {
        "viewerId": 1,
        "organizationId": 1,
        "chatId": 7,
        "users": users,
        "messages": messages,
        "reactions": reactions,
    }


def write_fixture(path: Path) -> Path:
    path.write_bytes(orjson.dumps(make_fixture()))
    return path


class _Memory:
    """The fixture as the resolvers need it, built on first use (model instances need the
    ORM initialised, which the app's lifespan does)."""

    def __init__(self, fixture: dict[str, Any]) -> None:
        from models.identity import Role, User

        self.fixture = fixture
        self.chat_id: int = fixture["chatId"]
        self.snapshots: list[MessageSnapshot] = fixture["messages"]
        self.users = {
            u["id"]: User(
                id=u["id"],
                organization_id=fixture["organizationId"],
                email=u["email"],
                display_name=u["displayName"],
                password_hash="",
                role=Role.MEMBER,
                is_active=True,
                must_change_password=False,
            )
            for u in fixture["users"]
        }
        self.reactions = {int(k): v for k, v in fixture["reactions"].items()}

    async def users_by_id(self, keys: list[int]) -> Sequence[Any]:
        return [self.users.get(k) for k in keys]

    async def reaction_summaries(self, keys: list[int]) -> Sequence[list[dict[str, Any]]]:
        return [self.reactions.get(k, []) for k in keys]


_memory: _Memory | None = None


def memory() -> _Memory:
    global _memory
    if _memory is None:
        path = os.environ.get("HELLO_BENCH_FIXTURE")
        fixture = orjson.loads(Path(path).read_bytes()) if path else make_fixture()
        _memory = _Memory(fixture)
    return _memory


class MemoryLoaders(Loaders):
    """Hello's per-request DataLoaders, with the batch functions that would query the
    database replaced by dictionary lookups. Any other loader fails loudly (KeyError): the
    figure must not touch the database."""

    def __init__(self, replacements: dict[LoadFn, LoadFn]) -> None:
        super().__init__()
        self.replacements = replacements

    def get(self, load_fn: LoadFn) -> Any:
        # As cheap as Loaders.get (one dict lookup once made): the loader is kept under the
        # function the resolvers name, and made with its replacement.
        loader = self._loaders.get(load_fn)
        if loader is None:
            replacement = self.replacements[load_fn]  # KeyError for any other loader
            loader = self._loaders[load_fn] = SharedLoader(load_fn=replacement)
        return loader


@strawberry.type(description="The chat of figure 2, held in memory.")
class MemoryChat(relay.Node):
    id: relay.NodeID[int]

    @strawberry.field(description="Like `Chat.messages`: the newest `last` (default 20).")
    async def messages(self, info: Info, last: int | None = None) -> MessagePage:
        snapshots = memory().snapshots
        size = 20 if last is None else max(0, min(last, 100))
        rows = (
            [Message.from_snapshot(s) for s in snapshots[len(snapshots) - size :]] if size else []
        )
        await prime_page(info, rows)  # as Chat.messages does
        return MessagePage(messages=rows, has_newer=False, has_older=len(snapshots) > size)

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[MemoryChat | None]:
        return [cls(id=int(i)) if int(i) == memory().chat_id else None for i in node_ids]


@strawberry.type
class MemoryQuery:
    @strawberry.field(description="The in-memory chat by its global ID.")
    async def chat(self, info: Info, id: strawberry.ID) -> MemoryChat | None:
        gid = relay.GlobalID.from_id(id)
        if gid.type_name != "MemoryChat" or int(gid.node_id) != memory().chat_id:
            return None
        return MemoryChat(id=memory().chat_id)


def create_memory_view() -> Any:
    """Hello's view (``HelloGraphQL``) over a schema of ``MemoryQuery``, with the same
    extensions; the context's principal is the fixture's viewer, its loaders in memory."""
    from adapters.settings import get_settings
    from graphql_schema.schema import HelloSchema, create_schema
    from resolvers.core.context import Context, Principal, RequestMeta
    from resolvers.identity.queries import users_by_id
    from resolvers.messenger.message_reads import reaction_summaries
    from server.execution import install as install_fast_paths
    from server.http_streams import StreamGate
    from server.limits import Guard
    from server.sockets import SocketRegistry
    from server.view import HelloGraphQL, _client_ip

    settings = get_settings()
    # Hello's configuration (scalars, suggestions), so its types build here as they do there.
    config = create_schema(production=settings.production).config
    schema = install_fast_paths(
        HelloSchema(query=MemoryQuery, config=config, extensions=[Guard, StreamGate])
    )

    class MemoryView(HelloGraphQL):
        async def _http_context(self, request: Any, request_id: str) -> Context:
            # As Hello's own, minus the token lookup (a database query): the principal is the
            # fixture's viewer.
            m = memory()
            context = Context(
                request=request,
                response=None,
                meta=RequestMeta(
                    request_id=request_id,
                    ip=_client_ip(request.scope),
                    user_agent=request.headers.get("user-agent", ""),
                ),
                loaders=MemoryLoaders(
                    {users_by_id: m.users_by_id, reaction_summaries: m.reaction_summaries}
                ),
            )
            context.principal = Principal(user=m.users[m.fixture["viewerId"]], session_id=0)
            return context

    return MemoryView(schema, settings, SocketRegistry())
