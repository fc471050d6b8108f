"""One converted object per bus payload, so its subscribers can share one execution of it.

The bus hands the *same* decoded payload to every subscriber of a channel in this process
(``adapters/bus_stream.py``). A root field's generator converts it with ``shared_event``: every
subscriber then yields the same object, which the executor recognizes (``find``) and executes
once per (document, variables, visibility class), keeping the results with the event
(``server/live_events.py``). Events that are not shared (a replay, a catch-up) convert to
objects of their own and run as before.

One memo per schema (the tests build many apps in one process; a schema's memo goes with it),
bounded: an entry is useful while one event is delivered, a burst at most.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from graphql import GraphQLSchema
from strawberry.types import Info

MEMO_SIZE = 256


class SharedEvent:
    """A payload, what it converted to, and the executions of it (``server/live_events.py``
    owns ``results``)."""

    __slots__ = ("payload", "results", "value")

    def __init__(self, payload: Any, value: Any) -> None:
        self.payload = payload  # kept: the memo is keyed by its id
        self.value = value
        self.results: dict[Any, Any] = {}


class EventMemo:
    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._by_payload: OrderedDict[int, SharedEvent] = OrderedDict()
        self._by_value: dict[int, SharedEvent] = {}

    def convert(self, payload: Any, convert: Callable[[Any], Any]) -> Any:
        found = self._by_payload.get(id(payload))
        if found is not None and found.payload is payload:
            return found.value
        value = convert(payload)
        if value is None:
            return None
        event = SharedEvent(payload, value)
        self._by_payload[id(payload)] = event
        self._by_value[id(value)] = event
        while len(self._by_payload) > self.size:
            _, old = self._by_payload.popitem(last=False)
            if self._by_value.get(id(old.value)) is old:
                del self._by_value[id(old.value)]
        return value

    def find(self, value: Any) -> SharedEvent | None:
        """The shared event whose converted object this is, if it is one."""
        found = self._by_value.get(id(value))
        return found if found is not None and found.value is value else None


_memos: WeakKeyDictionary[GraphQLSchema, EventMemo] = WeakKeyDictionary()


def memo_of(schema: GraphQLSchema) -> EventMemo:
    memo = _memos.get(schema)
    if memo is None:
        memo = _memos[schema] = EventMemo()
    return memo


def shared_event(info: Info, payload: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(payload)``, the same object for every subscriber handed this payload."""
    return memo_of(info._raw_info.schema).convert(payload, convert)


__all__ = ["EventMemo", "SharedEvent", "memo_of", "shared_event"]
