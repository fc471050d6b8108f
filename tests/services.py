"""Finding the real servers a test needs.

``HELLO_TEST_DATABASE_URL`` and ``HELLO_TEST_REDIS_URL`` point the suite at PostgreSQL and Redis.
A test that needs a server that is not configured skips with the reason, unless
``HELLO_REQUIRE_SERVICES=1`` (CI), which turns every such skip into a failure.
"""

from __future__ import annotations

import os

import pytest


def services_required() -> bool:
    return os.environ.get("HELLO_REQUIRE_SERVICES", "") not in ("", "0", "false")


def missing(reason: str) -> None:
    """Skip (or, in CI, fail) a test whose server is not available."""
    if services_required():
        pytest.fail(f"HELLO_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def require_env(var: str) -> str:
    value = os.environ.get(var, "")
    if not value:
        missing(f"{var} is not set")
    return value
