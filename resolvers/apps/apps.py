"""Apps: creation with their bot user and client secret, and access to them.

| act                                   | OWNER | ADMIN | MEMBER | GUEST |
|---------------------------------------|-------|-------|--------|-------|
| create, change, disable apps          | yes   | yes   | no     | no    |
| read an app (name, scopes, bot)       | yes   | yes   | yes    | no    |

Another organization's app is NOT_FOUND.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from models.apps import App
from models.identity import AuthSession, Role, User
from resolvers.admin.audit import audit, changes, snapshot
from resolvers.apps.errors import AppsErrorCode
from resolvers.core.clock import now
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, DomainErrors, Forbidden, NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.names import name_errors
from resolvers.core.principal import require_principal
from resolvers.core.scopes import unknown_scopes
from resolvers.core.tx import transaction
from resolvers.identity.actions import do_revoke_sessions
from resolvers.identity.tokens import token_hash

CLIENT_ID_PREFIX = "hlc_"
CLIENT_SECRET_PREFIX = "hls_"
MAX_REDIRECT_URIS = 10
MAX_DESCRIPTION = 500
BOT_EMAIL_DOMAIN = "bots.hello.invalid"
"""Bot users' emails: unique like every user's, and ``.invalid`` (RFC 2606) so that nothing is
ever sent to them."""
UNUSABLE_PASSWORD = "!"
"""No argon2 hash: ``verify_password`` refuses every password against it."""

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


@dataclass
class CreatedApp:
    app: App
    client_secret: str
    """Shown once, to the admin who created the app; only its HMAC is stored."""


def is_admin(principal: Principal) -> bool:
    return principal.user.role in (Role.OWNER, Role.ADMIN)


def require_app_admin(ctx: Context) -> Principal:
    principal = require_principal(ctx)
    if not is_admin(principal):
        raise Forbidden("Only the owner and admins manage apps.")
    return principal


async def access_app(ctx: Context, app_id: int, *, manage: bool = False) -> App:
    """The app, if the viewer may see it (``manage``: change it). Another organization's app,
    and any app for a guest, is NOT_FOUND."""
    principal = require_principal(ctx)
    app = await App.get_or_none(id=app_id)
    if (
        app is None
        or app.organization_id != principal.organization_id
        or principal.user.role == Role.GUEST
    ):
        raise NotFound()
    if manage and not is_admin(principal):
        raise Forbidden("Only the owner and admins manage apps.")
    return app


def check_redirect_uri(uri: str) -> str | None:
    """Why this redirect URI is refused, or None. RFC 9700 / OAuth 2.1: absolute, exact, no
    fragment; https, or http on a loopback host for native apps and tests."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "is not a URL"
    if len(uri) > 2000:
        return "is longer than 2000 characters"
    if parts.fragment or "#" in uri:
        return "has a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and parts.netloc.split(":")[0] in _LOOPBACK_HOSTS:
        return None
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return None
    return "must be https (http only on a loopback host)"


def check_app_fields(
    *,
    name: str | None,
    description: str | None,
    scopes: list[str] | None,
    redirect_uris: list[str] | None,
) -> tuple[str | None, list[str] | None, list[str] | None]:
    """Validated (name, sorted scopes, redirect URIs); every problem at once."""
    problems: list[DomainError] = []
    clean: str | None = None
    if name is not None:
        clean = name.strip()
        problems += name_errors(name, "name", max_length=100, what="App names")
    if description is not None and len(description) > MAX_DESCRIPTION:
        problems.append(
            ValidationFailed(
                f"A description has at most {MAX_DESCRIPTION} characters.",
                field="description",
                code=AppsErrorCode.INVALID_DESCRIPTION,
            )
        )
    if scopes is not None:
        unknown = unknown_scopes(scopes)
        if unknown:
            problems.append(
                ValidationFailed(
                    f"Not scopes: {', '.join(unknown)}.",
                    field="scopes",
                    code=AppsErrorCode.INVALID_SCOPE,
                )
            )
        scopes = sorted(set(scopes))
    if redirect_uris is not None:
        if len(redirect_uris) > MAX_REDIRECT_URIS:
            problems.append(
                ValidationFailed(
                    f"An app has at most {MAX_REDIRECT_URIS} redirect URIs.",
                    field="redirectUris",
                    code=AppsErrorCode.INVALID_REDIRECT_URI,
                )
            )
        for i, uri in enumerate(redirect_uris):
            why = check_redirect_uri(uri)
            if why:
                problems.append(
                    ValidationFailed(
                        f"The redirect URI {uri[:100]!r} {why}.",
                        field=f"redirectUris.{i}",
                        code=AppsErrorCode.INVALID_REDIRECT_URI,
                    )
                )
        redirect_uris = list(dict.fromkeys(redirect_uris))
    if problems:
        raise DomainErrors(problems)
    return clean, scopes, redirect_uris


