"""``adlaan serve``: the production server for the same ``langgraph.json``.

langgraph-api on langgraph-runtime-pg (``server/runtime/pg.py``): threads, runs, crons and store
items in PostgreSQL, run streams and queue wake-ups in Redis, so that several ``adlaan serve``
processes on one database (and one Redis) are one service. This module turns our settings into
the runtime's environment, migrates (ours, then the runtime's, each under its own lock), and
serves in this process until stopped (docs/serving.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from server.cli_errors import CliError, ExitCode, PortInUse
from server.settings import RESOLVED_URL_ENV, Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]


def runtime_environment(settings: Settings, url: str, redis_url: str) -> dict[str, str]:
    """What the server processes start with: where the runtime's data lives, how often a run
    beats, how many runs a process runs, how long a stopping process drains."""
    from server.runtime import pg

    return {
        RESOLVED_URL_ENV: url,
        "DATABASE_URI": url,
        "REDIS_URI": redis_url,
        "N_JOBS_PER_WORKER": str(settings.serve_jobs_per_worker),
        # A dead process's runs: heartbeat key expires after 2H, swept within 2H more.
        "LG_BG_JOB_HEARTBEAT": str(settings.serve_heartbeat_seconds),
        pg.SHUTDOWN_GRACE_ENV: str(settings.serve_shutdown_grace_seconds),
        # The runtime's own SQLAlchemy pool (its default, 20 + 20 overflow a process, exhausted a
        # 100-connection PostgreSQL with two processes under 32 clients): 10 + 10.
        "PG_POOL_SIZE": os.environ.get("PG_POOL_SIZE", "10"),
        "PG_MAX_OVERFLOW": os.environ.get("PG_MAX_OVERFLOW", "10"),
        # migrate() has run under a lock; the processes must not race the runtime's own.
        "LG_RUNTIME_PG_AUTO_MIGRATE": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
    }


def load_config(path: Path) -> dict:
    """The validated ``langgraph.json`` (the same checks as ``langgraph dev``)."""
    from langgraph_cli.config import validate_config_file

    if not path.is_file():
        raise typer.BadParameter(f"{path} is not a file", param_hint="--config")
    try:
        return dict(validate_config_file(path))
    except (ValueError, json.JSONDecodeError) as error:
        raise typer.BadParameter(f"{path}: {error}", param_hint="--config") from None


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 in a container)."),
    port: int = typer.Option(None, help="Port to serve on (default: $PORT or 2024)."),
    workers: int = typer.Option(
        None, min=1, help="Server processes on this port (default: $SERVE_WORKERS or 1)."
    ),
    config: Path = typer.Option(
        ROOT / "langgraph.json", "--config", help="The langgraph.json to serve."
    ),
) -> None:
    """Serve langgraph.json in production: PostgreSQL for threads, runs, crons and the store,
    Redis (REDIS_URL) for streams; every process on one database is one service."""
    from server.cli import _ready_database, console
    from server.runtime import pg
    from server.supervise import port_problem
    from store.db import mask_url
    from store.migrate import migrate as migrate_ours

    settings = get_settings()
    if not pg.available():
        raise CliError(
            "langgraph-runtime-pg is not installed; `adlaan serve` needs it: "
            "`make setup` installs it (docs/serving.md, 'Installing').",
            ExitCode.CONFIG,
        )
    if settings.redis_url is None:
        raise CliError(
            "REDIS_URL is not set: `adlaan serve` keeps run streams in Redis "
            "(e.g. REDIS_URL=redis://127.0.0.1:6379/0).",
            ExitCode.CONFIG,
        )
    try:
        pg.require_pinned()
    except pg.UnsupportedRuntime as error:
        raise CliError(str(error), ExitCode.CONFIG) from None
    port = port or settings.port
    workers = workers or settings.serve_workers
    try:
        serving = settings.server_environment(host)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--host") from None
    langgraph_config = load_config(config.resolve())
    if problem := port_problem(host, port):
        raise PortInUse(
            f"cannot serve on {host}:{port}: {problem}\n"
            "Fix: stop what listens there, or pick another port: `adlaan serve --port N`."
        )
    url = _ready_database(migrated=False)
    migrate_ours(url)
    pg.migrate(url)
    redis_url = settings.redis_url.get_secret_value()
    env = {**serving, **runtime_environment(settings, url, redis_url)}
    console.print(
        f"[bold]serving[/] {config} on http://{host}:{port} ({workers} process(es), "
        f"redis {mask_url(redis_url)})"
    )
    os.chdir(config.resolve().parent)  # langgraph.json's paths are relative to it
    pg.run_server(langgraph_config, host=host, port=port, workers=workers, env=env)
