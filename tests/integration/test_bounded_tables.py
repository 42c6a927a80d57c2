"""Nothing grows without bound (issue 16, items 4 and 5): the table sweep, `adlaan cleanup`'s
confirmation and dry run, and `adlaan db stats` naming a policy for every table."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from server.settings import RESOLVED_URL_ENV
from store.db import make_async_pool
from tests.integration.test_retention import cli, make_threads, threads_present

pytestmark = pytest.mark.integration


def _fill_outbox_and_sessions(conn: psycopg.Connection) -> dict[str, list[int]]:
    """Events in every state a sweep must tell apart, and sessions live, expired and revoked."""
    ids: dict[str, list[int]] = {}

    def event(name: str, thread: str, age: str) -> int:
        row = conn.execute(
            "INSERT INTO hook_events (kind, thread_id, created_at) "
            "VALUES ('run', %s, now() - %s::interval) RETURNING id",
            (thread, age),
        ).fetchone()
        ids.setdefault(name, []).append(row[0])
        return row[0]

    event("delivered_old", "t-ok", "30 days")
    event("delivered_old", "t-ok", "20 days")
    event("delivered_new", "t-ok", "1 day")
    parked = event("parked", "t-parked", "30 days")
    dead = event("dead", "t-dead", "30 days")
    retried = event("retried", "t-retried", "30 days")
    cursor = max(max(v) for v in ids.values())
    event("undelivered", "t-late", "30 days")  # past both cursors below: not delivered
    conn.execute(
        "INSERT INTO hook_cursors (plugin, last_event_id) VALUES ('mirror', %s), ('other', %s)",
        (cursor + 1, cursor),
    )
    conn.execute(
        "INSERT INTO hook_parked_threads (plugin, thread_id, event_id) VALUES ('other', "
        "'t-parked', %s)",
        (parked,),
    )
    conn.execute(
        "INSERT INTO hook_dead_letters (plugin, event_id, error, attempts, created_at) "
        "VALUES ('mirror', %s, 'boom', 5, now() - interval '30 days')",
        (dead,),
    )
    conn.execute(
        "INSERT INTO hook_dead_letters (plugin, event_id, error, attempts, created_at, "
        "retried_at) VALUES ('mirror', %s, 'boom', 5, now() - interval '30 days', "
        "now() - interval '20 days')",
        (retried,),
    )
    user = conn.execute(
        "INSERT INTO users (id, email) VALUES (%s, %s) RETURNING id",
        (uuid.uuid4(), f"{uuid.uuid4().hex[:8]}@example.com"),
    ).fetchone()[0]
    for name, kind, expires, revoked in (
        ("live", "session", "1 day", None),
        ("expired-recently", "session", "-1 day", None),
        ("expired-long-ago", "session", "-40 days", None),
        ("revoked-long-ago", "session", "1 day", "40 days"),
        ("old-api-key", "api_key", "-400 days", "400 days"),
    ):
        conn.execute(
            "INSERT INTO api_keys (id, user_id, kind, name, prefix, key_hash, expires_at, "
            "revoked_at) VALUES (%s, %s, %s, %s, 'x', %s, now() + %s::interval, "
            "now() - %s::interval)",
            (uuid.uuid4(), user, kind, name, uuid.uuid4().hex, expires, revoked),
        )
    return ids


def _events(conn: psycopg.Connection) -> set[int]:
    return {r[0] for r in conn.execute("SELECT id FROM hook_events").fetchall()}


def _sessions(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM api_keys").fetchall()}


async def test_the_sweep_deletes_delivered_events_and_ended_sessions_only(database_url):
    from server.retention import sweep_tables
    from server.settings import Settings

    with psycopg.connect(database_url, autocommit=True) as conn:
        ids = _fill_outbox_and_sessions(conn)
        before = _events(conn)
    settings = Settings(HOOK_EVENTS_RETENTION="7d", SESSION_RETENTION="30d")
    pool = make_async_pool(database_url, max_size=2)
    await pool.open(wait=True)
    try:
        dry = await sweep_tables(pool, settings, dry_run=True)
        with psycopg.connect(database_url) as conn:
            assert _events(conn) == before, "a dry run changes nothing"
        swept = await sweep_tables(pool, settings)
        again = await sweep_tables(pool, settings)
    finally:
        await pool.close()
    assert dry.counts == swept.counts
    assert swept.counts["hook_events"] == 3  # the two old delivered events, and the retried one
    assert swept.counts["hook_dead_letters (retried)"] == 1
    assert swept.counts["api_keys (sessions)"] == 2
    assert again.total == 0
    with psycopg.connect(database_url) as conn:
        left = _events(conn)
        sessions = _sessions(conn)
        dead = conn.execute("SELECT count(*) FROM hook_dead_letters").fetchone()[0]
    kept = {*ids["delivered_new"], *ids["parked"], *ids["dead"], *ids["undelivered"]}
    assert left == kept, "undelivered, parked and dead events stay; so do recent ones"
    assert dead == 1, "a dead letter stays without HOOK_DEAD_LETTERS_RETENTION"
    assert sessions == {"live", "expired-recently", "old-api-key"}

    # an explicit policy for dead letters lets them (and then their events) go
    pool = make_async_pool(database_url, max_size=2)
    await pool.open(wait=True)
    try:
        explicit = Settings(HOOK_EVENTS_RETENTION="7d", HOOK_DEAD_LETTERS_RETENTION="14d")
        swept = await sweep_tables(pool, explicit)
    finally:
        await pool.close()
    assert swept.counts["hook_dead_letters"] == 1 and swept.counts["hook_events"] == 1
    with psycopg.connect(database_url) as conn:
        assert _events(conn) == {*ids["delivered_new"], *ids["parked"], *ids["undelivered"]}


def _at_a_terminal(database_url, answer: str, *args, **settings):
    """``adlaan ARGS`` with a terminal on its standard input, answering ``answer``."""
    primary, secondary = pty.openpty()
    os.write(primary, answer.encode())
    try:
        return subprocess.run(
            [str(Path(sys.executable).parent / "adlaan"), *args],
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=120,
            env={RESOLVED_URL_ENV: database_url, "COLUMNS": "200", **settings},
        )
    finally:
        os.close(primary)
        os.close(secondary)


async def test_cleanup_above_the_threshold_asks_and_dry_run_lists_every_thread(database_url):
    old, new = await make_threads(database_url, 4, 1)
    settings = {"CLEANUP_CONFIRM_ABOVE": "3"}

    dry = cli(database_url, "cleanup", "--older-than", "365d", "--dry-run", **settings)
    assert dry.returncode == 0, dry.stderr
    assert all(thread_id in dry.stderr for thread_id in old), dry.stderr
    assert not any(thread_id in dry.stderr for thread_id in new)

    refused = cli(database_url, "cleanup", "--older-than", "365d", **settings)
    assert refused.returncode == 1, refused.stderr
    assert "without confirmation" in refused.stderr and "--yes" in refused.stderr
    assert threads_present(database_url, old + new) == set(old + new), "nothing was changed"

    # at a terminal it asks; "n" changes nothing
    answered = _at_a_terminal(database_url, "n\n", "cleanup", "--older-than", "365d", **settings)
    assert answered.returncode == 1, answered.stderr
    assert f"delete {len(old)} thread(s)? This cannot be undone" in answered.stderr
    assert threads_present(database_url, old + new) == set(old + new)

    done = cli(database_url, "cleanup", "--older-than", "365d", "--yes", **settings)
    assert done.returncode == 0, done.stderr
    assert threads_present(database_url, old + new) == set(new)


async def test_cleanup_without_a_retention_keeps_every_conversation(database_url):
    old, new = await make_threads(database_url, 2, 1)
    result = cli(database_url, "cleanup")
    assert result.returncode == 0, result.stderr
    assert "RETENTION_IDLE=never" in result.stderr
    assert threads_present(database_url, old + new) == set(old + new)
    # opting in through the setting applies it
    result = cli(database_url, "cleanup", RETENTION_IDLE="1y", RETENTION_POLICY="archive")
    assert result.returncode == 0, result.stderr
    assert "2 thread(s) idle for more than 1y: archive" in result.stderr


def test_db_stats_names_a_policy_for_every_table(database_url):
    from server.retention import TABLE_POLICIES

    with psycopg.connect(database_url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        }
        audit_rows = conn.execute("SELECT count(*) FROM audit_logs").fetchone()[0]
    result = cli(database_url, "db", "stats", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["table"]: row for row in json.loads(result.stdout)["tables"]}
    assert set(rows) == tables
    unbounded = sorted(set(tables) - set(TABLE_POLICIES))
    assert not unbounded, f"tables without a retention policy (server/retention.py): {unbounded}"
    assert rows["audit_logs"]["rows"] == audit_rows
    assert rows["checkpoints"]["policy"] == "with its thread: kept (RETENTION_IDLE=never)"
    assert all(row["bytes"] > 0 for row in rows.values())

    table = cli(database_url, "db", "stats", RETENTION_IDLE="2y")
    assert table.returncode == 0, table.stderr
    assert "delete after 2y idle" in table.stdout and "hook_events" in table.stdout
