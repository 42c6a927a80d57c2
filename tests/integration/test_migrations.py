"""The migration step on real PostgreSQL: upgrade, no drift, downgrade, concurrent starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool

from server.settings import RESOLVED_URL_ENV
from store.base import CHECKPOINTER_TABLES, Base
from store.db import sqlalchemy_url
from store.migrate import alembic_config, include_object, migrate, schema_is_current
from tests.integration.helpers import change_beside_a_serving_process

pytestmark = pytest.mark.integration
RELATIONAL = {"users", "conversations", "messages", "documents", "audit_logs"}


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def drift(url: str) -> list:
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": include_object,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def test_upgrade_check_and_downgrade(empty_database):
    migrate(empty_database)
    assert tables(empty_database) >= RELATIONAL | CHECKPOINTER_TABLES
    assert schema_is_current(empty_database)
    assert drift(empty_database) == []
    command.check(alembic_config(empty_database))  # raises on drift

    command.downgrade(alembic_config(empty_database), "base")
    left = tables(empty_database)
    assert not (RELATIONAL & left)
    assert left >= CHECKPOINTER_TABLES, "alembic must never drop the checkpointer's tables"
    assert not schema_is_current(empty_database)

    migrate(empty_database)  # and back up again, idempotently
    migrate(empty_database)
    assert schema_is_current(empty_database)


def test_two_processes_migrating_at_once_both_succeed(empty_database):
    env = {RESOLVED_URL_ENV: empty_database, "PATH": str(Path(sys.executable).parent)}
    adlaan = str(Path(sys.executable).parent / "adlaan")
    procs = [
        subprocess.Popen(
            [adlaan, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    assert schema_is_current(empty_database)


def test_unreachable_database_gives_one_clear_message():
    env = {
        "DATABASE_URL": "postgresql://adlaan:s3cret-pw@127.0.0.1:1/adlaan",
        "DB_STARTUP_RETRIES": "0",
        "PATH": str(Path(sys.executable).parent),
    }
    adlaan = str(Path(sys.executable).parent / "adlaan")
    result = subprocess.run(
        [adlaan, "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 4  # database unreachable (server/cli_errors.py)
    output = result.stdout + result.stderr
    assert "Cannot connect to PostgreSQL at postgresql://adlaan:***@127.0.0.1:1/adlaan" in output
    assert "Fix:" in output
    assert "s3cret-pw" not in output
    assert "Traceback" not in output


def test_an_upgrade_behind_a_serving_transaction_does_not_stall_it(empty_database):
    """An upgrade while a process serves: its transaction holds ``documents`` and, before it
    commits, writes ``documents`` on a second connection (as the dispatcher's round does while
    the mirror writes). The migration's lock request, queued between the two, would block the
    write, and the three would wait for ever; with the lock timeout the request leaves the
    queue, the process goes on, and the migration is tried again until it passes."""
    migrate(empty_database)
    # before the migration that adds documents.final_at (an ALTER TABLE: an exclusive lock)
    command.downgrade(alembic_config(empty_database), "3e8a61c2d4f7")
    holder = psycopg.connect(empty_database)
    writer = psycopg.connect(empty_database, autocommit=True)
    try:
        holder.execute("LOCK TABLE documents IN ROW EXCLUSIVE MODE")

        def serve() -> None:  # the second connection's write, then the first's commit
            with writer.transaction():
                writer.execute("LOCK TABLE documents IN ROW EXCLUSIVE MODE")
            holder.commit()

        change_beside_a_serving_process(
            empty_database,
            lambda: migrate(empty_database),
            waits="ALTER TABLE documents",
            serve=serve,
        )
    finally:
        holder.close()
        writer.close()
    assert schema_is_current(empty_database)
