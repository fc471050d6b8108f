"""Members made for tests without the API: many tests need a colleague or two, and the Admin
way (``userCreate`` signed in as an admin, with its audit record and idempotency fingerprint)
would cost each of them a request and an audit row they do not test. ``userCreate`` itself is
tested in ``tests/admin/test_people.py``. Lives here, not in ``resolvers/``, because no product
code makes a member this way."""

from __future__ import annotations

from models.identity import Role, User
from resolvers.core.channels import organization_channel
from resolvers.core.errors import collect
from resolvers.core.tx import transaction
from resolvers.identity import events
from resolvers.identity.passwords import hash_password
from resolvers.identity.validation import (
    email_errors,
    name_errors,
    normalize_email,
    password_errors,
)


async def add_member(
    organization_id: int, *, email: str, password: str, display_name: str, role: Role = Role.MEMBER
) -> User:
    """Create an active member of an existing organization and tell its members (the
    ``member_joined`` event that ``userCreate`` and ``invitationAccept`` also publish)."""
    email = normalize_email(email)
    collect(
        email_errors(email)
        + password_errors(password, email)
        + name_errors(display_name, "displayName")
    )
    password_hash = await hash_password(password)
    async with transaction() as tx:
        user = await User.create(
            organization_id=organization_id,
            email=email,
            display_name=display_name.strip(),
            password_hash=password_hash,
            role=role,
        )
        tx.publish(organization_channel(organization_id), events.member_joined(user))
    return user
