"""Replacing the run-event trigger while ``adlaan serve`` processes are serving (a new version's
start) must not deadlock them. langgraph-runtime-pg's queue loop holds ``runs`` in one
transaction (the queue's stats) while it sweeps on a second connection; a ``DROP TRIGGER``
queued between the two blocks the second, and the first never commits. Reproduced here on real
PostgreSQL with three connections, no server: the replacement gives up its place in the lock
queue after ``LOCK_TIMEOUT_MS``, the loop goes on, and the next attempt replaces the trigger."""

from __future__ import annotations

import psycopg
import pytest

from store.db import libpq_url
from store.repositories import runtime_tables
from tests.integration.helpers import change_beside_a_serving_process

pytestmark = pytest.mark.integration


def test_replacing_the_trigger_does_not_deadlock_a_serving_queue_loop(database_url):
    from server.runtime import pg

    url = libpq_url(database_url)
    pg.migrate(database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("COMMENT ON TRIGGER runs_hook_event ON runs IS 'an older definition'")
    stats = psycopg.connect(url)  # the loop's first connection: a transaction on runs
    sweep = psycopg.connect(url, autocommit=True)  # its second
    installer = psycopg.connect(url, autocommit=True)
    try:
        stats.execute("SELECT count(*) FROM runs WHERE status = 'pending'").fetchone()

        def loop() -> None:  # the sweep, then the commit that ends the stats' transaction
            sweep.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
            stats.commit()

        replaced = change_beside_a_serving_process(
            url,
            lambda: runtime_tables.install_run_events(installer, attempts=10, pause=0.2),
            waits="DROP TRIGGER",
            serve=loop,
        )
        assert replaced is True
    finally:
        for conn in (stats, sweep, installer):
            conn.close()
    with psycopg.connect(url) as conn:
        comment = conn.execute(
            "SELECT obj_description(oid, 'pg_trigger') FROM pg_trigger "
            "WHERE tgname = 'runs_hook_event'"
        ).fetchone()
    assert comment == (runtime_tables.RUN_EVENT_VERSION,)
