"""Shared fixtures: PostgreSQL databases that tests do not share, and the real `langgraph dev`
server as a subprocess on a free port.

The databases live on the embedded PostgreSQL by default; ``TEST_DATABASE_URL`` (an admin URL)
runs the suite on another server instead. Tests do not see each other (STYLE.md, "Ownership";
polar's ``tests/fixtures/database.py``), by cloning rather than by rolling back, because the
code under test commits (the registry, the dispatcher, the CLI in a subprocess) and a server
needs its database URL before it starts:

- ``template_database`` (session): one database migrated once per session, then closed to
  connections and marked as a template; nothing connects to it again.
- ``database_url`` (each test): a database of the test's own, made with ``CREATE DATABASE ...
  TEMPLATE`` from the migrated template (a copy of a small schema, a fraction of a second) and
  dropped after the test. Every test that writes PostgreSQL without the shared server (the
  repositories, the checkpointer, the registry, the dispatcher, the mirror, a server of the
  test's own) starts from an empty, migrated database and sees its own rows only, so it may
  count whole tables.
- ``server`` (each module): one `langgraph dev` per test module on ``module_database_url``, a
  clone of the module's own. A server per test would cost its start-up (seconds) a hundred
  times over, so the tests of one module share the server and its database, one after
  another; tests of different modules never meet. A test that uses ``server`` or
  ``module_database_url`` (directly or through another fixture) and asks for
  ``database_url`` gets that database, to check what the server wrote; its counts are
  differences over the test's own requests, or filtered on its own ids.
- ``pool`` (each test): an open async pool on ``database_url``, for code that takes one (the
  registry, the dispatcher, the mirror, the checkpointer).
- ``empty_database`` (each test): a database with nothing in it, for migration tests.

Every database is dropped (``WITH (FORCE)``) when its scope ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

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


def _admin(admin_url: str, statement: sql.Composable, params: tuple = ()) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement, params)


@contextmanager
def _database(admin_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database (a clone of ``template`` when given), dropped on exit; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    _admin(admin_url, create)
    try:
        yield _with_database(admin_url, name)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        _admin(admin_url, drop)


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def template_database(admin_url: str) -> Iterator[str]:
    """The name of a database migrated once for the session, to clone from."""
    from store.migrate import migrate

    name = f"adlaan_template_{uuid.uuid4().hex[:10]}"
    ident = sql.Identifier(name)
    _admin(admin_url, sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        migrate(_with_database(admin_url, name))
        # A clone fails while anything is connected to its template: let nothing connect
        # (autovacuum included), and end any session the migration might have left.
        _admin(
            admin_url,
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true").format(
                ident
            ),
        )
        _admin(
            admin_url,
            sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"),
            (name,),
        )
        yield name
    finally:
        _admin(admin_url, sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(ident))
        _admin(admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


@pytest.fixture(scope="module")
def module_database_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A migrated database of this test module's own (its server's)."""
    with _database(admin_url, "adlaan_module", template_database) as url:
        yield url


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, admin_url: str, template_database: str
) -> Iterator[str]:
    """The migrated database this test writes to and reads: the module's when the test uses the
    module's server (or ``module_database_url``), else a fresh one of the test's own."""
    if "module_database_url" in request.fixturenames:
        yield request.getfixturevalue("module_database_url")
        return
    with _database(admin_url, "adlaan_test", template_database) as url:
        yield url


@pytest.fixture
async def pool(database_url: str):
    """An open pool on ``database_url``, made as the server makes its own."""
    from store.db import make_async_pool

    pool = make_async_pool(database_url, max_size=6)
    await pool.open(wait=True)
    yield pool
    await pool.close()


@pytest.fixture
def empty_database(admin_url: str) -> Iterator[str]:
    """A database with nothing in it, for migration tests."""
    with _database(admin_url, "adlaan_empty") as url:
        yield url


@pytest.fixture(scope="module")
def server(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LangGraphServer]:
    """One real `langgraph dev` for the tests of a module, on the module's database."""
    # Every test logs in from 127.0.0.1: the per-address login limit is for attackers, not for
    # a module's tests that share one server (tests/integration/test_login_throttle.py tests it).
    srv = LangGraphServer(
        module_database_url,
        tmp_path_factory.mktemp("server"),
        extra_env={"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000"},
    )
    srv.start()
    yield srv
    srv.stop()
