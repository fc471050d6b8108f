"""The frame hub's small parts (``server/frame_hub.py``): which subscriptions it serves
(``hub_document``), a member (``Member``), a chat's channel (``Channel``) and a socket's way out
(``SocketOut``).

The slow-consumer rule lives in ``SocketOut``: a frame the transport cannot take now (its buffer
is above the high-water mark) waits in the socket's outbox, sent in order by a task that exists
only while something waits, through the socket's normal send path (so a socket stalled past
``ws_send_timeout_seconds`` is still closed with 4008, ``server/stalled_sockets.py``). A member
with more than ``bus_queue_size`` frames waiting there is that many events behind: its waiting
frames are dropped and it ends with SUBSCRIPTION_OVERFLOW, as a bus subscriber does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, FieldNode, OperationDefinitionNode, OperationType

from adapters.bus import Subscription
from server import jsonbody
from server.limits import Admission, operation_of, parse_document, validation_errors
from server.ws_protocol import PROTOCOL_SCOPE_KEY
from subscriptions.core import SubscriptionOverflow

if TYPE_CHECKING:
    from server.frame_hub import FrameHub
    from server.ws_frames import FrameCheckingHandler

FIELD = "chatEvents"


def hub_document(
    schema: Any, query: str, operation_name: str | None
) -> tuple[DocumentNode, OperationDefinitionNode] | None:
    """The document and operation if the hub serves them: a valid subscription whose one
    root selection is ``chatEvents`` with no directive. None: strawberry's path serves it
    (and reports whatever is wrong with it, as before)."""
    try:
        document = parse_document(query)
    except Exception:
        return None
    operation = operation_of(document, operation_name)
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        return None
    if (
        operation_name is None
        and sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) != 1
    ):
        return None  # which one to run is not clear: strawberry's path says so
    selections = operation.selection_set.selections
    if len(selections) != 1:
        return None
    field = selections[0]
    if not isinstance(field, FieldNode) or field.name.value != FIELD or field.directives:
        return None
    if operation.directives or validation_errors(schema._schema, document, query):
        return None
    return document, operation


class SocketOut:
    """One socket's way out for the hub's frames: straight to the transport while it takes
    them, else an outbox sent in order by a task that lives only while it is not empty."""

    __slots__ = ("drain", "handler", "outbox", "protocol")

    def __init__(self, handler: FrameCheckingHandler) -> None:
        self.handler = handler
        ws = handler.websocket.ws  # type: ignore[attr-defined]
        self.protocol = ws.scope.get(PROTOCOL_SCOPE_KEY)
        self.outbox: deque[tuple[Member | None, str]] | None = None
        self.drain: asyncio.Task[None] | None = None

    def write(self, member: Member | None, text: str) -> None:
        if self.outbox is None and self.protocol is not None and self.protocol.write_text(text):
            return
        if self.outbox is None:
            self.outbox = deque()
        self.outbox.append((member, text))
        if member is not None:
            member.pending += 1
            if member.pending > member.hub.queue_size and not member.ended:
                self.drop(member)
                member.hub.fail(member, SubscriptionOverflow())
        if self.drain is None:
            self.drain = asyncio.ensure_future(self._drain())

    def drop(self, member: Member) -> None:
        """Forget the frames of ``member`` still waiting (it is cut off)."""
        if self.outbox:
            self.outbox = deque(f for f in self.outbox if f[0] is not member) or None
        member.pending = 0

    async def _drain(self) -> None:
        send = self.handler.websocket.ws.send_text  # type: ignore[attr-defined]
        try:
            while self.outbox:
                member, text = self.outbox.popleft()
                if member is not None:
                    member.pending -= 1
                await send(text)
        except Exception:
            self.outbox = None  # the socket is gone; its handler ends its operations
        finally:
            self.outbox = self.outbox or None
            self.drain = None


class Member:
    """One live ``chatEvents`` subscription the hub serves."""

    __slots__ = (
        "admission",
        "buffer",
        "channel",
        "ctx",
        "ended",
        "hub",
        "id",
        "key",
        "member_id",
        "out",
        "pending",
        "prefix",
        "seen",
        "task",
        "user_id",
    )

    def __init__(self, hub: FrameHub, op_id: str, out: SocketOut, ctx: Any) -> None:
        self.hub = hub
        self.id = op_id
        self.out = out
        self.ctx = ctx
        self.prefix = f'{{"id":{jsonbody.dumps(op_id)},"type":"next","payload":'
        self.admission: Admission | None = Admission()  # until the first result is sent
        self.key: Any = None
        self.channel: Channel | None = None
        self.seen = 0
        self.member_id = 0
        self.user_id = 0
        self.pending = 0  # frames waiting in the socket's outbox
        # While ``task`` runs (subscribing, replay, catch-up, gap fill), live items wait here.
        self.task: asyncio.Task[None] | None = None
        self.buffer: deque[Any] | None = None
        self.ended = False


class Channel:
    """One chat's bus subscription in this process and the members it serves."""

    __slots__ = ("chat_pk", "joined", "listener", "members", "name", "sub", "templates")

    def __init__(self, name: str, chat_pk: int) -> None:
        self.name = name
        self.chat_pk = chat_pk
        self.members: dict[Member, None] = {}  # in the order they joined
        self.templates: dict[Any, tuple[Any, int]] = {}  # key -> (executor, members using it)
        self.sub: Subscription | None = None
        self.joined: asyncio.Future[None] | None = None
        self.listener: asyncio.Task[None] | None = None


__all__ = ["FIELD", "Channel", "Member", "SocketOut", "hub_document"]
