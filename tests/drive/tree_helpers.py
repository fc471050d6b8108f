"""Shared steps of the tree tests: the tree mutations and reads over GraphQL."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from graphql_schema.core.payload import REQUEST_LEVEL_CODES
from tests.client import Account, Api

FILE = "id kind name size sha256 trashedAt isRoot"
PAYLOAD_FIELD = {"folderCreate": "folder", "trashEmpty": None, "fileVersionRestore": "file"}
INPUT_TYPE = {
    "folderCreate": "FolderCreateInput",
    "fileRename": "FileRenameInput",
    "fileMove": "FileMoveInput",
    "fileCopy": "FileCopyInput",
    "fileDelete": "FileDeleteInput",
    "fileRestore": "FileRestoreInput",
    "trashEmpty": "TrashEmptyInput",
    "fileVersionRestore": "FileVersionRestoreInput",
}
ROOT = "query { drive { root { " + FILE + " } } }"
GET = "query($id: ID!) { file(id: $id) { " + FILE + " } }"
CHILDREN = """query($id: ID!, $first: Int, $after: String, $order: FileOrder) {
  file(id: $id) { children(first: $first, after: $after, orderBy: $order) {
    nodes { id name kind } pageInfo { hasNextPage endCursor } } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


def _document(name: str) -> str:
    field = PAYLOAD_FIELD.get(name, "file")
    body = f"{field} {{ {FILE} }}" if field else "deletedCount"
    if name == "fileVersionRestore":
        body += " version { id number isCurrent sha256 }"
    return (
        f"mutation($i: {INPUT_TYPE[name]}!) {{ {name}(input: $i) {{ {body} "
        "errors { code field message } } }"
    )


async def call_raw(api: Api, who: Account, name: str, /, **fields: Any) -> dict[str, Any]:
    """The whole response body of a tree mutation (for top-level errors)."""
    r = await api.post(_document(name), {"i": fields}, token=who.access_token)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def call(api: Api, who: Account, name: str, /, **fields: Any) -> dict[str, Any]:
    """The payload of a tree mutation that raised no top-level error."""
    body = await call_raw(api, who, name, **fields)
    assert not body.get("errors"), body
    return body["data"][name]  # type: ignore[no-any-return]


async def ok(api: Api, who: Account, name: str, /, **fields: Any) -> dict[str, Any]:
    """A tree mutation that must succeed; returns the item (or the payload for trashEmpty)."""
    payload = await call(api, who, name, **fields)
    assert payload["errors"] == [], payload
    field = PAYLOAD_FIELD.get(name, "file")
    return payload[field] if field else payload


async def refused(api: Api, who: Account, name: str, /, **fields: Any) -> tuple[str, str | None]:
    """A tree mutation that must fail: (code, field) of its payload error, or of a top-level
    one when it is request-level (every expected failure of a mutation is in its payload)."""
    body = await call_raw(api, who, name, **fields)
    if body.get("errors"):
        assert body["data"] is None or body["data"].get(name) is None, body
        ext = body["errors"][0]["extensions"]
        assert ext["code"] in REQUEST_LEVEL_CODES, body
        return ext["code"], ext.get("field")
    payload = body["data"][name]
    assert payload["errors"], payload
    field = PAYLOAD_FIELD.get(name, "file")
    if field:
        assert payload[field] is None, payload
    return payload["errors"][0]["code"], payload["errors"][0]["field"]


async def mkdir(api: Api, who: Account, name: str, parent: str | None = None) -> dict[str, Any]:
    return await ok(api, who, "folderCreate", name=name, parentId=parent)


async def root(api: Api, who: Account) -> dict[str, Any]:
    return (await api.gql(ROOT, token=who.access_token))["drive"]["root"]  # type: ignore[no-any-return]


async def get(api: Api, who: Account, gid: str) -> dict[str, Any] | None:
    return (await api.gql(GET, {"id": gid}, token=who.access_token))["file"]  # type: ignore[no-any-return]


async def names(api: Api, who: Account, folder: str, **kw: Any) -> list[str]:
    """The names in a folder, in listing order (one page of up to 100)."""
    data = await api.gql(CHILDREN, {"id": folder, "first": 100, **kw}, token=who.access_token)
    assert data["file"] is not None
    return [n["name"] for n in data["file"]["children"]["nodes"]]


async def usage(api: Api, who: Account) -> int:
    data = await api.gql("query { drive { usage { used } } }", token=who.access_token)
    return int(data["drive"]["usage"]["used"])
