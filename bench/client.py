"""A small GraphQL-over-HTTP client for seeding and checking (httpx)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson


class BenchError(RuntimeError):
    """Something the benchmark relies on did not work: stop loudly, never report a figure
    measured on a broken setup."""


class Client:
    def __init__(self, url: str, *, connections: int = 32) -> None:
        self.url = url
        self.http = httpx.AsyncClient(
            base_url=url,
            timeout=120,
            # Idle connections are dropped well before uvicorn's keep-alive timeout (5 s)
            # closes them: reusing one as the server closes it fails the request (seen once
            # in a fan-out run whose slow rounds left connections idle).
            limits=httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=2.0,
            ),
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def post_json(
        self, path: str, body: dict[str, Any], token: str | None = None
    ) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        return await self.http.post(path, content=orjson.dumps(body), headers=headers)

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        path: str = "/graphql",
    ) -> dict[str, Any]:
        """``data`` of an operation that must succeed."""
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        r = await self.post_json(path, body, token)
        if r.status_code != 200:
            raise BenchError(f"HTTP {r.status_code} from {path}: {r.text[:500]}")
        result = orjson.loads(r.content)
        if result.get("errors"):
            raise BenchError(f"GraphQL errors from {path}: {result['errors']}")
        data: dict[str, Any] = result["data"]
        return data

    async def mutate(
        self, field: str, query: str, variables: dict[str, Any], *, token: str
    ) -> dict[str, Any]:
        """The payload of a mutation that must succeed; retried while THROTTLED (the send
        limit of one person), failing on any other payload error."""

        async def attempt() -> dict[str, Any]:
            payload: dict[str, Any] = (await self.gql(query, variables, token=token))[field]
            return payload

        return await until_not_throttled(field, attempt)


async def until_not_throttled(
    field: str, attempt: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """The payload of a mutation that must succeed: ``attempt()`` again while it answers
    THROTTLED (the send limit of one person), failing on any other payload error."""
    for _ in range(60):
        payload = await attempt()
        errors = payload.get("errors") or []
        if not errors:
            return payload
        if errors[0].get("code") != "THROTTLED":
            raise BenchError(f"{field} failed: {errors}")
        await asyncio.sleep(1.0)
    raise BenchError(f"{field} stayed throttled")


class LeanConnection:
    """One keep-alive HTTP/1.1 connection that POSTs GraphQL JSON and reads the answer, with
    nothing else: for load that the bench itself generates in Python (figure 6's sends), where
    httpx spent more CPU per request on the load core (2.1-2.6 ms per ``messageSend``) than the
    server did, so the figure measured the client. It speaks only what Hello answers with (a
    ``content-length`` body, no chunked encoding) and fails loudly on anything else."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LeanConnection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def post(self, path: str, body: dict[str, Any], token: str) -> tuple[int, Any]:
        """Status and decoded JSON body of one POST."""
        assert self._reader is not None and self._writer is not None
        data = orjson.dumps(body)
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
            f"content-type: application/json\r\nauthorization: Bearer {token}\r\n"
            f"content-length: {len(data)}\r\n\r\n"
        )
        self._writer.write(head.encode() + data)
        status_line = await self._reader.readuntil(b"\r\n")
        headers = await self._reader.readuntil(b"\r\n\r\n")
        length = None
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise BenchError(f"an answer without content-length: {status_line!r}")
        return int(status_line.split()[1]), orjson.loads(await self._reader.readexactly(length))

    async def mutate(
        self, field: str, query: str, variables: dict[str, Any], *, token: str
    ) -> dict[str, Any]:
        """``Client.mutate`` over this connection: the payload of a mutation that must
        succeed, retried while THROTTLED, failing on anything else."""

        async def attempt() -> dict[str, Any]:
            status, result = await self.post(
                "/graphql", {"query": query, "variables": variables}, token
            )
            if status != 200 or result.get("errors"):
                raise BenchError(f"HTTP {status} from /graphql: {str(result)[:500]}")
            payload: dict[str, Any] = result["data"][field]
            return payload

        return await until_not_throttled(field, attempt)
