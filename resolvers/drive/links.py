"""Share links: a token that opens an item with a role, for members of its organization or for
anyone, optionally with a password (argon2) and an expiry. Only a SHA-256 of the token is kept;
the token is shown once, in the payload that made it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters import runtime
from models.drive import ROLE_RANK, DriveItem, DriveRole, ItemKind, LinkScope, ShareLink
from models.identity import Role
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, Throttled, ValidationFailed
from resolvers.core.idempotency import once, retry_safe_token
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.drive import events
from resolvers.drive.access import access_item, at_least
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.sharing import no_guests, shareable
from resolvers.identity.passwords import hash_password, verify_password

LINK_TOKEN_PREFIX = "hsl_"
MAX_TOKEN = 200
MIN_LINK_PASSWORD = 4
MAX_LINK_PASSWORD = 256
# Password guesses per link and window (the sign-in window). Every try counts before the
# password is checked, so parallel requests get no more; a right password clears the count.
LINK_PASSWORD_TRIES = 10


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token(user_id: int, item_id: int, idempotency_key: str | None) -> str:
    """A random token, or for a retried ``shareLinkCreate`` the first call's (only its hash is
    kept)."""
    return retry_safe_token(
        LINK_TOKEN_PREFIX, "hello-share-link", idempotency_key, user_id, item_id
    )


async def check_share_link_create(
    ctx: Context,
    *,
    item_id: int | None,
    role: DriveRole,
    scope: LinkScope,
    password: str | None,
    expires_at: datetime | None,
    idempotency_key: str | None,
) -> tuple[ShareLink, str]:
    """A new link and its token (the only time the token is shown)."""
    principal = require_principal(ctx)
    # Guests first, before any lookup: the same FORBIDDEN for every id, so a guest cannot tell
    # an item that exists from one that does not.
    no_guests(principal)
    access = await access_item(ctx, item_id, DriveRole.EDITOR)
    shareable(access.item)
    if ROLE_RANK[role] > ROLE_RANK[DriveRole.EDITOR]:
        raise ValidationFailed("Links give at most the editor role.", field="role")
    if password is not None and not MIN_LINK_PASSWORD <= len(password) <= MAX_LINK_PASSWORD:
        raise DomainError(
            f"Link passwords have {MIN_LINK_PASSWORD} to {MAX_LINK_PASSWORD} characters.",
            field="password",
            code=DriveErrorCode.INVALID_PASSWORD,
        )
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now():
            raise DomainError(
                "The expiry is in the past.", field="expiresAt", code=DriveErrorCode.EXPIRY_IN_PAST
            )
    token = new_link_token(principal.user_id, access.item.id, idempotency_key)
    item = access.item

    async def create() -> ShareLink:
        return await do_share_link_create(
            item,
            token=token,
            role=role,
            scope=scope,
            password=password,
            expires_at=expires_at,
            user_id=principal.user_id,
        )

    async def load(pk: int) -> ShareLink | None:
        return await ShareLink.get_or_none(id=pk, item_id=item.id)

    fields = {
        "itemId": item.id,
        "role": role,
        "scope": scope,
        "password": password,
        "expiresAt": expires_at,
    }
    link = await once(
        principal.user_id, "shareLinkCreate", idempotency_key, create, load, input=fields
    )
    return link, token


async def do_share_link_create(
    item: DriveItem,
    *,
    token: str,
    role: DriveRole,
    scope: LinkScope,
    password: str | None,
    expires_at: datetime | None,
    user_id: int,
) -> ShareLink:
    """The link's row (the token's hash, the password's argon2 hash) and the SHARED event."""
    password_hash = await hash_password(password) if password is not None else None
    async with transaction() as tx:
        link = await ShareLink.create(
            organization_id=item.organization_id,
            item_id=item.id,
            token_hash=link_token_hash(token),
            role=role,
            scope=scope,
            password_hash=password_hash,
            expires_at=expires_at,
            created_by_id=user_id,
        )
        await events.publish_change(tx, events.Change.SHARED, item, user_id)
    return link


async def check_share_link_revoke(ctx: Context, link_id: int | None) -> ShareLink:
    principal = require_principal(ctx)
    no_guests(principal)  # before the lookup, as in ``check_share_link_create``
    link = (
        await ShareLink.filter(id=link_id, organization_id=principal.organization_id).first()
        if link_id is not None
        else None
    )
    if link is None:
        raise NotFound(field="shareLinkId")
    access = await access_item(ctx, link.item_id, DriveRole.EDITOR, field="shareLinkId")
    await do_share_link_revoke(link, access.item, principal.user_id)
    return await ShareLink.get(id=link.id)


