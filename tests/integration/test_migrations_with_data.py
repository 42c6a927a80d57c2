"""Migrations both ways on a database the real server filled: every downgrade, one revision at a
time down to base, works on real data (or refuses, saying what it would lose), every upgrade
works on the data its downgrade left, the checkpointer's tables come through untouched, and
`alembic check` is clean at head again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from server.settings import RESOLVED_URL_ENV
from store.base import CHECKPOINTER_TABLES
from store.db import sqlalchemy_url
from store.migrate import alembic_config, migrate, schema_is_current
from tests.accounts import PASSWORD
from tests.integration.test_mirror import wait_for_mirror
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration
SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]
#: the revision whose downgrade refuses ids longer than the old columns
WIDE_IDS = "5c1d7e0a9b42"


def user(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


def revision(url: str) -> str | None:
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def scalar(url: str, query: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


def checkpointer_rows(url: str) -> dict[str, int]:
    return {table: scalar(url, f"SELECT count(*) FROM {table}") for table in CHECKPOINTER_TABLES}


async def turn_ends(sdk, thread_id: str) -> list[str]:
    """Checkpoint ids at the end of each turn, oldest first, on the current branch."""
    history = await sdk.threads.get_history(thread_id, limit=100)
    ends = [h for h in history if not h["next"] and h["values"].get("document")]
    return [h["checkpoint"]["checkpoint_id"] for h in reversed(ends)]


async def fill(server: LangGraphServer) -> None:
    """Threads with several drafter turns, a fork (a second v2 of a document), a deleted thread,
    a login session, a named API key and the audit entries they leave."""
    sdk = server.client()
    threads = []
    for _ in range(3):
        thread_id = (await sdk.threads.create())["thread_id"]
        for text in SEED:
            await sdk.runs.wait(thread_id, "drafter", input=user(text))
        threads.append(thread_id)
    first_turn = (await turn_ends(sdk, threads[0]))[0]
    fork = await sdk.threads.update_state(threads[0], {"messages": []}, checkpoint_id=first_turn)
    await sdk.runs.wait(
        threads[0],
        "drafter",
        input=user("Make it for New York jurisdiction"),
        checkpoint_id=fork["checkpoint"]["checkpoint_id"],
    )
    await sdk.threads.delete(threads[2])
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        login = await http.post(
            "/auth/login", json={"email": server.user.email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        key = await http.post("/auth/api-keys", headers=server.headers, json={"name": "migrations"})
        assert key.status_code == 201, key.text


def test_round_trip_to_base_and_back_on_a_database_the_server_filled(empty_database, tmp_path):
    url = empty_database
    migrate(url)
    server = LangGraphServer(url, tmp_path)
    server.start()
    try:
        asyncio.run(fill(server))
        wait_for_mirror(url)
    finally:
        server.stop()

    documents = scalar(url, "SELECT count(*) FROM documents")
    branch_versions = scalar(
        url,
        "SELECT count(*) FROM (SELECT 1 FROM documents GROUP BY conversation_id, document_key, "
        "version HAVING count(*) > 1) AS twice",
    )
    assert branch_versions >= 1, "the fork must leave two documents with one version number"
    for table in ("users", "api_keys", "audit_logs", "messages", "conversations"):
        assert scalar(url, f"SELECT count(*) FROM {table}") > 0, table
    assert scalar(url, "SELECT count(*) FROM api_keys WHERE kind = 'session'") > 0
    assert scalar(url, "SELECT count(*) FROM deleted_threads") == 1
    assert scalar(url, "SELECT count(*) FROM resource_owners") > 0
    checkpoints = checkpointer_rows(url)

    config = alembic_config(url)
    steps = []
    while (current := revision(url)) is not None:
        command.downgrade(config, "-1")
        # and the upgrade works on what the downgrade left, then down again
        command.upgrade(config, "+1")
        assert revision(url) == current
        command.downgrade(config, "-1")
        steps.append(current)
        assert checkpointer_rows(url) == checkpoints, f"downgrading {current} touched them"
    assert len(steps) == len(list(ScriptDirectory.from_config(config).walk_revisions()))

    migrate(url)
    assert schema_is_current(url)
    command.check(config)  # raises on drift between the models and the migrated schema
    assert checkpointer_rows(url) == checkpoints

    # the mirror comes back from the checkpoints, every branch version included
    env = {**os.environ, RESOLVED_URL_ENV: url}
    adlaan = str(Path(sys.executable).parent / "adlaan")
    sync = subprocess.run(
        [adlaan, "mirror", "sync"], env=env, capture_output=True, text=True, timeout=120
    )
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert scalar(url, "SELECT count(*) FROM documents") == documents


def test_downgrade_refuses_ids_the_old_columns_cannot_hold(empty_database):
    url = empty_database
    migrate(url)
    long_id = "t" * 300
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO deleted_threads (thread_id) VALUES (%s)", (long_id,))
    config = alembic_config(url)
    with pytest.raises(RuntimeError) as refused:
        command.downgrade(config, f"{WIDE_IDS}-1")
    message = str(refused.value)
    assert "1 row(s) of deleted_threads.thread_id longer than 255 characters" in message
    assert "DELETE FROM deleted_threads WHERE length(thread_id) > 255;" in message
    assert revision(url) == WIDE_IDS, "a refused downgrade changes nothing"
    assert scalar(url, "SELECT count(*) FROM deleted_threads") == 1

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM deleted_threads WHERE length(thread_id) > 255")
    command.downgrade(config, f"{WIDE_IDS}-1")
    assert revision(url) != WIDE_IDS
