"""The ``hello`` command as a newcomer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.client import PASSWORD, Api, unique_email

ROOT = Path(__file__).resolve().parent.parent
HELLO = str(Path(sys.executable).parent / "hello")


def hello(*args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HELLO, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        input=input,
    )


def test_help_explains_every_command() -> None:
    r = hello("--help")
    assert r.returncode == 0
    for command in ("serve", "migrate", "schema", "createorg", "makemigrations"):
        assert command in r.stdout
    serve = hello("serve", "--help").stdout
    for option in ("--host", "--port", "--workers"):
        assert option in serve


def test_schema_prints_the_served_sdl() -> None:
    r = hello("schema")
    assert r.returncode == 0
    assert r.stdout.strip() == (ROOT / "schema.graphql").read_text().strip()


def test_several_workers_need_redis() -> None:
    env = {k: v for k, v in os.environ.items() if k != "HELLO_REDIS_URL"}
    r = subprocess.run(
        [HELLO, "serve", "--workers", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "HELLO_REDIS_URL" in r.stderr


async def test_createorg_prints_the_owner_who_can_sign_in(api: Api, database_url: str) -> None:
    email = unique_email("cli")
    r = hello(
        "createorg",
        "--name",
        "Console Co",
        "--owner-email",
        email,
        "--password",
        PASSWORD,
        HELLO_DATABASE_URL=database_url,
    )
    assert r.returncode == 0, r.stderr
    owner_id = r.stdout.strip()
    account = await api.sign_in(email)
    assert account.user_id == owner_id
    org = await api.gql("{ viewer { organization { name } } }", token=account.access_token)
    assert org["viewer"]["organization"]["name"] == "Console Co"


async def test_createorg_refuses_a_weak_password(database_url: str) -> None:
    from models.identity import User

    email = unique_email("weak")
    r = hello(
        "createorg",
        "--name",
        "X",
        "--owner-email",
        email,
        "--password",
        "short",
        HELLO_DATABASE_URL=database_url,
    )
    assert r.returncode == 1
    assert "WEAK_PASSWORD" in r.stderr
    assert not await User.filter(email=email).exists()
