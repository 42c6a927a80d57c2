"""What keeps the mirror's cost down under load (issue 19) keeps it exact: the dispatcher reads
a batch's checkpoints in one statement (``PostgresCheckpointer.aget_tuples``), its events share
the messages a checkpoint did not change, the mirror does not send a document version again
that its own transactions stored (only after they committed, and per conversation), and
``Dispatcher.run`` lets a busy server's events gather between its rounds."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from hooks.builtin.mirror import Mirror
from hooks.dispatcher import Dispatcher
from hooks.manager import get_plugin_manager
from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool

pytestmark = pytest.mark.integration


class State(MessagesState):
    document: dict[str, Any]


def reply(state: State) -> dict[str, Any]:
    """A reply; the document is redrafted when asked ("draft"), else left as it is."""
    text = state["messages"][-1].content
    update: dict[str, Any] = {"messages": [AIMessage(f"re: {text}")]}
    if text.startswith("draft"):
        version = (state.get("document") or {}).get("version", 0) + 1
        update["document"] = {"key": "nda", "version": version, "body": f"# NDA v{version}"}
    return update


def drafter(pool) -> Any:
    builder = StateGraph(State)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    return builder.compile(checkpointer=PostgresCheckpointer(pool))


async def say(graph, thread_id: str, text: str) -> None:
    await graph.ainvoke(
        {"messages": [HumanMessage(text)]}, {"configurable": {"thread_id": thread_id}}
    )


def query(database_url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def mirrored(database_url: str, thread_id: str) -> dict[str, list[tuple]]:
    """A thread's messages and document versions as the mirror holds them."""
    return {
        "messages": query(
            database_url,
            "SELECT m.message_id, m.content, m.is_current, m.position, m.checkpoint_id "
            "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.thread_id = %s ORDER BY m.message_id",
            thread_id,
        ),
        "documents": query(
            database_url,
            "SELECT d.document_key, d.version, d.body, d.checkpoint_id FROM documents d "
            "JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = %s "
            "ORDER BY d.version",
            thread_id,
        ),
    }


async def state_of(graph, thread_id: str) -> dict[str, Any]:
    return (await graph.aget_state({"configurable": {"thread_id": thread_id}})).values


async def test_a_batch_read_is_each_checkpoint_read_alone(pool):
    graph = drafter(pool)
    threads = [str(uuid.uuid4()) for _ in range(2)]
    for text in ("draft an NDA", "thanks", "draft it again"):
        for thread_id in threads:
            await say(graph, thread_id, text)
    configs = []
    for thread_id in threads:
        history = [s async for s in graph.aget_state_history(cfg(thread_id))]
        configs += [s.config for s in reversed(history)]  # oldest first
    configs.sort(key=lambda c: c["configurable"]["checkpoint_id"])  # threads interleaved
    gone = cfg(threads[0], checkpoint_id=str(uuid.uuid4()))

    reader = PostgresCheckpointer(pool, values_only=True)
    read = await reader.aget_tuples([*configs, gone])

    alone = PostgresCheckpointer(pool)
    assert read[-1] is None, "a checkpoint that does not exist"
    for config, got in zip(configs, read, strict=False):
        expected = await alone.aget_tuple(config)
        assert got is not None and expected is not None
        assert got.checkpoint["channel_values"] == expected.checkpoint["channel_values"]
        assert got.metadata == expected.metadata
        assert got.parent_config == expected.parent_config
        assert got.pending_writes == [], "a values-only reader leaves pending writes out"
    # a thread's next checkpoint shares the messages it did not change
    ours = [t for c, t in zip(configs, read, strict=False) if thread_of(c) == threads[1]]
    before, after = (t.checkpoint["channel_values"]["messages"] for t in ours[-2:])
    assert len(after) == len(before) + 1
    assert all(a is b for a, b in zip(after, before, strict=False))
    assert after is not before, "each read has a list of its own"


