"""Apps for tests of the Open Platform that do not test app creation itself: made through the
domain functions the ``appCreate`` mutation calls, inside the server's own database."""

from __future__ import annotations

from strawberry.relay import GlobalID, to_base64

from models.identity import SessionKind, User
from resolvers.apps.apps import CreatedApp, check_app_fields, do_create_app
from resolvers.apps.tokens import issue_session
from resolvers.core.context import Principal
from resolvers.core.tx import transaction
from tests.client import Account


def user_pk(account: Account) -> int:
    """The database id of an account's user (its ``user_id`` is a global ID)."""
    return int(GlobalID.from_id(account.user_id).node_id)


async def create_app(
    admin: Account,
    *,
    name: str = "Test app",
    scopes: list[str] | None = None,
    redirect_uris: list[str] | None = None,
) -> CreatedApp:
    """An app created by this admin (or owner), as ``appCreate`` would."""
    user = await User.get(id=user_pk(admin))
    clean, checked_scopes, uris = check_app_fields(
        name=name,
        description="",
        scopes=scopes if scopes is not None else ["messenger:read", "messenger:write"],
        redirect_uris=redirect_uris or [],
    )
    async with transaction():
        return await do_create_app(
            Principal(user=user, session_id=0),
            name=clean or name,
            scopes=checked_scopes or [],
            redirect_uris=uris or [],
        )


async def bot_token(created: CreatedApp, scopes: list[str] | None = None) -> str:
    """A tenant token of the app's bot, as the client-credentials grant issues it."""
    app = created.app
    async with transaction():
        _, tokens = await issue_session(
            user_id=app.bot_user_id,
            kind=SessionKind.CLIENT,
            app_id=app.id,
            scopes=app.scopes if scopes is None else scopes,
            refresh=False,
        )
    return tokens.access_token


def app_global_id(created: CreatedApp) -> str:
    return to_base64("App", created.app.id)
