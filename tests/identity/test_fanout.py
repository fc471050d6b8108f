"""Fan-out over a real bus (in-process, or Redis with HELLO_TEST_REDIS_URL): 200 WebSocket
clients subscribe to one organization's events at once and each receives every one of 100
events, in order."""

from __future__ import annotations

import asyncio

from tests.client import Api, WSClient, org_channel, wait_subscribed

ORG_EVENTS = "subscription { organizationEvents { ... on MemberJoined { user { id } } } }"
CLIENTS = 200
EVENTS = 100


async def test_200_clients_subscribing_at_once_each_get_all_100_events(
    server: str, api: Api
) -> None:
    owner = await api.sign_up()

    async def open_client() -> WSClient:
        ws = await WSClient.connect(server)
        assert (await ws.init({"authorization": f"Bearer {owner.access_token}"}))[
            "type"
        ] == "connection_ack"
        return ws

    clients = await asyncio.gather(*(open_client() for _ in range(CLIENTS)))
    try:
        # Every client subscribes to the same new channel at the same moment.
        await asyncio.gather(*(ws.subscribe(ORG_EVENTS) for ws in clients))
        await wait_subscribed(org_channel(owner), CLIENTS, timeout=30)

        from strawberry.relay import GlobalID

        from resolvers.identity.actions import add_member

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

        async def collect(ws: WSClient) -> list[str]:
            got = []
            while len(got) < EVENTS:
                msg = await ws.receive(timeout=30)
                assert msg["type"] == "next", msg
                got.append(msg["payload"]["data"]["organizationEvents"]["user"]["id"])
            return got

        received = await asyncio.gather(*(collect(ws) for ws in clients))
        assert all(r == joined for r in received)
    finally:
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
