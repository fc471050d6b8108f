"""A small GraphQL-over-HTTP client for seeding and checking (httpx)."""

from __future__ import annotations

import asyncio
from typing import Any

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
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
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
        for _ in range(60):
            payload: dict[str, Any] = (await self.gql(query, variables, token=token))[field]
            errors = payload.get("errors") or []
            if not errors:
                return payload
            if errors[0].get("code") != "THROTTLED":
                raise BenchError(f"{field} failed: {errors}")
            await asyncio.sleep(1.0)
        raise BenchError(f"{field} stayed throttled")
