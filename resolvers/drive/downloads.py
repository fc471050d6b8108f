"""Downloads: short-lived signed URLs (presigned GETs on S3) and what ``GET /files/{id}`` and
the signed route serve.

On the local store a signed URL is a Hello URL, ``/files/{id}/content?v=&exp=&sig=``, whose
HMAC (keyed by the server's secret key) covers the file, the version and the expiry; anyone
holding it may download that version until it expires, so it is only handed to people who may
(``download_url`` checks the role; share links check their own rules). On S3 it is a presigned
GET that names the file and its type, and the bytes never pass through Hello.

A URL handed out through a share link lives no longer than the link: it is always a Hello URL
whose signature also covers the link (``&l=``), and every download checks that the link still
opens the file (not revoked, not expired, the file still inside it). On S3 that check answers
with a redirect to a presigned GET of ``LINK_REDIRECT_TTL_SECONDS``, made for this request, so
the bytes still go straight from S3 and revoking the link stops new downloads at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from strawberry import relay

from adapters import runtime
from models.drive import Blob, DriveItem, DriveRole, FileVersion, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.drive import access, links, storage
from resolvers.drive.errors import DriveErrorCode

LINK_REDIRECT_TTL_SECONDS = 30
"""Lifetime of the presigned S3 URL a link-derived download redirects to: long enough for the
client to follow the redirect (allowing for some clock skew with S3), short enough that
holding on to it buys nothing over the Hello URL that checks the link."""


class InvalidSignature(DomainError):
    code = DriveErrorCode.INVALID_SIGNATURE
    default_message = "This download link is invalid or has expired."


@dataclass(frozen=True)
class Download:
    """What a download serves: the file, the version and where its bytes are."""

    item: DriveItem
    version: FileVersion
    storage_key: str
    link_id: int | None = None
    """The share link the URL was handed out through, checked live on this download."""


def _key() -> bytes:
    secret = runtime.current().settings.resolved_secret_key()
    return hashlib.sha256(b"hello drive download\0" + secret.encode()).digest()


def _signature(item_id: int, version_id: int, expires: int, link_id: int | None = None) -> str:
    message = f"{item_id}.{version_id}.{expires}"
    if link_id is not None:
        # Signed too, so a link's URL cannot be passed off as one without the link check.
        message += f".link.{link_id}"
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


def file_gid(item_id: int) -> str:
    return str(relay.GlobalID("File", str(item_id)))


async def _sign(
    item: DriveItem,
    version: FileVersion,
    storage_key: str,
    base_url: str,
    link_id: int | None = None,
) -> str:
    settings = runtime.current().settings
    ttl = settings.download_url_ttl_seconds
    if link_id is None:
        # S3 cannot ask whether a share link still works, so only these may go straight there.
        presigned = await storage.blobs().presigned_get(
            storage_key, filename=item.name, content_type=version.content_type, expires=ttl
        )
        if presigned is not None:
            return presigned
    expires = int(time.time()) + ttl
    params: dict[str, int | str] = {"v": version.id, "exp": expires}
    if link_id is not None:
        params["l"] = link_id
    params["sig"] = _signature(item.id, version.id, expires, link_id)
    query = urlencode(params)
    return f"{base_url.rstrip('/')}/files/{file_gid(item.id)}/content?{query}"


async def signed_download_url(
    item: DriveItem, version: FileVersion | None = None, *, base_url: str = ""
) -> str:
    """A URL that downloads ``version`` (default: the current one) of a file for
    ``download_url_ttl_seconds``, without a token. No permission check: callers check. On the
    local store the URL is relative to Hello unless ``base_url`` is given."""
    if version is None:
        if item.kind != ItemKind.FILE or item.current_version_id is None:
            raise NotFound()
        version = await FileVersion.get(id=item.current_version_id)
    blob = await Blob.get(id=version.blob_id)
    return await _sign(item, version, blob.storage_key, base_url)


def base_url(ctx: Context) -> str:
    return str(ctx.request.base_url)


async def _versions_with_keys(version_ids: list[int]) -> Sequence[tuple[FileVersion, str] | None]:
    """DataLoader batch: versions and their blobs' storage keys, in two queries per page."""
    versions = {v.id: v for v in await FileVersion.filter(id__in=version_ids)}
    keys = dict(
        await Blob.filter(id__in={v.blob_id for v in versions.values()}).values_list(
            "id", "storage_key"
        )
    )
    out: list[tuple[FileVersion, str] | None] = []
    for vid in version_ids:
        v = versions.get(vid)
        out.append((v, str(keys[v.blob_id])) if v is not None and v.blob_id in keys else None)
    return out


