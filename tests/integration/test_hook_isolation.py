"""A poisoned thread costs other threads nothing (issue 15, item 2): on real checkpoints and
the real mirror, delivered by the dispatcher's own loop (``Dispatcher.run``), a hundred healthy
threads are mirrored as fast with a poisoned thread among them as without, while one bad
``update_state`` (a document whose ``version`` is not an integer) is a dead letter on its first
attempt and a thread whose events keep deadlocking is retried, parked, then dead-lettered."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated, Any, TypedDict

import psycopg
import pytest
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages

from hooks import hookimpl
from hooks.builtin.mirror import Mirror
from hooks.dispatcher import Dispatcher
from hooks.manager import get_plugin_manager
from store.checkpointer import PostgresCheckpointer

pytestmark = pytest.mark.integration
HEALTHY = 100


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    document: dict[str, Any]


def draft(state: State) -> State:
    version = (state.get("document") or {}).get("version", 0) + 1
    document = {"key": "nda", "version": version, "type": "nda", "title": "NDA", "body": "# NDA"}
    return {"messages": [AIMessage(f"drafted v{version}")], "document": document}


class Deadlocking:
    """The mirror, except that every event of ``bad`` hits a deadlock (a transient error); it
    records each thread's delivered event ids in order."""

    def __init__(self, mirror: Mirror, bad: str):
        self.mirror, self.bad = mirror, bad
        self.delivered: dict[str, list[int]] = {}
        self.failures = 0

    @hookimpl
    async def after_checkpoint(self, event):
        if event.thread_id == self.bad:
            self.failures += 1
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        await self.mirror.after_checkpoint(event=event)
        self.delivered.setdefault(event.thread_id, []).append(event.event_id)


def count(database_url: str, sql: str, *params) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def mirrored_documents(database_url: str, threads: list[str]) -> int:
    return count(
        database_url,
        "SELECT count(DISTINCT c.thread_id) FROM documents d "
        "JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = ANY(%s)",
        threads,
    )


async def healthy_threads(graph, n: int) -> list[str]:
    threads = [str(uuid.uuid4()) for _ in range(n)]
    for thread_id in threads:
        config = {"configurable": {"thread_id": thread_id}}
        await graph.ainvoke({"messages": [HumanMessage("I need an NDA")]}, config)
    return threads


async def catch_up(dispatcher, database_url: str, threads: list[str], limit: float) -> float:
    """Run the dispatcher's loop until every thread's document is mirrored; seconds taken."""
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(dispatcher.run(database_url, stop, poll=0.1))
    try:
        while mirrored_documents(database_url, threads) < len(threads):
            assert time.monotonic() - started < limit, "the healthy threads were not mirrored"
            await asyncio.sleep(0.02)
        return time.monotonic() - started
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_a_poisoned_thread_costs_a_hundred_healthy_ones_nothing(pool, database_url):
    builder = StateGraph(State)
    builder.add_node("draft", draft)
    builder.add_edge(START, "draft")
    graph = builder.compile(checkpointer=PostgresCheckpointer(pool))
    deadlocked, bad_version = str(uuid.uuid4()), str(uuid.uuid4())
    plugin = Deadlocking(Mirror(pool), bad=deadlocked)
    pm = get_plugin_manager(builtins=[("mirror", plugin)])
    dispatcher = Dispatcher(pool, pm, max_attempts=3, base_delay=0.5)

    warm = await healthy_threads(graph, 1)  # connections and caches, out of the measure
    await catch_up(dispatcher, database_url, warm, limit=60)
    baseline_threads = await healthy_threads(graph, HEALTHY)
    baseline = await catch_up(dispatcher, database_url, baseline_threads, limit=60)

    # the poison comes first in the outbox, the healthy threads after it
    for thread_id in (deadlocked, bad_version):
        await graph.ainvoke(
            {"messages": [HumanMessage("draft it")]}, {"configurable": {"thread_id": thread_id}}
        )
    bad = await graph.aupdate_state(
        {"configurable": {"thread_id": bad_version}},
        {"document": {"key": "nda", "version": "2a", "title": "NDA", "body": "# NDA"}},
    )
    threads = await healthy_threads(graph, HEALTHY)
    poisoned = await catch_up(dispatcher, database_url, threads, limit=60)
    print(
        f"\n{HEALTHY} healthy threads mirrored in {baseline:.2f}s alone, {poisoned:.2f}s poisoned"
    )
    assert poisoned <= baseline * 1.5 + 0.5, "healthy lag unchanged"

    [(attempts, error)] = [
        (row[0], row[1])
        for row in _dead(database_url)
        if row[2] == bad["configurable"]["checkpoint_id"]
    ]
    assert attempts == 1, "a bad version is permanent: dead-lettered on the first attempt"
    assert error == (
        f"PermanentError: thread {bad_version} checkpoint {bad['configurable']['checkpoint_id']}:"
        " document.version must be a positive integer, got '2a' (str)"
    )
    assert mirrored_documents(database_url, [bad_version]) == 1, "its earlier version stays"

    # the deadlocking thread: each of its events retried max_attempts times, then dead
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(database_url, stop, poll=0.1))
    own = count(database_url, "SELECT count(*) FROM hook_events WHERE thread_id = %s", deadlocked)
    try:
        for _ in range(300):
            dead = [row for row in _dead(database_url) if row[3] == deadlocked]
            if len(dead) == own:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert [row[0] for row in dead] == [3] * own
    assert {row[1] for row in dead} == {"DeadlockDetected: deadlock detected"}
    assert plugin.failures == 3 * own
    assert count(database_url, "SELECT count(*) FROM hook_parked_threads") == 0
    newest = count(database_url, "SELECT max(id) FROM hook_events")
    assert count(database_url, "SELECT last_event_id FROM hook_cursors") == newest
    for thread_id in baseline_threads + threads:
        ids = plugin.delivered[thread_id]
        assert ids == sorted(set(ids)), "per-thread order, each event once"


def _dead(database_url: str) -> list[tuple]:
    """Dead letters: attempts, error, the event's checkpoint id and thread, in order."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT d.attempts, d.error, e.checkpoint_id, e.thread_id FROM hook_dead_letters d "
            "JOIN hook_events e ON e.id = d.event_id ORDER BY d.id"
        ).fetchall()
