"""Download URLs handed out through a share link live no longer than the link: revoking it,
its expiry, or the file leaving the linked folder stops them at once, on the local store and on
S3 (where the Hello URL checks the link, then redirects to a presigned GET made for seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from models.drive import ShareLink
from tests.client import Api
from tests.drive import transfer as t
from tests.drive.sharing_helpers import LINK_REVOKE, file, folder, payload, pk
from tests.drive.test_permissions import MOVE
from tests.drive.test_share_links import make_link, opened


async def fetch(url: str) -> httpx.Response:
    """A download as a browser makes it: no token, redirects followed."""
    async with httpx.AsyncClient(follow_redirects=True, timeout=30) as anonymous:
        return await anonymous.get(url)


def code(r: httpx.Response) -> str:
    return str(r.json()["errors"][0]["extensions"]["code"])


async def test_revoking_a_link_stops_the_download_urls_it_handed_out(api: Api) -> None:
    # Given a file shared by link, and a download URL obtained through the link
    owner = await api.sign_up()
    doc = await file(api, owner, "plan.pdf", data=b"%PDF plan")
    link, token = await make_link(api, owner, doc, scope="ANYONE")
    url = (await opened(api, token))["item"]["downloadUrl"]
    assert url.startswith(api.base_url)  # on S3 too: only Hello can ask after the link
    r = await fetch(url)
    assert r.status_code == 200 and r.content == b"%PDF plan"
    if t.store_kind() == "s3":
        async with httpx.AsyncClient() as plain:
            hop = await plain.get(url)
        assert hop.status_code == 307 and hop.headers["cache-control"] == "no-store"
        assert ("X-Amz-Expires", "30") in parse_qsl(urlsplit(hop.headers["location"]).query)

    # When the link is revoked
    assert (await payload(api, LINK_REVOKE, {"shareLinkId": link}, owner))["errors"] == []

    # Then the URL stops working at once, while the file itself is untouched
    r = await fetch(url)
    assert (r.status_code, code(r)) == (404, "NOT_FOUND")
    mine = await t.download(api, owner, doc)
    assert mine.status_code == 200 and mine.content == b"%PDF plan"


async def test_an_expired_link_or_a_file_moved_out_stops_its_urls(api: Api) -> None:
    # Given a folder shared by link, with two files whose URLs came through the link
    owner = await api.sign_up()
    shared = await folder(api, owner, "Shared")
    elsewhere = await folder(api, owner, "Elsewhere")
    moved = await file(api, owner, "moved.txt", shared, data=b"moved")
    stays = await file(api, owner, "stays.txt", shared, data=b"stays")
    link, token = await make_link(api, owner, shared, scope="ANYONE")
    moved_url = (await opened(api, token, item=moved))["item"]["downloadUrl"]
    stays_url = (await opened(api, token, item=stays))["item"]["downloadUrl"]
    assert (await fetch(moved_url)).content == b"moved"

    # When one file moves out of the linked folder
    r = await api.gql(
        MOVE, {"i": {"fileId": moved, "folderId": elsewhere}}, token=owner.access_token
    )
    assert r["fileMove"]["errors"] == []
    # Then its URL stops, and the other's still works
    assert (await fetch(moved_url)).status_code == 404
    assert (await fetch(stays_url)).content == b"stays"

    # When the link expires (time passes: the row says so), the other's stops too
    await ShareLink.filter(id=pk(link)).update(expires_at=datetime.now(UTC) - timedelta(1))
    assert (await fetch(stays_url)).status_code == 404


async def test_a_link_url_cannot_shed_or_swap_its_link(api: Api) -> None:
    # Given a URL from a link that is then revoked, and another live link to another file
    owner = await api.sign_up()
    doc = await file(api, owner, "secret.txt", data=b"secret")
    link, token = await make_link(api, owner, doc, scope="ANYONE")
    url = (await opened(api, token))["item"]["downloadUrl"]
    other = await file(api, owner, "other.txt")
    live, _ = await make_link(api, owner, other, scope="ANYONE")
    assert (await payload(api, LINK_REVOKE, {"shareLinkId": link}, owner))["errors"] == []

    # When the URL is edited to drop its link, or to name the live one
    base, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    shed = {k: v for k, v in params.items() if k != "l"}
    swapped = {**params, "l": str(pk(live))}
    # Then the signature no longer matches, and nothing is served
    for edited in (shed, swapped):
        r = await fetch(f"{base}?{urlencode(edited)}")
        assert (r.status_code, code(r)) == (403, "INVALID_SIGNATURE")
