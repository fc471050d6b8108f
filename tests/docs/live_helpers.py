"""Steps of the live Docs tests: Drive sharing through the API, subscribers with
``afterRevision``, and reading a ``docEvents`` stream."""

from __future__ import annotations

import asyncio
from typing import Any

from pycrdt import Doc

from tests.client import Account, Api, WSClient
from tests.docs.helpers import EVENTS, PyClient, pk, unb64

EVENTS_AFTER = """subscription($d: ID!, $after: Int) { docEvents(docId: $d, afterRevision: $after) {
  __typename
  ... on DocUpdateEvent { update revision clientTag origin author { id } }
  ... on DocAwarenessEvent { update clientTag user { id } }
  ... on DocAccessEvent { role } } }"""
SHARE = """mutation($i: FileShareInput!) { fileShare(input: $i) { errors { code message } } }"""
UNSHARE = """mutation($i: FileUnshareInput!) { fileUnshare(input: $i) { errors { code } } }"""
MOVE = """mutation($i: FileMoveInput!) { fileMove(input: $i) { errors { code } } }"""
DELETE = """mutation($i: FileDeleteInput!) { fileDelete(input: $i) { errors { code } } }"""
FOLDER = """mutation($i: FolderCreateInput!) { folderCreate(input: $i) {
  folder { id } errors { code } } }"""
AWARENESS = """mutation($i: DocAwarenessInput!) { docAwareness(input: $i) {
  sent errors { code field message } } }"""

__all__ = ["EVENTS", "EVENTS_AFTER"]


async def run(api: Api, who: Account, op: str, i: dict[str, Any]) -> dict[str, Any]:
    data = await api.gql(op, {"i": i}, token=who.access_token)
    return next(iter(data.values()))


async def share(api: Api, owner: Account, item: str, who: Account, role: str) -> None:
    got = await run(api, owner, SHARE, {"fileId": item, "userId": who.user_id, "role": role})
    assert got["errors"] == [], got


async def folder(api: Api, who: Account, name: str) -> str:
    got = await run(api, who, FOLDER, {"name": name})
    assert got["errors"] == [], got
    return str(got["folder"]["id"])


async def subscribe(
    server: str, who: Account, doc_id: str, after: int | None = None, *, nth: int = 1
) -> tuple[WSClient, str]:
    from resolvers.core.channels import doc_channel
    from tests.client import wait_subscribed

    ws = await WSClient.connect(server)
    ack = await ws.init({"authorization": f"Bearer {who.access_token}"})
    assert ack["type"] == "connection_ack", ack
    op = await ws.subscribe(EVENTS_AFTER, {"d": doc_id, "after": after})
    await wait_subscribed(doc_channel(pk(doc_id)), nth)
    return ws, op


async def next_event(ws: WSClient, timeout: float = 5) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg["type"] == "next", msg
    assert "errors" not in msg["payload"], msg
    return msg["payload"]["data"]["docEvents"]


async def updates(ws: WSClient, until: int, timeout: float = 10) -> list[dict[str, Any]]:
    """``DocUpdateEvent``s until one has revision ``until`` (other kinds skipped)."""
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not got or got[-1]["revision"] < until:
            event = await next_event(ws, timeout)
            if event["__typename"] == "DocUpdateEvent":
                got.append(event)
    return got


def replay(events: list[dict[str, Any]]) -> Doc:
    doc: Doc = Doc()
    for event in events:
        doc.apply_update(unb64(event["update"]))
    return doc


async def typed(client: PyClient, text: str, at: int = 0) -> dict[str, Any]:
    result = await client.edit(lambda d: client.paragraph().insert(at, text))
    assert result["errors"] == [], result
    return result
