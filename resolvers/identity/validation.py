"""Input rules for identity: emails, passwords, names."""

from __future__ import annotations

import re

from resolvers.core import names
from resolvers.core.errors import DomainError
from resolvers.identity.passwords import MAX_LENGTH, MIN_LENGTH

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by mail.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254
MAX_NAME = 100


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_errors(email: str, field: str = "email") -> list[DomainError]:
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        return [DomainError("Enter a valid email address.", field=field, code="INVALID_EMAIL")]
    return []


def password_errors(password: str, email: str, field: str = "password") -> list[DomainError]:
    if len(password) < MIN_LENGTH:
        return [
            DomainError(
                f"Passwords need at least {MIN_LENGTH} characters.",
                field=field,
                code="WEAK_PASSWORD",
            )
        ]
    if len(password) > MAX_LENGTH:
        return [
            DomainError(
                f"Passwords have at most {MAX_LENGTH} characters.",
                field=field,
                code="WEAK_PASSWORD",
            )
        ]
    if password.strip().lower() == email.strip().lower():
        return [
            DomainError("The password must not be your email.", field=field, code="WEAK_PASSWORD")
        ]
    return []


def name_errors(value: str, field: str, code: str = "INVALID_NAME") -> list[DomainError]:
    """Display and organization names: the shared rule of ``resolvers.core.names``."""
    return names.name_errors(value, field, max_length=MAX_NAME, code=code)
