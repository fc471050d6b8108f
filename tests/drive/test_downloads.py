"""Downloads: ``GET /files/{id}`` with ranges, ETags and permissions, older versions, and the
short-lived ``downloadUrl`` (Hello-signed on the local store, presigned on S3)."""

from __future__ import annotations

import os
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from resolvers.drive.downloads import _signature
from tests.client import Api, count_queries
from tests.drive import transfer as t
from tests.drive.helpers import upload_ok

URL = "query($id: ID!) { file(id: $id) { downloadUrl } }"


async def test_full_download_has_the_right_headers(api: Api) -> None:
    ada = await api.sign_up()
    data = os.urandom(70_000)
    file = await upload_ok(
        api, ada, data, name='Résumé 2024 "final".pdf', contentType="application/pdf"
    )
    r = await t.download(api, ada, file["id"])
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["etag"] == f'"{t.sha256(data)}"'
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["cache-control"] == "private"
    assert r.headers["x-content-type-options"] == "nosniff"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="R_sum_ 2024 _final_.pdf"')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%202024%20%22final%22.pdf" in disposition
    head = await api.http.head(f"/files/{file['id']}", headers=ada.headers)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data))


async def test_ranges_are_byte_exact(api: Api) -> None:
    ada = await api.sign_up()
    data = os.urandom(300_000)
    file = await upload_ok(api, ada, data, name="range.bin")
    size = len(data)
    cases = {
        "bytes=0-0": (0, 1),
        "bytes=1000-1999": (1000, 2000),
        "bytes=299990-": (299_990, size),  # open-ended
        "bytes=-10": (size - 10, size),  # the last 10 bytes
        "bytes=-999999": (0, size),  # a suffix longer than the file is the whole file
        "bytes=250000-999999": (250_000, size),  # the end is clamped
    }
    for header, (start, stop) in cases.items():
        r = await t.download(api, ada, file["id"], headers={"range": header})
        assert r.status_code == 206, header
        assert r.content == data[start:stop], header
        assert r.headers["content-range"] == f"bytes {start}-{stop - 1}/{size}", header
        assert r.headers["content-length"] == str(stop - start)
    for unsatisfiable in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0"):
        r = await t.download(api, ada, file["id"], headers={"range": unsatisfiable})
        assert r.status_code == 416, unsatisfiable
        assert r.headers["content-range"] == f"bytes */{size}"
    # Several ranges, or a syntax we do not serve, get the whole file (RFC 9110 allows it).
    for ignored in ("bytes=0-1,5-6", "items=0-5", "bytes=9-3"):
        r = await t.download(api, ada, file["id"], headers={"range": ignored})
        assert r.status_code == 200 and r.content == data, ignored


