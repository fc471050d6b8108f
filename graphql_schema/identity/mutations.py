"""Sign-up, sign-in, token refresh and sign-out."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import decode_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.error_values import DISPLAY_INVALID_NAME, INVALID_EMAIL, WEAK_PASSWORD
from graphql_schema.identity.types import Organization, Session, User
from resolvers.core.errors import CoreErrorCode, DomainError
from resolvers.identity import actions, self_service
from resolvers.identity.actions import SignedIn
from resolvers.identity.errors import IdentityErrorCode


@strawberry.enum(description="Why `signUp` failed.")
class SignUpErrorCode(Enum):
    INVALID_EMAIL = INVALID_EMAIL
    EMAIL_TAKEN = error_code(
        IdentityErrorCode.EMAIL_TAKEN, "An account with this email exists already."
    )
    WEAK_PASSWORD = WEAK_PASSWORD
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The display or organization name is empty or too long."
    )


@strawberry.type(description="A reason why `signUp` failed.")
class SignUpError(MutationError):
    code: SignUpErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `signIn` failed.")
class SignInErrorCode(Enum):
    INVALID_CREDENTIALS = error_code(
        IdentityErrorCode.INVALID_CREDENTIALS, "The email or the password is wrong."
    )
    ACCOUNT_DISABLED = error_code(IdentityErrorCode.ACCOUNT_DISABLED, "The account is deactivated.")
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED, "Five failed sign-ins for this email within 15 minutes; wait."
    )


@strawberry.type(description="A reason why `signIn` failed.")
class SignInError(MutationError):
    code: SignInErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `tokenRefresh` failed.")
class TokenRefreshErrorCode(Enum):
    INVALID_REFRESH_TOKEN = error_code(
        IdentityErrorCode.INVALID_REFRESH_TOKEN, "Unknown, expired, or its session was revoked."
    )
    REFRESH_TOKEN_REUSED = error_code(
        IdentityErrorCode.REFRESH_TOKEN_REUSED, "Used before: its whole session is now revoked."
    )


@strawberry.type(description="A reason why `tokenRefresh` failed.")
class TokenRefreshError(MutationError):
    code: TokenRefreshErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `signOut` failed.")
class SignOutErrorCode(Enum):
    NOT_SIGNED_IN = error_code(IdentityErrorCode.NOT_SIGNED_IN, "No access token was sent.")


@strawberry.type(description="A reason why `signOut` failed.")
class SignOutError(MutationError):
    code: SignOutErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `viewerUpdate` failed.")
class ViewerUpdateErrorCode(Enum):
    INVALID_NAME = DISPLAY_INVALID_NAME
    INVALID_TIME_ZONE = error_code(
        IdentityErrorCode.INVALID_TIME_ZONE, "Not an IANA time zone name such as `Europe/Berlin`."
    )
    INVALID_LOCALE = error_code(
        IdentityErrorCode.INVALID_LOCALE, "Not a BCP 47 tag such as `en` (at most 16 characters)."
    )


@strawberry.type(description="A reason why `viewerUpdate` failed.")
class ViewerUpdateError(MutationError):
    code: ViewerUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `passwordChange` failed.")
class PasswordChangeErrorCode(Enum):
    WRONG_PASSWORD = error_code(IdentityErrorCode.WRONG_PASSWORD, "The current password is wrong.")
    WEAK_PASSWORD = WEAK_PASSWORD
    SAME_PASSWORD = error_code(
        IdentityErrorCode.SAME_PASSWORD, "The new password equals the current one."
    )
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED, "Five wrong current passwords within 15 minutes; wait."
    )


@strawberry.type(description="A reason why `passwordChange` failed.")
class PasswordChangeError(MutationError):
    code: PasswordChangeErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `sessionRevoke` failed.")
class SessionRevokeErrorCode(Enum):
    ALREADY_REVOKED = error_code(
        IdentityErrorCode.ALREADY_REVOKED, "The session has ended already."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The session (one of yours) does not exist or you cannot see it (the two "
        "answer alike); `field` says which input.",
    )


@strawberry.type(description="A reason why `sessionRevoke` failed.")
class SessionRevokeError(MutationError):
    code: SessionRevokeErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="Changes to your own profile; omitted fields stay as they are.")
class ViewerUpdateInput:
    display_name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    time_zone: str | None = strawberry.field(
        default=None, description="IANA zone name, e.g. `Asia/Shanghai`."
    )
    locale: str | None = strawberry.field(default=None, description="BCP 47 tag, e.g. `zh-CN`.")


@strawberry.input(description="Your current and your new password.")
class PasswordChangeInput:
    current_password: str = strawberry.field(description="The password you signed in with.")
    new_password: str = strawberry.field(
        description="At least 10 characters (at most 1024), not your email, not the current one."
    )


@strawberry.input(description="One of your sessions.")
class SessionRevokeInput:
    session_id: strawberry.ID = strawberry.field(
        description="A session of yours (`viewer.sessions`)."
    )


@strawberry.type(description="The result of `viewerUpdate`.")
class ViewerUpdatePayload:
    viewer: User | None = strawberry.field(default=None, description="You, as changed.")
    errors: list[ViewerUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `passwordChange`.")
class PasswordChangePayload:
    viewer: User | None = strawberry.field(default=None, description="You.")
    errors: list[PasswordChangeError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `sessionRevoke`.")
class SessionRevokePayload:
    session: Session | None = strawberry.field(default=None, description="The ended session.")
    errors: list[SessionRevokeError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="A new organization and its owner.")
class SignUpInput:
    email: str = strawberry.field(description="The owner's email, at most 254 characters.")
    password: str = strawberry.field(
        description="At least 10 characters (at most 1024), not equal to the email."
    )
    display_name: str = strawberry.field(description="The owner's name, 1 to 100 characters.")
    organization_name: str = strawberry.field(description="1 to 100 characters.")


@strawberry.input(description="Credentials.")
class SignInInput:
    email: str = strawberry.field(description="The account's email (any case).")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="A refresh token to exchange.")
class TokenRefreshInput:
    refresh_token: str = strawberry.field(
        description="The refresh token from the last sign-in or refresh."
    )


@strawberry.type(description="Tokens for a signed-in user. Null fields when `errors` is not empty.")
class AuthPayloadFields:
    access_token: str | None = strawberry.field(
        default=None,
        description="Send as `Authorization: Bearer <token>`; short-lived (15 minutes by default).",
    )
    refresh_token: str | None = strawberry.field(
        default=None,
        description="Exchange with `tokenRefresh` for a new pair; works once (30 days by default).",
    )
    viewer: User | None = strawberry.field(default=None, description="The signed-in user.")
    organization: Organization | None = strawberry.field(
        default=None, description="The user's organization."
    )
    must_change_password: bool | None = strawberry.field(
        default=None,
        description="An admin reset the password: call `passwordChange` before anything else.",
    )


def signed_in_fields(result: SignedIn) -> dict[str, object]:
    """The fields of every payload that signs someone in (AuthPayloadFields)."""
    return {
        "access_token": result.tokens.access_token,
        "refresh_token": result.tokens.refresh_token,
        "viewer": User.from_model(result.user),
        "organization": Organization.from_model(result.organization),
        "must_change_password": result.user.must_change_password,
    }


@strawberry.type(description="The result of `signUp`.")
class SignUpPayload(AuthPayloadFields):
    errors: list[SignUpError] = strawberry.field(description="Why nothing was created, if so.")


@strawberry.type(description="The result of `signIn`.")
class SignInPayload(AuthPayloadFields):
    errors: list[SignInError] = strawberry.field(description="Why signing in failed, if so.")


@strawberry.type(description="The result of `tokenRefresh`.")
class TokenRefreshPayload(AuthPayloadFields):
    errors: list[TokenRefreshError] = strawberry.field(description="Why no tokens were issued.")


@strawberry.type(description="The result of `signOut`.")
class SignOutPayload:
    signed_out: bool = strawberry.field(default=False, description="The session was revoked.")
    errors: list[SignOutError] = strawberry.field(description="Why nothing happened, if so.")


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description="Create an organization with you as its owner, and sign in. Needs no token."
    )
    async def sign_up(
        self,
        info: Info,
        input: Annotated[SignUpInput, strawberry.argument(description="Who and what.")],
    ) -> SignUpPayload:
        return await mutate(
            SignUpPayload,
            SignUpError,
            actions.check_sign_up(
                info.context.meta,
                email=input.email,
                password=input.password,
                display_name=input.display_name,
                organization_name=input.organization_name,
            ),
            signed_in_fields,
        )

    @strawberry.mutation(
        description="Sign in with email and password. Five failed tries for one email within 15 "
        "minutes make further tries fail with THROTTLED until the window passes."
    )
    async def sign_in(
        self,
        info: Info,
        input: Annotated[SignInInput, strawberry.argument(description="Credentials.")],
    ) -> SignInPayload:
        return await mutate(
            SignInPayload,
            SignInError,
            actions.check_sign_in(info.context.meta, email=input.email, password=input.password),
            signed_in_fields,
        )

    @strawberry.mutation(
        description="Exchange a refresh token for a new access and refresh token. Each refresh "
        "token works once; presenting a used one revokes its whole session."
    )
    async def token_refresh(
        self,
        info: Info,
        input: Annotated[
            TokenRefreshInput, strawberry.argument(description="The token to exchange.")
        ],
    ) -> TokenRefreshPayload:
        return await mutate(
            TokenRefreshPayload,
            TokenRefreshError,
            actions.check_token_refresh(input.refresh_token),
            signed_in_fields,
        )

    @strawberry.mutation(
        description="Revoke the session of the access token sent with this request: its "
        "tokens stop working and its live sockets close.",
        directives=needs("profile:write"),
    )
    async def sign_out(self, info: Info) -> SignOutPayload:
        async def run() -> None:
            principal = info.context.principal
            if principal is None:
                raise DomainError(
                    "Send the access token of the session to end.",
                    code=IdentityErrorCode.NOT_SIGNED_IN,
                )
            await actions.check_sign_out(principal.session_id)

        return await mutate(SignOutPayload, SignOutError, run(), lambda _: {"signed_out": True})

    @strawberry.mutation(
        description="Change your own display name, time zone or locale. Self-service: not "
        "recorded in the audit log.",
        directives=needs("profile:write"),
    )
    async def viewer_update(
        self,
        info: Info,
        input: Annotated[ViewerUpdateInput, strawberry.argument(description="What to change.")],
    ) -> ViewerUpdatePayload:
        return await mutate(
            ViewerUpdatePayload,
            ViewerUpdateError,
            self_service.check_viewer_update(
                info.context,
                display_name=input.display_name,
                time_zone=input.time_zone,
                locale=input.locale,
            ),
            lambda u: {"viewer": User.from_model(u)},
        )

    @strawberry.mutation(
        description="Change your password. Works (and is required) after an admin's "
        "`passwordReset`; your other sessions end, this one stays.",
        directives=needs("profile:write"),
    )
    async def password_change(
        self,
        info: Info,
        input: Annotated[PasswordChangeInput, strawberry.argument(description="Old and new.")],
    ) -> PasswordChangePayload:
        return await mutate(
            PasswordChangePayload,
            PasswordChangeError,
            self_service.check_password_change(
                info.context,
                current_password=input.current_password,
                new_password=input.new_password,
            ),
            lambda u: {"viewer": User.from_model(u)},
        )

    @strawberry.mutation(
        description="End one of your sessions (e.g. a lost device): its tokens stop working "
        "and its live sockets close.",
        directives=needs("profile:write"),
    )
    async def session_revoke(
        self,
        info: Info,
        input: Annotated[SessionRevokeInput, strawberry.argument(description="Which session.")],
    ) -> SessionRevokePayload:
        def build(s: Any) -> dict[str, Any]:
            principal = info.context.principal
            return {"session": Session.from_model(s, principal.session_id if principal else None)}

        return await mutate(
            SessionRevokePayload,
            SessionRevokeError,
            self_service.check_session_revoke(info.context, decode_id(input.session_id, "Session")),
            build,
        )
