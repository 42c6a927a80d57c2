"""Regression tests for the pruning and outbox defects of issue 13, on real PostgreSQL: each
one failed before its fix (the upstream suites found them; these are our own)."""

from __future__ import annotations

import uuid
from typing import Annotated

import psycopg
import pytest
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.base.id import uuid6
from langgraph.checkpoint.serde.types import TASKS
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.message import _messages_delta_reducer
from typing_extensions import TypedDict

from store.checkpointer import SENDS_PARENTS_SQL, PostgresCheckpointer
from tests.integration.test_checkpointer import _two_step_graph, cfg, count, history, run_cfg, say

pytestmark = pytest.mark.integration


@pytest.fixture
async def saver(database_url):
    from store.db import make_async_pool

    pool = make_async_pool(database_url, max_size=4)
    await pool.open(wait=True)
    yield PostgresCheckpointer(pool)
    await pool.close()


class DeltaState(TypedDict):
    messages: Annotated[list[AnyMessage], DeltaChannel(_messages_delta_reducer)]


def _delta_graph(checkpointer):
    def reply(state: DeltaState) -> dict:
        return {"messages": [AIMessage(f"reply {len(state['messages'])}")]}

    builder = StateGraph(DeltaState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    return builder.compile(checkpointer=checkpointer)


def rows(database_url, thread_id):
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT checkpoint_ns, checkpoint_id FROM checkpoints WHERE thread_id = %s ORDER BY 1, 2",
            (thread_id,),
        ).fetchall()


@pytest.mark.parametrize("strategy", ["keep_latest", "turns"])
async def test_a_delta_channel_thread_is_never_pruned_to_an_empty_state(
    saver, database_url, strategy
):
    graph = _delta_graph(saver)
    thread = str(uuid.uuid4())
    for text in ("one", "two", "three"):
        await graph.ainvoke(say(text), run_cfg(thread))
    before = (await graph.aget_state(cfg(thread))).values
    assert len(before["messages"]) == 6
    stored = rows(database_url, thread)

    with pytest.raises(NotImplementedError, match=thread):
        await saver.aprune([thread], strategy=strategy)

    assert rows(database_url, thread) == stored
    assert (await graph.aget_state(cfg(thread))).values == before


async def test_prune_works_on_a_connection_in_pipeline_mode(database_url):
    async with (
        await psycopg.AsyncConnection.connect(
            database_url, autocommit=True, prepare_threshold=0, row_factory=psycopg.rows.dict_row
        ) as conn,
        conn.pipeline() as pipe,
    ):
        saver = PostgresCheckpointer(conn, pipe=pipe)
        graph = _two_step_graph(saver)
        thread = str(uuid.uuid4())
        for text in ("one", "two"):
            await graph.ainvoke(say(text), run_cfg(thread))
        values = (await graph.aget_state(cfg(thread))).values

        await saver.aprune([thread], strategy="keep_latest")
        await saver.aprune([thread], strategy="turns")

        assert len(await history(graph, thread)) == 1
        assert (await graph.aget_state(cfg(thread))).values == values


async def _put(saver, thread_id, parent, step, *, v=4, ns="", metadata=None):
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
    if parent is not None:
        config["configurable"]["checkpoint_id"] = parent["configurable"]["checkpoint_id"]
    checkpoint = empty_checkpoint()
    checkpoint.update(v=v, id=str(uuid6(clock_seq=step)))
    meta = {"source": "loop", "step": step, "parents": {}, **(metadata or {})}
    return await saver.aput(config, checkpoint, meta, {})


