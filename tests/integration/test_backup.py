"""`adlaan backup` and `adlaan restore` (docs/data-lifecycle.md): a system filled through the SDK on
the real server (turns, a fork, a document, a store item, a cron) is backed up while it runs,
with a run in flight; restored into a new database (and a new runtime directory), a server
started on it shows every thread's state and full history, every mirror row, every store item
and every cron equal. A restore into a database that has tables is refused, and one from a
damaged file too, changing nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.integration.test_mirror import wait_for_mirror
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration
ADLAAN = str(Path(sys.executable).parent / "adlaan")
MIRROR_TABLES = ("conversations", "messages", "documents")


def user(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


def adlaan(url: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """The CLI on the database at ``url``."""
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [ADLAAN, *args], env=env, input=input, capture_output=True, text=True, timeout=300
    )


async def populate(server: LangGraphServer) -> None:
    """Two threads (one with three turns and a fork from its first turn), a store item and a
    cron, made as a user of the server would."""
    sdk = server.client()
    first = (await sdk.threads.create(metadata={"matter": "backup"}))["thread_id"]
    for text in ("I need to draft an NDA", "Make it for California jurisdiction", "Add a term"):
        await sdk.runs.wait(first, "drafter", input=user(text))
    history = await sdk.threads.get_history(first, limit=100)
    first_turn = [h for h in history if not h["next"] and h["values"].get("document")][-1]
    fork = await sdk.threads.update_state(
        first, {"messages": []}, checkpoint_id=first_turn["checkpoint"]["checkpoint_id"]
    )
    await sdk.runs.wait(
        first,
        "drafter",
        input=user("Make it for New York jurisdiction"),
        checkpoint_id=fork["checkpoint"]["checkpoint_id"],
    )
    second = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(second, "drafter", input=user("Draft an employment contract"))
    await sdk.store.put_item([server.user.id, "preferences"], "style", {"tone": "formal"})
    await sdk.crons.create_for_thread(
        first, "drafter", schedule="0 3 1 1 *", input=user("Yearly review of the NDA")
    )


async def snapshot(server: LangGraphServer, client=None) -> dict:
    """Everything the API shows the user: threads, each one's state and full history, store
    items, crons."""
    sdk = client or server.client()
    threads = sorted(await sdk.threads.search(limit=1000), key=lambda t: str(t["thread_id"]))
    shown: dict = {"threads": threads, "states": {}, "histories": {}}
    for thread in threads:
        thread_id = thread["thread_id"]
        shown["states"][thread_id] = await sdk.threads.get_state(thread_id)
        shown["histories"][thread_id] = await sdk.threads.get_history(thread_id, limit=1000)
    shown["store"] = await sdk.store.search_items([server.user.id], limit=1000)
    shown["crons"] = sorted(await sdk.crons.search(limit=1000), key=lambda c: str(c["cron_id"]))
    return shown


def mirror_rows(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in MIRROR_TABLES
        }


def wait_for_flush(runtime_dir: Path, since: float, timeout: float = 25.0) -> None:
    """The development server writes its objects (crons among them) to its files every 10 s;
    a backup copies the files: wait for a write after ``since``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ops = runtime_dir / ".langgraph_ops.pckl"
        if ops.exists() and ops.stat().st_mtime > since:
            return
        time.sleep(0.5)
    raise AssertionError(f"the runtime did not write {runtime_dir} in {timeout}s")


def test_a_backup_taken_while_the_server_runs_restores_to_an_equal_system(
    server, module_database_url, empty_database, tmp_path
):
    asyncio.run(populate(server))
    wait_for_mirror(module_database_url)
    runtime_dir = server.workdir / ".langgraph_api"
    wait_for_flush(runtime_dir, time.time())
    before = asyncio.run(snapshot(server))
    rows_before = mirror_rows(module_database_url)
    assert len(before["threads"]) == 2 and before["store"] and before["crons"]
    assert rows_before["documents"], "the drafter's documents reach the mirror"

    async def in_flight():
        sdk = server.client()
        thread = (await sdk.threads.create())["thread_id"]
        await sdk.runs.wait(thread, "drafter", input=user("Draft a lease"))

    backup_file = tmp_path / "adlaan.backup"
    # a run goes on while the backup is taken
    writer = threading.Thread(target=lambda: asyncio.run(in_flight()))
    writer.start()
    made = adlaan(
        module_database_url, "backup", str(backup_file), "--runtime-dir", str(runtime_dir)
    )
    writer.join(60)
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stderr
    assert backup_file.stat().st_mode & 0o077 == 0, "a backup holds every conversation"
    with tarfile.open(backup_file) as archive:
        assert {"manifest.json", "database.dump", "runtime.tar.gz"} <= set(archive.getnames())

    target_dir = tmp_path / "restored"
    target_dir.mkdir()
    restored_runtime = target_dir / ".langgraph_api"
    done = adlaan(
        empty_database, "restore", str(backup_file), "--runtime-dir", str(restored_runtime)
    )
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stderr
    restored_files = list(restored_runtime.rglob("*"))
    assert restored_files and all(f.stat().st_mode & 0o077 == 0 for f in restored_files)

    # A second restore into the now full database is refused, and changes nothing.
    again = adlaan(empty_database, "restore", str(backup_file), "--runtime-dir", str(tmp_path))
    assert again.returncode == 1, again.stderr
    assert "not empty" in again.stderr

    restored = LangGraphServer(empty_database, target_dir)
    restored.start()
    try:
        after = asyncio.run(snapshot(server, server.user.client(restored.url)))
    finally:
        restored.stop()
    # The run in flight during the backup may or may not be in it; everything before it is.
    extra = {t["thread_id"] for t in after["threads"]} - {t["thread_id"] for t in before["threads"]}
    assert len(extra) <= 1
    after["threads"] = [t for t in after["threads"] if t["thread_id"] not in extra]
    for thread_id in extra:
        after["states"].pop(thread_id)
        after["histories"].pop(thread_id)
    rows_after = mirror_rows(empty_database)
    for table in MIRROR_TABLES:
        kept = [r for r in rows_after[table] if r in rows_before[table]]
        assert kept == rows_before[table], table
    # Store items and crons are written through to PostgreSQL (api_registry), so the dump holds
    # them whatever the development server's files had.
    assert after == before


def test_a_damaged_backup_is_refused_and_changes_nothing(database_url, empty_database, tmp_path):
    backup_file = tmp_path / "adlaan.backup"
    made = adlaan(database_url, "backup", str(backup_file), "--runtime-dir", str(tmp_path / "none"))
    assert made.returncode == 0, made.stderr
    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte inside the dump
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    refused = adlaan(empty_database, "restore", str(damaged), "--runtime-dir", str(tmp_path / "r"))
    assert refused.returncode == 1, refused.stderr
    assert "damaged" in refused.stderr or "not an Adlaan backup" in refused.stderr
    with psycopg.connect(empty_database) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
    assert tables == 0
    not_a_backup = adlaan(empty_database, "restore", str(tmp_path / "missing.backup"))
    assert not_a_backup.returncode == 2, not_a_backup.stderr
