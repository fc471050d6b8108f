"""Share links: made by owners and editors, opened with or without signing in by scope,
passwords (argon2, throttled per link), expiry, revocation, folders behind a link."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from models.drive import ShareLink
from models.identity import Role
from tests.client import Account, Api, count_queries
from tests.drive.sharing_helpers import (
    LINK_CREATE,
    LINK_REVOKE,
    OPEN,
    PERMISSIONS,
    file,
    folder,
    links,
    payload,
    pk,
    refusal_of,
    share_ok,
    trash,
    with_role,
)


async def make_link(api: Api, who: Account, item: str, **kw: object) -> tuple[str, str]:
    p = await payload(api, LINK_CREATE, {"fileId": item, **kw}, who)
    assert p["errors"] == [], p
    return str(p["shareLink"]["id"]), str(p["token"])


async def opened(api: Api, token: str, who: Account | None = None, **kw: object) -> dict[str, Any]:
    body = (
        await api.post(OPEN, {"t": token, **kw}, token=who.access_token if who else None)
    ).json()
    assert not body.get("errors"), body
    return dict(body["data"]["sharedLink"])


async def test_anyone_link_with_password_opens_without_signing_in(api: Api) -> None:
    owner = await api.sign_up()
    doc = await file(api, owner, "report.pdf", data=b"%PDF-1.7 hello")
    expires = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    p = await payload(
        api,
        LINK_CREATE,
        {
            "fileId": doc,
            "scope": "ANYONE",
            "role": "COMMENTER",
            "password": "s3cret",
            "expiresAt": expires,
        },
        owner,
    )
    assert p["errors"] == []
    link, token = p["shareLink"], p["token"]
    assert (link["role"], link["scope"], link["hasPassword"]) == ("COMMENTER", "ANYONE", True)
    # Only a hash of the token is kept, and the password only as argon2id.
    row = await ShareLink.get(id=pk(link["id"]))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.password_hash is not None and row.password_hash.startswith("$argon2id$")
    listed = (await api.gql(PERMISSIONS, {"id": doc}, token=owner.access_token))["file"]
    assert listed["shareLinks"]["nodes"] == [
        {"id": link["id"], "role": "COMMENTER", "scope": "ANYONE"}
    ]

    assert [e["code"] for e in (await opened(api, token))["errors"]] == ["PASSWORD_REQUIRED"]
    wrong = await opened(api, token, p="guess")
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("WRONG_PASSWORD", "password")]
    assert wrong["item"] is None
    got = await opened(api, token, p="s3cret")
    assert got["errors"] == []
    assert got["role"] == "COMMENTER"
    assert got["item"]["id"] == doc and got["item"]["name"] == "report.pdf"
    assert got["linkedItem"] == {"id": doc}
    url = got["item"]["downloadUrl"]
    assert url
    # On S3 the URL checks the link, then redirects to S3.
    async with httpx.AsyncClient(base_url=api.base_url, follow_redirects=True) as anonymous:
        r = await anonymous.get(url)
    assert r.status_code == 200 and r.content == b"%PDF-1.7 hello"


async def test_wrong_passwords_are_throttled_per_link(api: Api) -> None:
    owner = await api.sign_up()
    doc = await file(api, owner, "a.txt")
    _, token = await make_link(api, owner, doc, scope="ANYONE", password="right one")
    _, other = await make_link(api, owner, doc, scope="ANYONE", password="right one")
    for _ in range(10):
        assert [e["code"] for e in (await opened(api, token, p="wrong"))["errors"]] == [
            "WRONG_PASSWORD"
        ]
    # Past the limit even the right password waits; another link of the item does not.
    assert [e["code"] for e in (await opened(api, token, p="right one"))["errors"]] == ["THROTTLED"]
    assert (await opened(api, other, p="right one"))["errors"] == []


async def test_organization_links_open_for_members_only(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    guest = await with_role(api, owner, Role.GUEST, "Gwen")
    stranger = await api.sign_up(organization="Other")
    doc = await file(api, owner, "a.txt")
    _, token = await make_link(api, owner, doc, role="EDITOR")  # ORGANIZATION by default
    got = await opened(api, token, bob)
    assert (got["errors"], got["role"], got["item"]["id"]) == ([], "EDITOR", doc)
    for who in (None, stranger, guest):
        assert await refusal_of(api, OPEN, {"t": token}, who) == ("NOT_FOUND", "token")
    assert await refusal_of(api, OPEN, {"t": "hsl_" + "x" * 43}, bob) == ("NOT_FOUND", "token")
    assert await refusal_of(api, OPEN, {"t": "nonsense"}, bob) == ("NOT_FOUND", "token")


async def test_expired_revoked_and_trashed_links_are_not_found(api: Api) -> None:
    owner = await api.sign_up()
    doc = await file(api, owner, "a.txt")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    p = await payload(api, LINK_CREATE, {"fileId": doc, "expiresAt": past}, owner)
    assert [(e["code"], e["field"]) for e in p["errors"]] == [("EXPIRY_IN_PAST", "expiresAt")]
    p = await payload(api, LINK_CREATE, {"fileId": doc, "password": "abc"}, owner)
    assert [(e["code"], e["field"]) for e in p["errors"]] == [("INVALID_PASSWORD", "password")]
    assert await links(doc) == []

    expiring, token = await make_link(api, owner, doc, scope="ANYONE")
    assert (await opened(api, token))["errors"] == []
    # Time passes (the row says so): the link stops working.
    await ShareLink.filter(id=pk(expiring)).update(expires_at=datetime.now(UTC) - timedelta(1))
    assert await refusal_of(api, OPEN, {"t": token}, None) == ("NOT_FOUND", "token")

    revoked, token = await make_link(api, owner, doc, scope="ANYONE")
    p = await payload(api, LINK_REVOKE, {"shareLinkId": revoked}, owner)
    assert p["errors"] == [] and p["shareLink"]["revokedAt"] is not None
    assert await refusal_of(api, OPEN, {"t": token}, None) == ("NOT_FOUND", "token")
    again = await payload(api, LINK_REVOKE, {"shareLinkId": revoked}, owner)
    assert [e["code"] for e in again["errors"]] == ["ALREADY_REVOKED"]
    listed = (await api.gql(PERMISSIONS, {"id": doc}, token=owner.access_token))["file"]
    assert [x["id"] for x in listed["shareLinks"]["nodes"]] == [expiring]

    _, token = await make_link(api, owner, doc, scope="ANYONE")
    await trash(api, owner, doc)
    assert await refusal_of(api, OPEN, {"t": token}, None) == ("NOT_FOUND", "token")


async def test_a_folder_link_opens_what_is_inside_and_nothing_else(api: Api) -> None:
    owner = await api.sign_up()
    shared = await folder(api, owner, "Shared")
    sub = await folder(api, owner, "Sub", shared)
    inside = await file(api, owner, "inside.txt", sub, data=b"inside")
    names = [await file(api, owner, f"{n}.txt", shared) for n in ("b", "a", "c")]
    outside = await file(api, owner, "outside.txt")
    _, token = await make_link(api, owner, shared, scope="ANYONE")

    got = await opened(api, token)
    assert got["item"]["kind"] == "FOLDER" and got["item"]["downloadUrl"] is None
    children = [c["name"] for c in got["item"]["children"]["nodes"]]
    assert children == ["Sub", "a.txt", "b.txt", "c.txt"]  # folders first, then by name
    assert len(names) == 3
    deeper = await opened(api, token, item=sub)
    assert [c["id"] for c in deeper["item"]["children"]["nodes"]] == [inside]
    leaf = await opened(api, token, item=inside)
    assert leaf["item"]["downloadUrl"] and leaf["linkedItem"] == {"id": shared}
    assert await refusal_of(api, OPEN, {"t": token, "item": outside}, None) == (
        "NOT_FOUND",
        "fileId",
    )


async def test_retrying_with_an_idempotency_key_returns_the_same_link_and_token(
    api: Api,
) -> None:
    owner = await api.sign_up()
    doc = await file(api, owner, "a.txt")
    first = await make_link(api, owner, doc, idempotencyKey="k1", scope="ANYONE")
    assert await make_link(api, owner, doc, idempotencyKey="k1", scope="ANYONE") == first
    assert len(await links(doc)) == 1
    assert (await opened(api, first[1]))["errors"] == []


async def test_viewers_and_commenters_neither_make_nor_revoke_links(api: Api) -> None:
    owner = await api.sign_up()
    vi = await api.add_member(owner, name="Vi")
    ed = await api.add_member(owner, name="Ed")
    doc = await file(api, owner, "a.txt")
    await share_ok(api, owner, doc, "COMMENTER", user=vi)
    await share_ok(api, owner, doc, "EDITOR", user=ed)
    link, _ = await make_link(api, owner, doc)
    variables = {"i": {"fileId": doc, "scope": "ANYONE"}}
    assert await refusal_of(api, LINK_CREATE, variables, vi) == ("FORBIDDEN", "fileId")
    assert await refusal_of(api, LINK_REVOKE, {"i": {"shareLinkId": link}}, vi) == (
        "FORBIDDEN",
        "shareLinkId",
    )
    assert await links(doc) == [(pk(link), None)]
    # Editors manage links.
    assert (await payload(api, LINK_REVOKE, {"shareLinkId": link}, ed))["errors"] == []
    await make_link(api, ed, doc, role="EDITOR")


async def test_a_page_behind_a_link_costs_the_same_queries_at_any_size(api: Api) -> None:
    owner = await api.sign_up()
    small = await folder(api, owner, "Small")
    large = await folder(api, owner, "Large")
    for parent, n in ((small, 2), (large, 9)):
        for i in range(n):
            await file(api, owner, f"{i}.txt", parent)
    counts = []
    for parent in (small, large):
        _, token = await make_link(api, owner, parent, scope="ANYONE")
        with count_queries() as statements:
            got = await opened(api, token)
        assert all(c["downloadUrl"] for c in got["item"]["children"]["nodes"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
