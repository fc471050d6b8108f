"""graphql-transport-ws frames checked for shape before strawberry's handler reads them.

Strawberry's handler indexes every frame as an object and catches only ``KeyError``: a frame
that is valid JSON but not an object (``[]``, ``"x"``, ``123``, ``null``), a ``subscribe`` whose
``payload`` is not an object, or an ``id`` that is not a string raised ``TypeError`` out of the
ASGI application, and the client got no close frame at all. The protocol answers a malformed
message with close code 4400, so that is what these get, before or after ``connection_init``.

A ``subscribe`` that is well framed but whose request is not a GraphQL request (``query`` not
a string, ``variables`` not an object, ``operationName`` not a string) is the operation's
fault, not the connection's: it gets an ``error`` message for its id, as a document that does
not validate does, and the socket stays open for the client's other operations.
"""

from __future__ import annotations

from typing import Any, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from resolvers.core.context import Context
from server import frame_hub, persisted
from server.rejections import RequestRejected

MALFORMED = 4400


def _request_fault(payload: dict[str, Any]) -> str | None:
    """Why a subscribe payload is not a GraphQL request, or None when it is one."""
    if not isinstance(payload.get("query"), str):
        return "The subscribe payload's query must be a string."
    if not isinstance(payload.get("variables"), dict | None):
        return "The subscribe payload's variables must be an object or null."
    if not isinstance(payload.get("operationName"), str | None):
        return "The subscribe payload's operationName must be a string or null."
    if not isinstance(payload.get("extensions"), dict | None):
        return "The subscribe payload's extensions must be an object or null."
    return None


class FrameCheckingHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, refusing malformed frames with 4400."""

    # The socket's way out for the frame hub, made at its first hub subscription.
    hub_out: frame_hub.SocketOut | None = None

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            await self.handle_invalid_message("Messages are JSON objects.")
            return
        kind = message.get("type")
        if kind == "connection_init" and message.get("payload", {}) is None:
            # The protocol allows a null payload (no parameters); strawberry closed with 4400.
            message = {**message, "payload": {}}
        if kind in ("subscribe", "complete") and not (
            isinstance(message.get("id"), str) and message["id"]
        ):
            await self.handle_invalid_message(f"A {kind} message has a non-empty string id.")
            return
        if kind == "subscribe":
            payload = message.get("payload")
            if not isinstance(payload, dict):
                await self.handle_invalid_message("A subscribe message's payload is an object.")
                return
            if self.connection_acknowledged and message["id"] not in self.operations:
                # A document named by id (server/persisted.py), and an app's trusted-only rule.
                try:
                    resolved = await persisted.resolve(
                        payload.get("query"),
                        payload.get("extensions"),
                        payload.get("documentId"),
                        self.context,
                        cast(Any, self.schema)._schema,
                    )
                except RequestRejected as e:
                    await self.send_message(
                        {
                            "id": message["id"],
                            "type": "error",
                            "payload": [{"message": e.message, "extensions": {"code": e.code}}],
                        }
                    )
                    return
                if resolved.query is not None and resolved.query is not payload.get("query"):
                    payload = {**payload, "query": resolved.query}
                    message = {**message, "payload": payload}
            fault = _request_fault(payload)
            # Before the ack, and for an id in use, strawberry's own rules come first (4401,
            # 4409): they do not read the payload.
            if fault and self.connection_acknowledged and message["id"] not in self.operations:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [{"message": fault}]}
                )
                return
        await super().handle_message(cast(Message, message))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # A live chatEvents subscription goes to the frame hub (server/frame_hub.py) once
        # strawberry's rules about the socket (ack, duplicate id, limit) pass; anything else,
        # and anything the hub does not take, runs strawberry's way.
        hub: frame_hub.FrameHub | None = getattr(self.view, "hub", None)
        limit = self.max_subscriptions_per_connection
        if (
            hub is None
            or not self.connection_acknowledged
            or message["id"] in self.operations
            or (limit is not None and len(self.operations) >= limit)
        ):
            await super().handle_subscribe(message)
            return
        payload = message["payload"]
        found = frame_hub.hub_document(self.schema, payload["query"], payload.get("operationName"))
        if found is None:
            await super().handle_subscribe(message)
            return
        member = hub.subscribe(self, message["id"], found[0], cast(dict[str, Any], payload))
        self.operations[message["id"]] = member  # type: ignore[assignment]

    async def cleanup_operation(self, operation_id: str) -> None:
        operation: Any = self.operations.get(operation_id)
        if isinstance(operation, frame_hub.Member):
            del self.operations[operation_id]
            operation.hub.leave(operation)
            return
        await super().cleanup_operation(operation_id)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        # The init timeout is cancelled once connection_init arrives: drop the finished task,
        # so that an open socket holds one task of its own (the connection's), not two.
        task = self.connection_init_timeout_task
        if task is not None and task.done():
            self.connection_init_timeout_task = None
