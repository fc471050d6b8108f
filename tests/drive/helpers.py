"""Shared steps of the Drive tests: uploads through the GraphQL multipart request spec."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.client import Account, Api

FILE_FIELDS = "id kind name size contentType sha256 viewerRole"
UPLOAD = (
    "mutation($i: FileUploadInput!) { fileUpload(input: $i) { file { "
    + FILE_FIELDS
    + " } errors { code field message } } }"
)
CSRF = {"x-hello-csrf": "1"}


async def upload_raw(
    api: Api,
    who: Account,
    data: bytes,
    *,
    filename: str = "file.bin",
    part_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    """POST a multipart ``fileUpload``; ``fields`` go into the input (folderId, name, …)."""
    operations = {"query": UPLOAD, "variables": {"i": {"file": None, **fields}}}
    return await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": (filename, data, part_type)},
        headers={**who.headers, **CSRF, **(headers or {})},
    )


async def upload(api: Api, who: Account, data: bytes, **kw: Any) -> dict[str, Any]:
    """Upload and return the ``fileUpload`` payload (``file`` and ``errors``)."""
    r = await upload_raw(api, who, data, **kw)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["fileUpload"]


async def upload_ok(api: Api, who: Account, data: bytes, **kw: Any) -> dict[str, Any]:
    """Upload that must succeed; returns the file."""
    payload = await upload(api, who, data, **kw)
    assert payload["errors"] == [], payload
    return payload["file"]
