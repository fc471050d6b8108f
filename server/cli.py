"""The ``hello`` command: serve, migrate, print the schema, create an organization, seed a
demo."""

from __future__ import annotations

import asyncio
import sys

import click

from adapters.settings import get_settings

GRACEFUL_SHUTDOWN_SECONDS = 15
"""How long a stopping process lets open HTTP responses finish: past the 10 s operation
timeout, below the 30 s orchestrators usually wait before they kill."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Hello: an all-in-one collaboration backend served as one GraphQL API.

    Configuration comes from HELLO_* environment variables (see the README); every default is
    the embedded setup: SQLite and a secret key under ./data/, in-process bus and rate limits.
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker processes. More than one needs HELLO_REDIS_URL, so that events, presence and "
    "rate limits are shared between them.",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Run no background jobs here (leave them to `hello worker` processes); due jobs are "
    "still relayed to them when HELLO_REDIS_URL is set.",
)
def serve(host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve the GraphQL API at http://HOST:PORT/graphql (GraphiQL in development)."""
    import os

    import uvicorn

    from server.app import uvicorn_options

    if no_worker:
        # Read by every uvicorn worker process's settings (they inherit the environment).
        os.environ["HELLO_JOB_WORKER"] = "false"
        get_settings.cache_clear()
    settings = get_settings()
    if workers > 1 and not settings.redis_url:
        raise click.UsageError(
            "--workers > 1 needs HELLO_REDIS_URL: the in-process bus cannot reach other processes."
        )
    settings.resolved_secret_key()  # create it once here, not racily in every worker
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        **uvicorn_options(settings),
        # uvicorn closes WebSockets at shutdown but waits for HTTP responses, for ever without
        # this: an SSE or multipart subscription would hold a stopping process. Past it, what is
        # still open is cancelled; stream clients reconnect elsewhere and resume, like sockets.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


@main.command()
def worker() -> None:
    """Run background jobs (and relay due ones) without serving HTTP; start any number.

    With HELLO_REDIS_URL they share the jobs through Redis Streams; embedded, one worker runs
    the jobs of the database it opens. Stops on SIGINT or SIGTERM, letting running jobs end
    within a few seconds (what is cut off runs again after its lease)."""
    import os
    import signal

    from server.jobs import create_runner
    from server.services import running_services

    os.environ["HELLO_JOB_WORKER"] = "true"
    get_settings.cache_clear()
    settings = get_settings()
    settings.resolved_secret_key()

    async def run() -> None:
        from adapters import logs

        logs.configure(settings.log_level)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with running_services(settings):
            runner = create_runner(settings)
            await runner.start()
            click.echo("worker started", err=True)
            try:
                await stop.wait()
            finally:
                await runner.stop()

    asyncio.run(run())


@main.command()
def migrate() -> None:
    """Apply every pending migration to HELLO_DATABASE_URL (SQLite or PostgreSQL)."""
    from adapters.db import migrate as run_migrations

    asyncio.run(run_migrations(get_settings()))
    click.echo("database is up to date")


@main.command()
@click.option("--name", default=None, help="Suffix for the migration's file name.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if the models have changes not in migrations/.",
)
def makemigrations(name: str | None, check: bool) -> None:
    """Write a migration into migrations/ for model changes not yet covered (developers)."""
    from tortoise.cli.cli import run_cli_async

    if check:
        from adapters.db import pending_model_changes

        pending = asyncio.run(pending_model_changes(get_settings()))
        if pending:
            raise click.ClickException(f"models have changes without a migration: {pending}")
        click.echo("migrations are up to date with the models")
        return

    argv = ["-c", "adapters.tortoise_conf.TORTOISE_ORM", "makemigrations"]
    if name:
        argv += ["--name", name]
    sys.exit(asyncio.run(run_cli_async(argv)))


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL) that the server serves."""
    from graphql_schema.schema import create_schema

    click.echo(create_schema(production=False).as_str())


@main.command()
@click.option("--name", required=True, help="The organization's name.")
@click.option("--owner-email", required=True, help="Email of the owner who signs in.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The owner's password (asked for when omitted). At least 10 characters.",
)
@click.option("--display-name", default=None, help="The owner's name (default: from the email).")
def createorg(name: str, owner_email: str, password: str, display_name: str | None) -> None:
    """Create an organization and its owner; print the owner's id."""
    from adapters.db import close_db, init_db
    from resolvers.core.errors import DomainError
    from resolvers.identity.actions import check_organization_create

    async def run() -> str:
        await init_db(get_settings())
        try:
            owner = await check_organization_create(
                organization_name=name,
                email=owner_email,
                password=password,
                display_name=display_name or owner_email.split("@", 1)[0],
            )
            from graphql_schema.identity.types import User

            return User.global_id(owner.id)
        finally:
            await close_db()

    try:
        click.echo(asyncio.run(run()))
    except DomainError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from e


@main.command()
@click.option(
    "--password",
    default=None,
    help="Password of every demo account (default: generated and printed once).",
)
def demo(password: str | None) -> None:
    """Seed the "Hello Demo" organization (people, departments, chats) to try Hello with.

    Safe to run again: once seeded, it changes nothing and says so."""
    from adapters import runtime
    from adapters.blobs import create_blob_store
    from adapters.bus import EventBus
    from adapters.db import close_db, init_db
    from adapters.kv import MemoryStore
    from resolvers.core.errors import DomainError
    from server.demo import DemoResult, seed_demo

    settings = get_settings()

    async def run() -> DemoResult:
        await init_db(settings)
        # The domain functions need this process's adapters (rate limits, events). Local
        # ones suffice: no server runs here, so nobody could be subscribed.
        bus = EventBus()
        await bus.connect()
        blobs = create_blob_store(settings)
        runtime.install(
            runtime.Services(settings=settings, bus=bus, store=MemoryStore(), blobs=blobs)
        )
        try:
            return await seed_demo(password)
        finally:
            runtime.install(None)
            await bus.disconnect()
            await close_db()

    try:
        result = asyncio.run(run())
    except DomainError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from e
    if not result.created:
        click.echo(
            f"The demo is already seeded; nothing changed. Sign in as {result.owner_email} "
            "with the password printed by the first run."
        )
        return
    click.echo(
        f'Seeded the organization "Hello Demo": {result.people} people, 2 departments, '
        f"{result.chats} chats, {result.messages} messages.\n"
        f"Owner: {result.owner_email}  password: {result.password}\n"
        "(ada@, grace@, susan@ and dieter@hello.test share that password.)\n\n"
        "Try it: run `hello serve`, open http://127.0.0.1:8000/graphql and run\n"
        f'  mutation {{ signIn(input: {{email: "{result.owner_email}", '
        f'password: "{result.password}"}}) {{ accessToken }} }}\n'
        "then add the header  Authorization: Bearer <accessToken>  (Headers tab) and ask\n"
        "  { viewer { chats(first: 10) { edges { node { name unreadCount "
        "lastMessage { text } } } } } }"
    )


if __name__ == "__main__":
    main()
