"""Per-request DataLoaders: a type's field resolvers read related objects through these, so the
number of SQL queries for one operation does not grow with the page size."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

LoadFn = Callable[[list[Any]], Awaitable[Sequence[Any]]]
K = TypeVar("K")
T = TypeVar("T")


NOT_LOADED: Any = object()
"""What ``SharedLoader.loaded`` answers for a key not loaded (yet, or with an error)."""


class SharedLoader(DataLoader[K, T]):
    """A DataLoader whose cached future is shared by every field that asks for the same key:
    graphql-core cancels a field's siblings when one fails, and a cancelled awaiter must not
    cancel the future the other fields still wait for (they got CancelledError, which escaped
    the executor as a plain-text 500). Each awaiter gets a shield of its own."""

    def load(self, key: K) -> Awaitable[T]:
        future = cast(asyncio.Future[T], super().load(key))  # strawberry's is a Future
        if future.done():  # what asyncio.shield returns for a done future, without its checks
            return future
        return asyncio.shield(future)

    def loaded(self, key: K) -> Any:
        """The value ``load(key)`` resolves to if it is already there (a primed key), else
        NOT_LOADED: ``load`` then raises its error or waits for its batch."""
        future = self.cache_map.get(key) if self.cache else None
        if future is None or not future.done() or future.cancelled():
            return NOT_LOADED
        try:
            return future.result()
        except Exception:
            return NOT_LOADED


class Loaders:
    """One DataLoader per batch function, created on first use within a request."""

    def __init__(self) -> None:
        self._loaders: dict[LoadFn, SharedLoader[Any, Any]] = {}
        # What fields made of loaded rows for this request, by a key of theirs (the User a
        # message's sender resolves to, by user id): forgotten with the rows.
        self.made: dict[Any, Any] = {}

    def get(self, load_fn: LoadFn) -> SharedLoader[Any, Any]:
        loader = self._loaders.get(load_fn)
        if loader is None:
            loader = self._loaders[load_fn] = SharedLoader(load_fn=load_fn)
        return loader

    def clear(self) -> None:
        """Forget cached rows: a long-lived WebSocket context calls this per event."""
        self._loaders.clear()
        self.made.clear()


def by_key(rows: Sequence[Any], keys: Sequence[Any], key: str = "id") -> list[Any]:
    """Order ``rows`` like ``keys`` (None where missing), as a DataLoader must return them."""
    index = {getattr(r, key): r for r in rows}
    return [index.get(k) for k in keys]
