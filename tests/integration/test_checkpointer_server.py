"""The complete checkpointer under the real `langgraph dev`, through `langgraph_sdk`."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import pytest

from tests.integration.helpers import cut_connections, rejected

pytestmark = pytest.mark.integration


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture
async def client(server):
    return server.client()


def test_no_capability_warning_at_startup(server):
    # the whole log: the session's server may have served other tests' requests since its start
    log = server.log_path.read_text(errors="replace")
    assert "Using custom checkpointer: PostgresCheckpointer" in log
    assert "Custom checkpointer missing" not in log


async def test_copy_equals_its_source(client):
    thread_id = (await client.threads.create(metadata={"client": "alice"}))["thread_id"]
    for text in ("I need to draft an NDA", "Make it for California jurisdiction"):
        await client.runs.wait(thread_id, "drafter", input=user(text))
    copy = await client.threads.copy(thread_id)
    copy_id = copy["thread_id"]
    assert copy_id != thread_id and copy["metadata"]["client"] == "alice"
    source = await client.threads.get_history(thread_id, limit=100)
    copied = await client.threads.get_history(copy_id, limit=100)
    assert [h["values"] for h in copied] == [h["values"] for h in source]
    assert [h["checkpoint"]["checkpoint_id"] for h in copied] == [
        h["checkpoint"]["checkpoint_id"] for h in source
    ]
    await client.runs.wait(copy_id, "drafter", input=user("Add a 2-year term"))
    assert len(await client.threads.get_history(thread_id, limit=100)) == len(source)


async def test_rollback_leaves_no_checkpoint_of_the_cancelled_run(client, database_url):
    thread_id = (await client.threads.create())["thread_id"]
    first = await client.runs.create(thread_id, "slow", input=user("start"))
    for _ in range(100):  # wait until the cancelled-to-be run has written checkpoints
        with psycopg.connect(database_url) as conn:
            written = conn.execute(
                "SELECT count(*) FROM checkpoints WHERE metadata->>'run_id' = %s",
                (first["run_id"],),
            ).fetchone()[0]
        if written >= 2:
            break
        await asyncio.sleep(0.1)
    assert written >= 2
    second = await client.runs.create(
        thread_id, "slow", input=user("replace it"), multitask_strategy="rollback"
    )
    await client.runs.join(thread_id, second["run_id"])
    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE metadata->>'run_id' = %s", (first["run_id"],)
        ).fetchone()[0]
    assert left == 0
    state = await client.threads.get_state(thread_id)
    assert [m["content"] for m in state["values"]["messages"] if m["type"] == "human"] == [
        "replace it"
    ]


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_sync_node_calling_a_subgraph_works_under_the_server(client, durability):
    thread_id = (await client.threads.create())["thread_id"]
    result = await client.runs.wait(
        thread_id, "sync_nested", input=user("hello"), durability=durability
    )
    assert [m["content"] for m in result["messages"][1:]] == [
        "subgraph saw 1 messages",
        "sync node done, 2 messages",
    ], result
    result = await client.runs.wait(thread_id, "sync_nested", input=user("again"))
    assert result["messages"][-1]["content"] == "sync node done, 5 messages"


async def test_prune_keep_latest_keeps_both_branches_and_pruned_ids_are_404(client, server):
    thread_id = (await client.threads.create())["thread_id"]
    for text in ("I need to draft an NDA", "Make it for California jurisdiction"):
        await client.runs.wait(thread_id, "drafter", input=user(text))
    history = await client.threads.get_history(thread_id, limit=100)
    turn_one = next(h for h in reversed(history) if not h["next"] and h["values"].get("document"))
    main_head = history[0]["checkpoint"]["checkpoint_id"]
    await client.runs.wait(
        thread_id,
        "drafter",
        input=user("Make it for Texas jurisdiction"),
        checkpoint_id=turn_one["checkpoint"]["checkpoint_id"],
    )
    fork_head = (await client.threads.get_state(thread_id))["checkpoint"]["checkpoint_id"]

    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as http:
        response = await http.post(
            "/threads/prune", json={"thread_ids": [thread_id], "strategy": "keep_latest"}
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"pruned_count": 1}

    main = await client.threads.get_state(thread_id, checkpoint_id=main_head)
    fork = await client.threads.get_state(thread_id, checkpoint_id=fork_head)
    assert main["values"]["document"]["terms"]["governing_law"] == "CA"
    assert fork["values"]["document"]["terms"]["governing_law"] == "TX"
    with rejected(404, "pruned"):
        await client.threads.get_state(
            thread_id, checkpoint_id=turn_one["checkpoint"]["checkpoint_id"]
        )
    with rejected(404, "pruned"):
        await client.runs.wait(
            thread_id,
            "drafter",
            input=user("x"),
            checkpoint_id=turn_one["checkpoint"]["checkpoint_id"],
        )
    # both heads stay runnable
    await client.runs.wait(
        thread_id, "drafter", input=user("Add a 1-year term"), checkpoint_id=main_head
    )
    assert (await client.threads.get_state(thread_id))["values"]["document"]["terms"][
        "term_months"
    ] == 12


async def test_next_run_succeeds_after_every_database_connection_dies(client, database_url):
    """What a PostgreSQL restart does to the server's pools: every connection is cut."""
    thread_id = (await client.threads.create())["thread_id"]
    await client.runs.wait(thread_id, "drafter", input=user("I need to draft an NDA"))
    assert cut_connections(database_url) >= 1
    await client.runs.wait(thread_id, "drafter", input=user("Make it for California jurisdiction"))
    state = await client.threads.get_state(thread_id)
    assert state["values"]["document"]["terms"]["governing_law"] == "CA"


async def test_deleting_a_thread_mid_run_keeps_it_deleted(client, database_url):
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread_id, "slow", input=user("start"))
    for _ in range(100):
        with psycopg.connect(database_url) as conn:
            written = conn.execute(
                "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread_id,)
            ).fetchone()[0]
        if written >= 2:
            break
        await asyncio.sleep(0.1)
    await client.threads.delete(thread_id)
    await asyncio.sleep(5)  # the run's second step would have finished by now
    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread_id,)
        ).fetchone()[0]
    assert left == 0
    with rejected(404):
        await client.threads.get(thread_id)
    # the id can be used again deliberately
    await client.threads.create(thread_id=thread_id)
    await client.runs.wait(thread_id, "drafter", input=user("I need to draft an NDA"))
    assert (await client.threads.get_state(thread_id))["values"]["document"]["version"] == 1
    assert run["run_id"]
