"""Replacing the run-event trigger while ``adlaan serve`` processes are serving (a new version's
start) must not deadlock them. langgraph-runtime-pg's queue loop holds ``runs`` in one
transaction (the queue's stats) while it sweeps on a second connection; a ``DROP TRIGGER``
queued between the two blocks the second, and the first never commits. Reproduced here on real
PostgreSQL with three connections, no server: the replacement gives up its place in the lock
queue after ``LOCK_TIMEOUT_MS``, the loop goes on, and the next attempt replaces the trigger."""

from __future__ import annotations

import threading

import psycopg
import pytest

from store.db import LOCK_TIMEOUT_MS, libpq_url
from store.repositories import runtime_tables

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
        replaced: list[bool] = []
        install = threading.Thread(
            target=lambda: replaced.append(
                runtime_tables.install_run_events(installer, attempts=10, pause=0.2)
            ),
            daemon=True,
        )
        install.start()
        wait_for_lock_wait(url, "DROP TRIGGER")

        def loop() -> None:  # the sweep, then the commit that ends the stats' transaction
            sweep.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
            stats.commit()

        looping = threading.Thread(target=loop, daemon=True)
        looping.start()
        looping.join(timeout=4 * LOCK_TIMEOUT_MS / 1000)
        install.join(timeout=10)
        stuck = [name for name, t in (("loop", looping), ("install", install)) if t.is_alive()]
        assert not stuck, f"deadlocked: {stuck}"
        assert replaced == [True]
    finally:
        with psycopg.connect(url, autocommit=True) as admin:  # end a deadlock this test found
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        for conn in (stats, sweep, installer):
            conn.close()
    with psycopg.connect(url) as conn:
        comment = conn.execute(
            "SELECT obj_description(oid, 'pg_trigger') FROM pg_trigger "
            "WHERE tgname = 'runs_hook_event'"
        ).fetchone()
    assert comment == (runtime_tables.RUN_EVENT_VERSION,)


def wait_for_lock_wait(url: str, statement: str) -> None:
    """Until a backend running ``statement`` waits for a lock (at most 10 s)."""
    import time

    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                (f"{statement}%",),
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.02)
    raise AssertionError(f"no {statement} waited for a lock")
