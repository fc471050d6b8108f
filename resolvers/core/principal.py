"""Who is asking: the signed-in principal every module's resolvers start from."""

from __future__ import annotations

from resolvers.core.context import Context, Principal
from resolvers.core.errors import CoreErrorCode, DomainError, Unauthenticated


class PasswordChangeRequired(DomainError):
    code = CoreErrorCode.PASSWORD_CHANGE_REQUIRED
    default_message = "An admin reset your password: choose a new one with passwordChange first."


def require_principal(ctx: Context, *, pending_password_change_ok: bool = False) -> Principal:
    """The signed-in principal. After an admin's password reset only ``passwordChange`` (and
    ``viewer``, ``signOut``) work until the user has chosen a new password."""
    if ctx.principal is None:
        raise Unauthenticated()
    if ctx.principal.user.must_change_password and not pending_password_change_ok:
        raise PasswordChangeRequired()
    return ctx.principal
