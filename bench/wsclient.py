"""``python -m bench.wsclient``: one process of WebSocket subscribers for figures 4, 5 and 12.

Each subscriber opens a ``graphql-transport-ws`` connection, signs in with its token in
``connection_init``, subscribes once, and records for every message whose text starts with
``fanout <t>`` (for ``docEvents``: whose ``clientTag`` does) the delay from ``t``
(``time.monotonic_ns()`` of the sender, which is the same clock in every process of the
machine) to its receipt.

The controller (``bench.fanout``) talks to it with one JSON object per line:

- ``{"cmd": "open", "url": ..., "subs": [[token, chat], ...], "query": ..., "parallel": n,
  "deflate": bool}`` (``deflate``: offer permessage-deflate, as browsers do; default off)
  answers ``{"opened": n, "failed": k, "error": ...}`` once every subscription is sent;
- ``{"cmd": "report"}`` answers ``{"latencies_us": [...], "others": n, "errors": n,
  "closed": n}`` and forgets the latencies it reported;
- ``{"cmd": "close"}`` closes every connection and exits.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from typing import Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection, connect

MARK = "fanout "


class Subscribers:
    def __init__(self) -> None:
        self.connections: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.latencies: list[int] = []
        self.others = 0
        self.errors = 0
        self.closed = 0

    async def open_one(
        self, url: str, token: str, chat: str, query: str, deflate: bool = False
    ) -> None:
        # Fan-out offers no permessage-deflate (the figure is about Hello, not zlib); the
        # memory figure is measured both ways, since browsers offer it.
        conn = await connect(
            url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            compression="deflate" if deflate else None,
            ping_interval=None,
            open_timeout=60,
            max_size=2**22,
        )
        await conn.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            ).decode()
        )
        ack = orjson.loads(await asyncio.wait_for(conn.recv(), 60))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"not acknowledged: {ack}")
        await conn.send(
            orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"chat": chat}},
                }
            ).decode()
        )
        self.connections.append(conn)
        self.readers.append(asyncio.create_task(self.read(conn)))

    async def read(self, conn: ClientConnection) -> None:
        try:
            async for raw in conn:
                now = time.monotonic_ns()
                msg: dict[str, Any] = orjson.loads(raw)
                kind = msg.get("type")
                if kind == "next":
                    data = (msg.get("payload") or {}).get("data") or {}
                    event = data.get("chatEvents") or data.get("docEvents") or {}
                    # A chat message's text, or a doc update's client tag (bench.docs).
                    text = (event.get("message") or {}).get("text") or event.get("clientTag") or ""
                    if text.startswith(MARK):
                        self.latencies.append((now - int(text.split(" ", 2)[1])) // 1000)
                    else:
                        self.others += 1
                elif kind == "ping":
                    await conn.send('{"type":"pong"}')
                elif kind in ("error", "complete"):
                    self.errors += 1
        except websockets.ConnectionClosed:
            pass
        self.closed += 1

    async def open(self, command: dict[str, Any]) -> dict[str, Any]:
        semaphore = asyncio.Semaphore(int(command.get("parallel", 50)))
        failures: list[str] = []

        async def one(token: str, chat: str) -> None:
            async with semaphore:
                try:
                    await self.open_one(
                        command["url"], token, chat, command["query"], bool(command.get("deflate"))
                    )
                except Exception as e:
                    failures.append(repr(e))

        await asyncio.gather(*(one(t, c) for t, c in command["subs"]))
        return {
            "opened": len(self.connections),
            "failed": len(failures),
            "error": failures[0] if failures else None,
        }

    def report(self) -> dict[str, Any]:
        latencies, self.latencies = self.latencies, []
        others, self.others = self.others, 0
        return {
            "latencies_us": latencies,
            "others": others,
            "errors": self.errors,
            "closed": self.closed,
        }

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(obj).decode() + "\n")
    sys.stdout.flush()


async def main() -> None:
    _raise_open_files()
    subscribers = Subscribers()
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        command = orjson.loads(line)
        cmd = command["cmd"]
        if cmd == "open":
            _reply(await subscribers.open(command))
        elif cmd == "report":
            _reply(subscribers.report())
        elif cmd == "close":
            break
    await subscribers.close()
    _reply({"closed": True})


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
