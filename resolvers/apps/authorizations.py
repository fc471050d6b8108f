"""What a person does about the apps they authorized: revoke one (every grant of it)."""

from __future__ import annotations

from models.apps import App
from models.identity import AuthSession, SessionKind
from resolvers.apps.apps import access_app
from resolvers.core.context import Context
from resolvers.core.principal import require_principal
from resolvers.identity.actions import do_revoke_sessions


async def check_app_authorization_revoke(ctx: Context, app_id: int) -> App:
    """Revoke every token the viewer's consents gave this app (its own bot's are not theirs).
    Revoking an app that holds none changes nothing."""
    principal = require_principal(ctx)
    app = await access_app(ctx, app_id)
    sessions = await AuthSession.filter(
        user_id=principal.user_id, app_id=app.id, kind=SessionKind.OAUTH, revoked_at__isnull=True
    ).values_list("id", flat=True)
    if sessions:
        await do_revoke_sessions([int(s) for s in sessions])  # type: ignore[call-overload]
    return app