async def do_share_link_revoke(link: ShareLink, item: DriveItem, user_id: int) -> None:
    """Revoke the link, or ALREADY_REVOKED: the one conditional UPDATE is also the check, so
    two revokes at once cannot both succeed."""
    async with transaction() as tx:
        revoked = await ShareLink.filter(id=link.id, revoked_at__isnull=True).update(
            revoked_at=now()
        )
        if not revoked:
            raise DomainError(
                "The link was revoked before.",
                field="shareLinkId",
                code=DriveErrorCode.ALREADY_REVOKED,
            )
        await events.publish_change(tx, events.Change.UNSHARED, item, user_id)


async def links_for(items: list[DriveItem], roles: list[DriveRole | None]) -> list[list[ShareLink]]:
    """Links of each item that are not revoked, newest first; empty below editor."""
    wanted = [i.id for i, r in zip(items, roles, strict=True) if at_least(r, DriveRole.EDITOR)]
    by_item: dict[int, list[ShareLink]] = {}
    if wanted:
        for link in await ShareLink.filter(item_id__in=wanted, revoked_at__isnull=True).order_by(
            "-id"
        ):
            by_item.setdefault(link.item_id, []).append(link)
    return [
        by_item.get(i.id, []) if at_least(r, DriveRole.EDITOR) else []
        for i, r in zip(items, roles, strict=True)
    ]


@dataclass
class LinkOpening:
    """What a share link opened: the linked item, or ``item`` inside the linked folder."""

    link: ShareLink
    root: DriveItem
    item: DriveItem


def no_link() -> NotFound:
    return NotFound(field="token")


def _live(link: ShareLink) -> bool:
    return link.expires_at is None or link.expires_at > now()


async def still_opens(link_id: int, item: DriveItem) -> bool:
    """Whether a link opened earlier still reaches ``item`` (a file outside the trash): not
    revoked, not expired, its own item out of the trash and ``item`` still inside it. What was
    handed out through a link (download URLs) asks this on every use."""
    link = await ShareLink.filter(id=link_id, revoked_at__isnull=True).first()
    if link is None or not _live(link):
        return False
    if link.item_id == item.id:
        return True
    root = await DriveItem.get_or_none(id=link.item_id, trashed_at__isnull=True)
    return root is not None and item.path.startswith(root.path)


async def open_share_link(
    ctx: Context, *, token: str, password: str | None, item_id: int | None
) -> LinkOpening:
    """Check a link (scope, expiry, password) and return what it opens. Works without signing
    in for ANYONE links; ORGANIZATION links need a signed-in member (not a guest) of the item's
    organization. Anything else is NOT_FOUND, exactly like a token that never existed."""
    if not token.startswith(LINK_TOKEN_PREFIX) or len(token) > MAX_TOKEN:
        raise no_link()
    link = await ShareLink.filter(
        token_hash=link_token_hash(token), revoked_at__isnull=True
    ).first()
    if link is None or not _live(link):
        raise no_link()
    if link.scope == LinkScope.ORGANIZATION:
        # Members only: guests are outsiders, and organization links are for insiders.
        principal = ctx.principal
        if (
            principal is None
            or principal.organization_id != link.organization_id
            or principal.user.role == Role.GUEST
        ):
            raise no_link()
    root = await DriveItem.get_or_none(id=link.item_id, trashed_at__isnull=True)
    if root is None:
        raise no_link()
    if link.password_hash is not None:
        await _check_link_password(link, password)
    item = root
    if item_id is not None and item_id != root.id:
        inside = await DriveItem.get_or_none(
            id=item_id, path__startswith=root.path, trashed_at__isnull=True
        )
        if inside is None:
            raise NotFound(field="fileId")
        item = inside
    return LinkOpening(link, root, item)


async def _check_link_password(link: ShareLink, password: str | None) -> None:
    if password is None:
        raise DomainError(
            "This link needs its password.", field="password", code=DriveErrorCode.PASSWORD_REQUIRED
        )
    services = runtime.current()
    key = f"share-link-password:{link.id}"
    tries = await services.store.hit(key, services.settings.signin_window_seconds)
    if tries > LINK_PASSWORD_TRIES:
        raise Throttled(
            "Too many wrong passwords for this link; try again later.", field="password"
        )
    if not await verify_password(link.password_hash, password):
        raise DomainError(
            "The password is wrong.", field="password", code=DriveErrorCode.WRONG_PASSWORD
        )
    await services.store.reset(key)


async def link_children(
    folder: DriveItem, *, first: int | None, after: str | None
) -> Page[DriveItem]:
    """A folder's live children as a link shows them: folders first, then by name."""
    if folder.kind != ItemKind.FOLDER:
        return Page(items=[], cursors=[], has_next=False, has_previous=False)
    qs = DriveItem.filter(live_parent_id=folder.id)
    return await paginate(qs, order=["-kind", "name_key", "id"], first=first, after=after)
