"""Store items and crons survive a SIGKILL of `langgraph dev`, and the runtime's files are the
owner's only, in the data directory (issue 16, items 4 and 6)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from server.runtime.files import RUNTIME_DIR_NAME, mode, prepare, runtime_dir
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration


async def test_store_items_and_crons_survive_a_sigkill_and_runtime_files_are_private(
    database_url, tmp_path
):
    checkout, data_dir = tmp_path / "checkout", tmp_path / "data"
    checkout.mkdir()
    # an older layout: the pickles in the checkout, world-readable
    old = checkout / RUNTIME_DIR_NAME
    old.mkdir()
    (old / "leftover.pckl").write_bytes(b"old")
    (old / "leftover.pckl").chmod(0o644)
    target = prepare(checkout, data_dir, database_url)
    assert target == runtime_dir(data_dir, database_url)
    assert (checkout / RUNTIME_DIR_NAME).resolve() == target.resolve()
    assert (target / "leftover.pckl").read_bytes() == b"old", "moved, not lost"

    server = LangGraphServer(database_url, checkout)
    server.start()
    try:
        client = server.client()
        me = server.user.id
        await client.store.put_item((me, "notes"), "kept", {"text": "engagement letter"})
        await client.store.put_item((me, "notes"), "deleted", {"text": "draft"})
        thread = await client.threads.create()
        server.stop()  # SIGTERM: the runtime pickles both items, so its pickle is stale below
        assert (target / "store.pckl").stat().st_size > 0

        server.start()
        client = server.client()
        await client.store.delete_item((me, "notes"), "deleted")
        await client.store.put_item((me, "notes"), "late", {"text": "after the last pickle"})
        cron = await client.crons.create_for_thread(
            thread["thread_id"], "drafter", schedule="0 9 * * 1", input={"messages": []}
        )
        server.kill()  # well inside the runtime's 10 s pickle interval

        server.start()
        client = server.client()
        items = await client.store.search_items((me, "notes"))
        assert {i["key"]: i["value"] for i in items["items"]} == {
            "kept": {"text": "engagement letter"},
            "late": {"text": "after the last pickle"},
        }
        crons = await client.crons.search(thread_id=thread["thread_id"])
        assert [(c["cron_id"], c["schedule"]) for c in crons] == [(cron["cron_id"], "0 9 * * 1")]

        await client.crons.delete(cron["cron_id"])
        with psycopg.connect(database_url) as conn:  # gone at once: no restart brings it back
            assert not conn.execute(
                "SELECT 1 FROM api_registry WHERE kind = 'cron' AND key = %s", (cron["cron_id"],)
            ).fetchone()
    finally:
        server.stop()  # SIGTERM: the runtime writes every pickle

    with psycopg.connect(database_url) as conn:
        kinds = dict(
            conn.execute(
                "SELECT kind, count(*) FROM api_registry WHERE key <> '' GROUP BY kind"
            ).fetchall()
        )
    assert kinds.get("store_item") == 2 and "cron" not in kinds

    # the runtime's files: in the data directory, owner-only, none in the checkout
    assert (checkout / RUNTIME_DIR_NAME).is_symlink()
    assert {p.name for p in checkout.iterdir()} == {
        "langgraph.json",
        "server.log",
        RUNTIME_DIR_NAME,
    }
    files = [Path(root, name) for root, _, names in os.walk(target) for name in names]
    assert {f.name for f in files} >= {".langgraph_ops.pckl", "store.pckl"}
    assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
    for directory in (target, target.parent):
        assert mode(directory) == 0o700, directory
    assert mode(data_dir) == 0o711, "others may only pass through (to the embedded PostgreSQL's)"
