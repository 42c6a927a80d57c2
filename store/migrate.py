"""The migration step: checkpointer tables, then the relational schema, under one advisory lock.

Run by ``adlaan migrate`` (and so by ``make setup``/``make dev``/``make test``), never at request
time. Two processes migrating at once queue on the lock instead of racing ``CREATE TABLE``.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row
from sqlalchemy import create_engine, pool

from store.base import CHECKPOINTER_TABLES
from store.checkpointer import RUN_ID_INDEX_SQL
from store.db import LOCK_TIMEOUT_MS, libpq_url, retrying_locks, sqlalchemy_url

ROOT = Path(__file__).resolve().parents[1]
#: Arbitrary but fixed key of the advisory lock that serialises migrations ("adlaan" in ASCII).
MIGRATION_LOCK_KEY = 0x61646C61616E


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: never autogenerate anything for tables the checkpointer (or anyone
    other than our models) owns."""
    if type_ == "table" and (name in CHECKPOINTER_TABLES or (reflected and compare_to is None)):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and table.name in CHECKPOINTER_TABLES)


def alembic_config(url: str | None = None) -> Config:
    """The project's Alembic config, pointed at ``url`` when given."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["configure_logger"] = False
    if url:
        config.attributes["url"] = url
    return config


def setup_checkpointer_tables(url: str) -> None:
    """Create or upgrade langgraph-checkpoint-postgres's own tables (its migrations), plus the
    index our ``adelete_for_runs`` needs."""
    with psycopg.connect(libpq_url(url), autocommit=True, row_factory=dict_row) as conn:
        PostgresSaver(conn).setup()
        conn.execute(RUN_ID_INDEX_SQL)


def _try_lock(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK_KEY,)).fetchone()
    return bool(row and row[0])


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema; safe to run concurrently and again."""
    with psycopg.connect(libpq_url(url), autocommit=True) as lock_conn:
        # Poll rather than block in pg_advisory_lock: a session waiting inside a statement holds
        # a snapshot, and the checkpointer's CREATE INDEX CONCURRENTLY waits for every snapshot
        # in the database, so a blocked waiter would stall the migrating process forever.
        while not _try_lock(lock_conn):
            time.sleep(0.2)
        try:
            setup_checkpointer_tables(url)
            config = alembic_config(url)
            # each migration its own transaction: a new attempt starts at the one that timed out
            config.attributes["lock_timeout_ms"] = LOCK_TIMEOUT_MS
            retrying_locks(lambda: command.upgrade(config, "head"), "the schema's migration")
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this code expects (never migrated, or behind)."""


def schema_revisions(url: str) -> tuple[str | None, str | None, bool]:
    """``(current, head, has_checkpoint_tables)``: the relational schema's revision in the
    database, the newest one this code knows, and whether the checkpointer's tables exist."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            has_checkpoints = conn.exec_driver_sql(
                "SELECT to_regclass('checkpoint_migrations') IS NOT NULL"
            ).scalar()
    finally:
        engine.dispose()
    return current, head, bool(has_checkpoints)


def schema_is_current(url: str) -> bool:
    """True when the relational schema is at Alembic's head and the checkpointer tables exist."""
    current, head, has_checkpoints = schema_revisions(url)
    return current == head and has_checkpoints


def require_current_schema(url: str) -> None:
    """Raise ``SchemaNotCurrent`` (saying which revision is there) unless the schema is at head."""
    current, head, has_checkpoints = schema_revisions(url)
    if current is None or not has_checkpoints:
        raise SchemaNotCurrent("database not migrated")
    if current != head:
        raise SchemaNotCurrent(f"database schema is at revision {current}, this code needs {head}")
