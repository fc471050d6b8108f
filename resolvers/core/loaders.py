"""Per-request DataLoaders: a type's field resolvers read related objects through these, so the
number of SQL queries for one operation does not grow with the page size."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader, DefaultCache

LoadFn = Callable[[list[Any]], Awaitable[Sequence[Any]]]
K = TypeVar("K")
T = TypeVar("T")


NOT_LOADED: Any = object()
"""What ``SharedLoader.loaded`` answers for a key not loaded (yet, or with an error)."""


class PrimedCache(DefaultCache[K, T]):
    """strawberry's cache of futures, plus values primed without a future
    (``SharedLoader.prime_values``): a future is made for such a key only when ``load`` asks
    for one. A key is in one of the two, never both."""

    def __init__(self, loader: DataLoader[K, T]) -> None:
        super().__init__()
        self.loader = loader
        self.values: dict[Any, Any] = {}

    def get(self, key: K) -> asyncio.Future[T] | None:
        future = self.cache_map.get(key)
        if future is None and key in self.values:
            future = self.loader.loop.create_future()
            future.set_result(self.values.pop(key))
            self.cache_map[key] = future
        return future

    def has(self, key: K) -> bool:
        return key in self.values or key in self.cache_map

    def set(self, key: K, value: asyncio.Future[T]) -> None:
        self.values.pop(key, None)
        self.cache_map[key] = value

    def delete(self, key: K) -> None:
        if key in self.values:
            del self.values[key]
        else:
            del self.cache_map[key]

    def clear(self) -> None:
        self.values.clear()
        self.cache_map.clear()


class SharedLoader(DataLoader[K, T]):
    """A DataLoader whose cached future is shared by every field that asks for the same key:
    graphql-core cancels a field's siblings when one fails, and a cancelled awaiter must not
    cancel the future the other fields still wait for (they got CancelledError, which escaped
    the executor as a plain-text 500). Each awaiter gets a shield of its own.

    Values primed with ``prime_values`` are kept without a future until ``load`` asks for
    one (``PrimedCache``): a page primes one value per message, and its fields read them with
    ``loaded``, so most of those futures were never awaited."""

    cache_map: PrimedCache[K, T]

    def __init__(self, load_fn: Any) -> None:
        super().__init__(load_fn=load_fn)
        self.cache_map = PrimedCache(self)

    def load(self, key: K) -> Awaitable[T]:
        future = cast(asyncio.Future[T], super().load(key))  # strawberry's is a Future
        if future.done():  # what asyncio.shield returns for a done future, without its checks
            return future
        return asyncio.shield(future)

    def has(self, key: K) -> bool:
        """Whether ``load(key)`` would take a cached or primed value (or wait for the batch
        the key is in), rather than add the key to a batch."""
        return self.cache_map.has(key)

    def prime_values(self, data: dict[K, T]) -> None:
        """``prime_many(data)`` without a future per key. A batch not dispatched yet may wait
        for one of the keys: then ``prime_many`` itself, which resolves its tasks."""
        batch = self.batch
        if batch is not None and not batch.dispatched and batch.tasks:
            self.prime_many(data)
            return
        cache = self.cache_map
        values = cache.values
        for key, value in data.items():
            if not cache.has(key):
                values[key] = value

    def loaded(self, key: K) -> Any:
        """The value ``load(key)`` resolves to if it is already there (a primed key), else
        NOT_LOADED: ``load`` then raises its error or waits for its batch."""
        cache = self.cache_map
        value = cache.values.get(key, NOT_LOADED)
        if value is not NOT_LOADED:
            return value
        future = cache.cache_map.get(key)
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