async def download_url(ctx: Context, item: DriveItem) -> str | None:
    """A signed URL of the file's current version for a viewer who may read it; None for
    folders, files in the trash and files the viewer cannot see."""
    if item.kind != ItemKind.FILE or item.trashed_at:
        return None
    role = await access.role_loader(ctx).load(item)
    if role is None:
        return None
    return await signed_url_batched(ctx, item)


async def signed_url_batched(
    ctx: Context, item: DriveItem, link_id: int | None = None
) -> str | None:
    """``signed_download_url`` of the current version for a field resolver: no permission check
    (callers check), batched per request (a page of files costs two queries), absolute URLs.
    None for folders. With ``link_id``, the URL works only while that share link does."""
    if item.kind != ItemKind.FILE or item.current_version_id is None:
        return None
    found = await ctx.loaders.get(_versions_with_keys).load(item.current_version_id)
    if found is None:
        return None
    version, storage_key = found
    return await _sign(item, version, storage_key, base_url(ctx), link_id)


async def _download_of(
    item: DriveItem, version: FileVersion | None, link_id: int | None = None
) -> Download:
    if item.kind != ItemKind.FILE or version is None:
        raise NotFound(field="version")
    blob = await Blob.get(id=version.blob_id)
    return Download(item, version, blob.storage_key, link_id)


async def open_download(ctx: Context, item_id: int | None, version: int | None) -> Download:
    """What ``GET /files/{id}`` serves: the current version, or version number ``version``,
    of a file the viewer may read (NOT_FOUND otherwise, folders included)."""
    item = (await access.access_item(ctx, item_id, DriveRole.VIEWER)).item
    if version is None:
        row = await FileVersion.filter(id=item.current_version_id).first()
    else:
        row = await FileVersion.filter(item_id=item.id, number=version).first()
    return await _download_of(item, row)


async def open_signed(
    item_id: int | None, version_id: str, expires: str, signature: str, link: str = ""
) -> Download:
    """What a signed URL serves, if its signature is valid and it has not expired (and the
    file still exists outside the trash). A URL handed out through a share link (``link``)
    works only while that link still opens the file."""
    if item_id is None or not version_id.isdigit() or not expires.isdigit():
        raise InvalidSignature()
    if link and not link.isdigit():
        raise InvalidSignature()
    link_id = int(link) if link else None
    expected = _signature(item_id, int(version_id), int(expires), link_id)
    if not hmac.compare_digest(expected, signature) or int(expires) < time.time():
        raise InvalidSignature()
    item = await DriveItem.filter(id=item_id, trashed_at__isnull=True).first()
    if item is None:
        raise NotFound()
    if link_id is not None and not await links.still_opens(link_id, item):
        raise links.no_link()
    version = await FileVersion.filter(id=int(version_id), item_id=item.id).first()
    return await _download_of(item, version, link_id)


async def redirect_url(download: Download) -> str | None:
    """For a link-derived download on a store that serves bytes itself (S3): a presigned GET
    made now, for a few seconds, to redirect to once the link was checked. None: serve here."""
    if download.link_id is None:
        return None
    return await storage.blobs().presigned_get(
        download.storage_key,
        filename=download.item.name,
        content_type=download.version.content_type,
        expires=LINK_REDIRECT_TTL_SECONDS,
    )
