"""The blob store on S3 or an S3-compatible server (MinIO, Ceph, moto), through aioboto3.

One client per store, opened on first use and closed with the store. Uploads stream: ``put``
sends objects of up to one part in a single PUT and larger ones as a multipart upload, holding
one part in memory at a time. Upload sessions give clients presigned part URLs, so their bytes
go straight to S3; downloads can use presigned GETs that set the file name and type.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import ClientError

from adapters.blobs import (
    CHUNK,
    STALE_TEMPORARY_SECONDS,
    PartInfo,
    _safe_key,
    content_disposition,
)

MIN_PART = 5 * 1024 * 1024
"""S3's smallest part (every part but the last)."""
PUT_PART = 8 * 1024 * 1024
"""Part size of ``put``: objects up to this size go in one request."""
MAX_PRESIGN = 7 * 24 * 3600
"""SigV4 presigned URLs live at most a week."""

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def _missing(e: ClientError) -> bool:
    return str(e.response.get("Error", {}).get("Code")) in _MISSING


async def _parts_of(chunks: AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """Regroup a stream into pieces of ``size`` bytes (the last may be shorter; an empty
    stream gives one empty piece)."""
    buffer = bytearray()
    sent = False
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
            sent = True
    if buffer or not sent:
        yield bytes(buffer)


class S3BlobStore:
    kind = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("HELLO_STORAGE_URL=s3://<bucket> needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.region = region
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region,
        )
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._lock = asyncio.Lock()

    def _key(self, key: str) -> str:
        _safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def client(self) -> Any:
        """The store's S3 client, opened once (and again after ``close``)."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                stack = AsyncExitStack()
                self._client = await stack.enter_async_context(
                    self._session.client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        config=Config(
                            signature_version="s3v4",
                            # Path-style URLs work with every S3-compatible server and with
                            # bucket names that contain dots.
                            s3={"addressing_style": "path"},
                            retries={"max_attempts": 3, "mode": "standard"},
                        ),
                    )
                )
                self._stack = stack
        return self._client

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        s3 = await self.client()
        full = self._key(key)
        pieces = _parts_of(chunks, PUT_PART)
        first = await anext(pieces)
        if len(first) < PUT_PART:
            await s3.put_object(Bucket=self.bucket, Key=full, Body=first)
            return len(first)
        upload_id = (await s3.create_multipart_upload(Bucket=self.bucket, Key=full))["UploadId"]
        try:
            size, number, parts = 0, 0, []
            piece: bytes | None = first
            while piece is not None:
                number += 1
                r = await s3.upload_part(
                    Bucket=self.bucket, Key=full, UploadId=upload_id, PartNumber=number, Body=piece
                )
                parts.append({"ETag": r["ETag"], "PartNumber": number})
                size += len(piece)
                piece = await anext(pieces, None)
            await s3.complete_multipart_upload(
                Bucket=self.bucket, Key=full, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            await s3.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
            raise
        return size

    async def get(self, key: str, start: int = 0, stop: int | None = None) -> AsyncIterator[bytes]:
        if stop is not None and stop <= start:
            return
        s3 = await self.client()
        extra: dict[str, str] = {}
        if start or stop is not None:
            extra["Range"] = f"bytes={start}-{'' if stop is None else stop - 1}"
        r = await s3.get_object(Bucket=self.bucket, Key=self._key(key), **extra)
        body = r["Body"]
        async with body:  # releases the connection, also when the reader stops early
            async for chunk in body.iter_chunks(CHUNK):
                yield chunk

    async def size(self, key: str) -> int | None:
        s3 = await self.client()
        try:
            r = await s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as e:
            if _missing(e):
                return None
            raise
        return int(r["ContentLength"])

    async def delete(self, key: str) -> None:
        s3 = await self.client()
        await s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def multipart_create(self, key: str) -> str:
        s3 = await self.client()
        r = await s3.create_multipart_upload(Bucket=self.bucket, Key=self._key(key))
        return str(r["UploadId"])

    async def multipart_put(
        self, key: str, upload_id: str, number: int, chunks: AsyncIterable[bytes]
    ) -> PartInfo:
        # Parts normally go to presigned URLs; this path (one part in memory) serves clients
        # that send them through Hello anyway.
        s3 = await self.client()
        body = b"".join([c async for c in chunks])
        r = await s3.upload_part(
            Bucket=self.bucket, Key=self._key(key), UploadId=upload_id, PartNumber=number, Body=body
        )
        return PartInfo(number, len(body), str(r["ETag"]))

    async def multipart_part_url(
        self, key: str, upload_id: str, number: int, expires: int
    ) -> str | None:
        s3 = await self.client()
        url = await s3.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "UploadId": upload_id,
                "PartNumber": number,
            },
            ExpiresIn=max(1, min(expires, MAX_PRESIGN)),
            HttpMethod="PUT",
        )
        return str(url)

    async def multipart_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        s3 = await self.client()
        out: list[PartInfo] = []
        marker = 0
        while True:
            try:
                r = await s3.list_parts(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    UploadId=upload_id,
                    PartNumberMarker=marker,
                    MaxParts=1000,
                )
            except ClientError as e:
                if _missing(e):
                    return []
                raise
            for p in r.get("Parts", []):
                out.append(PartInfo(int(p["PartNumber"]), int(p["Size"]), str(p["ETag"])))
            if not r.get("IsTruncated"):
                return out
            marker = int(r["NextPartNumberMarker"])

    async def multipart_complete(self, key: str, upload_id: str, parts: list[PartInfo]) -> None:
        # S3 joins the parts on its side: no digest here (the caller reads the object back).
        s3 = await self.client()
        await s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self._key(key),
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {"ETag": p.etag, "PartNumber": p.number}
                    for p in sorted(parts, key=lambda p: p.number)
                ]
            },
        )

    async def multipart_abort(self, key: str, upload_id: str) -> None:
        s3 = await self.client()
        try:
            await s3.abort_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            )
        except ClientError as e:
            if not _missing(e):
                raise

    async def presigned_get(
        self, key: str, *, filename: str, content_type: str, expires: int
    ) -> str | None:
        s3 = await self.client()
        url = await s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type or "application/octet-stream",
                "ResponseCacheControl": "private",
            },
            ExpiresIn=max(1, min(expires, MAX_PRESIGN)),
        )
        return str(url)

    async def sweep_temporary(self, older_than: float = STALE_TEMPORARY_SECONDS) -> int:
        # S3 has no temporary files: a ``put`` cut off leaves an incomplete multipart upload,
        # which only a bucket lifecycle rule can tell from a live upload session (README).
        return 0

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()
