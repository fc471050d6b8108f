"""Subscriptions over HTTP: GraphQL over Server-Sent Events (graphql-sse, distinct connections)
and Apollo's multipart subscriptions, through the real app with httpx streaming. The request
rules (authentication, CSRF, limits, the cap on streams, 406 without a streaming Accept) and
what a client that goes away leaves behind. The ending rules are in
``test_http_streams_ending.py``; the real JavaScript clients in ``tests/interop``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.routing import Route
from strawberry.relay import GlobalID

from adapters import runtime
from resolvers.messenger.events import chat_channel
from server import http_streams
from tests.client import Account, Api, wait_subscribed
from tests.drive.transfer import setting
from tests.messenger.helpers import group, send

SSE_ACCEPT = "text/event-stream"
MULTIPART_ACCEPT = "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json"
EVENTS = """subscription($id: ID!) { chatEvents(chatId: $id) {
  __typename ... on MessageAdded { message { seq text } } } }"""


class EventStream:
    """An SSE response read event by event; a task reads lines into a queue, so a read that
    times out leaves the stream readable."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.comments = 0
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for line in self.response.aiter_lines():
                await self.lines.put(line)
        except httpx.HTTPError:
            pass
        await self.lines.put(None)

    async def event(self, timeout: float = 10) -> tuple[str, Any]:
        """The next event as ``(name, parsed data)``; ``("eof", None)`` when the stream ended."""
        name, data = "", []
        async with asyncio.timeout(timeout):
            while True:
                line = await self.lines.get()
                if line is None:
                    return "eof", None
                if line == "":
                    if name or data:
                        text = "\n".join(data)
                        return name, json.loads(text) if text else None
                    continue
                if line.startswith(":"):
                    self.comments += 1
                    continue
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)

    async def close(self) -> None:
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


class MultipartStream:
    """An Apollo multipart subscription response read part by part (each part's JSON)."""

    DELIMITER = "\r\n--graphql"

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.chunks = response.aiter_text()
        self.buffer = ""
        self.ended = False

    async def part(self, timeout: float = 10) -> Any:
        """The next part's JSON; ``"end"`` after the closing delimiter."""
        async with asyncio.timeout(timeout):
            while True:
                if self.buffer.startswith("--"):
                    self.ended = True
                    return "end"
                start = self.buffer.find(self.DELIMITER)
                if start != -1:
                    following = self.buffer.find(self.DELIMITER, start + 1)
                    if following != -1:
                        part = self.buffer[start + len(self.DELIMITER) : following]
                        self.buffer = self.buffer[following:]
                        headers, _, body = part.partition("\r\n\r\n")
                        assert "content-type: application/json" in headers.lower(), part
                        return json.loads(body)
                    rest = self.buffer[start + len(self.DELIMITER) :]
                    if rest.startswith("--"):
                        self.ended = True
                        assert rest == "--\r\n", rest
                        return "end"
                self.buffer += await self.chunks.__anext__()


