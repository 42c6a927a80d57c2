"""PostgresCheckpointer on real PostgreSQL, driven by real graphs (no server needed here)."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import START, MessagesState, StateGraph

from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool

pytestmark = pytest.mark.integration


def _reply(state: MessagesState) -> dict:
    return {"messages": [AIMessage(f"reply {len(state['messages'])}")]}


def _two_step_graph(checkpointer):
    builder = StateGraph(MessagesState)
    builder.add_node("a", _reply)
    builder.add_node("b", _reply)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    return builder.compile(checkpointer=checkpointer)


@pytest.fixture
async def saver(database_url):
    pool = make_async_pool(database_url, max_size=10)
    await pool.open(wait=True)
    yield PostgresCheckpointer(pool)
    await pool.close()


def cfg(thread_id, checkpoint_id=None):
    configurable = {"thread_id": thread_id}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def run_cfg(thread_id, run_id=None):
    """A config as langgraph-api builds it for a run: the run id lands in checkpoint metadata."""
    return {**cfg(thread_id), "metadata": {"run_id": str(run_id or uuid.uuid4())}}


def say(text):
    return {"messages": [{"role": "user", "content": text}]}


async def history(graph, thread_id):
    return [s async for s in graph.aget_state_history(cfg(thread_id))]


async def make_forked_thread(graph):
    """Three turns, then a fork from the end of turn one with its own turn: two branches."""
    thread = str(uuid.uuid4())
    for text in ("one", "two", "three"):
        await graph.ainvoke(say(text), run_cfg(thread))
    states = await history(graph, thread)
    turn_one_end = next(
        s for s in reversed(states) if not s.next and len(s.values["messages"]) == 3
    )
    main_head = states[0].config["configurable"]["checkpoint_id"]
    fork = await graph.aupdate_state(turn_one_end.config, {"messages": []})
    await graph.ainvoke(say("fork"), fork)
    fork_head = (await graph.aget_state(cfg(thread))).config["configurable"]["checkpoint_id"]
    return thread, main_head, fork_head


def count(database_url, table, thread_id):
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            f"SELECT count(*) FROM {table} WHERE thread_id = %s", (thread_id,)
        ).fetchone()[0]


async def test_keep_latest_keeps_the_head_of_every_branch(saver, database_url):
    graph = _two_step_graph(saver)
    thread, main_head, fork_head = await make_forked_thread(graph)
    before = count(database_url, "checkpoints", thread)

    await saver.aprune([thread], strategy="keep_latest")

    assert count(database_url, "checkpoints", thread) == 2 < before
    main = await graph.aget_state(cfg(thread, main_head))
    fork = await graph.aget_state(cfg(thread, fork_head))
    assert [m.content for m in main.values["messages"] if m.type == "human"] == [
        "one",
        "two",
        "three",
    ]
    assert [m.content for m in fork.values["messages"] if m.type == "human"] == ["one", "fork"]
    # both stay usable: a run continues each branch from its head
    await graph.ainvoke(say("four"), cfg(thread, main_head))
    continued = await graph.aget_state(cfg(thread))
    assert [m.content for m in continued.values["messages"] if m.type == "human"][-2:] == [
        "three",
        "four",
    ]
    await graph.ainvoke(say("fork two"), cfg(thread, fork_head))
    continued = await graph.aget_state(cfg(thread))
    assert [m.content for m in continued.values["messages"] if m.type == "human"] == [
        "one",
        "fork",
        "fork two",
    ]


async def test_turn_compaction_keeps_turn_boundaries_and_relinks_history(saver, database_url):
    graph = _two_step_graph(saver)
    thread, main_head, fork_head = await make_forked_thread(graph)
    blobs_before = count(database_url, "checkpoint_blobs", thread)

    await saver.aprune([thread], strategy="turns")

    states = await history(graph, thread)
    ids = {s.config["configurable"]["checkpoint_id"] for s in states}
    assert {main_head, fork_head} <= ids
    assert all(not s.next or s.metadata.get("source") == "update" for s in states)
    # every kept checkpoint's parent is a kept checkpoint (or none): history is still a tree
    for s in states:
        parent = (s.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        assert parent is None or parent in ids
    assert count(database_url, "checkpoint_blobs", thread) < blobs_before
    main = await graph.aget_state(cfg(thread, main_head))
    assert len(main.values["messages"]) == 9


async def test_copy_equals_its_source(saver):
    graph = _two_step_graph(saver)
    source, _, _ = await make_forked_thread(graph)
    target = str(uuid.uuid4())

    await saver.acopy_thread(source, target)

    src, dst = await history(graph, source), await history(graph, target)
    assert [s.config["configurable"]["checkpoint_id"] for s in src] == [
        s.config["configurable"]["checkpoint_id"] for s in dst
    ]
    assert [s.values for s in src] == [s.values for s in dst]
    assert [s.next for s in src] == [s.next for s in dst]
    assert all(s.config["configurable"]["thread_id"] == target for s in dst)
    # the copy is independent: running on it leaves the source alone
    await graph.ainvoke(say("only on the copy"), cfg(target))
    assert len(await history(graph, source)) == len(src)


async def test_delete_for_runs_removes_exactly_that_runs_checkpoints(saver, database_url):
    graph = _two_step_graph(saver)
    thread = str(uuid.uuid4())
    await graph.ainvoke(say("kept"), run_cfg(thread))
    kept_state = await graph.aget_state(cfg(thread))
    kept_count = count(database_url, "checkpoints", thread)
    doomed = uuid.uuid4()
    await graph.ainvoke(say("rolled back"), run_cfg(thread, doomed))
    assert count(database_url, "checkpoints", thread) > kept_count

    await saver.adelete_for_runs([str(doomed)])

    assert count(database_url, "checkpoints", thread) == kept_count
    state = await graph.aget_state(cfg(thread))
    assert state.values == kept_state.values
    with psycopg.connect(database_url) as conn:
        leftover = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE metadata->>'run_id' = %s", (str(doomed),)
        ).fetchone()[0]
    assert leftover == 0


def bare_checkpoint() -> dict:
    """A new checkpoint with nothing in it (a new id each time)."""
    return {
        "id": str(uuid.uuid4()),
        "v": 4,
        "ts": "",
        "channel_values": {},
        "channel_versions": {},
        "versions_seen": {},
    }


async def test_queries_of_different_threads_run_in_parallel(database_url):
    pool = make_async_pool(database_url, max_size=8)
    await pool.open(wait=True)
    saver = PostgresCheckpointer(pool)
    graph = _two_step_graph(saver)
    threads = [str(uuid.uuid4()) for _ in range(8)]
    peak = 0

    async def watch():
        nonlocal peak
        while True:
            stats = pool.get_stats()
            peak = max(peak, stats.get("pool_size", 0) - stats.get("pool_available", 0))
            await asyncio.sleep(0.001)

    watcher = asyncio.create_task(watch())
    for _ in range(3):
        await asyncio.gather(*(graph.ainvoke(say("hi"), cfg(t)) for t in threads))
    watcher.cancel()
    await pool.close()
    assert peak > 1, "every query went through one connection at a time"


async def test_a_deleted_thread_cannot_be_written_back(saver, database_url):
    graph = _two_step_graph(saver)
    thread = str(uuid.uuid4())
    await graph.ainvoke(say("hello"), run_cfg(thread))
    late = await graph.aget_state(cfg(thread))

    await saver.adelete_thread(thread)

    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="was deleted"):
        await saver.aput(
            late.config,
            {**late.config, **bare_checkpoint()},
            {},
            {},
        )
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        await graph.ainvoke(say("a late turn"), run_cfg(thread))
    assert count(database_url, "checkpoints", thread) == 0
    assert count(database_url, "checkpoint_blobs", thread) == 0


async def test_a_tasks_writes_are_kept_as_the_stock_saver_keeps_them(saver):
    """One statement a call (not one a write): a special channel written twice in one call
    keeps the last value when every write of the call is special (the stock upsert), the first
    otherwise (the stock insert), and a later call's special writes replace earlier ones."""
    stock = AsyncPostgresSaver(saver.conn)
    calls = [
        ("task-a", [("messages", ["one"]), ("__error__", "first"), ("__error__", "second")]),
        ("task-b", [("__interrupt__", "first"), ("__interrupt__", "second")]),
        ("task-c", [("__error__", "early")]),
        ("task-c", [("__error__", "late"), ("__resume__", "answer")]),
        ("task-c", [("messages", ["kept"]), ("messages", ["also kept"])]),
        ("task-c", [("messages", ["not written again"])]),
    ]
    found = []
    for writer in (saver, stock):
        thread = str(uuid.uuid4())
        first = await writer.aput(
            cfg(thread) | {"configurable": {"thread_id": thread, "checkpoint_ns": ""}},
            bare_checkpoint(),
            {},
            {},
        )
        for task_id, writes in calls:
            await writer.aput_writes(first, writes, task_id)
        saved = await writer.aget_tuple(first)
        assert saved is not None
        found.append(sorted(saved.pending_writes))
    ours, theirs = found
    assert ours == theirs
    assert ("task-a", "__error__", "first") in ours
    assert ("task-b", "__interrupt__", "second") in ours
    assert ("task-c", "__error__", "late") in ours
    assert ("task-c", "messages", ["also kept"]) in ours