async def do_create_app(
    principal: Principal,
    *,
    name: str,
    description: str = "",
    scopes: list[str],
    redirect_uris: list[str],
    avatar_file_id: int | None = None,
) -> CreatedApp:
    """Create an app and its bot user. Call inside the caller's transaction, after
    ``check_app_fields``; the caller decides who may (``require_app_admin``)."""
    client_id = CLIENT_ID_PREFIX + secrets.token_urlsafe(18)
    client_secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    bot = await User.create(
        organization_id=principal.organization_id,
        email=f"{client_id.lower().replace('_', '-')}@{BOT_EMAIL_DOMAIN}",
        display_name=name,
        password_hash=UNUSABLE_PASSWORD,
        role=Role.MEMBER,
        is_bot=True,
        avatar_file_id=avatar_file_id,
    )
    app = await App.create(
        organization_id=principal.organization_id,
        name=name,
        description=description,
        scopes=scopes,
        redirect_uris=redirect_uris,
        client_id=client_id,
        client_secret_hash=token_hash(client_secret),
        bot_user_id=bot.id,
        created_by_id=principal.user_id,
        avatar_file_id=avatar_file_id,
    )
    return CreatedApp(app=app, client_secret=client_secret)


# --- management through GraphQL: appCreate, appUpdate, appSecretRotate, appDisable ----------


@dataclass
class AppCreated:
    """What ``appCreate`` answers: the app, and its secret unless this answers a retry."""

    app: App
    client_secret: str | None
    """None when the same ``idempotencyKey`` replays an earlier creation: only an HMAC of the
    secret is kept, so it was shown once, in the first answer (``appSecretRotate`` makes a new
    one if that answer was lost)."""


def _disabled() -> DomainError:
    return DomainError(
        "This app is disabled; nothing about it changes any more.",
        code=AppsErrorCode.APP_DISABLED,
    )


async def check_app_create(
    ctx: Context,
    *,
    name: str,
    description: str | None,
    scopes: list[str],
    redirect_uris: list[str],
    idempotency_key: str | None,
) -> AppCreated:
    principal = require_app_admin(ctx)
    clean, checked_scopes, uris = check_app_fields(
        name=name, description=description or "", scopes=scopes, redirect_uris=redirect_uris
    )
    assert clean is not None and checked_scopes is not None and uris is not None
    text = (description or "").strip()
    secrets_shown: list[str] = []

    async def create() -> App:
        created = await do_app_create(
            ctx, principal, name=clean, description=text, scopes=checked_scopes, redirect_uris=uris
        )
        secrets_shown.append(created.client_secret)
        return created.app

    async def load(pk: int) -> App | None:
        return await App.get_or_none(id=pk, organization_id=principal.organization_id)

    fields = {
        "name": clean,
        "description": text,
        "scopes": checked_scopes,
        "redirectUris": uris,
    }
    app = await once(principal.user_id, "appCreate", idempotency_key, create, load, input=fields)
    return AppCreated(app, secrets_shown[0] if secrets_shown else None)


AUDITED = ("name", "description", "scopes", "redirect_uris", "client_id")


async def do_app_create(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    description: str,
    scopes: list[str],
    redirect_uris: list[str],
) -> CreatedApp:
    async with transaction():
        created = await do_create_app(
            principal,
            name=name,
            description=description,
            scopes=scopes,
            redirect_uris=redirect_uris,
        )
        app = created.app
        await audit(ctx, "app.create", "app", app.id, after=snapshot(app, AUDITED))
    return created


