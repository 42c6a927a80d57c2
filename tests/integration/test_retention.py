"""Retention and compaction from the command line, on real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from langgraph.graph import START, MessagesState, StateGraph

from server.settings import RESOLVED_URL_ENV
from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool

pytestmark = pytest.mark.integration
ADLAAN = str(Path(sys.executable).parent / "adlaan")


def _graph(saver):
    builder = StateGraph(MessagesState)
    builder.add_node("noop", lambda state: {})
    builder.add_edge(START, "noop")
    return builder.compile(checkpointer=saver)


async def make_threads(database_url, n_old, n_new):
    pool = make_async_pool(database_url, max_size=4)
    await pool.open(wait=True)
    graph = _graph(PostgresCheckpointer(pool))
    old = [f"old-{uuid.uuid4()}" for _ in range(n_old)]
    new = [f"new-{uuid.uuid4()}" for _ in range(n_new)]
    for thread_id in old + new:
        await graph.ainvoke(
            {"messages": [{"role": "user", "content": "hi"}]},
            {"configurable": {"thread_id": thread_id}},
        )
    await pool.close()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE checkpoints SET checkpoint = jsonb_set(checkpoint, '{ts}', "
            "to_jsonb('2020-01-01T00:00:00+00:00'::text)) WHERE thread_id = ANY(%s)",
            (old,),
        )
    return old, new


def cli(database_url, *args, **settings):
    env = {
        RESOLVED_URL_ENV: database_url,
        "PATH": str(Path(sys.executable).parent),
        "COLUMNS": "200",
        **settings,
    }
    return subprocess.run([ADLAAN, *args], env=env, capture_output=True, text=True, timeout=120)


def threads_present(database_url, ids):
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id = ANY(%s)", (ids,)
        ).fetchall()
    return {r[0] for r in rows}


def audit(database_url, ids):
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT actor, action, target FROM audit_logs WHERE target = ANY(%s) ORDER BY id",
            (ids,),
        ).fetchall()


async def test_cleanup_dry_run_deletes_nothing_then_cleanup_deletes_only_idle(database_url):
    old, new = await make_threads(database_url, 3, 2)

    dry = cli(database_url, "cleanup", "--older-than", "365d", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete" in dry.stderr
    assert threads_present(database_url, old + new) == set(old + new)
    assert audit(database_url, old) == []

    with psycopg.connect(database_url, autocommit=True) as conn:  # as the registry holds them
        for thread_id in old + new:
            conn.execute(
                "INSERT INTO api_registry (kind, key, payload) VALUES ('thread', %s, '')",
                (thread_id,),
            )

    real = cli(database_url, "cleanup", "--older-than", "365d")  # 3: not above the threshold
    assert real.returncode == 0, real.stderr
    assert threads_present(database_url, old + new) == set(new)
    with psycopg.connect(database_url) as conn:
        registered = conn.execute(
            "SELECT key FROM api_registry WHERE key = ANY(%s)", (old + new,)
        ).fetchall()
    assert {r[0] for r in registered} == set(new), "a deleted thread must not come back at restart"
    entries = audit(database_url, old)
    assert sorted(e[2] for e in entries) == sorted(old)
    assert {(e[0], e[1]) for e in entries} == {("cli", "thread.deleted")}


async def test_archive_policy_archives_once_and_keeps_checkpoints(database_url):
    old, new = await make_threads(database_url, 2, 1)
    for _ in range(2):
        result = cli(database_url, "cleanup", "--older-than", "30d", "--policy", "archive")
        assert result.returncode == 0, result.stderr
    assert threads_present(database_url, old + new) == set(old + new)
    with psycopg.connect(database_url) as conn:
        statuses = dict(
            conn.execute(
                "SELECT thread_id, status FROM conversations WHERE thread_id = ANY(%s)",
                (old + new,),
            ).fetchall()
        )
    # (the mirror may have written active conversations for the fresh threads meanwhile)
    assert {t for t, status in statuses.items() if status == "archived"} == set(old)
    assert len(audit(database_url, old)) == 2, "the second run found nothing left to archive"


def test_bad_durations_are_refused(database_url):
    result = cli(database_url, "cleanup", "--older-than", "ninety days")
    assert result.returncode == 2
    assert "not a duration" in result.stderr
    # a bare number (days? seconds?) and 'm' (minutes? months?): tests/unit/test_durations.py
    for args, reason in (
        (("cleanup", "--older-than", "1m"), "ambiguous"),
        (("prune", "--idle-for", "90"), "has no unit"),
    ):
        result = cli(database_url, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert reason in result.stderr and "30min" in result.stderr, result.stderr
    result = cli(database_url, "cleanup", "--dry-run", HOOK_EVENTS_RETENTION="30")
    assert result.returncode == 3, result.stderr  # invalid configuration
    assert "HOOK_EVENTS_RETENTION" in result.stderr and "has no unit" in result.stderr
    result = cli(database_url, "config", RETENTION_DAYS="90")
    assert result.returncode == 3 and "replaced by RETENTION_IDLE" in result.stderr
    result = cli(database_url, "prune")
    assert result.returncode == 2
    assert "--thread" in result.stderr


async def test_the_sweeper_in_the_server_deletes_idle_threads_through_the_api(
    database_url, tmp_path
):
    import asyncio

    import httpx

    from tests.server import LangGraphServer

    # database_url is this test's own (tests/conftest.py): the sweeper deletes every idle thread
    server = LangGraphServer(
        database_url,
        tmp_path,
        extra_env={"RETENTION_IDLE": "3s", "RETENTION_SWEEP_INTERVAL": "1s"},
    )
    server.start()
    try:
        client = server.client()
        thread_id = (await client.threads.create())["thread_id"]
        await client.runs.wait(
            thread_id, "drafter", input={"messages": [{"role": "user", "content": "Draft an NDA"}]}
        )
        for _ in range(60):
            try:
                await client.threads.get(thread_id)
            except httpx.HTTPStatusError as error:
                assert error.response.status_code == 404
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError("the sweeper never deleted the idle thread")
        assert threads_present(database_url, [thread_id]) == set()
        deletions = [e for e in audit(database_url, [thread_id]) if e[1] == "thread.deleted"]
        assert deletions == [("retention", "thread.deleted", thread_id)], "one deletion, one entry"
    finally:
        server.stop()


async def test_the_sweep_deletes_old_audit_entries_in_batches_and_ended_login_windows(
    database_url,
):
    from server.retention import sweep_once
    from server.settings import Settings

    marker = f"retention-{uuid.uuid4()}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        for action, age in (
            *(("tests.retention", age) for age in ("400 days", "400 days", "91 days", "91 days")),
            *(("tests.retention", age) for age in ("91 days", "89 days", "1 day")),
            # security events are kept for AUDIT_SECURITY_RETENTION
            *(("auth.login_failed", age) for age in ("800 days", "400 days", "1 day")),
        ):
            conn.execute(
                "INSERT INTO audit_logs (actor, action, target, created_at) "
                "VALUES ('tests', %s, %s, now() - %s::interval)",
                (action, marker, age),
            )
        for key, age in (("old", "16 minutes"), ("ended", "15 minutes"), ("live", "14 minutes")):
            conn.execute(
                "INSERT INTO login_throttle (key, window_start, attempts) "
                "VALUES (%s, now() - %s::interval, 3)",
                (f"email:{key}-{marker}", age),
            )
        conn.execute(  # a thread idle for years: kept, RETENTION_IDLE is never by default
            "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, checkpoint, "
            "metadata) VALUES (%s, '', '1', '{\"ts\": \"2001-01-01T00:00:00+00:00\"}', '{}')",
            (marker,),
        )
    settings = Settings(
        AUDIT_RETENTION="90d",
        AUDIT_SECURITY_RETENTION="2y",
        RETENTION_BATCH_SIZE=2,  # five old entries: three batches
        LOGIN_WINDOW_MINUTES=15,
    )
    assert settings.retention_idle is None, "conversations are kept unless one opts in"
    pool = make_async_pool(database_url, max_size=2)
    await pool.open(wait=True)
    try:
        assert await sweep_once(pool, settings) == 0
    finally:
        await pool.close()

    with psycopg.connect(database_url) as conn:
        ages = conn.execute(
            "SELECT action, extract(day FROM now() - created_at)::int FROM audit_logs "
            "WHERE target = %s ORDER BY 1, 2",
            (marker,),
        ).fetchall()
        purged = conn.execute(
            "SELECT actor, details FROM audit_logs WHERE action = 'audit.purged' ORDER BY id"
        ).fetchall()
        keys = conn.execute(
            "SELECT key FROM login_throttle WHERE key LIKE %s", (f"%{marker}",)
        ).fetchall()
    assert threads_present(database_url, [marker]) == {marker}
    assert ages == [
        ("auth.login_failed", 1),
        ("auth.login_failed", 400),
        ("tests.retention", 1),
        ("tests.retention", 89),
    ], "each class goes at its own age"
    assert [(actor, d["class"], d["deleted"]) for actor, d in purged] == [
        ("retention", "other", 5),
        ("retention", "security", 1),
    ]
    assert [k[0] for k in keys] == [f"email:live-{marker}"], "only ended windows go"


def test_purge_audit_for_the_command_line_works_in_batches(database_url):
    from datetime import UTC, datetime, timedelta

    from store.retention import purge_audit

    marker = f"retention-{uuid.uuid4()}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        for age in ("30 days", "30 days", "30 days", "1 day"):
            conn.execute(
                "INSERT INTO audit_logs (actor, action, target, created_at) "
                "VALUES ('tests', 'tests.retention', %s, now() - %s::interval)",
                (marker, age),
            )
        cutoff = datetime.now(UTC) - timedelta(days=7)
        assert purge_audit(conn, cutoff, 1, actor="cli") >= 3
        assert purge_audit(conn, cutoff, 1, actor="cli", security=True) == 0
        left = conn.execute(
            "SELECT count(*) FROM audit_logs WHERE target = %s", (marker,)
        ).fetchone()[0]
        assert purge_audit(conn, cutoff, 1, actor="cli") == 0, "nothing left to purge"
    assert left == 1
