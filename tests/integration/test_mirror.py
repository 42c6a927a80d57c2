"""The hooks mirror, driven only through `langgraph_sdk` against the real server."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from tests.accounts import make_user
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration
SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


def wait_for_mirror(database_url: str, timeout: float = 20.0) -> float:
    """Block until every plugin's cursor has passed the newest event; return the wait."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with psycopg.connect(database_url) as conn:
            behind = conn.execute(
                "SELECT count(*) FROM hook_cursors c WHERE c.last_event_id < "
                "(SELECT coalesce(max(id), 0) FROM hook_events)"
            ).fetchone()[0]
            cursors = conn.execute("SELECT count(*) FROM hook_cursors").fetchone()[0]
        if cursors and not behind:
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError("the mirror did not catch up")


def rows(database_url, sql, *params):
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def current_messages(database_url, thread_id):
    return [
        r[0]
        for r in rows(
            database_url,
            "SELECT m.message_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.thread_id = %s AND m.is_current ORDER BY m.position",
            thread_id,
        )
    ]


async def fork_from_first_turn(client, thread_id: str, text: str) -> None:
    """Run ``text`` on a branch from the thread's first finished drafting turn (the oldest
    checkpoint with a document and nothing left to run), as Studio's fork does."""
    history = await client.threads.get_history(thread_id, limit=100)
    turn_one = next(h for h in reversed(history) if not h["next"] and h["values"].get("document"))
    await client.runs.wait(
        thread_id,
        "drafter",
        input=user(text),
        checkpoint_id=turn_one["checkpoint"]["checkpoint_id"],
    )


async def test_conversation_fork_and_copy_are_mirrored_exactly(server, database_url):
    client = server.client()
    thread_id = (await client.threads.create(metadata={"client": "alice"}))["thread_id"]
    for text in SEED:
        await client.runs.wait(thread_id, "drafter", input=user(text))
    original_ids = [
        m["id"] for m in (await client.threads.get_state(thread_id))["values"]["messages"]
    ]
    copy_id = (await client.threads.copy(thread_id))["thread_id"]
    await fork_from_first_turn(client, thread_id, "Make it for Texas jurisdiction")
    state = await client.threads.get_state(thread_id)
    wait_for_mirror(database_url)

    assert current_messages(database_url, thread_id) == [
        m["id"] for m in state["values"]["messages"]
    ]
    assert current_messages(database_url, copy_id) == original_ids
    every = {
        r[0]
        for r in rows(
            database_url,
            "SELECT m.message_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.thread_id = %s",
            thread_id,
        )
    }
    assert set(original_ids) <= every, "the earlier branch stays queryable"
    title, owner, owner_id = rows(
        database_url,
        "SELECT title, metadata->>'owner', owner_id::text FROM conversations WHERE thread_id = %s",
        thread_id,
    )[0]
    assert (title, owner, owner_id) == (SEED[0], server.user.id, server.user.id)
    versions = rows(
        database_url,
        "SELECT d.version, d.jurisdiction FROM documents d JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = %s ORDER BY 1, 2",
        thread_id,
    )
    assert versions == [(1, None), (2, "CA"), (2, "TX"), (3, "CA")]
    citations = rows(
        database_url,
        "SELECT d.citations FROM documents d JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = %s AND d.version = 3",
        thread_id,
    )[0][0]
    assert any("3426" in c["citation"] for c in citations)
    actions = [
        r[0]
        for r in rows(
            database_url, "SELECT action FROM audit_logs WHERE target = %s ORDER BY id", thread_id
        )
    ]
    assert actions.count("run.started") == 3 and actions.count("thread.forked") == 1
    assert actions.count("run.finished") == 4
    assert [
        r[0] for r in rows(database_url, "SELECT action FROM audit_logs WHERE target = %s", copy_id)
    ] == ["thread.copied"]

    # replaying every event again changes nothing
    counts = rows(
        database_url,
        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM documents), (SELECT count(*) FROM audit_logs), (SELECT count(*) FROM conversations)",
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE hook_cursors SET last_event_id = 0")
        conn.execute("SELECT pg_notify('adlaan_hooks', 'replay')")
    wait_for_mirror(database_url)
    assert (
        rows(
            database_url,
            "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM documents), (SELECT count(*) FROM audit_logs), (SELECT count(*) FROM conversations)",
        )
        == counts
    )
    assert current_messages(database_url, thread_id) == [
        m["id"] for m in state["values"]["messages"]
    ]


async def test_sigkill_mid_run_loses_and_duplicates_nothing(database_url, tmp_path):
    server = LangGraphServer(database_url, tmp_path)
    server.start()
    try:
        client = server.client()
        thread_id = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread_id, "drafter", input=user(SEED[0]))
        await client.runs.create(thread_id, "slow", input=user("start"))
        await asyncio.sleep(1.0)
        server.kill()
        server.start()
        client = server.client()
        await client.runs.wait(thread_id, "drafter", input=user(SEED[1]))
        state = await client.threads.get_state(thread_id)
        wait_for_mirror(database_url)
        ids = [m["id"] for m in state["values"]["messages"]]
        assert current_messages(database_url, thread_id) == ids
        assert len(ids) == len(set(ids))
        versions = rows(
            database_url,
            "SELECT d.version FROM documents d JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = %s ORDER BY 1",
            thread_id,
        )
        assert [v[0] for v in versions] == [1, 2]
    finally:
        server.stop()


