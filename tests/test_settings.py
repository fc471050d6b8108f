"""Settings: embedded defaults, and what they turn into."""

from __future__ import annotations

from pathlib import Path

from adapters.db import tortoise_config
from adapters.settings import Settings


def test_defaults_are_the_embedded_setup(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in (
        "HELLO_DATABASE_URL",
        "HELLO_REDIS_URL",
        "HELLO_SECRET_KEY",
        "HELLO_ENV",
        "HELLO_ALLOWED_ORIGINS",
    ):
        monkeypatch.delenv(var, raising=False)
    s = Settings(data_dir=tmp_path)
    assert s.env == "development" and not s.production
    assert s.redis_url is None
    assert s.resolved_database_url() == f"sqlite://{tmp_path / 'hello.sqlite3'}"
    key = s.resolved_secret_key()
    assert len(key) >= 48
    assert (tmp_path / "secret_key").read_text().strip() == key
    # Kept: a second process reads the same key.
    assert Settings(data_dir=tmp_path).resolved_secret_key() == key


def test_postgres_pool_is_sized_by_settings() -> None:
    def pool(s: Settings) -> str:
        connection = tortoise_config(s)["connections"]["default"]
        # PostgreSQL goes through our asyncpg client (adapters/dbhealth.py), with the URL expanded
        assert connection["engine"] == "adapters.dbhealth"
        return str(connection["credentials"]["maxsize"])

    assert pool(Settings(database_url="postgres://u:p@db:5432/hello")) == "15"
    assert pool(Settings(database_url="postgres://u:p@db:5432/hello", db_pool_max=40)) == "40"
    # An explicit pool size in the URL wins.
    assert pool(Settings(database_url="postgres://u:p@db:5432/hello?maxsize=7")) == "7"


def test_allowed_origins_are_comma_separated(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELLO_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    assert Settings().allowed_origins == ["https://a.example", "https://b.example"]
