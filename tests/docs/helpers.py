"""Shared steps of the Docs tests: docs made through ``docCreate``, a pycrdt client that syncs
with ``docSync`` and sends ``docUpdate``, and a ``docEvents`` subscriber."""

from __future__ import annotations

import base64
from typing import Any

from pycrdt import Array, Doc, Map, Text
from strawberry.relay import GlobalID

from tests.client import Account, Api, WSClient

CREATE = """mutation($i: DocCreateInput!) { docCreate(input: $i) {
  doc { id title revision viewerRole file { id kind name } blocks { id type text } }
  errors { code field message } } }"""
UPDATE = """mutation($i: DocUpdateInput!) { docUpdate(input: $i) {
  revision changed errors { code field message } } }"""
SYNC = """query($d: ID!, $sv: String) { docSync(docId: $d, stateVector: $sv) {
  update stateVector revision } }"""
EVENTS = """subscription($d: ID!) { docEvents(docId: $d) {
  __typename
  ... on DocUpdateEvent { update revision clientTag origin author { id } }
  ... on DocAwarenessEvent { update clientTag user { id } } } }"""


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


async def create_doc(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, {"i": fields}, token=who.access_token)
    return data["docCreate"]


async def doc_ok(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    payload = await create_doc(api, who, **fields)
    assert payload["errors"] == [], payload
    return payload["doc"]


async def send_update(
    api: Api, who: Account, doc_id: str, update: bytes, **extra: Any
) -> dict[str, Any]:
    data = await api.gql(
        UPDATE, {"i": {"docId": doc_id, "update": b64(update), **extra}}, token=who.access_token
    )
    return data["docUpdate"]


class PyClient:
    """A Yjs peer in Python (pycrdt), talking to Hello over HTTP: ``sync`` is Yjs sync step 1
    and 2 both ways, ``edit`` changes the local doc and sends what it made."""

    def __init__(self, api: Api, who: Account, doc_id: str) -> None:
        self.api, self.who, self.doc_id = api, who, doc_id
        self.doc: Doc = Doc()
        self.revision = 0

    @property
    def title(self) -> Text:
        return self.doc.get("title", type=Text)

    @property
    def blocks(self) -> Array[Any]:
        return self.doc.get("blocks", type=Array)

    def paragraph(self, index: int = 0) -> Text:
        node = self.blocks[index]
        assert isinstance(node, Map)
        text = node["text"]
        assert isinstance(text, Text)
        return text

    async def sync(self) -> None:
        """Pull what the server has, then push what it lacks."""
        got = (
            await self.api.gql(
                SYNC,
                {"d": self.doc_id, "sv": b64(self.doc.get_state())},
                token=self.who.access_token,
            )
        )["docSync"]
        self.doc.apply_update(unb64(got["update"]))
        self.revision = got["revision"]
        missing = self.doc.get_update(unb64(got["stateVector"]))
        if missing != b"\x00\x00":
            result = await send_update(self.api, self.who, self.doc_id, missing)
            assert result["errors"] == [], result
            self.revision = result["revision"]

    async def edit(self, change: Any) -> dict[str, Any]:
        """Run ``change(doc)`` in a transaction and send the update it made."""
        made: list[bytes] = []
        sub = self.doc.observe(lambda e: made.append(e.update))
        try:
            with self.doc.transaction():
                change(self.doc)
        finally:
            self.doc.unobserve(sub)
        assert made, "the change changed nothing"
        result = await send_update(self.api, self.who, self.doc_id, made[0])
        if not result["errors"]:
            self.revision = result["revision"]
        return result


async def subscribe_doc(
    server: str, who: Account, doc_id: str, *, nth: int = 1
) -> tuple[WSClient, str]:
    """A ``docEvents`` subscription, confirmed on the bus before this returns (``nth``: how
    many subscribers of the doc this process has with it)."""
    from resolvers.core.channels import doc_channel
    from tests.client import wait_subscribed

    ws = await WSClient.connect(server)
    ack = await ws.init({"authorization": f"Bearer {who.access_token}"})
    assert ack["type"] == "connection_ack", ack
    op = await ws.subscribe(EVENTS, {"d": doc_id})
    await wait_subscribed(doc_channel(pk(doc_id)), nth)
    return ws, op