async def test_mirror_sync_repairs_a_thread_from_its_checkpoints(server, database_url):
    import subprocess
    import sys
    from pathlib import Path

    from server.settings import RESOLVED_URL_ENV

    client = server.client()
    thread_id = (await client.threads.create())["thread_id"]
    for text in SEED[:2]:
        await client.runs.wait(thread_id, "drafter", input=user(text))
    state = await client.threads.get_state(thread_id)
    wait_for_mirror(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:  # the mirror is damaged
        conn.execute("DELETE FROM conversations WHERE thread_id = %s", (thread_id,))

    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "adlaan"), "mirror", "sync", "--thread", thread_id],
        env={RESOLVED_URL_ENV: database_url, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert current_messages(database_url, thread_id) == [
        m["id"] for m in state["values"]["messages"]
    ]
    versions = rows(
        database_url,
        "SELECT d.version FROM documents d JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = %s ORDER BY 1",
        thread_id,
    )
    assert [v[0] for v in versions] == [1, 2]


async def test_one_users_bad_update_state_costs_another_user_nothing(server, database_url):
    """Issue 15: a document whose ``version`` is not an integer used to be retried for 7.5 s
    while the mirror stalled for every user. It is now one dead letter, at once."""
    mallory, ana = make_user(database_url), make_user(database_url)
    bad_client, good_client = mallory.client(server.url), ana.client(server.url)
    bad_thread = (await bad_client.threads.create())["thread_id"]
    await bad_client.runs.wait(bad_thread, "drafter", input=user(SEED[0]))
    wait_for_mirror(database_url)
    state = await bad_client.threads.get_state(bad_thread)
    document = {**state["values"]["document"], "version": "2a"}
    bad = await bad_client.threads.update_state(bad_thread, {"document": document})

    thread_id = (await good_client.threads.create())["thread_id"]
    lags = []
    for text in SEED:
        await good_client.runs.wait(thread_id, "drafter", input=user(text))
        lags.append(wait_for_mirror(database_url))
    assert max(lags) < 2.0, f"ana's turns reach the mirror promptly: {lags}"
    versions = rows(
        database_url,
        "SELECT d.version FROM documents d JOIN conversations c ON c.id = d.conversation_id "
        "WHERE c.thread_id = %s ORDER BY d.version",
        thread_id,
    )
    assert [v for (v,) in versions] == [1, 2, 3]

    [(attempts, error)] = rows(
        database_url,
        "SELECT d.attempts, d.error FROM hook_dead_letters d JOIN hook_events e "
        "ON e.id = d.event_id WHERE e.checkpoint_id = %s",
        bad["checkpoint"]["checkpoint_id"],
    )
    assert attempts == 1, "permanent: never retried"
    assert "document.version must be a positive integer, got '2a' (str)" in error
    assert rows(database_url, "SELECT * FROM hook_parked_threads") == []


async def test_a_rolled_back_run_leaves_nothing_in_the_mirror(server, database_url):
    """A run rolled back by a second (``multitask_strategy="rollback"``) has its checkpoints
    deleted: once the second run's are mirrored, its messages are gone from the mirror too."""
    client = server.client()
    thread_id = (await client.threads.create())["thread_id"]
    first = await client.runs.create(thread_id, "slow", input=user("go"))

    def mirrored():
        return [
            r[0]
            for r in rows(
                database_url,
                "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE c.thread_id = %s ORDER BY m.position, m.id",
                thread_id,
            )
        ]

    deadline = time.monotonic() + 20
    while mirrored() != ["go", "first step done"]:  # the first run's step is in the mirror
        assert time.monotonic() < deadline, mirrored()
        await asyncio.sleep(0.1)
    assert (await client.runs.get(thread_id, first["run_id"]))["status"] == "running"
    second = await client.runs.create(
        thread_id, "slow", input=user("again"), multitask_strategy="rollback"
    )
    await client.runs.join(thread_id, second["run_id"])
    state = await client.threads.get_state(thread_id)
    texts = [m["content"] for m in state["values"]["messages"]]
    assert texts == ["again", "first step done", "second step done"]
    wait_for_mirror(database_url)
    assert mirrored() == texts
    assert len(current_messages(database_url, thread_id)) == 3


async def test_a_pruned_branch_stays_in_the_mirror(server, database_url, pool):
    """Pruning deletes the checkpoints where another branch's messages first appeared but keeps
    that branch's head: the thread's next head does not take those messages for a rolled-back
    run's."""
    from store.checkpointer import PostgresCheckpointer

    client = server.client()
    thread_id = (await client.threads.create())["thread_id"]
    for text in SEED[:2]:
        await client.runs.wait(thread_id, "drafter", input=user(text))
    await fork_from_first_turn(client, thread_id, "Make it for Texas jurisdiction")
    wait_for_mirror(database_url)
    every = "SELECT m.message_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.thread_id = %s"
    before = {r[0] for r in rows(database_url, every, thread_id)}
    await PostgresCheckpointer(pool).aprune([thread_id], strategy="keep_latest")
    (pruned,) = rows(
        database_url,
        "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.thread_id = %s AND NOT m.is_current AND NOT EXISTS (SELECT 1 FROM checkpoints k "
        "WHERE k.thread_id = c.thread_id AND k.checkpoint_id = m.checkpoint_id)",
        thread_id,
    )[0]
    assert pruned, "the other branch's first checkpoints are pruned"
    await client.runs.wait(thread_id, "drafter", input=user(SEED[2]))
    state = await client.threads.get_state(thread_id)
    wait_for_mirror(database_url)
    assert before <= {r[0] for r in rows(database_url, every, thread_id)}
    assert current_messages(database_url, thread_id) == [
        m["id"] for m in state["values"]["messages"]
    ]
