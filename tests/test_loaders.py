"""``SharedLoader``'s values primed without a future (``prime_values``, what a page primes):
``loaded`` reads them, ``load`` gets a done future of the same value, priming never replaces a
cached or pending key, and a batch not dispatched yet gets its waiting keys resolved as
strawberry's ``prime_many`` resolves them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from resolvers.core.loaders import NOT_LOADED, SharedLoader

CALLS: list[list[Any]] = []


async def double(keys: list[Any]) -> list[Any]:
    CALLS.append(list(keys))
    return [k * 2 for k in keys]


@pytest.fixture(autouse=True)
def _calls() -> None:
    CALLS.clear()


async def test_primed_values_are_read_without_a_future_and_loaded_as_one() -> None:
    loader: SharedLoader[int, int] = SharedLoader(load_fn=double)
    loader.prime_values({1: 10, 2: 20})
    assert loader.loaded(1) == 10 and loader.loaded(3) is NOT_LOADED
    assert loader.cache_map.cache_map == {}  # no future made yet
    assert loader.has(1) and not loader.has(3)
    future = loader.load(1)
    assert isinstance(future, asyncio.Future) and future.done() and future.result() == 10
    assert loader.load(1) is future  # the same future from then on
    assert loader.loaded(1) == 10
    assert await loader.load(3) == 6  # not primed: batched
    assert CALLS == [[3]]
    assert loader.loaded(3) == 6


async def test_priming_keeps_what_is_cached_or_pending() -> None:
    loader: SharedLoader[int, int] = SharedLoader(load_fn=double)
    assert await loader.load(1) == 2
    pending = loader.load(5)  # in a batch not dispatched yet
    loader.prime_values({1: 100, 5: 50, 6: 60})
    assert await pending == 50  # resolved by the priming, as prime_many does
    assert loader.loaded(1) == 2 and loader.loaded(6) == 60
    assert await loader.load(6) == 60
    assert CALLS == [[1]]


async def test_clear_and_prime_many_over_primed_values() -> None:
    loader: SharedLoader[int, int] = SharedLoader(load_fn=double)
    loader.prime_values({1: 10, 2: 20, 3: 30})
    loader.clear(1)
    assert loader.loaded(1) is NOT_LOADED and not loader.has(1)
    loader.prime_many({2: 200}, force=True)  # replaces the primed value
    assert loader.loaded(2) == 200 and await loader.load(2) == 200
    loader.clear_all()
    assert loader.loaded(3) is NOT_LOADED
    assert await loader.load(3) == 6
    assert CALLS == [[3]]
