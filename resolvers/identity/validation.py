"""Input rules for identity: emails, passwords, names, and a profile's time zone and locale."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

from resolvers.core import names
from resolvers.core.errors import CoreErrorCode, DomainError, ErrorCode
from resolvers.identity.errors import IdentityErrorCode
from resolvers.identity.passwords import MAX_LENGTH, MIN_LENGTH

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by mail.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254
MAX_NAME = 100
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
MAX_LOCALE = 16


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_errors(email: str, field: str = "email") -> list[DomainError]:
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        return [
            DomainError(
                "Enter a valid email address.", field=field, code=IdentityErrorCode.INVALID_EMAIL
            )
        ]
    return []


def password_errors(password: str, email: str, field: str = "password") -> list[DomainError]:
    if len(password) < MIN_LENGTH:
        return [
            DomainError(
                f"Passwords need at least {MIN_LENGTH} characters.",
                field=field,
                code=IdentityErrorCode.WEAK_PASSWORD,
            )
        ]
    if len(password) > MAX_LENGTH:
        return [
            DomainError(
                f"Passwords have at most {MAX_LENGTH} characters.",
                field=field,
                code=IdentityErrorCode.WEAK_PASSWORD,
            )
        ]
    if password.strip().lower() == email.strip().lower():
        return [
            DomainError(
                "The password must not be your email.",
                field=field,
                code=IdentityErrorCode.WEAK_PASSWORD,
            )
        ]
    return []


def name_errors(
    value: str, field: str, code: ErrorCode = CoreErrorCode.INVALID_NAME
) -> list[DomainError]:
    """Display and organization names: the shared rule of ``resolvers.core.names``."""
    return names.name_errors(value, field, max_length=MAX_NAME, code=code)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_errors(value: str | None, field: str = "timeZone") -> list[DomainError]:
    if value is not None and value not in _zones():
        return [
            DomainError(
                "Use an IANA zone name.", field=field, code=IdentityErrorCode.INVALID_TIME_ZONE
            )
        ]
    return []


def locale_errors(value: str | None, field: str = "locale") -> list[DomainError]:
    if value is not None and (len(value) > MAX_LOCALE or not _LOCALE.match(value)):
        return [
            DomainError(
                "Use a BCP 47 tag like `en`.", field=field, code=IdentityErrorCode.INVALID_LOCALE
            )
        ]
    return []


def profile_errors(
    display_name: str | None, time_zone: str | None, locale: str | None
) -> list[DomainError]:
    """Rules shared by admins' ``userUpdate`` and the viewer's own ``viewerUpdate``."""
    errors = name_errors(display_name, "displayName") if display_name is not None else []
    return errors + time_zone_errors(time_zone) + locale_errors(locale)