async def check_app_update(
    ctx: Context,
    app_id: int,
    *,
    name: str | None,
    description: str | None,
    scopes: list[str] | None,
    redirect_uris: list[str] | None,
) -> App:
    """None keeps a field as it is. Narrowing ``scopes`` narrows every live token of the app
    at once; widening them grants nothing until a person consents (or a new tenant token)."""
    app = await access_app(ctx, app_id, manage=True)
    if app.disabled_at is not None:
        raise _disabled()
    clean, checked_scopes, uris = check_app_fields(
        name=name, description=description, scopes=scopes, redirect_uris=redirect_uris
    )
    return await do_app_update(
        ctx,
        app,
        name=clean,
        description=None if description is None else description.strip(),
        scopes=checked_scopes,
        redirect_uris=uris,
    )


async def do_app_update(
    ctx: Context,
    app: App,
    *,
    name: str | None,
    description: str | None,
    scopes: list[str] | None,
    redirect_uris: list[str] | None,
) -> App:
    async with transaction():
        before = snapshot(app, AUDITED)
        if name is not None:
            app.name = name
        if description is not None:
            app.description = description
        if redirect_uris is not None:
            app.redirect_uris = redirect_uris
        if scopes is not None:
            app.scopes = scopes
            await do_narrow_sessions(app.id, frozenset(scopes))
        await app.save()
        if name is not None:
            # The bot is the app's face in chats and the directory.
            await User.filter(id=app.bot_user_id).update(display_name=name)
        old, new = changes(before, snapshot(app, AUDITED))
        if new:
            await audit(ctx, "app.update", "app", app.id, before=old, after=new)
    return app


async def do_narrow_sessions(app_id: int, allowed: frozenset[str]) -> None:
    """Take scopes the app lost away from its live sessions. Saved one by one: each save
    makes every process forget the tokens it remembers (``resolvers/identity/auth_cache.py``)."""
    live = await AuthSession.filter(app_id=app_id, revoked_at__isnull=True)
    for session in live:
        kept = sorted(set(session.scopes or []) & allowed)
        if kept != sorted(session.scopes or []):
            session.scopes = kept
            await session.save(update_fields=["scopes"])


async def check_app_secret_rotate(ctx: Context, app_id: int) -> AppCreated:
    """A new client secret, shown once; the old one is refused from the commit on."""
    app = await access_app(ctx, app_id, manage=True)
    if app.disabled_at is not None:
        raise _disabled()
    return await do_app_secret_rotate(ctx, app)


async def do_app_secret_rotate(ctx: Context, app: App) -> AppCreated:
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    async with transaction():
        app.client_secret_hash = token_hash(secret)
        await app.save(update_fields=["client_secret_hash", "updated_at"])
        await audit(ctx, "app.secret_rotate", "app", app.id)
    return AppCreated(app, secret)


async def check_app_disable(ctx: Context, app_id: int) -> App:
    """Disable (delete) an app: every token it holds stops working at once, and no grant
    issues it another. Disabling a disabled app changes nothing."""
    app = await access_app(ctx, app_id, manage=True)
    if app.disabled_at is not None:
        return app
    return await do_app_disable(ctx, app)


async def do_app_disable(ctx: Context, app: App) -> App:
    """The update takes the app's row lock, which a grant holds while it issues a session
    (``resolvers.apps.oauth.lock_live_app``): a grant either commits first, and its session is
    among those revoked here, or waits and then finds the app disabled."""
    async with transaction():
        claimed = await App.filter(id=app.id, disabled_at__isnull=True).update(disabled_at=now())
        if claimed:
            await audit(ctx, "app.disable", "app", app.id)
            sessions = await AuthSession.filter(app_id=app.id, revoked_at__isnull=True).values_list(
                "id", flat=True
            )
            await do_revoke_sessions([int(s) for s in sessions])  # type: ignore[call-overload]
    await app.refresh_from_db()
    return app
