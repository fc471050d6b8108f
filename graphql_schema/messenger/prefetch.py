"""Resolving a page's messages without awaiting.

graphql-core completes an awaited field through a coroutine and a task per list item; on a
50-message page that machinery, not the data, was most of the execution time (bench/, figure
2). So a page loads what its messages will ask for in one batch per loader before graphql-core
walks it (``prime_page``), and the fields then take the loaded value without awaiting
(``ready_or_later``). The batches, hence the SQL queries, are the same as with ``load``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info

from graphql_schema.identity.types import User
from resolvers.core.loaders import NOT_LOADED
from resolvers.identity import queries as identity
from resolvers.identity.events import UserSnapshot
from resolvers.messenger import system_text
from resolvers.messenger.message_reads import reaction_summaries


def ready_or_later(future: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(value)`` at once if the DataLoader's future is already resolved, else an
    awaitable of it (graphql-core accepts either from a resolver)."""
    if isinstance(future, asyncio.Future) and future.done():
        return convert(future.result())

    async def later() -> Any:
        return convert(await future)

    return later()


def _selected_below(info: Info, path: tuple[str, ...]) -> set[str]:
    """Names of the fields selected at ``path`` below the current field, through fragments
    (``@skip``/``@include`` ignored: at worst a batch is loaded in vain)."""
    raw = info._raw_info
    out: set[str] = set()

    def walk(selection_set: SelectionSetNode | None, rest: tuple[str, ...]) -> None:
        for sel in selection_set.selections if selection_set is not None else ():
            if isinstance(sel, FieldNode):
                if not rest:
                    out.add(sel.name.value)
                elif sel.name.value == rest[0]:
                    walk(sel.selection_set, rest[1:])
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, rest)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in raw.fragments:
                walk(raw.fragments[sel.name.value].selection_set, rest)

    for node in raw.field_nodes:
        walk(node.selection_set, path)
    return out


async def prime_page(info: Info, rows: Sequence[Any]) -> None:
    """Before a ``MessagePage`` is returned: load the senders and reactions its messages
    select (rows: anything with ``id`` and ``sender_id``), one batch each, so that each
    message resolves them without awaiting."""
    wanted = _selected_below(info, ("messages",))
    people: list[int] = []
    if "sender" in wanted:
        people += [r.sender_id for r in rows if r.sender_id is not None]
    if "text" in wanted:  # the people system messages name, rendered per reader
        people += [u for r in rows for u in system_text.people_of(getattr(r, "content", None))]
    if people:
        await _prime(info.context.loaders.get(identity.users_by_id), people)
    if "reactions" in wanted:
        await _prime(info.context.loaders.get(reaction_summaries), [r.id for r in rows])


async def _prime(loader: Any, keys: Iterable[Any]) -> None:
    """Load the keys the loader does not hold yet with one call of its batch function, and
    prime it: the same query as a batch of ``load`` calls, without a future, a callback and a
    gather per key (``SharedLoader.prime_values``: no future at all until a ``load``)."""
    missing = [k for k in dict.fromkeys(keys) if not loader.has(k)]
    if missing:
        values = zip(missing, await loader.load_fn(missing), strict=True)
        # A batch function may answer an exception for a key: left to ``load`` to raise it.
        loader.prime_values({k: v for k, v in values if not isinstance(v, BaseException)})


def visible_user(info: Info, user_id: int) -> Any:
    """``identity.visible_users`` for one user (same loader, same rule), without awaiting
    when the loader has it: the ``User`` or None, or an awaitable of it."""
    context = info.context
    principal = context.principal
    if principal is None:
        return None
    loaders = context.loaders
    key = (_VISIBLE_USER, user_id)
    made = loaders.made.get(key)
    if made is not None and made[0] is principal:  # this user for this viewer, already made
        return made[1]
    loader = loaders.get(identity.users_by_id)
    user = loader.loaded(user_id)
    if user is not NOT_LOADED:  # primed: one page, no closures
        found = _visible_user(principal, user)
        loaders.made[key] = (principal, found)
        return found
    return ready_or_later(loader.load(user_id), lambda u: _visible_user(principal, u))


_VISIBLE_USER = "visible_user"


def _visible_user(principal: Any, user: Any) -> User | None:
    seen = user is not None and identity.can_see_user(principal, user)
    return User.from_model(user) if seen else None


def visible_snapshot(info: Info, snapshot: UserSnapshot) -> User | None:
    """``visible_user`` for a user an event carries a snapshot of: the same rule, no query."""
    principal = info.context.principal
    if principal is None or not identity.can_see(
        principal, snapshot["organizationId"], snapshot["id"], snapshot["isActive"]
    ):
        return None
    return User.from_snapshot(snapshot)


def visible_user_then(info: Info, user_id: int, convert: Callable[[Any], Any]) -> Any:
    """``convert`` of the user model, or of None when the viewer may not see them; at once
    when the loader has it, else an awaitable (one batch for a page of chats or messages)."""
    principal = info.context.principal

    def visible(user: Any) -> Any:
        seen = user is not None and principal is not None and identity.can_see_user(principal, user)
        return convert(user if seen else None)

    if principal is None:
        return convert(None)
    return ready_or_later(info.context.loaders.get(identity.users_by_id).load(user_id), visible)


# A DIRECT chat's title when its other person is hidden from the viewer: the word system
# messages use for someone unnamed (``resolvers.messenger.system_text``).
HIDDEN_PEER = "Someone"


def peer_id(info: Info, pair: list[int]) -> int | None:
    """The person of a DIRECT chat's pair who is not the viewer (the viewer, in a chat with
    themself); None for a viewer outside the pair."""
    principal = info.context.principal
    if principal is None or principal.user_id not in pair:
        return None
    others = [u for u in pair if u != principal.user_id]
    return others[0] if others else principal.user_id


def peer_title(info: Info, pair: list[int]) -> Any:
    """A DIRECT chat's title: its other person's display name if the viewer may see them,
    else HIDDEN_PEER; at once when the user is loaded, else an awaitable (one batch a page)."""
    peer = peer_id(info, pair)
    if peer is None:
        return HIDDEN_PEER
    return visible_user_then(info, peer, lambda u: u.display_name if u else HIDDEN_PEER)


def system_message_text(info: Info, content: Any) -> Any:
    """A system message's text for this reader (``system_text.render``): the people it names
    that the reader may see by name, the others counted. Without awaiting when the users are
    loaded (``prime_page``), else an awaitable."""
    principal = info.context.principal
    loader = info.context.loaders.get(identity.users_by_id)
    futures = [loader.load(u) for u in system_text.people_of(content)]

    def convert(users: Sequence[Any]) -> str:
        names = {
            u.id: u.display_name
            for u in users
            if u is not None and principal is not None and identity.can_see_user(principal, u)
        }
        return system_text.render(content, names) or ""

    if all(isinstance(f, asyncio.Future) and f.done() for f in futures):
        return convert([f.result() for f in futures])

    async def later() -> str:
        return convert(await asyncio.gather(*futures))

    return later()
