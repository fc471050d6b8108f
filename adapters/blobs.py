"""The blob store: where Drive keeps bytes. Two implementations share one interface: a local
directory (the embedded default, ``<data_dir>/blobs``) and S3 or an S3-compatible server
(``adapters/blobs_s3.py``), chosen by ``HELLO_STORAGE_URL``.

Keys are opaque strings chosen by Drive (``org/<id>/<random>``); the store never interprets
them. Large uploads go through the store's multipart protocol: create, put parts (through
Hello on the local store, straight to S3 with presigned URLs there), list what arrived,
complete into one object or abort.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote, urlparse

from adapters.settings import Settings

CHUNK = 256 * 1024
STALE_TEMPORARY_SECONDS = 3600
"""A temporary file untouched this long belongs to a writer that died (a killed process, a
request cut off). Live writers touch theirs with every chunk, and even a 4 MiB part on a slow
phone link or a 10 GiB join arrives faster, so an hour of silence is no upload at all."""
SWEEP_INTERVAL_SECONDS = 600

log = logging.getLogger("hello.blobs")


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


@dataclass(frozen=True)
class PartInfo:
    number: int
    size: int
    etag: str


class BlobStore(Protocol):
    kind: str
    """``local`` or ``s3``."""

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store the bytes under ``key`` (replacing nothing: keys are fresh); returns the size.
        The object appears whole or not at all."""
        ...

    def get(self, key: str, start: int = 0, stop: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``[start, stop)`` of an object, in chunks (an async generator)."""
        ...

    async def size(self, key: str) -> int | None:
        """The object's size, or None if there is no such object."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; removing a missing one is not an error."""
        ...

    async def multipart_create(self, key: str) -> str:
        """Start a multipart upload to ``key``; returns its id."""
        ...

    async def multipart_put(
        self, key: str, upload_id: str, number: int, chunks: AsyncIterable[bytes]
    ) -> PartInfo:
        """Store part ``number`` (1-based) through Hello, replacing an earlier try."""
        ...

    async def multipart_part_url(
        self, key: str, upload_id: str, number: int, expires: int
    ) -> str | None:
        """A presigned URL for the client to PUT the part to, or None when parts go through
        Hello (the local store)."""
        ...

    async def multipart_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        """The parts that arrived, by number."""
        ...

    async def multipart_complete(
        self, key: str, upload_id: str, parts: list[PartInfo]
    ) -> Digest | None:
        """Join the parts, in number order, into the object ``key``. A store that reads the
        bytes while joining returns their size and SHA-256 (the local store); S3 joins on its
        side and returns None, so the caller reads the object back to verify it."""
        ...

    async def multipart_abort(self, key: str, upload_id: str) -> None:
        """Drop a multipart upload and its parts; aborting a missing one is not an error."""
        ...

    async def presigned_get(
        self, key: str, *, filename: str, content_type: str, expires: int
    ) -> str | None:
        """A URL that downloads the object without Hello, or None (the local store)."""
        ...

    async def sweep_temporary(self, older_than: float = STALE_TEMPORARY_SECONDS) -> int:
        """Delete the leftovers of writes that died, untouched for ``older_than`` seconds;
        returns how many went. Safe while other writes (of any process) are under way."""
        ...

    async def close(self) -> None: ...


async def sweep_forever(store: BlobStore, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
    """Sweep at start-up, then every ``interval`` seconds (from the app's lifespan)."""
    while True:
        try:
            if swept := await store.sweep_temporary():
                log.info("swept stale temporary files", extra={"count": swept})
        except Exception:
            log.exception("sweeping the blob store's temporary files failed")
        await asyncio.sleep(interval)


def content_disposition(filename: str) -> str:
    """``attachment`` with the name twice: an ASCII fallback for old clients and the exact
    name in RFC 5987 ``filename*`` (UTF-8, percent-encoded)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _safe_key(key: str) -> str:
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts) or "\\" in key or "\0" in key:
        raise ValueError(f"invalid blob key {key!r}")
    return key


class LocalBlobStore:
    """Blobs as files under one directory. Writes go to a temporary file first and are renamed
    into place, so a reader never sees half an object."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".tmp").mkdir(exist_ok=True)
        (self.root / ".multipart").mkdir(exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def _upload_dir(self, upload_id: str) -> Path:
        if not upload_id.isalnum():
            raise ValueError("invalid upload id")
        return self.root / ".multipart" / upload_id

    async def _write(self, target: Path, chunks: AsyncIterable[bytes]) -> tuple[int, str]:
        """Write chunks to ``target`` atomically; returns (size, md5 hex) of what was written."""
        tmp = self.root / ".tmp" / secrets.token_hex(16)
        size = 0
        md5 = hashlib.md5(usedforsecurity=False)
        try:
            with tmp.open("wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    md5.update(chunk)
                    await asyncio.to_thread(f.write, chunk)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return size, md5.hexdigest()

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        size, _ = await self._write(self._path(key), chunks)
        return size

    async def get(self, key: str, start: int = 0, stop: int | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        f = await asyncio.to_thread(path.open, "rb")
        try:
            f.seek(start)
            remaining = None if stop is None else max(0, stop - start)
            while remaining is None or remaining > 0:
                n = CHUNK if remaining is None else min(CHUNK, remaining)
                chunk = await asyncio.to_thread(f.read, n)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            f.close()

    async def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def multipart_create(self, key: str) -> str:
        _safe_key(key)
        upload_id = secrets.token_hex(16)
        self._upload_dir(upload_id).mkdir(parents=True)
        return upload_id

    async def multipart_put(
        self, key: str, upload_id: str, number: int, chunks: AsyncIterable[bytes]
    ) -> PartInfo:
        directory = self._upload_dir(upload_id)
        if not directory.is_dir():
            raise FileNotFoundError(f"no multipart upload {upload_id}")
        size, etag = await self._write(directory / f"{number:05d}", chunks)
        return PartInfo(number, size, etag)

    async def multipart_part_url(
        self, key: str, upload_id: str, number: int, expires: int
    ) -> str | None:
        return None

    async def multipart_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        directory = self._upload_dir(upload_id)
        if not directory.is_dir():
            return []
        out = []
        for p in sorted(directory.iterdir()):
            if p.name.isdigit():
                out.append(PartInfo(int(p.name), p.stat().st_size, ""))
        return out

    async def multipart_complete(self, key: str, upload_id: str, parts: list[PartInfo]) -> Digest:
        directory = self._upload_dir(upload_id)
        digest = hashlib.sha256()

        def read_and_hash(f: BinaryIO) -> bytes:
            chunk = f.read(1024 * 1024)
            digest.update(chunk)  # hashlib releases the GIL on large buffers
            return chunk

        async def joined() -> AsyncIterator[bytes]:
            for part in sorted(parts, key=lambda p: p.number):
                with (directory / f"{part.number:05d}").open("rb") as f:
                    while chunk := await asyncio.to_thread(read_and_hash, f):
                        yield chunk

        size, _ = await self._write(self._path(key), joined())
        await asyncio.to_thread(shutil.rmtree, directory, True)
        return Digest(size, digest.hexdigest())

    async def multipart_abort(self, key: str, upload_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._upload_dir(upload_id), True)

    async def presigned_get(
        self, key: str, *, filename: str, content_type: str, expires: int
    ) -> str | None:
        return None

    async def sweep_temporary(self, older_than: float = STALE_TEMPORARY_SECONDS) -> int:
        return await asyncio.to_thread(self._sweep_temporary, time.time() - older_than)

    def _sweep_temporary(self, cutoff: float) -> int:
        # By modification time, not age: a slow but live write keeps its file fresh.
        swept = 0
        with os.scandir(self.root / ".tmp") as entries:
            for entry in entries:
                try:
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        swept += 1
                except FileNotFoundError:
                    pass  # its writer finished, or another process swept it, meanwhile
        return swept

    async def close(self) -> None:
        return None


def create_blob_store(settings: Settings) -> BlobStore:
    url = settings.resolved_storage_url()
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(Path(parsed.path))
    if parsed.scheme == "s3":
        from adapters.blobs_s3 import S3BlobStore

        return S3BlobStore(
            bucket=parsed.netloc,
            prefix=parsed.path.strip("/"),
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    raise ValueError(f"HELLO_STORAGE_URL must start with file:// or s3://, not {url!r}")
