"""Clients for the tests: GraphQL over HTTP (httpx) and over WebSocket (graphql-transport-ws
on the ``websockets`` library), plus helpers to sign people up."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import websockets

from resolvers.core import jobs
from resolvers.identity import auth_cache

PASSWORD = "correct horse battery"

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    accessToken refreshToken
    viewer { id email displayName }
    organization { id name }
    errors { code field message }
  }
}"""


@dataclass
class Account:
    email: str
    password: str
    access_token: str
    refresh_token: str
    user_id: str
    organization_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.access_token}"}


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.test"


class Api:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = dict(headers or {})
        if token:
            h["authorization"] = f"Bearer {token}"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=h)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Run an operation that must succeed at the HTTP and GraphQL level; returns ``data``."""
        r = await self.post(query, variables, token=token)
        assert r.status_code == 200, r.text
        body = r.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def sign_up(
        self, *, email: str | None = None, organization: str = "Acme", name: str = "Ada"
    ) -> Account:
        email = email or unique_email()
        data = await self.gql(
            SIGN_UP,
            {
                "input": {
                    "email": email,
                    "password": PASSWORD,
                    "displayName": name,
                    "organizationName": organization,
                }
            },
        )
        p = data["signUp"]
        assert p["errors"] == [], p["errors"]
        return Account(
            email,
            PASSWORD,
            p["accessToken"],
            p["refreshToken"],
            p["viewer"]["id"],
            p["organization"]["id"],
        )

    async def add_member(self, owner: Account, *, name: str = "Bob") -> Account:
        """A second member of ``owner``'s organization, made by ``tests.members.add_member``
        rather than by the API (``userCreate``), which would need an admin's request and leave
        an audit record in every test that just needs a colleague."""
        from strawberry.relay import GlobalID

        from graphql_schema.core.node import parse_node_ids
        from tests.members import add_member

        org_pk = parse_node_ids([GlobalID.from_id(owner.organization_id).node_id])[0]
        assert org_pk is not None
        email = unique_email("member")
        await add_member(org_pk, email=email, password=PASSWORD, display_name=name)
        return await self.sign_in(email)

    async def sign_in(self, email: str, password: str = PASSWORD) -> Account:
        data = await self.gql(
            """mutation($input: SignInInput!) { signIn(input: $input) {
                accessToken refreshToken viewer { id } organization { id } errors { code } } }""",
            {"input": {"email": email, "password": password}},
        )
        p = data["signIn"]
        assert p["errors"] == [], p["errors"]
        return Account(
            email,
            password,
            p["accessToken"],
            p["refreshToken"],
            p["viewer"]["id"],
            p["organization"]["id"],
        )


class WSClient:
    """A minimal graphql-transport-ws client, strict about the protocol."""

    def __init__(self, conn: websockets.ClientConnection):
        self.conn = conn
        self._next_id = 0

    @classmethod
    async def connect(
        cls, base_url: str, *, origin: str | None = None, keepalive: float = 20
    ) -> WSClient:
        """``keepalive``: the library's ping interval, and how long a pong may take."""
        url = base_url.replace("http://", "ws://") + "/graphql"
        headers = {"Origin": origin} if origin else None
        # proxy=None: the server is on loopback, and looking a proxy up scans the environment
        # on every connect (milliseconds of the loop the server shares, times 200 clients).
        conn = await websockets.connect(
            url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers=headers,
            proxy=None,
            ping_interval=keepalive,
            ping_timeout=keepalive,
        )
        return cls(conn)

    async def init(self, payload: dict[str, Any] | None, timeout: float = 5) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive(timeout)

    async def send(self, message: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(message))

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        # The protocol is text frames; browsers and graphql-ws ignore binary ones.
        assert isinstance(raw, str), f"binary frame from the server: {raw!r}"
        return json.loads(raw)

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        await self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return op_id

    async def closed_with(self, timeout: float = 5) -> int | None:
        """Wait until the server closes the socket; return the close code."""
        try:
            while True:
                await asyncio.wait_for(self.conn.recv(), timeout)
        except websockets.ConnectionClosed as e:
            return e.rcvd.code if e.rcvd else None

    async def close(self) -> None:
        await self.conn.close()


@contextmanager
def count_queries(*, forget_tokens: bool = True) -> Iterator[list[str]]:
    """Collect the SQL statements the ORM sends while the block runs (both backends log each
    statement once on ``tortoise.db_client`` at DEBUG).

    The block starts with no access token remembered (``resolvers/identity/auth_cache.py``;
    ``forget_tokens=False`` keeps them), so its first request authenticates with its one query,
    whatever ran just before: counts stay comparable between blocks however long the machine
    took between them."""
    if forget_tokens:
        auth_cache.forget_all()
    statements: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if jobs.background.get() is not None:
                return  # the job relay's and workers' own statements, not a request's
            msg = record.getMessage().lstrip()
            if msg.split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
                statements.append(msg)

    logger = logging.getLogger("tortoise.db_client")
    handler = Collector(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


async def wait_subscribed(channel: str, count: int = 1, timeout: float = 5) -> None:
    """Wait until ``count`` subscribers of this process listen on a bus channel (the server
    runs in the test's process, so its bus can be asked directly)."""
    from adapters import runtime

    bus = runtime.current().bus
    async with asyncio.timeout(timeout):
        while bus.subscriber_count(channel) < count:
            await asyncio.sleep(0.01)


def org_channel(account: Account) -> str:
    from strawberry.relay import GlobalID

    from resolvers.identity.events import organization_channel

    return organization_channel(int(GlobalID.from_id(account.organization_id).node_id))
