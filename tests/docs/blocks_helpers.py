"""Shared steps of the block mutation tests: the four mutations and reading a doc's blocks."""

from __future__ import annotations

from typing import Any

from tests.client import Account, Api

BLOCK = "id type text level checked language url fileId target runs { text bold italic link }"
READ = f"""query($d: ID!) {{ doc(id: $d) {{ revision blocks {{ {BLOCK}
  children {{ {BLOCK} children {{ {BLOCK} children {{ {BLOCK} }} }} }} }} }} }}"""
INSERT = f"""mutation($i: DocBlocksInsertInput!) {{ docBlocksInsert(input: $i) {{
  revision blockIds blocks {{ {BLOCK} children {{ {BLOCK} children {{ {BLOCK} }} }} }}
  errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($i: DocBlockUpdateInput!) {{ docBlockUpdate(input: $i) {{
  revision block {{ {BLOCK} }} errors {{ code field message }} }} }}"""
DELETE = """mutation($i: DocBlocksDeleteInput!) { docBlocksDelete(input: $i) {
  revision doc { revision } errors { code field message } } }"""
MOVE = """mutation($i: DocBlocksMoveInput!) { docBlocksMove(input: $i) {
  revision errors { code field message } } }"""


async def read(api: Api, who: Account, doc_id: str) -> dict[str, Any]:
    data = await api.gql(READ, {"d": doc_id}, token=who.access_token)
    assert data["doc"] is not None
    return data["doc"]


async def insert(api: Api, who: Account, doc_id: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(INSERT, {"i": {"docId": doc_id, **fields}}, token=who.access_token)
    return data["docBlocksInsert"]


async def update(api: Api, who: Account, doc_id: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(UPDATE, {"i": {"docId": doc_id, **fields}}, token=who.access_token)
    return data["docBlockUpdate"]


async def delete(api: Api, who: Account, doc_id: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(DELETE, {"i": {"docId": doc_id, **fields}}, token=who.access_token)
    return data["docBlocksDelete"]


async def move(api: Api, who: Account, doc_id: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(MOVE, {"i": {"docId": doc_id, **fields}}, token=who.access_token)
    return data["docBlocksMove"]


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["errors"] == [], payload
    return payload


def texts(blocks: list[dict[str, Any]]) -> list[Any]:
    """The blocks as (text, [children...]) or text, for short assertions."""
    return [(b["text"], texts(b["children"])) if b.get("children") else b["text"] for b in blocks]
