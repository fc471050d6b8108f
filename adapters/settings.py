"""Configuration: ``HELLO_*`` environment variables, read once.

Every default is the embedded one: a SQLite file and a secret key under ``./data/``, the
in-process bus, cache and rate limits. Setting ``HELLO_DATABASE_URL`` and ``HELLO_REDIS_URL``
turns the same code into the multi-process deployment.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELLO_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    """Empty means ``sqlite://<data_dir>/hello.sqlite3``."""
    db_pool_max: int = Field(15, ge=1, le=500)
    redis_url: str | None = None
    redis_prefix: str = "hello:"
    """Prefix of every Redis key and channel, so several deployments can share one Redis."""
    secret_key: str = ""
    """Empty means a key generated once and kept in ``<data_dir>/secret_key``."""
    gateway_secret: str = ""
    """Shared with the federation gateway: in production only a request whose
    ``x-hello-gateway-secret`` header equals it may use ``_service`` and ``_entities``. Empty
    there means nobody may; development leaves both open for local tooling."""
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated origins allowed for browsers (CORS and WebSocket). Empty: same origin
    and non-browser clients only; ``*`` allows any."""

    public_url: str = ""
    """The URL clients reach Hello at (``https://hello.example.com``, no path): the OAuth
    issuer and the base of the endpoints its discovery document names. Empty: each request's
    own base URL (enough when clients reach Hello directly)."""

    access_token_ttl_seconds: int = Field(15 * 60, ge=30)
    auth_cache_seconds: float = Field(1.0, ge=0, le=10)
    """How long a process answers a validated access token from memory (0: never). Revocations
    reach every process on the bus at once; this bounds what a process can miss without one
    (resolvers/identity/auth_cache.py)."""
    auth_cache_linked_seconds: float = Field(5.0, ge=0, le=3600)
    """How long a process may answer a validated access token from memory while it has heard
    the auth channel without a break since reading it (every revocation and change then reached
    it, and cleared the token); ``auth_cache_seconds`` otherwise. 0: never longer than that.
    A few seconds: it also bounds how long a revocation whose publish is held up (the revoking
    process cut off from Redis while this one is not) goes unheard here."""
    refresh_token_ttl_seconds: int = Field(30 * 24 * 3600, ge=60)

    # Limits checked before execution.
    max_tokens: int = 2000
    max_depth: int = 12
    max_aliases: int = 15
    max_directives: int = 50
    max_cost: int = 1000
    max_nodes: int = 10_000
    max_fragment_spreads: int = Field(1000, ge=1)
    """Fragment spreads an operation may make once expanded (fragments spreading fragments
    multiply): analysis and validation stay linear only below some bound."""
    max_fields: int = Field(5000, ge=1)
    """Fields an operation's document holds once its fragments are expanded."""
    max_field_repeats: int = Field(30, ge=1)
    """Fields one response path may merge (``{ a { id } a { id } }`` merges two on ``a``):
    validation compares every pair of them, so its time grows with the square of this."""
    operation_timeout_seconds: float = 10.0
    max_body_bytes: int = 1024 * 1024
    # Per-principal token bucket, in cost points.
    rate_limit_capacity: int = Field(5000, ge=1)
    rate_limit_refill_per_second: float = Field(100.0, gt=0)
    # Per app (all tokens of one app, in every process) and per organization (all its people
    # and apps), on top of the principal's: generous, so that they stop a runaway app or a
    # flood from many accounts without slowing anyone who stays within their own bucket.
    # The defaults: an app as busy as 10 people at their own limit, an organization as 100.
    rate_limit_app_capacity: int = Field(50000, ge=1)
    rate_limit_app_refill_per_second: float = Field(1000.0, gt=0)
    rate_limit_org_capacity: int = Field(500000, ge=1)
    rate_limit_org_refill_per_second: float = Field(10000.0, gt=0)

    # Persisted documents (server/persisted.py): APQ registrations and apps' trusted documents.
    persisted_query_max_bytes: int = Field(64 * 1024, ge=1)
    """Documents longer than this (UTF-8 bytes) run but are not registered for APQ."""
    persisted_query_register_cost: int = Field(10, ge=0)
    """Cost points an APQ registration takes from the registrant's rate-limit bucket, on top
    of the operation's own: registering is a write to a shared table."""
    persisted_query_keep_days: int = Field(30, ge=0)
    """APQ documents nobody used for this many days are deleted (0: kept forever); a client
    that still has one registers it again at its next NOT_FOUND."""
    persisted_query_cache_size: int = Field(2000, ge=1)
    """Registered and trusted documents each process keeps in memory (LRU), by id."""
    trusted_documents_max_entries: int = Field(1000, ge=1)
    """Entries one manifest upload may carry."""
    trusted_documents_policy_seconds: float = Field(5.0, ge=0, le=3600)
    """How long a process trusts what it read of an app's trusted-documents setting and of
    its documents before reading again: how long another process may lag behind a change."""

    password_hash_time_cost: int = Field(3, ge=1)
    password_hash_memory_kib: int = Field(65536, ge=8192)
    """argon2id cost; the defaults are the library's recommendation (about 0.1 s per hash)."""

    signin_max_failures: int = 5
    signin_window_seconds: int = 15 * 60

    ws_init_timeout_seconds: float = 10.0
    ws_max_operations: int = 50
    ws_send_timeout_seconds: float = Field(10.0, gt=0)
    """A WebSocket whose client takes nothing of what it is sent for this long is closed with
    4008 (``server/stalled_sockets.py``); below the 20 s keepalive, so the close is ours."""
    compiled_execution: bool = True
    """Run queries and mutations over HTTP through compiled documents (``server/compiled.py``):
    each validated operation is turned once into closures that resolve its fields directly.
    What the compiler does not support (introspection, directives other than ``@skip`` and
    ``@include``, subscriptions) runs through graphql-core either way; off: everything does."""
    differential_execution: bool = False
    """Testing only: run every compiled query through graphql-core too and fail the request
    (500, an ERROR log line) unless both results encode to the same bytes
    (``server/differential.py``). Doubles the work of a query; the test suite turns it on."""
    ws_permessage_deflate: bool = False
    """Accept the permessage-deflate WebSocket extension that browsers offer. Off: a compression
    context per socket costs memory for every idle subscriber (README, Benchmarks, figure 5),
    and a frame compressed per socket cannot be encoded once for all of its subscribers."""
    max_http_streams: int = Field(20, ge=1)
    """Subscriptions over SSE and multipart HTTP one principal may hold open at once, per
    process (anonymous requests count per client IP). A stream holds a connection, a task and a
    bus subscription here, so the cap is per process like those; a WebSocket carries up to
    ``ws_max_operations`` subscriptions on one connection instead."""
    bus_queue_size: int = Field(1000, ge=1)
    """Events buffered per subscriber; a subscriber that falls further behind is closed."""

    # Drive: where bytes live, and how much of them.
    storage_url: str = ""
    """Empty means a local directory, ``<data_dir>/blobs``; ``file:///path`` names another one;
    ``s3://bucket`` or ``s3://bucket/prefix`` stores blobs in S3 or an S3-compatible server."""
    s3_endpoint_url: str | None = None
    """For S3-compatible servers (MinIO, Ceph, moto); empty means AWS itself."""
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    """Empty credentials fall back to the usual AWS chain (environment, profile, instance role)."""
    drive_quota_bytes: int = Field(100 * 1024**3, ge=0)
    """Bytes an organization may keep in Drive, every version and the trash included."""
    drive_max_file_bytes: int = Field(10 * 1024**3, ge=1)
    drive_upload_max_bytes: int = Field(20 * 1024 * 1024, ge=1)
    """The largest file sent in one request (``fileUpload``); larger ones use upload sessions."""
    upload_part_bytes: int = Field(4 * 1024 * 1024, ge=64 * 1024)
    """Part size of upload sessions (on S3 at least 5 MiB, S3's smallest part)."""
    upload_session_ttl_seconds: int = Field(24 * 3600, ge=60)
    download_url_ttl_seconds: int = Field(300, ge=10)
    """Lifetime of signed (or presigned) download URLs."""

    # Background jobs (resolvers/core/jobs.py): the database keeps them, taskiq carries them.
    job_worker: bool = True
    """Whether this process runs jobs (``hello serve --no-worker`` sets it false); every process
    relays due jobs to the workers either way, except embedded, where only a worker can run
    what it relays."""
    job_poll_interval: float = Field(1.0, gt=0, le=60)
    """Seconds between two looks for due jobs (an enqueue in this process looks at once)."""
    job_lease_seconds: float = Field(300.0, ge=1)
    """How long a worker may hold a job before it counts as crashed and the job runs again;
    also how long a relayed job waits for a worker before it is relayed again. Handlers that
    report progress renew it."""
    job_max_attempts: int = Field(5, ge=1, le=100)
    """Attempts of a job whose handler names no other number; then it is DEAD."""
    job_retry_base_seconds: float = Field(2.0, gt=0)
    job_retry_cap_seconds: float = Field(3600.0, gt=0)
    """Back-off after failed attempt n: a random delay up to min(cap, base * 2**(n-1))."""
    job_concurrency: int = Field(10, ge=1, le=1000)
    """Jobs one process runs at once."""
    job_imports: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated modules to import at start for the job handlers they register, besides
    Hello's own (plug-ins, tests)."""

    # Webhooks (resolvers/apps/webhooks.py): deliveries of events to apps' URLs.
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated hosts, addresses and CIDRs that webhooks may reach even though they are
    loopback, private, link-local or otherwise not public (SSRF guard). Empty: public
    addresses only. Example: ``127.0.0.1,10.0.0.0/8,hooks.internal``."""
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=120)
    """How long one delivery attempt (or the URL verification) may take, connect to last byte;
    longer is a failed attempt (TIMEOUT)."""
    webhook_retry_base_seconds: float = Field(30.0, gt=0)
    webhook_retry_cap_seconds: float = Field(3600.0, gt=0)
    """Back-off after failed attempt n: base * 2**(n-1) capped, with jitter (between half and
    all of it)."""
    webhook_retry_window_seconds: float = Field(24 * 3600.0, gt=0)
    """How long a delivery keeps being retried after its event (or a redelivery); then FAILED."""
    webhook_cache_seconds: float = Field(5.0, ge=0, le=300)
    """How long a process trusts its memory of which organizations subscribe to which event
    types (a change made anywhere also clears it over the bus at once)."""
    incoming_webhook_rate_capacity: int = Field(20, ge=1)
    incoming_webhook_rate_refill_per_second: float = Field(1.0, gt=0)
    """Token bucket of each incoming webhook: messages in a burst, then per second."""

    # Docs (resolvers/docs): live documents, their update log and versions.
    docs_max_update_bytes: int = Field(512 * 1024, ge=1024, le=16 * 1024 * 1024)
    """The largest Yjs update one docUpdate may carry (decoded); larger is UPDATE_TOO_LARGE.
    Below ``max_body_bytes`` with its base64 overhead, so the typed error is what answers."""
    docs_open_per_process: int = Field(500, ge=1)
    """Docs a process keeps loaded (least recently used go first; a doc reloads from the
    database as its snapshot plus the log after it)."""
    docs_compact_updates: int = Field(500, ge=1)
    docs_compact_bytes: int = Field(1024 * 1024, ge=1)
    """A doc's log is folded into its snapshot by a job once it holds this many updates or
    bytes after the snapshot."""
    docs_version_minutes: float = Field(10.0, gt=0)
    """An automatic version is saved after this many minutes of editing since the last one."""

    # Video meetings (resolvers/meetings).
    meetings_mesh_max: int = Field(4, ge=2, le=16)
    """Meetings up to this many participants are a mesh (media peer to peer); a larger one moves
    to the SFU (Janus) when one more joins, if ``meetings_janus_url`` is set."""
    meetings_max_participants: int = Field(300, ge=2)
    meetings_stun_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """STUN servers handed to clients in ``meetingJoin`` (``stun:host:port``)."""
    meetings_turn_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """TURN servers (``turn:host:3478?transport=udp``); they get time-limited credentials by the
    TURN REST convention (``meetings_turn_secret``), as coturn's ``use-auth-secret`` checks."""
    meetings_turn_secret: str = ""
    """The secret shared with the TURN servers (coturn ``static-auth-secret``)."""
    meetings_turn_ttl_seconds: int = Field(6 * 3600, ge=60)
    meetings_janus_url: str = ""
    """Janus's HTTP API (``http://127.0.0.1:8088/janus``); empty: no SFU, and a mesh meeting
    is full at ``meetings_mesh_max`` (MEETING_FULL)."""
    meetings_janus_admin_key: str = ""
    """Janus VideoRoom's ``admin_key`` (needed to create rooms when Janus sets one)."""
    meetings_signals_per_second: int = Field(50, ge=1)
    """Signals one participant may send per second (THROTTLED beyond); a burst of twice this is
    allowed."""
    meetings_heartbeat_seconds: float = Field(15.0, gt=0)
    """How often a participant's open ``meetingEvents`` stream marks them present (and takes
    out the others nobody has seen for ``meetings_stale_seconds``)."""
    meetings_stale_seconds: float = Field(45.0, gt=0)
    """A participant unseen this long (their process died, their network went) is taken out
    of the meeting (LEFT) by the next heartbeat of anyone else in it. Keep it a few heartbeats
    long: shorter, a live participant whose heartbeat is late is taken out."""

    log_level: str = "INFO"

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator(
        "webhook_allowed_hosts", "meetings_stun_urls", "meetings_turn_urls", mode="before"
    )
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @field_validator("job_imports", mode="before")
    @classmethod
    def _split_imports(cls, value: object) -> object:
        if isinstance(value, str):
            return [m.strip() for m in value.split(",") if m.strip()]
        return value

    @property
    def production(self) -> bool:
        return self.env == "production"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.data_dir / 'hello.sqlite3'}"

    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return f"file://{(self.data_dir / 'blobs').resolve()}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Written with O_EXCL so two processes starting at once agree on one key.
            try:
                with path.open("x") as f:
                    f.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        self.secret_key = path.read_text().strip()
        return self.secret_key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
