"""One contract for both blob stores: the local directory and S3 (against moto's S3 server on
loopback). Parts go through Hello's path (``multipart_put``) on the local store and to presigned
URLs with plain HTTP PUTs on S3, as clients send them."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.blobs import BlobStore, Digest, LocalBlobStore, PartInfo
from adapters.blobs_s3 import MIN_PART, PUT_PART, S3BlobStore
from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, create_bucket, moto_server
from tests.services import missing


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(Path(tempfile.mkdtemp(prefix="hello-blobs-")))
        return
    try:
        moto = moto_server()
    except RuntimeError as e:
        missing(f"no S3 server for the S3 blob store: {e}")
    s3 = S3BlobStore(
        bucket=create_bucket(moto.endpoint_url),
        prefix="some/prefix",
        endpoint_url=moto.endpoint_url,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
    )
    try:
        yield s3
    finally:
        await s3.close()


async def chunks_of(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read(store: BlobStore, key: str, start: int = 0, stop: int | None = None) -> bytes:
    return b"".join([c async for c in store.get(key, start, stop)])


async def test_put_get_ranges_size_delete(store: BlobStore) -> None:
    data = os.urandom(300_000)
    assert await store.put("org/1/a", chunks_of(data)) == len(data)
    assert await store.size("org/1/a") == len(data)
    assert await read(store, "org/1/a") == data
    assert await read(store, "org/1/a", 1000, 2000) == data[1000:2000]
    assert await read(store, "org/1/a", 299_990) == data[299_990:]
    assert await read(store, "org/1/a", 5, 5) == b""
    await store.delete("org/1/a")
    assert await store.size("org/1/a") is None
    await store.delete("org/1/a")  # deleting a missing object is not an error
    assert await store.size("org/1/never") is None


async def test_empty_object(store: BlobStore) -> None:
    assert await store.put("org/1/empty", chunks_of(b"")) == 0
    assert await store.size("org/1/empty") == 0
    assert await read(store, "org/1/empty") == b""


async def test_large_put_streams_in_parts(store: BlobStore) -> None:
    """Larger than one S3 part, so S3 uses a multipart upload; the bytes come back whole."""
    data = os.urandom(PUT_PART + 12_345)
    assert await store.put("org/2/big", chunks_of(data, 1 << 20)) == len(data)
    assert await store.size("org/2/big") == len(data)
    got = await read(store, "org/2/big")
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


async def test_failed_put_leaves_nothing(store: BlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(PUT_PART + 1)
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await store.put("org/3/broken", broken())
    assert await store.size("org/3/broken") is None


async def send_part(store: BlobStore, key: str, upload_id: str, number: int, data: bytes) -> None:
    url = await store.multipart_part_url(key, upload_id, number, 600)
    if store.kind == "local":
        assert url is None  # parts go through Hello
        info = await store.multipart_put(key, upload_id, number, chunks_of(data))
        assert (info.number, info.size) == (number, len(data))
        return
    assert url is not None and url.startswith("http")
    async with httpx.AsyncClient() as http:
        r = await http.put(url, content=data)
    assert r.status_code == 200, r.text


async def test_multipart_upload(store: BlobStore) -> None:
    part1, part2, part3 = os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(1234)
    key = "org/4/multi"
    upload_id = await store.multipart_create(key)
    assert await store.multipart_parts(key, upload_id) == []
    # Out of order, and part 2 sent twice: the second try replaces the first.
    await send_part(store, key, upload_id, 3, part3)
    await send_part(store, key, upload_id, 2, os.urandom(MIN_PART))
    await send_part(store, key, upload_id, 2, part2)
    await send_part(store, key, upload_id, 1, part1)
    parts = await store.multipart_parts(key, upload_id)
    assert [(p.number, p.size) for p in parts] == [(1, MIN_PART), (2, MIN_PART), (3, 1234)]
    assert await store.size(key) is None  # nothing appears before completion
    joined = await store.multipart_complete(key, upload_id, parts)
    whole = part1 + part2 + part3
    if store.kind == "local":  # it hashes while joining, so completion need not read back
        assert joined == Digest(len(whole), hashlib.sha256(whole).hexdigest())
    else:  # S3 joins on its side
        assert joined is None
    assert await read(store, key) == whole
    assert await store.multipart_parts(key, upload_id) == []


async def test_multipart_abort(store: BlobStore) -> None:
    key = "org/5/aborted"
    upload_id = await store.multipart_create(key)
    await send_part(store, key, upload_id, 1, os.urandom(1000))
    assert len(await store.multipart_parts(key, upload_id)) == 1
    await store.multipart_abort(key, upload_id)
    assert await store.multipart_parts(key, upload_id) == []
    assert await store.size(key) is None
    await store.multipart_abort(key, upload_id)  # aborting twice is not an error


async def test_multipart_put_through_hello_works_on_both(store: BlobStore) -> None:
    key = "org/6/via-hello"
    upload_id = await store.multipart_create(key)
    info = await store.multipart_put(key, upload_id, 1, chunks_of(b"hello world"))
    assert isinstance(info, PartInfo) and info.size == 11
    await store.multipart_complete(key, upload_id, await store.multipart_parts(key, upload_id))
    assert await read(store, key) == b"hello world"


async def test_presigned_get(store: BlobStore) -> None:
    await store.put("org/7/report", chunks_of(b"%PDF-1.7 ..."))
    url = await store.presigned_get(
        "org/7/report", filename="Q3 report é.pdf", content_type="application/pdf", expires=60
    )
    if store.kind == "local":
        assert url is None  # Hello signs its own download URLs
        return
    assert url is not None
    async with httpx.AsyncClient() as http:
        r = await http.get(url)
    assert r.status_code == 200
    assert r.content == b"%PDF-1.7 ..."
    assert r.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Q3%20report%20%C3%A9.pdf" in r.headers["content-disposition"]
    async with httpx.AsyncClient() as http:
        tampered = await http.get(url.replace("report", "other", 1))
    assert tampered.status_code in (403, 404)


async def test_keys_are_checked(store: BlobStore) -> None:
    for bad in ("", "../etc/passwd", "a//b", "/abs", "a/./b"):
        with pytest.raises(ValueError):
            await store.put(bad, chunks_of(b"x"))
