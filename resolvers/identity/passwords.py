"""Password hashing with argon2id, off the event loop."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from adapters.settings import get_settings

MIN_LENGTH = 10
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def _hasher() -> tuple[PasswordHasher, str]:
    s = get_settings()
    hasher = PasswordHasher(
        time_cost=s.password_hash_time_cost, memory_cost=s.password_hash_memory_kib
    )
    # Verified when the email is unknown, so a miss costs as long as a wrong password.
    return hasher, hasher.hash("not a real password, only for timing")


async def hash_password(password: str) -> str:
    hasher, _ = _hasher()
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _hasher()

    def verify() -> bool:
        try:
            return hasher.verify(password_hash or dummy, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
