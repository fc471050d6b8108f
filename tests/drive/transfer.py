"""Shared steps of the transfer tests: upload sessions (create, send parts, complete), downloads,
and a look at storage rows and usage from the test process (it shares the server's database)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from strawberry.relay import GlobalID

from adapters import runtime
from models.drive import Blob, DriveItem, UploadSession
from resolvers.drive import quota
from tests.client import Account, Api

SESSION_FIELDS = (
    "id name size sha256 contentType partSize partCount expiresAt status "
    "parts { number url size received } file { id name size sha256 }"
)
CREATE = (
    "mutation($i: UploadSessionCreateInput!) { uploadSessionCreate(input: $i) { session { "
    + SESSION_FIELDS
    + " } errors { code field message } } }"
)
COMPLETE = """mutation($i: UploadSessionCompleteInput!) { uploadSessionComplete(input: $i) {
    file { id name size sha256 contentType } errors { code field message } } }"""
ABORT = """mutation($i: UploadSessionAbortInput!) { uploadSessionAbort(input: $i) {
    session { id status } errors { code field message } } }"""
STATE = "query($id: ID!) { uploadSession(id: $id) { " + SESSION_FIELDS + " } }"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


def settings() -> Any:
    return runtime.current().settings


def store_kind() -> str:
    return runtime.current().blobs.kind


@contextmanager
def setting(name: str, value: Any) -> Iterator[None]:
    """Change a setting of the running server for the duration (restored in finally)."""
    s = settings()
    old = getattr(s, name)
    setattr(s, name, value)
    try:
        yield
    finally:
        setattr(s, name, old)


@contextmanager
def small_parts() -> Iterator[None]:
    """64 KiB parts on the local store (S3 keeps its 5 MiB minimum), to keep tests quick."""
    with setting("upload_part_bytes", 64 * 1024):
        yield


async def create(
    api: Api, who: Account, data: bytes | None = None, **fields: Any
) -> dict[str, Any]:
    """The ``uploadSessionCreate`` payload; ``size``/``sha256`` default to those of ``data``."""
    i = {"name": "big.bin", **fields}
    if data is not None:
        i.setdefault("size", len(data))
        i.setdefault("sha256", sha256(data))
    r = await api.gql(CREATE, {"i": i}, token=who.access_token)
    return r["uploadSessionCreate"]


async def create_ok(api: Api, who: Account, data: bytes, **fields: Any) -> dict[str, Any]:
    payload = await create(api, who, data, **fields)
    assert payload["errors"] == [], payload
    return payload["session"]


async def put_part(
    api: Api, who: Account | None, part: dict[str, Any], data: bytes
) -> httpx.Response:
    """PUT one part to its URL: on Hello with the token, on S3 (presigned) without."""
    url = part["url"]
    if url.startswith(api.base_url):
        headers = who.headers if who is not None else {}
        return await api.http.put(url, content=data, headers=headers)
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.put(url, content=data)


def part_bytes(session: dict[str, Any], data: bytes, number: int) -> bytes:
    size = session["partSize"]
    return data[(number - 1) * size : number * size]


async def send_parts(
    api: Api, who: Account, session: dict[str, Any], data: bytes, numbers: list[int] | None = None
) -> None:
    for part in session["parts"]:
        if numbers is None or part["number"] in numbers:
            r = await put_part(api, who, part, part_bytes(session, data, part["number"]))
            assert r.status_code == 200, r.text


async def complete(api: Api, who: Account, session_id: str) -> dict[str, Any]:
    r = await api.gql(COMPLETE, {"i": {"uploadSessionId": session_id}}, token=who.access_token)
    return r["uploadSessionComplete"]


async def state(api: Api, who: Account, session_id: str) -> dict[str, Any] | None:
    r = await api.gql(STATE, {"id": session_id}, token=who.access_token)
    return r["uploadSession"]


async def upload_in_parts(api: Api, who: Account, data: bytes, **fields: Any) -> dict[str, Any]:
    """A whole session: create, send every part, complete; returns the file."""
    session = await create_ok(api, who, data, **fields)
    await send_parts(api, who, session, data)
    payload = await complete(api, who, session["id"])
    assert payload["errors"] == [], payload
    return payload["file"]


async def download(api: Api, who: Account | None, file_id: str, **kw: Any) -> httpx.Response:
    headers = {**(who.headers if who else {}), **kw.pop("headers", {})}
    return await api.http.get(f"/files/{file_id}", headers=headers, **kw)


async def usage(who: Account) -> tuple[int, int]:
    """(used, reserved) bytes of the account's organization."""
    return await quota.usage(pk(who.organization_id))


async def blob_rows(who: Account, data: bytes) -> list[Blob]:
    return await Blob.filter(organization_id=pk(who.organization_id), sha256=sha256(data))


async def items_named(who: Account, name: str) -> list[DriveItem]:
    return await DriveItem.filter(organization_id=pk(who.organization_id), name=name)


async def session_row(session_id: str) -> UploadSession:
    return await UploadSession.get(id=pk(session_id))


async def stored_parts(session_id: str) -> list[int]:
    """Part numbers the blob store holds for a session (what arrived and is not yet joined)."""
    row = await session_row(session_id)
    parts = await runtime.current().blobs.multipart_parts(row.storage_key, row.multipart_id)
    return [p.number for p in parts]
