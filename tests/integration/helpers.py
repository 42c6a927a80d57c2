"""Assertions shared by the integration tests."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


@contextlib.contextmanager
def rejected(status: int, match: str = ""):
    """Expect the API to refuse the call with ``status`` and a message matching ``match``.

    The SDK's typed errors subclass ``httpx.HTTPStatusError``, which ``runs.wait`` raises as is;
    both carry the response."""
    try:
        yield
    except httpx.HTTPStatusError as error:
        response = error.response
        assert response.status_code == status, (response.status_code, response.text)
        assert re.search(match, response.text), response.text
    else:
        raise AssertionError(f"expected a {status} response")


def cut_connections(url: str) -> int:
    """What a PostgreSQL restart does to the database at ``url``: every other connection to it
    terminated; how many."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def change_beside_a_serving_process(
    url: str, change: Callable[[], T], *, waits: str, serve: Callable[[], None]
) -> T:
    """A schema change made while a process serves, whose transaction (begun by the caller)
    holds a table and, before it commits, waits for another of its connections: ``change()``
    runs in a thread; once its statement starting with ``waits`` waits for a lock, ``serve()``
    (the second connection's work, then the first's commit) runs in another. Both must finish
    (else "deadlocked"); ``change()``'s result, or its error. Every other connection to the
    database is cut at the end, which ends a deadlock the test found."""
    import threading

    outcome: list[Any] = []

    def run_change() -> None:
        try:
            outcome.append(change())
        except BaseException as error:  # raised below, in the test's thread
            outcome.append(error)

    changing = threading.Thread(target=run_change, daemon=True)
    serving = threading.Thread(target=serve, daemon=True)
    try:
        changing.start()
        _wait_for_lock_wait(url, waits)
        serving.start()
        serving.join(timeout=10)
        changing.join(timeout=30)
        stuck = [name for name, t in (("serve", serving), ("change", changing)) if t.is_alive()]
        assert not stuck, f"deadlocked: {stuck}"
    finally:
        cut_connections(url)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _wait_for_lock_wait(url: str, statement: str) -> None:
    """Until a backend running ``statement`` waits for a lock (at most 10 s)."""
    import time

    import psycopg

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
