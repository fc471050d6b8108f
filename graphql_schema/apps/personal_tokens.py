"""Personal access tokens: created from your own sign-in, listed, revoked."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, decode_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from resolvers.apps import personal_tokens as actions
from resolvers.apps.errors import AppsErrorCode
from resolvers.core.errors import CoreErrorCode


@strawberry.type(
    description="A token for your own scripts: it acts as you, within its scopes and your "
    "role, until it expires or you revoke it. Its value was shown once, when it was created."
)
class PersonalAccessToken(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Your label for it, 1 to 100 characters.")
    scopes: list[str] = strawberry.field(description="What it may do, sorted.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    expires_at: datetime = strawberry.field(description="When it stops working (UTC).")

    @classmethod
    def from_model(cls, token: actions.PersonalToken) -> PersonalAccessToken:
        return cls(
            id=token.session.id,
            name=token.session.name,
            scopes=list(token.session.scopes or []),
            created_at=token.session.created_at,
            expires_at=token.expires_at,
        )

    fetch_visible = staticmethod(actions.visible_personal_tokens)


@strawberry.enum(description="Why `personalAccessTokenCreate` failed.")
class PersonalAccessTokenCreateErrorCode(Enum):
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "Tokens are created from your own sign-in; an app's or a personal token may not.",
    )
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The name is empty, too long or holds a hidden character."
    )
    INVALID_SCOPE = error_code(
        AppsErrorCode.INVALID_SCOPE, "No scopes were given, or one is not a scope."
    )
    SCOPE_NOT_ALLOWED = error_code(
        AppsErrorCode.SCOPE_NOT_ALLOWED, "Your role does not allow a scope asked for."
    )
    INVALID_EXPIRY = error_code(
        AppsErrorCode.INVALID_EXPIRY, "`expiresInDays` is not from 1 to 365."
    )
    TOO_MANY_TOKENS = error_code(
        AppsErrorCode.TOO_MANY_TOKENS,
        f"You have {actions.MAX_LIVE_TOKENS} live tokens already; revoke one first.",
    )
    BAD_USER_INPUT = error_code(
        CoreErrorCode.BAD_USER_INPUT, "The idempotency key is empty or too long."
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `personalAccessTokenCreate` failed.")
class PersonalAccessTokenCreateError(MutationError):
    code: PersonalAccessTokenCreateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.enum(description="Why `personalAccessTokenRevoke` failed.")
class PersonalAccessTokenRevokeErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "No live token of yours has this ID (someone else's, revoked or expired alike).",
    )


@strawberry.type(description="A reason why `personalAccessTokenRevoke` failed.")
class PersonalAccessTokenRevokeError(MutationError):
    code: PersonalAccessTokenRevokeErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="The new token's name, scopes and lifetime.")
class PersonalAccessTokenCreateInput:
    name: str = strawberry.field(description="A label to know it by, 1 to 100 characters.")
    scopes: list[str] = strawberry.field(
        description="What it may do (see `@requiresScope` on each field); at least one, each "
        "allowed by your role."
    )
    expires_in_days: int | None = strawberry.field(
        default=None,
        description=f"Its lifetime in days, {actions.MIN_DAYS} to {actions.MAX_DAYS} "
        f"(default {actions.DEFAULT_DAYS}).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key (1 to 128 characters) and input returns the "
        "first token, and its value, instead of a second one.",
    )


@strawberry.input(description="The token to revoke.")
class PersonalAccessTokenRevokeInput:
    personal_access_token_id: strawberry.ID = strawberry.field(description="The token's global ID.")


@strawberry.type(description="The result of `personalAccessTokenCreate`.")
class PersonalAccessTokenCreatePayload:
    personal_access_token: PersonalAccessToken | None = strawberry.field(
        default=None, description="The new token."
    )
    token: str | None = strawberry.field(
        default=None,
        description="The token's value (`hlp_…`), to send as `Authorization: Bearer <token>`. "
        "Shown only here: Hello keeps only a hash.",
    )
    errors: list[PersonalAccessTokenCreateError] = strawberry.field(
        description="Why no token was made."
    )


@strawberry.type(description="The result of `personalAccessTokenRevoke`.")
class PersonalAccessTokenRevokePayload:
    personal_access_token: PersonalAccessToken | None = strawberry.field(
        default=None, description="The token, now revoked."
    )
    errors: list[PersonalAccessTokenRevokeError] = strawberry.field(
        description="Why it was not revoked."
    )


@strawberry.type
class PersonalTokensQuery:
    @strawberry.field(
        description="Your live personal access tokens, newest first (never their values).",
        directives=needs("profile:read"),
    )
    async def viewer_personal_access_tokens(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[PersonalAccessToken]:
        page = await actions.viewer_personal_tokens(info.context, first=first, after=after)
        return connection(page, PersonalAccessToken.from_model)


@strawberry.type
class PersonalTokensMutation:
    @strawberry.mutation(
        description="Create a personal access token for your scripts. Only from your own "
        "sign-in (a token may not make tokens). Its value is in the payload, once.",
        directives=needs("profile:write"),
    )
    async def personal_access_token_create(
        self,
        info: Info,
        input: Annotated[
            PersonalAccessTokenCreateInput, strawberry.argument(description="What it may do.")
        ],
    ) -> PersonalAccessTokenCreatePayload:
        return await mutate(
            PersonalAccessTokenCreatePayload,
            PersonalAccessTokenCreateError,
            actions.check_personal_access_token_create(
                info.context,
                name=input.name,
                scopes=list(input.scopes),
                expires_in_days=input.expires_in_days,
                idempotency_key=input.idempotency_key,
            ),
            lambda created: {
                "personal_access_token": PersonalAccessToken.from_model(created.token),
                "token": created.value,
            },
        )

    @strawberry.mutation(
        description="Revoke one of your personal access tokens: it stops working at once, and "
        "streams opened with it end.",
        directives=needs("profile:write"),
    )
    async def personal_access_token_revoke(
        self,
        info: Info,
        input: Annotated[PersonalAccessTokenRevokeInput, strawberry.argument(description="Which.")],
    ) -> PersonalAccessTokenRevokePayload:
        token_id = decode_id(input.personal_access_token_id, "PersonalAccessToken")
        return await mutate(
            PersonalAccessTokenRevokePayload,
            PersonalAccessTokenRevokeError,
            actions.check_personal_access_token_revoke(info.context, token_id),
            lambda token: {"personal_access_token": PersonalAccessToken.from_model(token)},
        )
