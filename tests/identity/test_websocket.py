"""Subscriptions over a real WebSocket (graphql-transport-ws): sign-in at connection_init,
organizationEvents with tenancy, the 4403/4408 closes, origins, the operation limit, and
sockets closing when their session is revoked."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from adapters.settings import get_settings
from tests.client import Api, WSClient, org_channel, wait_subscribed

ORG_EVENTS = "subscription { organizationEvents { __typename ... on MemberJoined { user { id displayName email } } } }"


async def signed_in_socket(server: str, token: str) -> WSClient:
    ws = await WSClient.connect(server)
    ack = await ws.init({"authorization": f"Bearer {token}"})
    assert ack["type"] == "connection_ack"
    return ws


async def test_member_joined_reaches_own_organization_only(server: str, api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    b = await api.sign_up(organization="Beta")
    ws_a = await signed_in_socket(server, a.access_token)
    ws_b = await signed_in_socket(server, b.access_token)
    try:
        sub_a = await ws_a.subscribe(ORG_EVENTS)
        sub_b = await ws_b.subscribe(ORG_EVENTS)
        await wait_subscribed(org_channel(a))
        await wait_subscribed(org_channel(b))
        joined = await api.add_member(a, name="Newcomer")
        msg = await ws_a.receive()
        assert msg["id"] == sub_a and msg["type"] == "next"
        event = msg["payload"]["data"]["organizationEvents"]
        assert event["__typename"] == "MemberJoined"
        assert event["user"]["id"] == joined.user_id
        assert event["user"]["displayName"] == "Newcomer"

        # Beta's socket got nothing: its first message is Beta's own later event.
        joined_b = await api.add_member(b, name="Beta person")
        msg_b = await ws_b.receive()
        assert msg_b["id"] == sub_b
        assert msg_b["payload"]["data"]["organizationEvents"]["user"]["id"] == joined_b.user_id
    finally:
        await ws_a.close()
        await ws_b.close()


@pytest.mark.parametrize(
    "payload", [None, {"authorization": "Bearer hla_invalid"}, {"authorization": "Basic x"}]
)
async def test_bad_or_missing_token_closes_4403(
    server: str, payload: dict[str, str] | None
) -> None:
    ws = await WSClient.connect(server)
    await ws.send({"type": "connection_init", "payload": payload or {}})
    assert await ws.closed_with() == 4403


async def test_revoked_token_closes_4403(server: str, api: Api) -> None:
    a = await api.sign_up()
    await api.gql("mutation { signOut { signedOut } }", token=a.access_token)
    ws = await WSClient.connect(server)
    await ws.send(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {a.access_token}"}}
    )
    assert await ws.closed_with() == 4403


async def test_no_connection_init_closes_4408(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "ws_init_timeout_seconds", 0.3)
    ws = await WSClient.connect(server)
    assert await ws.closed_with(timeout=5) == 4408


async def test_subscribe_before_init_closes_4401(server: str) -> None:
    ws = await WSClient.connect(server)
    await ws.subscribe(ORG_EVENTS)
    assert await ws.closed_with() == 4401


async def test_only_graphql_transport_ws_is_spoken(server: str) -> None:
    url = server.replace("http://", "ws://") + "/graphql"
    conn = await websockets.connect(url, subprotocols=["graphql-ws"])  # the legacy protocol
    try:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(conn.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406
    finally:
        await conn.close()


async def test_foreign_origin_is_refused_and_allowed_origin_accepted(server: str, api: Api) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await WSClient.connect(server, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    a = await api.sign_up()
    ws = await WSClient.connect(server, origin="https://app.example.test")
    try:
        assert (await ws.init({"authorization": f"Bearer {a.access_token}"}))[
            "type"
        ] == "connection_ack"
    finally:
        await ws.close()


async def test_at_most_50_operations_per_connection(server: str, api: Api) -> None:
    a = await api.sign_up()
    ws = await signed_in_socket(server, a.access_token)
    try:
        for _ in range(50):
            await ws.subscribe(ORG_EVENTS)
        over = await ws.subscribe(ORG_EVENTS)
        msg = await ws.receive()
        assert msg["id"] == over and msg["type"] == "error"
        assert "limit" in msg["payload"][0]["message"].lower()
    finally:
        await ws.close()


async def test_sign_out_closes_that_sessions_sockets(server: str, api: Api) -> None:
    a = await api.sign_up()
    other_device = await api.sign_in(a.email)
    ws = await signed_in_socket(server, a.access_token)
    ws_other = await signed_in_socket(server, other_device.access_token)
    try:
        await ws.subscribe(ORG_EVENTS)
        await api.gql("mutation { signOut { signedOut } }", token=a.access_token)
        assert await ws.closed_with(timeout=5) == 4403
        # The other device's socket stays open and working.
        await ws_other.send({"type": "ping"})
        assert (await ws_other.receive())["type"] == "pong"
    finally:
        await ws_other.close()


async def test_refresh_token_reuse_closes_the_family_sockets(server: str, api: Api) -> None:
    a = await api.sign_up()
    refresh = """mutation($t: String!) { tokenRefresh(input: {refreshToken: $t}) { accessToken errors { code } } }"""
    rotated = (await api.gql(refresh, {"t": a.refresh_token}))["tokenRefresh"]
    ws = await signed_in_socket(server, rotated["accessToken"])
    reuse = (await api.gql(refresh, {"t": a.refresh_token}))["tokenRefresh"]
    assert reuse["errors"] == [{"code": "REFRESH_TOKEN_REUSED"}]
    assert await ws.closed_with(timeout=5) == 4403


async def test_queries_work_over_the_socket(server: str, api: Api) -> None:
    a = await api.sign_up()
    ws = await signed_in_socket(server, a.access_token)
    try:
        op = await ws.subscribe("{ viewer { id } }")
        msg = await ws.receive()
        assert msg == {
            "id": op,
            "type": "next",
            "payload": {
                "data": {"viewer": {"id": a.user_id}},
                "extensions": msg["payload"]["extensions"],
            },
        }
        assert (await ws.receive()) == {"id": op, "type": "complete"}
    finally:
        await ws.close()


async def test_sweep_closes_sockets_whose_revocation_event_was_lost(
    server: str, api: Api, app: object
) -> None:
    from models.identity import AuthSession
    from resolvers.core.clock import now
    from resolvers.identity.queries import authenticate, live_sessions

    a = await api.sign_up()
    ws = await signed_in_socket(server, a.access_token)
    principal = await authenticate(a.access_token)
    assert principal is not None
    # Revoked behind the bus's back: no event is published.
    await AuthSession.filter(id=principal.session_id).update(revoked_at=now())
    closed = await app.state.sockets.sweep(live_sessions)  # type: ignore[attr-defined]
    assert closed >= 1
    assert await ws.closed_with(timeout=5) == 4403
