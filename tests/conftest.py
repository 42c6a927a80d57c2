"""Shared fixtures: a fresh, migrated PostgreSQL database per test session, and the real
`langgraph dev` server as a subprocess on a free port.

The database is the embedded PostgreSQL by default; ``TEST_DATABASE_URL`` (an admin URL) runs
the suite on another server instead. Each session gets its own database, dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from store.db import libpq_url
from tests.server import LangGraphServer


def _admin_url() -> str:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return libpq_url(url)
    from server.settings import Settings
    from store.embedded import ensure_embedded

    return ensure_embedded(Settings().data_dir, database="postgres")


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """A migrated database of this session's own."""
    from store.migrate import migrate

    name = f"adlaan_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(admin_url, name)
    migrate(url)
    yield url
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def empty_database(admin_url: str) -> Iterator[str]:
    """A database with nothing in it, for migration tests."""
    name = f"adlaan_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield _with_database(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LangGraphServer]:
    """One real `langgraph dev` for the session's integration tests."""
    # Every test logs in from 127.0.0.1: the per-address login limit is for attackers, not for
    # a suite that shares one server (tests/integration/test_login_throttle.py tests it).
    srv = LangGraphServer(
        database_url,
        tmp_path_factory.mktemp("server"),
        extra_env={"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000"},
    )
    srv.start()
    yield srv
    srv.stop()
