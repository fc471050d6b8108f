"""Fan-out over a real bus (in-process, or Redis with HELLO_TEST_REDIS_URL): 200 WebSocket
clients subscribe to one organization's events at once and each receives every one of 100
events, in order, keeping its connection alive throughout (its keepalive pings answered)."""

from __future__ import annotations

import asyncio

from tests.client import Api, WSClient, org_channel, wait_subscribed

ORG_EVENTS = "subscription { organizationEvents { ... on MemberJoined { user { id } } } }"
CLIENTS = 200
EVENTS = 100
KEEPALIVE = 3.0


async def test_200_clients_subscribing_at_once_each_get_all_100_events(
    server: str, api: Api
) -> None:
    owner = await api.sign_up()

    async def open_client() -> WSClient:
        # A keepalive far below the default 20 s: on any machine, the test takes as long
        # relative to it as it does on a busy one relative to 20 s. The server must answer
        # pings throughout, and each client must keep reading to see the pongs.
        ws = await WSClient.connect(server, keepalive=KEEPALIVE)
        # 200 handshakes at once on a busy machine queue up behind each other: this measures
        # delivery, not latency, so the acknowledgement may take its time.
        ack = await ws.init({"authorization": f"Bearer {owner.access_token}"}, timeout=60)
        assert ack["type"] == "connection_ack"
        return ws

    clients = await asyncio.gather(*(open_client() for _ in range(CLIENTS)))
    receiving: asyncio.Future[list[list[str]]] | None = None
    try:
        # Every client subscribes to the same new channel at the same moment.
        await asyncio.gather(*(ws.subscribe(ORG_EVENTS) for ws in clients))
        await wait_subscribed(org_channel(owner), CLIENTS, timeout=30)

        from strawberry.relay import GlobalID

        from tests.members import add_member

        async def collect(ws: WSClient) -> list[str]:
            got = []
            while len(got) < EVENTS:
                msg = await ws.receive(timeout=60)
                assert msg["type"] == "next", msg
                got.append(msg["payload"]["data"]["organizationEvents"]["user"]["id"])
            return got

        # Every client reads while the events are published, as a real one does. A client that
        # waits for all of them first stops reading after 16 queued frames (the library's
        # flow control), so it cannot see the pong to its keepalive ping either, and drops the
        # connection itself ("keepalive ping timeout") once publishing takes over 20 s.
        receiving = asyncio.gather(*(collect(ws) for ws in clients))
        org_pk = int(GlobalID.from_id(owner.organization_id).node_id)
        joined = []
        for i in range(EVENTS):
            user = await add_member(
                org_pk,
                email=f"fan{i}-{owner.email}",
                password="correct horse battery",
                display_name=f"Fan {i}",
            )
            joined.append(str(GlobalID("User", str(user.id))))

        received = await receiving
        assert all(r == joined for r in received)
    finally:
        if receiving is not None and not receiving.done():
            receiving.cancel()
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