async def test_etag_and_conditional_requests(api: Api) -> None:
    ada = await api.sign_up()
    data = b"cache me " * 1000
    file = await upload_ok(api, ada, data, name="cached.txt")
    etag = (await t.download(api, ada, file["id"])).headers["etag"]
    r = await t.download(api, ada, file["id"], headers={"if-none-match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    r = await t.download(api, ada, file["id"], headers={"if-none-match": f'"other", W/{etag}'})
    assert r.status_code == 304
    r = await t.download(api, ada, file["id"], headers={"if-none-match": '"something-else"'})
    assert r.status_code == 200 and r.content == data
    # If-Range: the range only while the ETag still matches.
    r = await t.download(api, ada, file["id"], headers={"range": "bytes=0-4", "if-range": etag})
    assert r.status_code == 206 and r.content == data[:5]
    r = await t.download(
        api, ada, file["id"], headers={"range": "bytes=0-4", "if-range": '"stale"'}
    )
    assert r.status_code == 200 and r.content == data


async def test_older_versions(api: Api) -> None:
    ada = await api.sign_up()
    one = await upload_ok(api, ada, b"first", name="v.txt")
    two = await upload_ok(api, ada, b"second", name="v.txt", onConflict="NEW_VERSION")
    assert two["id"] == one["id"]
    assert (await t.download(api, ada, one["id"])).content == b"second"
    assert (await t.download(api, ada, one["id"], params={"version": 1})).content == b"first"
    assert (await t.download(api, ada, one["id"], params={"version": 2})).content == b"second"
    r = await t.download(api, ada, one["id"], params={"version": 3})
    assert r.status_code == 404
    r = await t.download(api, ada, one["id"], params={"version": "x"})
    assert r.status_code == 400


async def test_downloads_check_permissions(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    eve = await api.sign_up(organization="Elsewhere")
    file = await upload_ok(api, ada, b"private", name="secret.txt")
    r = await t.download(api, None, file["id"])
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await t.download(api, None, file["id"], headers={"authorization": "Bearer nope"})
    assert r.status_code == 401
    for stranger in (bob, eve):  # same organization without a share, and another organization
        r = await t.download(api, stranger, file["id"])
        assert r.status_code == 404, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert b"private" not in r.content
    for bad_id in ("garbage", str(t.GlobalID("User", "1")), str(t.GlobalID("File", "999999999"))):
        r = await t.download(api, ada, bad_id)
        assert r.status_code == 404
    # The URL field follows the same rules.
    r = await api.post(URL, {"id": file["id"]}, token=eve.access_token)
    assert r.json()["data"]["file"] is None


async def test_download_url(api: Api) -> None:
    ada = await api.sign_up()
    data = os.urandom(50_000)
    file = await upload_ok(api, ada, data, name="linked.bin", contentType="image/png")
    url = (await api.gql(URL, {"id": file["id"]}, token=ada.access_token))["file"]["downloadUrl"]
    assert url.startswith("http")
    async with httpx.AsyncClient() as anonymous:  # no token needed
        r = await anonymous.get(url)
        assert r.status_code == 200 and r.content == data
        assert r.headers["content-type"] == "image/png"
        assert "filename*=UTF-8''linked.bin" in r.headers["content-disposition"]
        if t.store_kind() == "s3":
            assert "X-Amz-Signature" in url and not url.startswith(api.base_url)
            return
        assert url.startswith(f"{api.base_url}/files/{file['id']}/content?")
        ranged = await anonymous.get(url, headers={"range": "bytes=10-19"})
        assert ranged.status_code == 206 and ranged.content == data[10:20]
        # A changed signature, an expired URL or another file: refused.
        query = parse_qs(urlsplit(url).query)
        version, sig = int(query["v"][0]), query["sig"][0]
        tampered = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
        r = await anonymous.get(tampered)
        assert r.status_code == 403
        assert r.json()["errors"][0]["extensions"]["code"] == "INVALID_SIGNATURE"
        past = int(time.time()) - 1
        expired = (
            f"{api.base_url}/files/{file['id']}/content?v={version}&exp={past}"
            f"&sig={_signature(t.pk(file['id']), version, past)}"
        )
        assert (await anonymous.get(expired)).status_code == 403
        other = await upload_ok(api, ada, b"other", name="other.bin")
        assert (await anonymous.get(url.replace(file["id"], other["id"]))).status_code == 403


async def test_folders_have_no_content(api: Api) -> None:
    ada = await api.sign_up()
    root = (await api.gql("{ drive { root { id downloadUrl } } }", token=ada.access_token))[
        "drive"
    ]["root"]
    assert root["downloadUrl"] is None
    r = await t.download(api, ada, root["id"])
    assert r.status_code == 404


async def test_download_urls_of_a_page_take_a_constant_number_of_queries(api: Api) -> None:
    ada = await api.sign_up()
    page = "{ drive { root { children(first: 20) { edges { node { name downloadUrl } } } } } }"

    async def count() -> int:
        with count_queries() as statements:
            data = await api.gql(page, token=ada.access_token)
        urls = [e["node"]["downloadUrl"] for e in data["drive"]["root"]["children"]["edges"]]
        assert urls and all(u.startswith("http") for u in urls)
        return len(statements)

    await upload_ok(api, ada, b"one", name="1.txt")
    await upload_ok(api, ada, b"two", name="2.txt")
    few = await count()
    for n in range(3, 9):
        await upload_ok(api, ada, f"file {n}".encode(), name=f"{n}.txt")
    assert await count() == few
