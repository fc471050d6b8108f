"""Sign-up, sign-in, token rotation and sign-out: the writes of identity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from adapters import runtime
from models.identity import AuthSession, AuthToken, Organization, Role, TokenKind, User
from resolvers.core.clock import now
from resolvers.core.context import RequestMeta
from resolvers.core.errors import DomainError, Throttled, collect
from resolvers.core.jobs import JobContext, do_enqueue, job_handler
from resolvers.core.tx import publish_events, transaction
from resolvers.identity import auth_cache, events
from resolvers.identity.errors import IdentityErrorCode
from resolvers.identity.passwords import hash_password, verify_password
from resolvers.identity.tokens import TokenPair, issue_pair, token_hash
from resolvers.identity.validation import (
    email_errors,
    name_errors,
    normalize_email,
    password_errors,
)


@dataclass
class SignedIn:
    user: User
    organization: Organization
    tokens: TokenPair


def _email_taken() -> DomainError:
    return DomainError(
        "An account with this email exists already.",
        field="email",
        code=IdentityErrorCode.EMAIL_TAKEN,
    )


async def check_organization_create(
    *, organization_name: str, email: str, password: str, display_name: str
) -> User:
    """Validate and create an organization with its owner (sign-up and ``hello createorg``)."""
    email = normalize_email(email)
    collect(
        email_errors(email)
        + password_errors(password, email)
        + name_errors(display_name, "displayName")
        + name_errors(organization_name, "organizationName")
    )
    if await User.filter(email=email).exists():
        raise _email_taken()
    password_hash = await hash_password(password)
    return await do_organization_create(
        organization_name=organization_name,
        email=email,
        password_hash=password_hash,
        display_name=display_name,
    )


async def do_organization_create(
    *, organization_name: str, email: str, password_hash: str, display_name: str
) -> User:
    try:
        async with transaction():
            org = await Organization.create(name=organization_name.strip())
            owner = await User.create(
                organization=org,
                email=email,
                display_name=display_name.strip(),
                password_hash=password_hash,
                role=Role.OWNER,
            )
    except IntegrityError as e:  # lost a race for the same email
        raise _email_taken() from e
    return owner


async def do_session_start(user: User, meta: RequestMeta) -> TokenPair:
    """A new sign-in session of ``user`` and its first pair of tokens."""
    async with transaction():
        session = await AuthSession.create(
            user=user, user_agent=meta.user_agent[:255], ip=meta.ip[:64]
        )
        return await issue_pair(session)


async def check_sign_up(
    meta: RequestMeta, *, email: str, password: str, display_name: str, organization_name: str
) -> SignedIn:
    owner = await check_organization_create(
        organization_name=organization_name,
        email=email,
        password=password,
        display_name=display_name,
    )
    tokens = await do_session_start(owner, meta)
    org = await Organization.get(id=owner.organization_id)
    return SignedIn(owner, org, tokens)


def _throttle_key(email: str) -> str:
    return f"signin-failures:{email}"


async def check_sign_in(meta: RequestMeta, *, email: str, password: str) -> SignedIn:
    """Verify a password (``check_credentials``) and start a session."""
    user = await check_credentials(email=email, password=password)
    tokens = await do_session_start(user, meta)
    return SignedIn(user, user.organization, tokens)


async def check_credentials(*, email: str, password: str) -> User:
    """The active user with this email and password (their organization loaded), for signIn
    and the OAuth consent page. Every try counts against the email *before* the password is
    checked, atomically in the shared store, so neither aliases, batches nor parallel requests
    get more than ``signin_max_failures`` guesses per window; a success clears the count."""
    services = runtime.current()
    settings = services.settings
    email = normalize_email(email)
    key = _throttle_key(email)
    tries = await services.store.hit(key, settings.signin_window_seconds)
    if tries > settings.signin_max_failures:
        raise Throttled("Too many failed sign-ins for this email; try again later.", field="email")
    user = await User.filter(email=email).select_related("organization").first()
    ok = await verify_password(user.password_hash if user else None, password)
    if not user or not ok:
        raise DomainError("Email or password is wrong.", code=IdentityErrorCode.INVALID_CREDENTIALS)
    if not user.is_active:
        raise DomainError("This account is deactivated.", code=IdentityErrorCode.ACCOUNT_DISABLED)
    await services.store.reset(key)
    return user


def _invalid_refresh() -> DomainError:
    return DomainError(
        "This refresh token is not valid; sign in again.",
        field="refreshToken",
        code=IdentityErrorCode.INVALID_REFRESH_TOKEN,
    )


async def check_token_refresh(refresh_token: str) -> SignedIn:
    """Exchange a refresh token for a new pair. A refresh token works once: presenting a used one
    again means it leaked, so the whole session (every token of the family) is revoked."""
    token = (
        await AuthToken.filter(token_hash=token_hash(refresh_token), kind=TokenKind.REFRESH)
        .select_related("session__user__organization")
        .first()
    )
    if token is None:
        raise _invalid_refresh()
    session = token.session
    user = session.user
    if session.revoked_at is not None or token.expires_at <= now() or not user.is_active:
        raise _invalid_refresh()
    tokens = await do_token_refresh(token, session)
    if tokens is None:
        await do_revoke_sessions([session.id])
        raise DomainError(
            "This refresh token was used before; the session is revoked. Sign in again.",
            field="refreshToken",
            code=IdentityErrorCode.REFRESH_TOKEN_REUSED,
        )
    return SignedIn(user, user.organization, tokens)


async def do_token_refresh(token: AuthToken, session: AuthSession) -> TokenPair | None:
    """Use the refresh token up and issue the next pair; None when it was used before."""
    async with transaction():
        # Conditional update: of two concurrent exchanges of one token, exactly one wins.
        claimed = await AuthToken.filter(id=token.id, used_at__isnull=True).update(used_at=now())
        if claimed:
            return await issue_pair(session)
    return None


async def do_revoke_sessions(
    session_ids: list[int], *, all_of_users: list[int] | None = None, close_after: float = 0
) -> int:
    """Revoke sessions and close their live sockets on every process, after commit.
    ``all_of_users`` also closes every socket of those users (deactivation).

    ``close_after``: seconds between the commit and the closing of the sockets, for a notice
    published in the same transaction to reach them first (a socket closed at once loses the
    event it was about to send). The sessions are revoked at commit all the same: their tokens
    stop working and no new socket opens; only the sockets already open wait that long."""
    async with transaction() as tx:
        count = await AuthSession.filter(id__in=session_ids, revoked_at__isnull=True).update(
            revoked_at=now()
        )
        # Refused here at once (a queryset update fires no signal), elsewhere on the event.
        auth_cache.forget_all()
        revoked = events.sessions_revoked(session_ids, all_of_users or [])
        if close_after <= 0:
            tx.publish(events.AUTH_CHANNEL, revoked)
        else:
            # A job rather than a timer: it survives a restart of this process in between.
            await do_enqueue(
                PUBLISH_LATER,
                {"channel": events.AUTH_CHANNEL, "event": dict(revoked)},
                key=f"revoke:{uuid.uuid4().hex}",
                run_at=now() + timedelta(seconds=close_after),
            )
    return count


PUBLISH_LATER = "identity.publish_later"


@job_handler(PUBLISH_LATER, max_attempts=5)
async def publish_later(ctx: JobContext) -> None:
    """Publish an event at the job's time (a revocation after the notice that explains it).
    Publishing it twice is harmless: closing closed sockets changes nothing."""
    await publish_events([(str(ctx.args["channel"]), dict(ctx.args["event"]))])


async def check_sign_out(session_id: int) -> None:
    await do_revoke_sessions([session_id])
