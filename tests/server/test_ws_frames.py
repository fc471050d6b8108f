"""Malformed graphql-transport-ws frames over a real WebSocket: JSON that is not an object,
before or after ``connection_init``, and ``subscribe`` frames with a payload that is not an
object close with 4400 (they crashed the handler: "Exception in ASGI application", no close
frame); a ``subscribe`` whose request is not a GraphQL request gets an ``error`` message and
the socket carries on."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.client import Api, WSClient

NOT_OBJECTS: list[Any] = [[], "x", 123, None, True, [{"type": "connection_init"}]]


@pytest.fixture
def no_crash(caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test if the server logged an exception (uvicorn's "Exception in ASGI
    application", strawberry's "Exception in worker task")."""
    caplog.set_level(logging.ERROR)
    yield
    crashes = [r for r in caplog.records if r.exc_info or "Exception in" in r.getMessage()]
    assert not crashes, [r.getMessage() for r in crashes]


async def _send_raw(ws: WSClient, frame: Any) -> None:
    await ws.conn.send(json.dumps(frame))


async def _acked(server: str, api: Api) -> WSClient:
    account = await api.sign_up()
    ws = await WSClient.connect(server)
    ack = await ws.init({"authorization": f"Bearer {account.access_token}"})
    assert ack["type"] == "connection_ack"
    return ws


@pytest.mark.parametrize("frame", NOT_OBJECTS, ids=repr)
async def test_non_object_before_init_closes_4400(server: str, frame: Any, no_crash: Any) -> None:
    ws = await WSClient.connect(server)
    await _send_raw(ws, frame)
    assert await ws.closed_with() == 4400


@pytest.mark.parametrize("frame", NOT_OBJECTS, ids=repr)
async def test_non_object_after_init_closes_4400(
    server: str, api: Api, frame: Any, no_crash: Any
) -> None:
    ws = await _acked(server, api)
    await _send_raw(ws, frame)
    assert await ws.closed_with() == 4400


@pytest.mark.parametrize("payload", [[], "x", 123, None, ["query"]], ids=repr)
@pytest.mark.parametrize("signed_in", [False, True], ids=["before-init", "after-init"])
async def test_subscribe_with_non_object_payload_closes_4400(
    server: str, api: Api, payload: Any, signed_in: bool, no_crash: Any
) -> None:
    ws = await _acked(server, api) if signed_in else await WSClient.connect(server)
    await _send_raw(ws, {"id": "1", "type": "subscribe", "payload": payload})
    assert await ws.closed_with() == 4400


@pytest.mark.parametrize("op_id", [1, None, [], {"a": 1}, ""], ids=repr)
@pytest.mark.parametrize("kind", ["subscribe", "complete"])
async def test_message_without_a_string_id_closes_4400(
    server: str, api: Api, op_id: Any, kind: str, no_crash: Any
) -> None:
    ws = await _acked(server, api)
    await _send_raw(ws, {"id": op_id, "type": kind, "payload": {"query": "{ __typename }"}})
    assert await ws.closed_with() == 4400


@pytest.mark.parametrize(
    ("payload", "word"),
    [
        ({"query": 123}, "query"),
        ({"query": None}, "query"),
        ({"query": ["{ __typename }"]}, "query"),
        ({}, "query"),
        ({"query": "{ __typename }", "variables": [1]}, "variables"),
        ({"query": "{ __typename }", "operationName": 7}, "operationName"),
        ({"query": "{ __typename }", "extensions": "x"}, "extensions"),
    ],
    ids=repr,
)
async def test_subscribe_that_is_not_a_graphql_request_gets_an_error_message(
    server: str, api: Api, payload: dict[str, Any], word: str, no_crash: Any
) -> None:
    ws = await _acked(server, api)
    try:
        await _send_raw(ws, {"id": "bad", "type": "subscribe", "payload": payload})
        error = await ws.receive()
        assert error["type"] == "error" and error["id"] == "bad"
        assert word in error["payload"][0]["message"]
        # The socket carries on, and the refused id is free again.
        await _send_raw(
            ws, {"id": "bad", "type": "subscribe", "payload": {"query": "{ __typename }"}}
        )
        result = await ws.receive()
        assert result == {"id": "bad", "type": "next", "payload": result["payload"]}
        assert result["payload"]["data"] == {"__typename": "Query"}
        assert (await ws.receive()) == {"id": "bad", "type": "complete"}
    finally:
        await ws.close()


async def test_bad_query_before_init_still_closes_4401(server: str, no_crash: Any) -> None:
    """The protocol's order stands: nothing is executed or answered before the ack."""
    ws = await WSClient.connect(server)
    await _send_raw(ws, {"id": "1", "type": "subscribe", "payload": {"query": 1}})
    assert await ws.closed_with() == 4401


async def test_connection_init_with_a_null_payload_is_a_sign_in_without_a_token(
    server: str, no_crash: Any
) -> None:
    """``payload: null`` is allowed by the protocol: no token, so 4403, not a malformed 4400."""
    ws = await WSClient.connect(server)
    await _send_raw(ws, {"type": "connection_init", "payload": None})
    assert await ws.closed_with() == 4403