def stream_request(
    accept: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    who: Account | None = None,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    h = {"accept": accept, **(headers or {})}
    if who is not None:
        h["authorization"] = f"Bearer {who.access_token}"
    if method == "GET":
        params = {"query": query, **({"variables": json.dumps(variables)} if variables else {})}
        return {"method": "GET", "url": "/graphql", "params": params, "headers": h}
    return {
        "method": "POST",
        "url": "/graphql",
        "json": {"query": query, "variables": variables or {}},
        "headers": h,
    }


@contextlib.asynccontextmanager
async def sse(api: Api, *args: Any, **kwargs: Any) -> AsyncIterator[EventStream]:
    async with api.http.stream(**stream_request(SSE_ACCEPT, *args, **kwargs)) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = EventStream(response)
        try:
            yield stream
        finally:
            await stream.close()


@contextlib.asynccontextmanager
async def multipart(api: Api, *args: Any, **kwargs: Any) -> AsyncIterator[MultipartStream]:
    async with api.http.stream(**stream_request(MULTIPART_ACCEPT, *args, **kwargs)) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        content_type = response.headers["content-type"]
        assert content_type.startswith("multipart/mixed"), content_type
        assert 'boundary="graphql"' in content_type and "subscriptionSpec" in content_type
        yield MultipartStream(response)


def channel_of(chat_id: str) -> str:
    return chat_channel(int(GlobalID.from_id(chat_id).node_id))


def open_streams(app: Any) -> http_streams.HttpStreams:
    for route in app.routes:
        if isinstance(route, Route) and route.path == "/graphql":
            return route.app.streams  # type: ignore[no-any-return]
    raise AssertionError("no /graphql route")


async def nothing_left(app: Any, channel: str) -> None:
    """The stream is gone: no bus subscription, no registered stream, no task of it."""
    bus = runtime.current().bus
    async with asyncio.timeout(5):
        while (
            bus.subscriber_count(channel)
            or len(open_streams(app))
            or any(t.get_name().startswith("http-stream") for t in asyncio.all_tasks())
        ):
            await asyncio.sleep(0.02)


async def chat_of_two(api: Api) -> tuple[Account, Account, str]:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    return ada, bob, await group(api, ada, [bob])


# -- Server-Sent Events -----------------------------------------------------------------------


async def test_sse_subscription_receives_messages_and_a_closed_client_leaves_nothing(
    api: Api, app: Any
) -> None:
    # Given Bob subscribed to a chat over SSE
    ada, bob, chat = await chat_of_two(api)
    async with sse(api, EVENTS, {"id": chat}, who=bob) as stream:
        await wait_subscribed(channel_of(chat))
        assert len(open_streams(app)) == 1

        # When Ada sends two messages, Then both arrive as `next` events, in order; the cost
        # (the subscribe's) comes with the first one only, as over a WebSocket
        await send(api, ada, chat, "one")
        await send(api, ada, chat, "two")
        for seq, text in ((1, "one"), (2, "two")):
            name, data = await stream.event()
            assert name == "next"
            cost = {"extensions": data["extensions"]} if seq == 1 else {}
            assert data == {
                "data": {
                    "chatEvents": {
                        "__typename": "MessageAdded",
                        "message": {"seq": seq, "text": text},
                    }
                },
                **cost,
            }
            if seq == 1:
                assert data["extensions"]["cost"]["requestedQueryCost"] >= 1
        assert stream.comments >= 1  # the opening comment flushed the headers

    # And once the client has gone, nothing of the stream is left on the server
    await nothing_left(app, channel_of(chat))


async def test_queries_and_mutations_stream_one_result_then_complete(api: Api) -> None:
    ada, _, chat = await chat_of_two(api)
    async with sse(api, "{ viewer { id } }", who=ada) as stream:
        name, data = await stream.event()
        assert (name, data["data"]) == ("next", {"viewer": {"id": ada.user_id}})
        assert data["extensions"]["cost"]["requestedQueryCost"] >= 1
        assert await stream.event() == ("complete", None)
        assert await stream.event() == ("eof", None)

    mutation = """mutation($i: MessageSendInput!) { messageSend(input: $i) {
        message { seq text } errors { code } } }"""
    async with sse(api, mutation, {"i": {"chatId": chat, "text": "over SSE"}}, who=ada) as stream:
        name, data = await stream.event()
        assert data["data"]["messageSend"] == {
            "message": {"seq": 1, "text": "over SSE"},
            "errors": [],
        }
        assert await stream.event() == ("complete", None)


async def test_a_get_stream_runs_queries_and_subscriptions_but_no_mutation(api: Api) -> None:
    ada, _, chat = await chat_of_two(api)
    async with sse(api, "{ viewer { id } }", who=ada, method="GET") as stream:
        name, data = await stream.event()
        assert data["data"] == {"viewer": {"id": ada.user_id}}

    # A mutation over GET is refused in the stream, and nothing is written
    mutation = """mutation($i: MessageSendInput!) { messageSend(input: $i) { errors { code } } }"""
    variables = {"i": {"chatId": chat, "text": "over GET"}}
    async with sse(api, mutation, variables, who=ada, method="GET") as stream:
        name, data = await stream.event()
        assert name == "next" and data.get("data") is None
        assert [e["extensions"]["code"] for e in data["errors"]] == ["METHOD_NOT_ALLOWED"]
        assert await stream.event() == ("complete", None)
    page = await api.gql(
        """query($id: ID!) { node(id: $id) { ... on Chat { lastMessage { id } } } }""",
        {"id": chat},
        token=ada.access_token,
    )
    assert page["node"]["lastMessage"] is None


async def test_refusals_before_execution_arrive_as_next_events(api: Api) -> None:
    ada, _, chat = await chat_of_two(api)
    # A document that does not validate
    async with sse(api, "subscription { noSuchField }", who=ada) as stream:
        name, data = await stream.event()
        assert name == "next"
        assert data["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert await stream.event() == ("complete", None)
    # A document that does not parse, one whose operation cannot be chosen
    for document, code in (
        ("subscription {", "GRAPHQL_PARSE_FAILED"),
        ("query A { __typename } query B { __typename }", "OPERATION_RESOLUTION_FAILURE"),
    ):
        async with sse(api, document, who=ada) as stream:
            name, data = await stream.event()
            assert [e["extensions"]["code"] for e in data["errors"]] == [code], data
            assert await stream.event() == ("complete", None)
    # A limit: the Guard runs for streams as for every operation
    with setting("max_depth", 2):
        async with sse(api, EVENTS, {"id": chat}, who=ada) as stream:
            name, data = await stream.event()
            assert data["errors"][0]["extensions"]["code"] == "DEPTH_LIMIT_EXCEEDED"
            assert await stream.event() == ("complete", None)
    # The rate limit: a principal whose bucket is empty gets RATE_LIMITED, not a stream
    with setting("rate_limit_capacity", 3), setting("rate_limit_refill_per_second", 0.01):
        await runtime.current().store.reset(f"rate:user:{GlobalID.from_id(ada.user_id).node_id}")
        codes = []
        for _ in range(5):
            async with sse(api, "{ viewer { id } }", who=ada) as stream:
                _, data = await stream.event()
                codes.append(data["errors"][0]["extensions"]["code"] if "errors" in data else None)
                assert await stream.event() == ("complete", None)
        assert codes[0] is None and codes[-1] == "RATE_LIMITED", codes
    # Signed out: subscriptions need a principal
    async with sse(api, EVENTS, {"id": chat}) as stream:
        name, data = await stream.event()
        assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await stream.event() == ("complete", None)


async def test_a_subscription_without_a_streaming_accept_is_406(api: Api) -> None:
    ada, _, chat = await chat_of_two(api)
    for accept in ("application/json", "application/graphql-response+json", None):
        headers = {"authorization": f"Bearer {ada.access_token}"}
        if accept:
            headers["accept"] = accept
        r = await api.http.post(
            "/graphql", json={"query": EVENTS, "variables": {"id": chat}}, headers=headers
        )
        assert r.status_code == 406, r.text
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "STREAMING_TRANSPORT_REQUIRED"
        assert "text/event-stream" in error["message"] and "WebSocket" in error["message"]
    r = await api.http.get(
        "/graphql",
        params={"query": EVENTS, "variables": json.dumps({"id": chat})},
        headers={"accept": "application/json", "authorization": f"Bearer {ada.access_token}"},
    )
    assert r.status_code == 406
    assert r.json()["errors"][0]["extensions"]["code"] == "STREAMING_TRANSPORT_REQUIRED"


async def test_a_bad_token_is_401_before_anything_streams(api: Api) -> None:
    r = await api.http.post(
        "/graphql",
        json={"query": "subscription { viewerEvents { __typename } }"},
        headers={"accept": SSE_ACCEPT, "authorization": "Bearer hla_not_a_token"},
    )
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_cross_site_browser_cannot_open_a_stream(api: Api, app: Any) -> None:
    ada = await api.sign_up()
    query = "subscription { viewerEvents { __typename } }"
    # A page elsewhere (EventSource or fetch send Origin cross-origin)
    for method in ("GET", "POST"):
        r = await api.http.request(
            **stream_request(
                SSE_ACCEPT, query, who=ada, method=method, headers={"origin": "https://evil.test"}
            )
        )
        assert r.status_code == 403, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"
    # A body a form can send cross-site without a preflight, without the CSRF header
    r = await api.http.post(
        "/graphql",
        content=json.dumps({"query": query}),
        headers={"accept": SSE_ACCEPT, "content-type": "text/plain", **ada.headers},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"
    assert len(open_streams(app)) == 0
    # The allowed origin (HELLO_ALLOWED_ORIGINS) and same-origin pages may
    for origin in ("https://app.example.test", api.base_url):
        async with sse(api, "{ viewer { id } }", who=ada, headers={"origin": origin}) as stream:
            _name, data = await stream.event()
            assert data["data"] == {"viewer": {"id": ada.user_id}}


async def test_a_principal_holds_a_bounded_number_of_streams(api: Api, app: Any) -> None:
    ada = await api.sign_up()
    query = "subscription { viewerEvents { __typename } }"
    with setting("max_http_streams", 2):
        async with sse(api, query, who=ada), sse(api, query, who=ada):
            r = await api.http.request(**stream_request(SSE_ACCEPT, query, who=ada))
            assert r.status_code == 429
            assert r.json()["errors"][0]["extensions"]["code"] == "STREAM_LIMIT_EXCEEDED"
            # Someone else is not affected
            bob = await api.add_member(ada)
            async with sse(api, "{ viewer { id } }", who=bob) as stream:
                assert (await stream.event())[0] == "next"
        # Closed streams make room again
        async with asyncio.timeout(5):
            while len(open_streams(app)):
                await asyncio.sleep(0.02)
        async with sse(api, "{ viewer { id } }", who=ada) as stream:
            assert (await stream.event())[0] == "next"


async def test_an_idle_sse_stream_sends_keep_alive_comments(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_streams.SSEFraming, "heartbeat_seconds", 0.1)
    ada = await api.sign_up()
    async with sse(api, "subscription { viewerEvents { __typename } }", who=ada) as stream:
        # Nothing happens: comments only, the opening one, then one every 0.1 s (read until
        # four came, for at most 10 s, so that a busy machine does not fail the test).
        deadline = asyncio.get_running_loop().time() + 10
        while stream.comments < 4 and asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(TimeoutError):
                got = await stream.event(timeout=0.2)
                raise AssertionError(f"an idle stream sent {got}")
        assert stream.comments >= 4, stream.comments
