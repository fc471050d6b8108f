"""Names of Drive items: the rule a name follows (trimmed, NFC, no slashes, at most
``MAX_NAME`` characters), the case-insensitive key that makes names unique in a folder, what
to do when a name is taken (``OnConflict``), and the first free ``name (n)`` when renaming.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from models.drive import DriveItem
from resolvers.core import names
from resolvers.core.errors import CoreErrorCode, DomainError, ValidationFailed, collect
from resolvers.drive.errors import DriveErrorCode

MAX_NAME = 255


class OnConflict(StrEnum):
    """What to do when a folder already has an item of that name."""

    FAIL = "FAIL"
    RENAME = "RENAME"
    NEW_VERSION = "NEW_VERSION"


class NameTaken(DomainError):
    code = DriveErrorCode.NAME_TAKEN
    default_message = "This folder already has an item of that name."


def check_name(name: str, field: str = "name") -> str:
    """A valid item name (trimmed, NFC) or INVALID_NAME."""
    clean = unicodedata.normalize("NFC", name.strip())
    # Length, blanks, control and hidden characters: the rule every name follows.
    collect(names.name_errors(clean, field, max_length=MAX_NAME))
    if clean in (".", "..") or "/" in clean or "\\" in clean:
        raise ValidationFailed(
            "Names cannot be . or .. or contain slashes.",
            field=field,
            code=CoreErrorCode.INVALID_NAME,
        )
    return clean


def name_key(name: str) -> str:
    return name.casefold()


def suffixed(name: str, n: int) -> str:
    """``report.pdf`` → ``report (2).pdf``; folders and names without an extension get the
    suffix at the end."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({n})"
    return f"{stem} ({n}).{ext}"


async def free_name(parent_id: int, name: str, *, exclude_id: int | None = None) -> str:
    """``name`` if no live item of the folder has it, else the first free ``name (n)``."""
    taken = set(
        await DriveItem.filter(live_parent_id=parent_id)
        .exclude(id=exclude_id or 0)
        .values_list("name_key", flat=True)
    )
    if name_key(name) not in taken:
        return name
    n = 2
    while name_key(suffixed(name, n)) in taken:
        n += 1
    return suffixed(name, n)
