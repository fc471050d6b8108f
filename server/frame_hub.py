"""The frame hub: live ``chatEvents`` subscriptions over graphql-transport-ws served by one bus
subscription per chat per process, with frames written straight to each socket (issue 14,
step 2).

Before, every subscriber was a chain of its own: strawberry's operation task, graphql-core's
subscription iterator and executor, the root field's generator, the stream's generator and a
bus subscription with its buffer; each event went through all of it once per subscriber. Here a
process keeps, per chat, one bus subscription and one listener task (``Channel``). Per event it
converts the payload once, executes it once per sharing key (document, variables, visibility
class: ``server/live_events.sharing_key``) with graphql-core, encodes the payload once
(``SharedData``) and writes each member's frame, ``{"id":<op>,"type":"next","payload":...}``,
to its socket's transport at once (``ws_protocol.LeanWebSocketProtocol.write_text``). A member
is a slotted ``Member``: its operation id, the chat cursor ``seen``, its chat-member id, the
sharing key; an idle subscription holds no task, no generator, no executor and no bus
subscription of its own.

Semantics are those of ``subscriptions/messenger.chat_events`` and strawberry's handler, which
keep serving every subscription the hub does not take (other fields, a directive or a fragment
at the root, SSE and multipart streams). Under a server whose protocol cannot write a frame
directly, the hub sends through the socket's send path instead (``SocketOut``).

* the checks before execution are the Guard's (``limits.admit``): an operation they refuse gets
  an ``error`` message, as before; the first ``next`` carries ``extensions.cost``;
* subscribing joins the chat's channel (confirmed by the bus) *before* the replay query, so a
  member's replay (``afterSeq``), catch-up (``CATCH_UP`` from the bus) and gap fill (a message
  whose seq is past ``seen + 1``) run in a short task of the member's own while the hub keeps
  that member's live events in its buffer, in order, until the task has caught up; the member
  then rejoins the hub's loop. Nothing is delivered twice (``seq <= seen`` is dropped) or
  skipped;
* a member removed from the chat, or a catch-up that finds it removed, completes at once;
  errors end the stream with a ``next`` carrying the shaped errors, then ``complete``;
* an event whose execution has errors is executed again per member (error shaping is per
  request), as before.

The slow-consumer rule (a member more than ``bus_queue_size`` frames behind in its socket's
outbox, or in its buffer while its task runs, ends with SUBSCRIPTION_OVERFLOW) and the rest of
the small parts are in ``server/hub_parts.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
)
from graphql.execution.values import get_argument_values
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from adapters import runtime
from adapters.bus import CATCH_UP, BusUnavailable, CatchUp, SubscriberOverflow
from graphql_schema.core.node import require_id
from graphql_schema.messenger.events import to_chat_event
from resolvers.messenger import events
from resolvers.messenger.access import access_chat
from resolvers.messenger.events import ChatEvent, MessengerEventKind, is_messenger_event
from server import live_events
from server.error_shaping import shape_errors
from server.execution import HelloExecutionContext
from server.hub_parts import FIELD, Channel, Member, SocketOut, hub_document
from server.limits import admit
from subscriptions.core import (
    POLL_SECONDS,
    LiveEventsUnavailable,
    SubscriptionOverflow,
)
from subscriptions.messenger import GATHER_SECONDS, missed_messages, stored_messages

if TYPE_CHECKING:
    from server.ws_frames import FrameCheckingHandler

log = logging.getLogger("hello.hub")

_execute_operation = StrawberryGraphQLCoreExecutionContext.execute_operation


class FrameHub:
    def __init__(self, schema: Any) -> None:
        self.schema = schema  # strawberry's
        self.channels: dict[str, Channel] = {}

    @property
    def queue_size(self) -> int:
        """How many events a member may be behind (read when one waits, so that the setting
        can change without rebuilding the app)."""
        return runtime.current().settings.bus_queue_size

    # -- subscribing ---------------------------------------------------------------------------

    def subscribe(
        self,
        handler: FrameCheckingHandler,
        op_id: str,
        document: DocumentNode,
        payload: dict[str, Any],
    ) -> Member:
        out = getattr(handler, "hub_out", None)
        if out is None:
            out = handler.hub_out = SocketOut(handler)
        member = Member(self, op_id, out, handler.context)
        member.buffer = deque()
        member.task = asyncio.ensure_future(self._start(member, document, payload))
        member.task.add_done_callback(_retrieved)
        return member

    async def _start(self, member: Member, document: DocumentNode, payload: dict[str, Any]) -> None:
        ctx = member.ctx
        query = payload["query"]
        operation_name = payload.get("operationName")
        variables = payload.get("variables")
        try:
            if ctx is not None:
                ctx.drop_loaders()  # the Guard's on_operation, for a socket
            admission = member.admission
            assert admission is not None
            await admit(
                admission,
                self.schema._schema,
                document,
                query,
                operation_name,
                variables,
                ctx,
            )
            if admission.errors:
                self._refuse(member, admission.errors)
                return
            executor = HelloExecutionContext.build(
                self.schema._schema,
                document,
                None,
                ctx,
                variables,
                operation_name,
            )
            if isinstance(executor, list):
                self._refuse(member, executor)
                return
            await self._join(member, executor)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.fail(member, error)
            return
        await self._catch_up(member, None)

    def _refuse(self, member: Member, errors: list[GraphQLError]) -> None:
        """An ``error`` message, as strawberry answers errors before execution."""
        self.schema._process_errors(errors)
        shaped = shape_errors(list(errors), member.ctx)
        if member.ctx is not None:
            member.ctx.outcome = (shaped[0].extensions or {}).get("code", "ERROR")
        self._end(member)
        member.out.write(
            None,
            live_events.dumps(
                {"id": member.id, "type": "error", "payload": [e.formatted for e in shaped]}
            ),
        )

    async def _join(self, member: Member, executor: Any) -> None:
        operation = executor.operation
        field = cast(FieldNode, operation.selection_set.selections[0])
        root = self.schema._schema.subscription_type
        args = get_argument_values(root.fields[FIELD], field, executor.variable_values)
        chat_id = require_id(args.get("chatId"), "Chat", "chatId")
        after_seq = args.get("afterSeq")
        access = await access_chat(member.ctx, chat_id)
        chat_pk = access.chat.id
        member.member_id = access.member.id
        member.user_id = access.member.user_id
        key = live_events.sharing_key(executor)
        member.key = key if key is not None else ("member", id(member))
        executor.context_value = None  # each event names the context it runs with
        name = events.chat_channel(chat_pk)
        channel = self.channels.get(name)
        if channel is None:
            channel = self.channels[name] = Channel(name, chat_pk)
        template = channel.templates.get(member.key)
        channel.templates[member.key] = (
            (template[0], template[1] + 1) if template else (executor, 1)
        )
        member.channel = channel
        channel.members[member] = None
        try:
            if channel.joined is None:
                channel.joined = asyncio.get_running_loop().create_future()
                channel.listener = asyncio.ensure_future(self._listen(channel))
                channel.listener.add_done_callback(_retrieved)
            # Shielded: this member going away must not stop the others' subscription.
            await asyncio.shield(channel.joined)
        except BaseException:
            self._leave(member)
            raise
        if channel.sub is not None:
            channel.sub.weight = len(channel.members)
        # Confirmed before the replay query: a message committed meanwhile is in the replay
        # or in the buffer (possibly both: seen drops the second).
        member.seen = access.chat.last_seq if after_seq is None else max(after_seq, 0)
        if after_seq is not None:
            async for msg in stored_messages(chat_pk, member.seen, None):
                await self._deliver_own(member, events.message_added(msg))
                member.seen = msg.seq

    # -- the channel's listener ----------------------------------------------------------------

    async def _listen(self, channel: Channel) -> None:
        bus = runtime.current().bus
        joined = channel.joined
        assert joined is not None
        try:
            async with bus.subscribe(channel.name, poll_seconds=POLL_SECONDS) as sub:
                channel.sub = sub
                sub.weight = len(channel.members)
                joined.set_result(None)
                while True:
                    item = await sub.next_item()
                    if not channel.members:
                        return
                    result = self._dispatch(channel, item)
                    if result is not None:
                        await result
        except StopAsyncIteration:
            for member in list(channel.members):
                self._complete(member)  # the bus closed: every stream ends
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error: Exception = exc
            if isinstance(exc, SubscriberOverflow):
                error = SubscriptionOverflow()
            elif isinstance(exc, BusUnavailable):
                error = LiveEventsUnavailable()
            if not joined.done():
                joined.set_exception(error)
            for member in list(channel.members):
                self.fail(member, error)
        finally:
            if not joined.done():
                joined.cancel()
            if self.channels.get(channel.name) is channel:
                del self.channels[channel.name]

    def _dispatch(self, channel: Channel, item: Any) -> Awaitable[None] | None:
        """One bus item for every member of the channel: handed to those whose task runs,
        delivered to the others (once per sharing key), or started as a task where the
        member must read the database first."""
        if isinstance(item, CatchUp):
            for member in list(channel.members):
                self._hand(member, CATCH_UP)
            return None
        if not is_messenger_event(item):
            return None  # not an event of ours: no chat event shows it
        event = cast(ChatEvent, item)  # a chat channel carries chat events only
        removed: Any = ()
        seq: int | None = None
        if event["type"] == MessengerEventKind.MEMBERS_CHANGED:
            removed = event["removed"]
        elif event["type"] == MessengerEventKind.MESSAGE_ADDED:
            seq = event["message"]["seq"]
        now: list[Member] = []
        for member in list(channel.members):
            if member.task is not None:
                self._hand(member, event)
            elif member.user_id in removed:
                self._complete(member)  # removed from the chat: its events stop at once
            elif seq is None:
                now.append(member)
            elif seq <= member.seen:
                continue  # delivered already
            elif seq > member.seen + 1:
                self._hand(member, event)  # a gap: filled from the database first
            else:
                member.seen = seq
                now.append(member)
        if not now:
            return None
        value = to_chat_event(event)
        if value is None:
            return None
        return self._deliver_shared(channel, now, value)

    def _hand(self, member: Member, item: Any) -> None:
        """``item`` for the member's own task (started if none runs)."""
        if member.ended:
            return
        if member.buffer is None:
            member.buffer = deque()
        member.buffer.append(item)
        if len(member.buffer) > self.queue_size:
            member.buffer = None
            self.fail(member, SubscriptionOverflow())
            return
        if member.task is None:
            member.task = asyncio.ensure_future(self._catch_up(member, None))
            member.task.add_done_callback(_retrieved)

    # -- a member's own task -------------------------------------------------------------------

    async def _catch_up(self, member: Member, _: None) -> None:
        """Work through the member's buffer (catch-ups, gap fills, live events behind them),
        then hand it back to the hub's loop."""
        channel = member.channel
        assert channel is not None
        try:
            while member.buffer and not member.ended:
                item = member.buffer.popleft()
                if isinstance(item, CatchUp):
                    # Membership is checked again, in the read shared with the chat's others.
                    missed = await missed_messages(
                        channel.chat_pk,
                        member.seen,
                        member_id=member.member_id,
                        gather=GATHER_SECONDS,
                    )
                    if missed is None:
                        self._complete(member)  # removed while the bus was away
                        return
                    for msg in missed:
                        await self._deliver_own(member, events.message_added(msg))
                        member.seen = msg.seq
                    continue
                event = cast(ChatEvent, item)
                if (
                    event["type"] == MessengerEventKind.MEMBERS_CHANGED
                    and member.user_id in event["removed"]
                ):
                    self._complete(member)  # removed from the chat: its events stop at once
                    return
                if event["type"] == MessengerEventKind.MESSAGE_ADDED:
                    seq = event["message"]["seq"]
                    if seq <= member.seen:
                        continue
                    if seq > member.seen + 1:
                        for msg in await missed_messages(channel.chat_pk, member.seen) or []:
                            if msg.seq < seq:
                                await self._deliver_own(member, events.message_added(msg))
                    member.seen = seq
                value = to_chat_event(event)
                if value is not None:
                    await self._deliver_own(member, value, converted=True)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.fail(member, error)
        finally:
            member.task = None
            if not member.buffer:
                member.buffer = None

    # -- executing and writing -----------------------------------------------------------------

    async def _deliver_shared(self, channel: Channel, members: list[Member], value: Any) -> None:
        results: dict[Any, Any] = {}
        for member in members:
            if member.ended:
                continue
            key = member.key
            result = results.get(key)
            if result is None:
                result = await self._execute(channel, member, value)
                if not result.errors and result.data is not None:
                    result = live_events.SharedData(result.data)
                results[key] = result
            if isinstance(result, live_events.SharedData):
                self._send_result(member, result, None)
            else:
                await self._deliver_own(member, value, converted=True)

    async def _deliver_own(self, member: Member, value: Any, *, converted: bool = False) -> None:
        """A member's own execution of an event (replay, catch-up, errors)."""
        if not converted:
            value = to_chat_event(cast(ChatEvent, value))
            if value is None:
                return
        channel = member.channel
        assert channel is not None
        result = await self._execute(channel, member, value)
        errors = None
        if result.errors:
            self.schema._process_errors(result.errors)
            errors = shape_errors(list(result.errors), member.ctx)
        self._send_result(member, result.data, errors)

    async def _execute(self, channel: Channel, member: Member, value: Any) -> ExecutionResult:
        """graphql-core's execution of one event for the member's document, variables and
        context (the subscription's template executor, copied per event as graphql-core does)."""
        template = channel.templates[member.key][0]
        executor = template.build_per_event_executor(value)
        executor.context_value = member.ctx
        try:
            result: Any = _execute_operation(executor, False)
            if not isinstance(result, ExecutionResult):
                result = await result
            return cast(ExecutionResult, result)
        finally:
            if member.ctx is not None:
                member.ctx.drop_loaders()  # the event's rows go with it (the Guard's rule)

    def _send_result(self, member: Member, data: Any, errors: list[GraphQLError] | None) -> None:
        if member.ended:
            return
        admission = member.admission
        if admission is None and errors is None and isinstance(data, live_events.SharedData):
            member.out.write(member, member.prefix + data.payload_text() + "}")
            return
        payload: dict[str, Any] = {"data": data}
        if errors:
            payload["errors"] = [e.formatted for e in errors]
        if admission is not None:
            member.admission = None
            extensions = admission.results(each=False)
            if extensions:
                payload["extensions"] = extensions
        member.out.write(
            member, live_events.dumps({"id": member.id, "type": "next", "payload": payload})
        )

    # -- ending ----------------------------------------------------------------------------------

    def fail(self, member: Member, error: Exception) -> None:
        """End the stream with its error, as strawberry reports an error of a stream."""
        if member.ended:
            return
        coerced = (
            error
            if isinstance(error, GraphQLError)
            else GraphQLError(str(error), original_error=error)
        )
        self.schema._process_errors([coerced])
        shaped = shape_errors([coerced], member.ctx)
        self._send_result(member, None, shaped)
        self._complete(member)

    def _complete(self, member: Member) -> None:
        if member.ended:
            return
        self._end(member)
        member.out.write(None, live_events.dumps({"id": member.id, "type": "complete"}))

    def _end(self, member: Member) -> None:
        member.ended = True
        member.out.handler.operations.pop(member.id, None)
        self._leave(member)
        task = member.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def leave(self, member: Member) -> None:
        """The client completed the operation, or the socket is gone."""
        if member.ended:
            return
        member.ended = True
        self._leave(member)
        if member.pending:
            member.out.drop(member)
        task = member.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def _leave(self, member: Member) -> None:
        member.buffer = None
        channel = member.channel  # kept: a task still finishing reads it
        if channel is None:
            return
        if channel.members.pop(member, 0) is None:
            template = channel.templates.get(member.key)
            if template is not None:
                if template[1] <= 1:
                    del channel.templates[member.key]
                else:
                    channel.templates[member.key] = (template[0], template[1] - 1)
        if channel.sub is not None:
            channel.sub.weight = len(channel.members)
        if not channel.members and channel.listener is not None:
            # The last one: the bus subscription goes (the listener's exit leaves the channel).
            if self.channels.get(channel.name) is channel:
                del self.channels[channel.name]
            channel.listener.cancel()


def _retrieved(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        exc = task.exception()
        if exc is not None:
            log.error("frame hub task failed", exc_info=exc)


__all__ = ["FrameHub", "Member", "hub_document"]
