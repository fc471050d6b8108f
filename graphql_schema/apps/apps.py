"""Apps through GraphQL: the organization's list, the scopes, the apps a person authorized,
and the mutations that manage them. All app mutations share one error type (``AppError``);
each code's description names the mutations that return it."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.apps.types import App, AppAuthorization, Scope
from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.apps import App as AppModel
from resolvers.apps import apps as actions
from resolvers.apps import queries
from resolvers.apps.authorizations import check_app_authorization_revoke
from resolvers.apps.errors import AppsErrorCode
from resolvers.core.errors import CoreErrorCode, ValidationFailed
from resolvers.core.scopes import ADMIN_ONLY, SCOPES

MAX_LIST = 100


@strawberry.type
class AppsQuery:
    @strawberry.field(
        description="The organization's apps, newest first, disabled ones included. Owners "
        "and admins only (others get FORBIDDEN); a member reads one app with `node`.",
        directives=needs("admin:read"),
    )
    async def apps(self, info: Info, first: First = None, after: After = None) -> Connection[App]:
        page = await queries.app_list(info.context, first=first, after=after)
        return connection(page, App.from_model)

    @strawberry.field(description="Every scope an app may ask for, with what it allows.")
    def scopes(self) -> list[Scope]:
        return [
            Scope(name=name, description=text, admin_only=name in ADMIN_ONLY)
            for name, text in SCOPES.items()
        ]

    @strawberry.field(
        description="The apps you let act for you (on their consent page) that still hold a "
        "live token, most recently allowed first. Revoke one with `appAuthorizationRevoke`.",
        directives=needs("profile:read"),
    )
    async def viewer_app_authorizations(self, info: Info) -> list[AppAuthorization]:
        found = await queries.viewer_authorizations(info.context)
        return [AppAuthorization.from_domain(a) for a in found]


@strawberry.enum(description="Why an app mutation failed.")
class AppErrorCode(Enum):
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME,
        "Create, update: the name is empty, over 100 characters or holds a hidden character.",
    )
    INVALID_DESCRIPTION = error_code(
        AppsErrorCode.INVALID_DESCRIPTION, "Create, update: the description is too long."
    )
    INVALID_SCOPE = error_code(
        AppsErrorCode.INVALID_SCOPE, "Create, update: a name in `scopes` is not a scope."
    )
    INVALID_REDIRECT_URI = error_code(
        AppsErrorCode.INVALID_REDIRECT_URI,
        "Create, update: a redirect URI is not an absolute https URL (http only on a loopback "
        "host), has a fragment, or there are more than 10.",
    )
    APP_DISABLED = error_code(
        AppsErrorCode.APP_DISABLED, "Update, secret rotate: the app is disabled."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Create, update, secret rotate, disable: owners and admins only."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The app does not exist or you cannot see it (another organization's, or you are a "
        "guest): the two answer alike.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why an app mutation changed nothing.")
class AppError(MutationError):
    code: AppErrorCode = strawberry.field(description="What went wrong, for programs.")


def _uris(description: str) -> Any:
    return strawberry.field(default=None, description=description)


@strawberry.input(description="A new app, with its bot user.")
class AppCreateInput:
    name: str = strawberry.field(description="1 to 100 characters; also the bot's name.")
    description: str | None = strawberry.field(
        default=None, description="Shown on the consent page; at most 500 characters."
    )
    scopes: list[str] = strawberry.field(
        description="The scopes the app may ask for (names from `scopes`, at most 100)."
    )
    redirect_uris: list[str] | None = strawberry.field(
        default=None,
        description="Exact redirect URIs for the authorization code grant, at most 10: https, "
        "or http on a loopback host; none for an app that only uses its bot.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first app, with `clientSecret` "
        "null: the secret is shown once.",
    )


@strawberry.input(description="Changes to an app; omitted or null fields stay as they are.")
class AppUpdateInput:
    app_id: strawberry.ID = strawberry.field(description="The app to change.")
    name: str | None = strawberry.field(default=None, description="A new name (and bot name).")
    description: str | None = strawberry.field(default=None, description="A new description.")
    scopes: list[str] | None = strawberry.field(
        default=None,
        description="The new scopes. Scopes taken away are taken from the app's live tokens "
        "at once; scopes added need a new consent (or tenant token).",
    )
    redirect_uris: list[str] | None = _uris("The new redirect URIs (replacing the old ones).")


@strawberry.input(description="An app whose client secret to replace.")
class AppSecretRotateInput:
    app_id: strawberry.ID = strawberry.field(description="The app.")


@strawberry.input(description="An app to disable.")
class AppDisableInput:
    app_id: strawberry.ID = strawberry.field(description="The app.")


@strawberry.input(description="An app whose access to your account to revoke.")
class AppAuthorizationRevokeInput:
    app_id: strawberry.ID = strawberry.field(description="The app.")


@strawberry.type(description="The result of `appCreate`.")
class AppCreatePayload:
    app: App | None = strawberry.field(default=None, description="The new app.")
    client_secret: str | None = strawberry.field(
        default=None,
        description="The app's client secret, `hls_…`: shown this once and stored only as a "
        "hash. Null when the answer replays an earlier one (same `idempotencyKey`); then "
        "`appSecretRotate` makes a new secret if the first answer was lost.",
    )
    errors: list[AppError] = strawberry.field(description="Why nothing was created.")


@strawberry.type(description="The result of `appUpdate`.")
class AppUpdatePayload:
    app: App | None = strawberry.field(default=None, description="The app as it is now.")
    errors: list[AppError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `appSecretRotate`.")
class AppSecretRotatePayload:
    app: App | None = strawberry.field(default=None, description="The app.")
    client_secret: str | None = strawberry.field(
        default=None,
        description="The new client secret, shown this once; the old one is refused from now.",
    )
    errors: list[AppError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `appDisable`.")
class AppDisablePayload:
    app: App | None = strawberry.field(default=None, description="The app, now disabled.")
    errors: list[AppError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `appAuthorizationRevoke`.")
class AppAuthorizationRevokePayload:
    app: App | None = strawberry.field(
        default=None, description="The app, which holds no token of yours any more."
    )
    errors: list[AppError] = strawberry.field(description="Why nothing changed.")


def _app(app: AppModel) -> dict[str, Any]:
    return {"app": App.from_model(app)}


def _with_secret(created: actions.AppCreated) -> dict[str, Any]:
    return {"app": App.from_model(created.app), "client_secret": created.client_secret}


Input = strawberry.argument(description="What to do.")
ADMINS = " Owner and admins only."


@strawberry.type
class AppsMutation:
    @strawberry.mutation(
        description="Create an app and its bot user; the answer holds its client secret, "
        "shown once." + ADMINS,
        directives=needs("apps:write"),
    )
    async def app_create(
        self, info: Info, input: Annotated[AppCreateInput, Input]
    ) -> AppCreatePayload:
        if len(input.scopes) > MAX_LIST:
            raise ValidationFailed(f"At most {MAX_LIST} scopes.", field="scopes")
        action = actions.check_app_create(
            info.context,
            name=input.name,
            description=input.description,
            scopes=list(input.scopes),
            redirect_uris=list(input.redirect_uris or []),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(AppCreatePayload, AppError, action, _with_secret)

    @strawberry.mutation(
        description="Change an app's name, description, scopes or URIs." + ADMINS,
        directives=needs("apps:write"),
    )
    async def app_update(
        self, info: Info, input: Annotated[AppUpdateInput, Input]
    ) -> AppUpdatePayload:
        action = actions.check_app_update(
            info.context,
            require_id(input.app_id, "App", "appId"),
            name=input.name,
            description=input.description,
            scopes=None if input.scopes is None else list(input.scopes),
            redirect_uris=None if input.redirect_uris is None else list(input.redirect_uris),
        )
        return await mutate(AppUpdatePayload, AppError, action, _app)

    @strawberry.mutation(
        description="Replace an app's client secret: the new one is shown once, the old one "
        "stops working at once." + ADMINS,
        directives=needs("apps:write"),
    )
    async def app_secret_rotate(
        self, info: Info, input: Annotated[AppSecretRotateInput, Input]
    ) -> AppSecretRotatePayload:
        action = actions.check_app_secret_rotate(
            info.context, require_id(input.app_id, "App", "appId")
        )
        return await mutate(AppSecretRotatePayload, AppError, action, _with_secret)

    @strawberry.mutation(
        description="Disable (delete) an app: every token it holds stops working at once and "
        "its grants are refused (APP_DISABLED). Its bot stays in its chats." + ADMINS,
        directives=needs("apps:write"),
    )
    async def app_disable(
        self, info: Info, input: Annotated[AppDisableInput, Input]
    ) -> AppDisablePayload:
        action = actions.check_app_disable(info.context, require_id(input.app_id, "App", "appId"))
        return await mutate(AppDisablePayload, AppError, action, _app)

    @strawberry.mutation(
        description="Revoke every token your consents gave an app; it may ask you again.",
        directives=needs("profile:write"),
    )
    async def app_authorization_revoke(
        self, info: Info, input: Annotated[AppAuthorizationRevokeInput, Input]
    ) -> AppAuthorizationRevokePayload:
        action = check_app_authorization_revoke(
            info.context, require_id(input.app_id, "App", "appId")
        )
        return await mutate(AppAuthorizationRevokePayload, AppError, action, _app)
