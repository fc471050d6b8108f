"""A real HTTP receiver for webhook tests, on loopback, that the test controls: it records every
request, answers the verification challenge, verifies signatures, counts duplicate event ids,
and fails on demand (500, a redirect, a timeout, an oversized body)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
FAIL_500 = "500"
REDIRECT = "redirect"
SLOW = "slow"
HUGE = "huge"
NO_ECHO = "no_echo"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    secret: str | None = None
    plan: list[str] = field(default_factory=list)
    """What to answer next, first first; ``OK`` once it runs out."""
    requests: list[Received] = field(default_factory=list)
    slow_seconds: float = 3.0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def events(self) -> list[Received]:
        """Deliveries answered 2xx (not verification challenges)."""
        return [
            r
            for r in self.requests
            if r.answered == OK and "url_verification" not in r.json.get("type", "")
        ]

    def duplicates(self) -> dict[str, int]:
        seen = Counter(r.headers["hello-event-id"] for r in self.events)
        return {k: n for k, n in seen.items() if n > 1}

    def signature_ok(self, r: Received) -> bool:
        assert self.secret is not None
        ts = r.headers["hello-timestamp"]
        mac = hmac.new(self.secret.encode(), f"{ts}.".encode() + r.body, hashlib.sha256)
        return hmac.compare_digest(r.headers["hello-signature"], f"v1={mac.hexdigest()}")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            action = self.plan.pop(0) if self.plan else OK
            self.requests.append(Received(headers, body, action))
            if action == SLOW:
                # A real sleep: the sender's real timeout is what is tested.
                await asyncio.sleep(self.slow_seconds)
                return
            status, payload = 200, b'{"ok":true}'
            if action == FAIL_500:
                status, payload = 500, b"boom"
            elif action == REDIRECT:
                status, payload = 302, b""
            elif action == HUGE:
                payload = b"x" * (70 * 1024)
            else:
                data = json.loads(body)
                if data.get("type") == "url_verification" and action != NO_ECHO:
                    payload = json.dumps({"challenge": data["challenge"]}).encode()
            extra = "Location: http://127.0.0.1:1/elsewhere\r\n" if action == REDIRECT else ""
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n{extra}"
                "Connection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()
