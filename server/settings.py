"""The one settings object of Adlaan Agent (pydantic-settings; environment and `.env`).

Where configuration comes from, strongest first: the environment; the file named by
``ADLAAN_ENV_FILE`` (``adlaan --env-file PATH`` sets it) when given, else ``.env`` in the current
directory, then ``.env`` in the project root; then the defaults below.

Database selection, in order: ``DATABASE_URL``; else the seed's ``DB_HOST``/``DB_PORT``/
``DB_NAME``/``DB_USER``/``DB_PASSWORD``; else an embedded PostgreSQL started from a pip wheel
whose data lives in ``ADLAAN_DATA_DIR`` (a per-user data directory by default, outside the source
tree so the dev server's file watcher never sees it).
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import platformdirs
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from server.durations import describe, parse_duration
from store import crypto
from store.crypto import BadKey, Keyring, parse_key
from store.db import mask_url

#: Environment variable the composition root sets once it has resolved the database, so that
#: child processes (the dev server, its reloader) reuse the same database instead of resolving
#: it again.
RESOLVED_URL_ENV = "ADLAAN_RESOLVED_DATABASE_URL"
#: Environment variable naming the one `.env`-style file to read instead of the default ones.
ENV_FILE_ENV = "ADLAAN_ENV_FILE"
ROOT = Path(__file__).resolve().parents[1]


class EnvFileMissing(ValueError):
    """``ADLAAN_ENV_FILE`` (or ``--env-file``) names a file that is not there."""


def env_files() -> tuple[Path, ...]:
    """The `.env` files read, weakest first (a later file overrides an earlier one): the one
    ``ADLAAN_ENV_FILE`` names, else the project root's ``.env`` then the current directory's."""
    if chosen := os.environ.get(ENV_FILE_ENV):
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise EnvFileMissing(
                f"{ENV_FILE_ENV} (or --env-file) names {chosen!r}, which is not a file"
            )
        return (path.resolve(),)
    found: list[Path] = []
    for candidate in (ROOT / ".env", Path.cwd() / ".env"):
        if candidate.is_file() and candidate.resolve() not in found:
            found.append(candidate.resolve())
    return tuple(found)


class Settings(BaseSettings):
    """Everything configurable, with the environment variable of each field in its alias."""

    model_config = SettingsConfigDict(
        env_file=(ROOT / ".env", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: SecretStr | None = Field(
        default=None, alias="DATABASE_URL", description="postgresql://user:pass@host:port/db"
    )
    db_host: str | None = Field(default=None, alias="DB_HOST")
    db_port: int = Field(default=5432, alias="DB_PORT")
    db_name: str | None = Field(default=None, alias="DB_NAME")
    db_user: str | None = Field(default=None, alias="DB_USER")
    db_password: SecretStr | None = Field(default=None, alias="DB_PASSWORD")
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("adlaan-agent")),
        alias="ADLAAN_DATA_DIR",
        description="Where the embedded PostgreSQL keeps its data when no database is configured.",
    )

    db_pool_size: int = Field(default=20, ge=1, alias="DB_POOL_SIZE")
    db_pool_min_size: int = Field(default=1, ge=0, alias="DB_POOL_MIN_SIZE")
    db_pool_max_idle: float = Field(default=300.0, gt=0, alias="DB_POOL_MAX_IDLE")
    db_pool_max_lifetime: float = Field(default=1800.0, gt=0, alias="DB_POOL_MAX_LIFETIME")
    db_connect_timeout: int = Field(default=10, ge=1, alias="DB_CONNECT_TIMEOUT")
    database_pooler: Literal["none", "pgbouncer"] = Field(
        default="none",
        alias="DATABASE_POOLER",
        description="Set to 'pgbouncer' behind a transaction pooler: prepared statements go off.",
    )
    db_startup_retries: int = Field(default=5, ge=0, alias="DB_STARTUP_RETRIES")

    retention_idle: timedelta | None = Field(
        default=None,
        alias="RETENTION_IDLE",
        description="Threads idle longer than this (a duration with its unit: 90d, 1y; never, the "
        "default) are deleted or archived by RETENTION_POLICY. Conversations are legal records: "
        "nothing is deleted unless this is set (docs/data-lifecycle.md).",
    )
    retention_policy: Literal["delete", "archive"] = Field(
        default="delete", alias="RETENTION_POLICY"
    )
    retention_sweep_interval: float = Field(
        default=3600,
        ge=0,
        alias="RETENTION_SWEEP_INTERVAL",
        description="How often the server sweeps (a duration: 1h, 10min; 0 or off turns the "
        "sweeper off). Held in seconds.",
    )
    cleanup_confirm_above: int = Field(
        default=10,
        ge=0,
        alias="CLEANUP_CONFIRM_ABOVE",
        description="`adlaan cleanup` asks before deleting or archiving more threads than this "
        "(--yes answers for it).",
    )
    hook_events_retention: timedelta | None = Field(
        default=timedelta(days=7),
        alias="HOOK_EVENTS_RETENTION",
        description="Hook events every plugin has handled are deleted this long after they were "
        "made (never keeps them). Events not yet delivered, parked or dead are never deleted.",
    )
    runs_retention: timedelta | None = Field(
        default=timedelta(days=7),
        alias="RUNS_RETENTION",
        description="adlaan serve: finished runs (success, error, timeout, interrupted) are "
        "deleted from the runtime's `runs` table, with their retry counters, this long after they "
        "were last updated (never keeps them); their threads' state and history stay. Pending "
        "and running runs go only with their thread.",
    )
    hook_dead_letters_retention: timedelta | None = Field(
        default=None,
        alias="HOOK_DEAD_LETTERS_RETENTION",
        description="Dead letters (and their events) are deleted this long after they died; "
        "never (the default) keeps them until `adlaan hooks retry` delivers them.",
    )
    session_retention: timedelta | None = Field(
        default=timedelta(days=30),
        alias="SESSION_RETENTION",
        description="Expired or revoked login sessions are deleted this long after they ended.",
    )
    retention_batch_size: int = Field(default=500, ge=1, alias="RETENTION_BATCH_SIZE")

    hooks_enabled: bool = Field(
        default=True,
        alias="HOOKS_ENABLED",
        description="Run the hook dispatcher inside the server (off: run `adlaan hooks worker`).",
    )
    hooks_dispatcher: Literal["process", "server"] = Field(
        default="process",
        alias="HOOKS_DISPATCHER",
        description="Where the server's dispatcher runs (with HOOKS_ENABLED): 'process', a "
        "child process the server starts, restarts and stops (a busy server's event loop and "
        "the deliveries never wait on each other); 'server', in the server's event loop.",
    )
    hooks_allow: str = Field(
        default="",
        alias="HOOKS_ALLOW",
        description="Comma-separated names of third-party plugins (entry points in the "
        "'adlaan.hooks' group) allowed to load.",
    )
    hooks_max_attempts: int = Field(default=5, ge=1, alias="HOOKS_MAX_ATTEMPTS")

    auth_session_hours: float = Field(
        default=24,
        gt=0,
        alias="AUTH_SESSION_HOURS",
        description="Lifetime of an access token from POST /auth/login.",
    )
    login_max_failures: int = Field(
        default=10,
        ge=1,
        alias="LOGIN_MAX_FAILURES",
        description="Login attempts for one e-mail within LOGIN_WINDOW_MINUTES before logins for "
        "it are refused (429) until the window has passed; a successful login resets the count.",
    )
    login_max_attempts_per_client: int = Field(
        default=50,
        ge=1,
        alias="LOGIN_MAX_ATTEMPTS_PER_CLIENT",
        description="Login attempts from one client address within LOGIN_WINDOW_MINUTES, "
        "whatever the e-mail, before that address is refused (429).",
    )
    login_window_minutes: float = Field(default=15, gt=0, alias="LOGIN_WINDOW_MINUTES")
    api_max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        alias="API_MAX_BODY_BYTES",
        description="Largest request body an authenticated caller may send to any route (413 "
        "beyond), counted while it streams in.",
    )
    public_max_body_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        alias="PUBLIC_MAX_BODY_BYTES",
        description="Largest body of a request to a public route (logging in), read before any "
        "credential is known.",
    )
    json_max_depth: int = Field(
        default=64,
        ge=4,
        le=512,
        alias="JSON_MAX_DEPTH",
        description="Deepest nesting of arrays and objects a JSON body may have (400 beyond).",
    )
    rate_limit_per_user: int = Field(
        default=600,
        ge=0,
        alias="RATE_LIMIT_PER_USER",
        description="Requests one user (every credential of theirs together) may make within "
        "RATE_LIMIT_WINDOW_SECONDS, on any route but the health probes, before 429 with "
        "Retry-After; 0 turns the limit off.",
    )
    rate_limit_per_client: int = Field(
        default=120,
        ge=0,
        alias="RATE_LIMIT_PER_CLIENT",
        description="Requests without a live credential (logging in, or refused ones) one client "
        "address may make within RATE_LIMIT_WINDOW_SECONDS, counted before any authentication "
        "work; 0 turns the limit off.",
    )
    rate_limit_window_seconds: int = Field(
        default=60,
        ge=1,
        le=86400,
        alias="RATE_LIMIT_WINDOW_SECONDS",
        description="Length of a rate-limit window, from a key's first request in it.",
    )
    rate_limit_backend: Literal["auto", "memory", "redis"] = Field(
        default="auto",
        alias="RATE_LIMIT_BACKEND",
        description="Where requests are counted: 'redis' shares the counts between server "
        "processes (REDIS_URI of `adlaan serve`'s runtime, else REDIS_URL); 'memory' counts in "
        "each process; 'auto' is redis under `adlaan serve`, memory on the development server.",
    )
    cors_allow_origins: str = Field(
        default="",
        alias="CORS_ALLOW_ORIGINS",
        description="Comma-separated browser origins allowed to call the API (empty: none). "
        "LangGraph Studio's is https://smith.langchain.com.",
    )
    trusted_proxies: str = Field(
        default="",
        alias="TRUSTED_PROXIES",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For is "
        "believed; empty: the client address is the socket's.",
    )
    studio_trust_local: bool = Field(
        default=False,
        alias="STUDIO_TRUST_LOCAL",
        description="Development only: a loopback request carrying Studio's "
        "'x-auth-scheme: langsmith' header and no credential acts as the principal "
        "'langgraph-studio-user'. Refused unless the server is bound to loopback.",
    )
    audit_retention: timedelta | None = Field(
        default=timedelta(days=365),
        alias="AUDIT_RETENTION",
        description="Audit entries other than security events are deleted at this age.",
    )
    audit_security_retention: timedelta | None = Field(
        default=timedelta(days=730),
        alias="AUDIT_SECURITY_RETENTION",
        description="Security events in the audit log (auth.*, user.*, access.*, audit.*) are "
        "deleted at this age; keep it at least AUDIT_RETENTION.",
    )
    # Retired: numbers whose unit lived in their name. Set, they stop the start with the new name.
    retired_retention_days: str | None = Field(default=None, alias="RETENTION_DAYS", exclude=True)
    retired_audit_retention_days: str | None = Field(
        default=None, alias="AUDIT_RETENTION_DAYS", exclude=True
    )

    llm_model: str | None = Field(default=None, alias="LLM_MODEL")
    port: int = Field(default=2024, alias="PORT")

    # -- `adlaan serve` (the production server, docs/serving.md) ---------------------------
    redis_url: SecretStr | None = Field(
        default=None,
        alias="REDIS_URL",
        description="redis://host:port/db for `adlaan serve`: run streams and queue wake-ups.",
    )
    serve_workers: int = Field(
        default=1,
        ge=1,
        alias="SERVE_WORKERS",
        description="Server processes `adlaan serve` starts (uvicorn workers) by default.",
    )
    serve_jobs_per_worker: int = Field(
        default=10,
        ge=1,
        alias="SERVE_JOBS_PER_WORKER",
        description="Runs one `adlaan serve` process runs at once (langgraph's N_JOBS_PER_WORKER).",
    )
    serve_heartbeat_seconds: float = Field(
        default=5,
        ge=1,
        le=120,
        alias="SERVE_HEARTBEAT_SECONDS",
        description="A running run's heartbeat; a run without one for 2x this is taken over by "
        "another process within 4x (20 s by default).",
    )
    serve_shutdown_grace_seconds: float = Field(
        default=30,
        ge=0,
        alias="SERVE_SHUTDOWN_GRACE_SECONDS",
        description="On SIGTERM, how long running runs may finish before they are handed to "
        "another process (re-run from their last checkpoint).",
    )

    # -- encryption at rest (docs/security.md, "Encryption at rest") ------------------------
    encryption_key: SecretStr | None = Field(
        default=None,
        alias="ADLAAN_ENCRYPTION_KEY",
        description="base64 of 32 random bytes: encrypts checkpoints and the mirror's message "
        "and document text; unset, nothing is encrypted.",
    )
    encryption_old_keys: SecretStr | None = Field(
        default=None,
        alias="ADLAAN_ENCRYPTION_OLD_KEYS",
        description="Comma-separated earlier keys, still read (never written) during a rotation.",
    )

    @field_validator("encryption_key", "encryption_old_keys")
    @classmethod
    def _base64_keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        variable = cls.model_fields[info.field_name or ""].alias or ""
        for part in filter(str.strip, value.get_secret_value().split(",")):
            try:
                parse_key(part, name=variable)
            except BadKey as error:
                raise ValueError(str(error)) from None
        if importlib.util.find_spec("Crypto") is None:
            raise ValueError(f"{variable} needs pycryptodome: pip install pycryptodome")
        return value

    def keyring(self) -> Keyring | None:
        """The encryption keys, or None when ``ADLAAN_ENCRYPTION_KEY`` is unset."""
        if self.encryption_key is None:
            return None
        old = (
            self.encryption_old_keys.get_secret_value().split(",")
            if self.encryption_old_keys
            else []
        )
        return Keyring(
            parse_key(self.encryption_key.get_secret_value()),
            [parse_key(k, name="ADLAAN_ENCRYPTION_OLD_KEYS") for k in old if k.strip()],
        )

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value().strip()
        scheme = url.split("://", 1)[0]
        if scheme not in {"postgresql", "postgres", "postgresql+psycopg"}:
            raise ValueError(
                f"DATABASE_URL must be a postgresql:// URL, got scheme {scheme!r} "
                "(Adlaan Agent persists to PostgreSQL only)"
            )
        try:
            make_url(url)
        except Exception as error:  # an unparsable port, host or structure
            raise ValueError(
                f"DATABASE_URL is not a valid URL ({mask_url(url)}): {error}; expected "
                "postgresql://user:password@host:port/database"
            ) from None
        return SecretStr(url)

    @field_validator(
        "retention_idle",
        "hook_events_retention",
        "runs_retention",
        "hook_dead_letters_retention",
        "session_retention",
        "audit_retention",
        "audit_security_retention",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> timedelta | None:
        """A duration with its unit (``90d``) or ``never``; a bare number is refused."""
        if value is None or isinstance(value, timedelta):
            return value
        return parse_duration(str(value), allow_never=True)

    @field_validator("retention_sweep_interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> float:
        if isinstance(value, timedelta):
            return value.total_seconds()
        if isinstance(value, int | float):  # the default, or set from code: seconds
            return float(value)
        delta = parse_duration(str(value), allow_never=True)
        return 0.0 if delta is None else delta.total_seconds()

    @field_validator("retired_retention_days", "retired_audit_retention_days")
    @classmethod
    def _retired(cls, value: str | None, info) -> None:
        if value is not None:
            new = {"retired_retention_days": "RETENTION_IDLE"}.get(
                info.field_name, "AUDIT_RETENTION"
            )
            raise ValueError(
                f"this setting was replaced by {new}, a duration with its unit (e.g. {new}=90d"
                f"{', or never: the default' if new == 'RETENTION_IDLE' else ''}); "
                "see docs/data-lifecycle.md"
            )
        return None

    def cors_origins(self) -> list[str]:
        """``CORS_ALLOW_ORIGINS`` as a list."""
        return [o.strip() for o in self.cors_allow_origins.split(",") if o.strip()]

    def proxy_addresses(self) -> list[str]:
        """``TRUSTED_PROXIES`` as a list."""
        return [a.strip() for a in self.trusted_proxies.split(",") if a.strip()]

    def allowed_plugins(self) -> list[str]:
        """``HOOKS_ALLOW`` as a list of names."""
        return [name.strip() for name in self.hooks_allow.split(",") if name.strip()]

    def configured_url(self) -> tuple[str, str] | None:
        """The database named by the environment, as ``(url, source)``; None means embedded."""
        if resolved := os.environ.get(RESOLVED_URL_ENV):
            return resolved, "resolved by the parent process"
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            return url.replace("postgresql+psycopg://", "postgresql://", 1), "DATABASE_URL"
        if self.db_host and self.db_name:
            user = quote(self.db_user or "postgres", safe="")
            password = self.db_password.get_secret_value() if self.db_password else ""
            auth = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
            url = f"postgresql://{auth}{self.db_host}:{self.db_port}/{quote(self.db_name)}"
            return url, "DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD"
        return None

    def database_without_starting(self) -> tuple[str | None, str]:
        """Like ``database_url_and_source`` but starts nothing: for the embedded PostgreSQL,
        its URL if it runs, else None (for read-only commands)."""
        if configured := self.configured_url():
            return configured
        from store.embedded import running_url

        url = running_url(self.data_dir)
        state = "running" if url else "not running; a command that needs it starts it"
        return url, f"embedded PostgreSQL in {self.data_dir}, {state}"

    def effective(self) -> list[tuple[str, str, str]]:
        """Every setting as ``(variable, value, source)``, secrets masked: what `adlaan config`
        shows. The source is the environment, the `.env` file it came from, or the default."""
        from dotenv import dotenv_values

        files = env_files()
        from_files = {path: dotenv_values(path) for path in files}
        rows = []
        for name, field in type(self).model_fields.items():
            variable = field.alias or name.upper()
            if field.exclude:  # a retired setting (unset, or the settings would not load)
                continue
            value = getattr(self, name)
            if name == "retention_sweep_interval":
                shown = describe(timedelta(seconds=value)) if value else "off"
            elif isinstance(value, timedelta) or (value is None and "retention" in name):
                shown = describe(value)
            elif isinstance(value, SecretStr):
                shown = mask_url(value.get_secret_value()) if name == "database_url" else "***"
            else:
                shown = "" if value is None else str(value)
            source = "default"
            if variable in os.environ:
                source = "environment"
            else:
                for path in reversed(files):
                    if variable in from_files[path]:
                        source = str(path)
                        break
            rows.append((variable, shown, source))
        return rows

    def database_url_and_source(self) -> tuple[str, str]:
        """The URL to use, starting the embedded PostgreSQL when nothing else is configured."""
        if configured := self.configured_url():
            return configured
        from store.embedded import ensure_embedded

        return ensure_embedded(self.data_dir), f"embedded PostgreSQL in {self.data_dir}"

    def server_environment(self, host: str) -> dict[str, str]:
        """Environment a server process bound to ``host`` must start with: uvicorn believes
        X-Forwarded-For only from TRUSTED_PROXIES (it reads FORWARDED_ALLOW_IPS before the app
        is loaded; its own default believes any loopback client). Refuses STUDIO_TRUST_LOCAL
        on any bind but loopback."""
        if self.studio_trust_local and host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(
                f"STUDIO_TRUST_LOCAL works only on a server bound to loopback, not {host!r}: "
                "turn it off, or bind to 127.0.0.1 (docs/security.md)"
            )
        # "" trusts nothing; a list trusts exactly those addresses
        return {"FORWARDED_ALLOW_IPS": ",".join(self.proxy_addresses())}

    def describe_database(self) -> str:
        """One line for start-up logs: which database, password masked."""
        url, source = self.database_url_and_source()
        return f"database: {mask_url(url)} ({source})"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once (raises ``EnvFileMissing`` or pydantic's
    ``ValidationError`` on a bad configuration)."""
    settings = Settings(_env_file=env_files())  # type: ignore[call-arg]
    # process-wide, like the settings: the mirror and the routes seal and unseal text with it
    crypto.configure(settings.keyring())
    return settings
