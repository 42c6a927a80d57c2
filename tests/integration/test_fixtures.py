"""The isolation tests/conftest.py promises: each test that writes PostgreSQL without the
module's server has a migrated database of its own; tests of the module's server share its."""

from __future__ import annotations

import psycopg
import pytest

from tests.accounts import make_user

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_starts_from_an_empty_migrated_database_of_its_own(database_url, turn):
    # the e-mail is unique: in a database shared with the other turn, the second would fail
    make_user(database_url, email="the-same@adlaan.test")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert conn.execute("SELECT count(*) FROM checkpoint_migrations").fetchone()[0] > 0


def test_a_test_on_the_modules_database_gets_it_as_database_url(module_database_url, database_url):
    assert database_url == module_database_url


def test_the_template_takes_no_connections(admin_url, template_database):
    with psycopg.connect(admin_url) as conn:
        allowed, template = conn.execute(
            "SELECT datallowconn, datistemplate FROM pg_database WHERE datname = %s",
            (template_database,),
        ).fetchone()
    assert (allowed, template) == (False, True)