def cfg(thread_id: str, **configurable: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": "", **configurable}}


def thread_of(config: dict[str, Any]) -> str:
    return config["configurable"]["thread_id"]


async def test_a_chunk_that_fails_in_its_transaction_is_delivered_again_exactly(pool, database_url):
    """The mirror's transaction fails after it wrote the messages (the documents table is
    locked: a lock timeout, a transient error): nothing of it stays, the thread is parked,
    and once the lock is gone its retry writes everything, the document version included
    (the mirror remembers a version as stored only once its transaction committed)."""
    graph = drafter(pool)
    thread_id = str(uuid.uuid4())
    impatient = make_async_pool(f"{database_url}?options=-c%20lock_timeout%3D200", max_size=4)
    await impatient.open(wait=True)
    try:
        mirror = Mirror(impatient)
        dispatcher = Dispatcher(
            impatient, get_plugin_manager(builtins=[("mirror", mirror)]), base_delay=0
        )
        await dispatcher.ensure_cursors()
        await say(graph, thread_id, "draft an NDA")
        await dispatcher.drain()
        await say(graph, thread_id, "draft it again")
        with psycopg.connect(database_url) as locker:
            locker.execute("LOCK TABLE documents IN SHARE MODE")  # reads go on, writes wait
            await dispatcher.drain()
            assert [v for _, v, *_ in mirrored(database_url, thread_id)["documents"]] == [1]
            assert query(database_url, "SELECT count(*) FROM hook_parked_threads") == [(1,)]
            locker.rollback()
        await dispatcher.drain()
    finally:
        await impatient.close()

    got = mirrored(database_url, thread_id)
    values = await state_of(graph, thread_id)
    assert [v for _, v, *_ in got["documents"]] == [1, 2]
    assert [(m[0], m[2], m[3]) for m in got["messages"]] == sorted(
        (m.id, True, i) for i, m in enumerate(values["messages"])
    )
    assert query(database_url, "SELECT count(*) FROM hook_parked_threads") == [(0,)]
    assert query(database_url, "SELECT count(*) FROM hook_dead_letters") == [(0,)]
    # the same as a new mirror's replay of every event
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM conversations")
        conn.execute("UPDATE hook_cursors SET last_event_id = 0")
    replay = Dispatcher(pool, get_plugin_manager(builtins=[("mirror", Mirror(pool))]))
    await replay.drain()
    again = mirrored(database_url, thread_id)
    assert [m[:4] for m in again["messages"]] == [m[:4] for m in got["messages"]]
    assert again["documents"] == got["documents"]


async def test_a_version_stored_before_is_stored_again_in_a_new_conversation(pool, database_url):
    """The mirror does not send a document version again once its transaction stored it, for
    that conversation: a conversation deleted (its documents with it) and made again by the
    next event gets the version again."""
    graph = drafter(pool)
    thread_id = str(uuid.uuid4())
    dispatcher = Dispatcher(pool, get_plugin_manager(builtins=[("mirror", Mirror(pool))]))
    await dispatcher.ensure_cursors()
    await say(graph, thread_id, "draft an NDA")
    await say(graph, thread_id, "thanks")
    await dispatcher.drain()
    assert [v for _, v, *_ in mirrored(database_url, thread_id)["documents"]] == [1]

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM conversations WHERE thread_id = %s", (thread_id,))
    await say(graph, thread_id, "and now?")  # the same document, a new message
    await dispatcher.drain()

    got = mirrored(database_url, thread_id)
    assert [(k, v, body) for k, v, body, _ in got["documents"]] == [("nda", 1, "# NDA v1")]
    current = [m[0] for m in sorted(got["messages"], key=lambda m: m[3]) if m[2]]
    assert current == [m.id for m in (await state_of(graph, thread_id))["messages"]]


async def test_the_loop_delivers_the_events_of_the_next_moments_together(pool, database_url):
    """``Dispatcher.run`` starts its rounds ``linger`` seconds apart at most: woken by a
    turn's first checkpoint, it waits, and that turn's checkpoints (input, the graph's start,
    the reply) and a second thread's, committed meanwhile, reach the mirror in one call."""
    calls: list[int] = []

    class Counting(Mirror):
        async def after_events(self, events):
            calls.append(len(events))
            await super().after_events(events)

    graph = drafter(pool)
    dispatcher = Dispatcher(pool, get_plugin_manager(builtins=[("mirror", Counting(pool))]))
    dispatcher.linger = dispatcher.max_linger = 1.0
    await dispatcher.ensure_cursors()
    stop = asyncio.Event()
    loop = asyncio.create_task(dispatcher.run(database_url, stop, poll=0.2))
    try:
        await asyncio.sleep(0.5)  # listening, nothing to deliver
        threads = [str(uuid.uuid4()) for _ in range(2)]
        for thread_id in threads:
            await say(graph, thread_id, "draft an NDA")
        for _ in range(100):
            if sum(calls) >= 6:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(loop, 10)
    assert calls == [6], "two threads' three checkpoints each, in one call"
    for thread_id in threads:
        assert [v for _, v, *_ in mirrored(database_url, thread_id)["documents"]] == [1]