@pytest.mark.parametrize("strategy", ["keep_latest", "turns"])
async def test_a_pre_v4_heads_pending_sends_survive_a_prune(saver, strategy):
    # Checkpoints older than format v4 keep their pending sends in their parent's writes.
    thread = str(uuid.uuid4())
    first = await _put(saver, thread, None, 0, v=1)
    await saver.aput_writes(first, [(TASKS, "send-1")], str(uuid.uuid4()))
    second = await _put(saver, thread, first, 1, v=1)
    head = await _put(saver, thread, second, 2, v=1)
    await saver.aput_writes(second, [(TASKS, "send-2")], str(uuid.uuid4()))

    await saver.aprune([thread], strategy=strategy)

    loaded = await saver.aget_tuple(head)
    assert loaded.checkpoint["channel_values"][TASKS] == ["send-2"]
    assert (
        loaded.parent_config["configurable"]["checkpoint_id"]
        == (second["configurable"]["checkpoint_id"])
    )


def _graph_with_a_subgraph(checkpointer):
    def inner(state: MessagesState) -> dict:
        return {"messages": [AIMessage("from the subgraph")]}

    sub = StateGraph(MessagesState)
    sub.add_node("inner", inner)
    sub.add_node("inner2", inner)
    sub.add_edge(START, "inner")
    sub.add_edge("inner", "inner2")
    builder = StateGraph(MessagesState)
    builder.add_node("child", sub.compile())
    builder.add_edge(START, "child")
    return builder.compile(checkpointer=checkpointer)


@pytest.mark.parametrize("strategy", ["keep_latest", "turns"])
async def test_finished_subgraph_calls_go_with_the_checkpoint_they_started_from(
    saver, database_url, strategy
):
    graph = _graph_with_a_subgraph(saver)
    thread = str(uuid.uuid4())
    for text in ("one", "two"):
        await graph.ainvoke(say(text), run_cfg(thread))
    values = (await graph.aget_state(cfg(thread))).values
    assert {ns for ns, _ in rows(database_url, thread)} - {""}, "the subgraph saved nothing"

    await saver.aprune([thread], strategy=strategy)

    assert {ns for ns, _ in rows(database_url, thread)} == {""}
    with psycopg.connect(database_url) as conn:
        for table in ("checkpoint_writes", "checkpoint_blobs"):
            assert not conn.execute(
                f"SELECT 1 FROM {table} WHERE thread_id = %s AND checkpoint_ns <> ''", (thread,)
            ).fetchone()
    assert (await graph.aget_state(cfg(thread))).values == values


async def test_turns_without_run_ids_keeps_one_checkpoint_per_turn(saver, database_url):
    # The Python API (server.agent.Agent) runs graphs without a run id in the metadata.
    graph = _two_step_graph(saver)
    thread = str(uuid.uuid4())
    for text in ("one", "two", "three"):
        await graph.ainvoke(say(text), cfg(thread))
    assert count(database_url, "checkpoints", thread) == 12

    await saver.aprune([thread], strategy="turns")

    states = await history(graph, thread)
    assert [len(s.values["messages"]) for s in states] == [9, 6, 3]
    assert all(not s.next for s in states)
    # Every turn stays replayable: branching from the first turn's end works.
    forked = await graph.ainvoke(say("again"), states[-1].config)
    assert len(forked["messages"]) == 6


async def test_long_thread_ids_run_ids_and_sources_write_and_delete(saver, database_url):
    graph = _two_step_graph(saver)
    thread = "t" * 1000
    run_id = "r" * 100
    result = await graph.ainvoke(say("one"), run_cfg(thread, run_id))
    assert len(result["messages"]) == 3
    head = (await graph.aget_state(cfg(thread))).config
    await _put(saver, thread, head, 5, metadata={"source": "s" * 40, "run_id": run_id})
    with psycopg.connect(database_url) as conn:
        events = conn.execute(
            "SELECT run_id, source FROM hook_events WHERE thread_id = %s ORDER BY id", (thread,)
        ).fetchall()
    assert len(events) == 5
    assert events[-1] == (run_id, "s" * 40)

    await saver.adelete_thread(thread)

    assert count(database_url, "checkpoints", thread) == 0
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        await graph.ainvoke(say("two"), run_cfg(thread))


def test_the_sends_query_names_langgraphs_tasks_channel():
    assert f"'{TASKS}'" in SENDS_PARENTS_SQL
