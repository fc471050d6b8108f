"""The clock every module reads: timezone-aware UTC (README, "API conventions")."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
