"""Nothing the API acknowledged is lost when `langgraph dev` is SIGKILLed (crash-safe registry)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from server.settings import RESOLVED_URL_ENV
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture
def crashy(database_url, tmp_path):
    """A server of the test's own, so killing it disturbs no other test."""
    server = LangGraphServer(database_url, tmp_path)
    server.start()
    yield server
    server.stop()


def crash_and_restart(server: LangGraphServer, wait: float = 1.0) -> None:
    time.sleep(wait)  # well inside the dev server's 10 s pickle interval
    server.kill()
    server.start()


async def test_thread_created_and_run_just_before_a_crash_is_back(crashy):
    client = crashy.client()
    thread = await client.threads.create(metadata={"client": "alice", "matter": "acme-nda"})
    thread_id = thread["thread_id"]
    for text in ("I need to draft an NDA", "Make it for California jurisdiction"):
        await client.runs.wait(thread_id, "drafter", input=user(text))
    before = await client.threads.get_state(thread_id)
    history_before = await client.threads.get_history(thread_id, limit=100)

    crash_and_restart(crashy)
    client = crashy.client()

    found = await client.threads.search(metadata={"client": "alice", "matter": "acme-nda"})
    assert [t["thread_id"] for t in found] == [thread_id]
    assert (await client.threads.get(thread_id))["metadata"]["client"] == "alice"
    after = await client.threads.get_state(thread_id)
    assert after["values"] == before["values"]
    assert await client.threads.get_history(thread_id, limit=100) == history_before
    # runnable, and branchable from turn one
    await client.runs.wait(thread_id, "drafter", input=user("Add a 2-year term"))
    assert (await client.threads.get_state(thread_id))["values"]["document"]["version"] == 3
    turn_one = next(
        h for h in reversed(history_before) if not h["next"] and h["values"].get("document")
    )
    await client.runs.wait(
        thread_id,
        "drafter",
        input=user("Make it for Texas jurisdiction"),
        checkpoint_id=turn_one["checkpoint"]["checkpoint_id"],
    )
    assert (await client.threads.get_state(thread_id))["values"]["document"]["jurisdiction"] == "TX"


async def test_thread_without_a_run_and_an_assistant_survive(crashy):
    client = crashy.client()
    thread = await client.threads.create(metadata={"client": "bob"})
    assistant = await client.assistants.create(
        "drafter",
        config={"tags": ["firm"]},
        context={"default_jurisdiction": "NY"},
        metadata={"team": "contracts"},
        name="NY drafter",
    )
    updated = await client.assistants.update(
        assistant["assistant_id"], context={"default_jurisdiction": "NJ"}
    )
    assert updated["version"] == 2

    crash_and_restart(crashy)
    client = crashy.client()

    assert (await client.threads.get(thread["thread_id"]))["metadata"] == {
        "client": "bob",
        "owner": crashy.user.id,
    }
    back = await client.assistants.get(assistant["assistant_id"])
    assert back["name"] == "NY drafter" and back["version"] == 2
    assert back["context"] == {"default_jurisdiction": "NJ"}
    versions = await client.assistants.get_versions(assistant["assistant_id"])
    assert sorted(v["version"] for v in versions) == [1, 2]
    result = await client.runs.wait(
        thread["thread_id"], assistant["assistant_id"], input=user("I need to draft an NDA")
    )
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["document"]["jurisdiction"] == "NJ", result


async def test_a_run_killed_midway_leaves_no_thread_stuck(crashy, database_url):
    client = crashy.client()
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread_id, "slow", input=user("start"))
    for _ in range(100):
        with psycopg.connect(database_url) as conn:
            written = conn.execute(
                "SELECT count(*) FROM checkpoints WHERE metadata->>'run_id' = %s", (run["run_id"],)
            ).fetchone()[0]
        if written >= 2:
            break
        await asyncio.sleep(0.1)

    crash_and_restart(crashy, wait=0)
    client = crashy.client()

    final = None
    for _ in range(100):  # retried to completion, or ended as an error
        final = await client.runs.get(thread_id, run["run_id"])
        if final["status"] in ("success", "error"):
            break
        await asyncio.sleep(0.2)
    assert final["status"] in ("success", "error"), final
    result = await client.runs.wait(thread_id, "drafter", input=user("I need to draft an NDA"))
    assert "Drafted" in result["messages"][-1]["content"]
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_deleting_the_registry_files_loses_nothing(crashy, database_url):
    client = crashy.client()
    ids = []
    for owner in ("carol", "dave"):
        thread_id = (await client.threads.create(metadata={"client": owner}))["thread_id"]
        await client.runs.wait(thread_id, "drafter", input=user("I need to draft an NDA"))
        ids.append(thread_id)
    crashy.kill()
    shutil.rmtree(crashy.workdir / ".langgraph_api")

    env = {RESOLVED_URL_ENV: database_url, "PATH": str(Path(sys.executable).parent)}
    adlaan = str(Path(sys.executable).parent / "adlaan")
    for _ in range(2):  # idempotent
        result = subprocess.run(
            [adlaan, "threads", "restore"], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr

    crashy.start()
    client = crashy.client()
    for thread_id, owner in zip(ids, ("carol", "dave"), strict=True):
        thread = await client.threads.get(thread_id)
        assert thread["metadata"]["client"] == owner
        state = await client.threads.get_state(thread_id)
        assert state["values"]["document"]["version"] == 1
    found = await client.threads.search(metadata={"client": "carol"})
    assert [t["thread_id"] for t in found] == [ids[0]]


async def test_threads_of_the_python_api_and_unreadable_rows_do_not_stop_the_server(
    crashy, database_url
):
    from server.agent import Agent

    agent = Agent(database_url=database_url)
    agent.run("I need to draft an NDA", thread_id="user-123-session-456")
    agent.close()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO api_registry (kind, key, payload) VALUES ('thread', %s, 'not a pickle') "
            "ON CONFLICT DO NOTHING",
            ("00000000-0000-0000-0000-0000000000ff",),
        )
    crash_and_restart(crashy, wait=0)
    client = crashy.client()
    assert (await client.threads.create())["thread_id"]
    assert "cannot restore thread" in crashy.log()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM api_registry WHERE key = '00000000-0000-0000-0000-0000000000ff'")
