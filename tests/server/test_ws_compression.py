"""Issue 14, step 5: WebSocket compression is decided, not defaulted. Hello declines the
permessage-deflate that browsers offer unless ``HELLO_WS_PERMESSAGE_DEFLATE`` is on (a
compression context per idle socket costs memory, README Benchmarks figure 5)."""

from __future__ import annotations

from websockets import Subprotocol
from websockets.asyncio.client import connect

from tests.drive.processes import hello_serve

PROTOCOL = [Subprotocol("graphql-transport-ws")]


async def _extensions(base_url: str) -> str | None:
    """The extensions the server accepted in the handshake of a client that offers
    permessage-deflate (and the graphql-transport-ws protocol, which it must accept too)."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=PROTOCOL, compression="deflate") as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        assert ws.response is not None
        return ws.response.headers.get("Sec-WebSocket-Extensions")


async def test_permessage_deflate_is_declined_by_default(server: str) -> None:
    assert await _extensions(server) is None


async def test_the_setting_accepts_it() -> None:
    async with hello_serve(HELLO_WS_PERMESSAGE_DEFLATE="true") as (url, _):
        accepted = await _extensions(url)
    assert accepted is not None and "permessage-deflate" in accepted
