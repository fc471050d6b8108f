"""Scenario 8 (``bench.scenarios.webhooks``): webhook deliveries to a local receiver.

An app of the seeded organization subscribes to ``message.added`` with a receiver on loopback
(this process, answering 200 at once); its bot joins the team chats; then the members send
messages as in figure 6. Figures: deliveries per second (messages delivered over the time from
the first send to the last delivery) and the delay from the event's ``createdAt`` (taken just
before the writing transaction commits) to its arrival, p50 and p99. Runs last: the
subscription stays in the stack's database."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import orjson

SUBSCRIBE = """mutation($i: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(
  input: $i) { webhookSubscription { id } errors { code message } } }"""
MEMBERS_ADD = """mutation($i: ChatMembersAddInput!) { chatMembersAdd(input: $i) {
  errors { code message } } }"""


class Receiver:
    def __init__(self) -> None:
        self.delays: list[float] = []
        self.last_at = 0.0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = orjson.loads(await reader.readexactly(length))
                answer = b'{"ok":true}'
                if body.get("type") == "url_verification":
                    answer = orjson.dumps({"challenge": body["challenge"]})
                else:
                    created = datetime.fromisoformat(body["createdAt"]).timestamp()
                    self.delays.append(time.time() - created)
                    self.last_at = time.monotonic()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=1024)
        self.port = self.server.sockets[0].getsockname()[1]
