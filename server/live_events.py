"""A live event executed once per (event, document, variables, visibility class), its payload
encoded once.

Delivering one event to 1,001 subscribers executed the same selection 1,001 times and encoded
1,001 equal payloads (bench/, figure 4). Now the subscribers of a channel yield the same
converted object for one bus payload (``graphql_schema/core/shared_events.py``), and the
per-event executor looks it up before executing: subscribers that hold the same validated
document (the parse cache hands them the same operation node) with the same variables and are
in the same visibility class get the first one's result, and the result's ``data`` encodes
itself once (``SharedData``), so each subscriber only wraps its operation id around the text.

Exact by construction: the class is what the selected fields read of the viewer
(``graphql_schema/core/audience.py``): nothing for most documents, the organization and role
class (``identity.visibility_class``) for one that shows people, the viewer themselves for one
selecting a ``VIEWER`` field. A result with errors is never shared (error shaping is per
request): each subscriber then executes its own, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from graphql import ExecutionResult

from graphql_schema.core.audience import Audience, document_audience
from graphql_schema.core.shared_events import memo_of
from resolvers.identity.queries import visibility_class
from server import jsonbody

Run = Callable[[], Any]


class SharedData(dict[str, Any]):
    """An event's ``data``, shared by the subscribers of a class; encodes itself once."""

    __slots__ = ("_payload",)

    def payload_text(self) -> str:
        """``{"data": ...}`` as JSON text."""
        try:
            return self._payload
        except AttributeError:
            self._payload: str = jsonbody.dumps({"data": self})
            return self._payload


def dumps(message: Any) -> str:
    """``jsonbody.dumps``, but a ``next`` frame or a bare payload around ``SharedData`` reuses
    the payload's text (the same bytes: orjson writes compact JSON, keys in order)."""
    if type(message) is dict:
        if len(message) == 3 and message.get("type") == "next":
            payload = message.get("payload")
            if type(payload) is dict and len(payload) == 1:
                data = payload.get("data")
                if isinstance(data, SharedData):
                    op_id = jsonbody.dumps(message["id"])
                    return f'{{"id":{op_id},"type":"next","payload":{data.payload_text()}}}'
        elif len(message) == 1:
            data = message.get("data")
            if isinstance(data, SharedData):
                return data.payload_text()  # an SSE or multipart event
    return jsonbody.dumps(message)


def sharing_key(executor: Any) -> Any:
    """Whom this subscription shares its events' executions with: (operation, variables,
    class), or None when it shares with nobody. Fixed for the life of a subscription (its
    document, variables and principal do not change), so worked out once, at its first event."""
    audience = document_audience(executor.schema, executor.fragment_definitions, executor.operation)
    try:
        variables = orjson.dumps(executor.variable_values.coerced, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    principal = getattr(executor.context_value, "principal", None)
    if audience is Audience.ANYONE:
        who: Any = ()
    elif audience is Audience.CLASS:
        who = visibility_class(principal)
    elif principal is not None:
        who = ("viewer", principal.user_id, principal.session_id)
    else:
        return None
    return (id(executor.operation), variables, who)


def execute_event(executor: Any, key: Any, run: Run) -> Any:
    """The result of ``run()`` (the per-event execution), or a class-mate's for the same
    event; an ExecutionResult or an awaitable of one. ``key``: ``sharing_key``'s."""
    event = memo_of(executor.schema).find(executor.root_value) if key is not None else None
    if event is None:
        return run()
    found = event.results.get(key)
    if found is not None:
        # (operation, result or task): the operation is kept so the id in the key stays its.
        shared = found[1]
        if isinstance(shared, ExecutionResult):
            return shared if not shared.errors else run()
        return _later(shared, run)
    outcome = run()
    if isinstance(outcome, ExecutionResult):
        if outcome.errors or outcome.data is None:
            return outcome
        result = _shareable(outcome)
        event.results[key] = (executor.operation, result)
        return result
    # Shielded below: a subscriber going away must not cancel its class-mates' execution.
    task = asyncio.ensure_future(_finish(outcome))
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    event.results[key] = (executor.operation, task)
    return _first(task)


async def _finish(outcome: Awaitable[ExecutionResult]) -> ExecutionResult:
    result = await outcome
    return result if result.errors or result.data is None else _shareable(result)


async def _first(task: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    return await asyncio.shield(task)


async def _later(task: asyncio.Future[ExecutionResult], run: Run) -> ExecutionResult:
    try:
        result = await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.cancelled():
            raise  # this subscriber was cancelled
        result = None
    except Exception:
        result = None
    if result is not None and not result.errors:
        return result
    own = run()  # the first one's failed: executed here, as before
    return await own if not isinstance(own, ExecutionResult) else own


def _shareable(result: ExecutionResult) -> ExecutionResult:
    assert result.data is not None
    return ExecutionResult(data=SharedData(result.data), extensions=result.extensions)


__all__ = ["SharedData", "dumps", "execute_event", "sharing_key"]
