"""Delivery semantics of the hooks dispatcher, and the mirror on hostile data (real PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from langchain_core.messages import AIMessage, ChatMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from hooks import hookimpl
from hooks.builtin.mirror import Mirror
from hooks.dispatcher import Dispatcher
from hooks.events import CheckpointEvent
from hooks.manager import get_plugin_manager
from server.settings import RESOLVED_URL_ENV
from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(database_url):
    """A database of this test's own: its dispatchers see only its events."""
    pool = make_async_pool(database_url, max_size=6)
    await pool.open(wait=True)
    yield database_url, pool
    await pool.close()


async def write_turns(pool, turns: int) -> str:
    builder = StateGraph(MessagesState)
    builder.add_node("reply", lambda s: {"messages": [AIMessage("ok")]})
    builder.add_edge(START, "reply")
    graph = builder.compile(checkpointer=PostgresCheckpointer(pool))
    thread_id = str(uuid.uuid4())
    for i in range(turns):
        await graph.ainvoke(
            {"messages": [HumanMessage(f"turn {i}")]}, {"configurable": {"thread_id": thread_id}}
        )
    return thread_id


class Recorder:
    def __init__(self):
        self.seen: list[int] = []

    @hookimpl
    def after_checkpoint(self, event):
        self.seen.append(event.event_id)


class Flaky:
    def __init__(self, fail_on: set[int]):
        self.fail_on = fail_on
        self.calls: list[int] = []

    @hookimpl
    async def after_checkpoint(self, event):
        self.calls.append(event.event_id)
        if event.event_id in self.fail_on:
            raise RuntimeError(f"cannot handle {event.event_id}")


async def test_a_failing_plugin_retries_then_dead_letters_and_never_blocks_the_others(db):
    url, pool = db
    await write_turns(pool, 2)
    with psycopg.connect(url) as conn:
        event_ids = [
            r[0] for r in conn.execute("SELECT id FROM hook_events ORDER BY id").fetchall()
        ]
    assert len(event_ids) == 6  # input, loop step, end: per turn
    good, flaky = Recorder(), Flaky(fail_on={event_ids[1]})
    pm = get_plugin_manager(builtins=[("good", good), ("flaky", flaky)])
    dispatcher = Dispatcher(pool, pm, max_attempts=3, base_delay=0)
    await dispatcher.ensure_cursors()

    for _ in range(5):
        await dispatcher.drain()

    assert good.seen == event_ids, "in commit order, all of them, once"
    assert flaky.calls.count(event_ids[1]) == 3, "retried up to max_attempts"
    assert [e for e in flaky.calls if e != event_ids[1]] == [event_ids[0], *event_ids[2:]]
    with psycopg.connect(url) as conn:
        dead = conn.execute(
            "SELECT plugin, event_id, attempts, error FROM hook_dead_letters"
        ).fetchall()
        cursors = dict(conn.execute("SELECT plugin, last_event_id FROM hook_cursors").fetchall())
    assert dead == [("flaky", event_ids[1], 3, f"RuntimeError: cannot handle {event_ids[1]}")]
    assert cursors == {"good": event_ids[-1], "flaky": event_ids[-1]}

    status = subprocess.run(
        [str(Path(sys.executable).parent / "adlaan"), "hooks", "status"],
        env={RESOLVED_URL_ENV: url, "PATH": str(Path(sys.executable).parent), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "flaky" in status.stderr and "cannot handle" in status.stderr


def event(thread_id: str, messages, checkpoint_id: str | None = None) -> CheckpointEvent:
    return CheckpointEvent(
        event_id=1,
        thread_id=thread_id,
        checkpoint_id=checkpoint_id or str(uuid.uuid4()),
        parent_checkpoint_id=None,
        run_id=None,
        source="loop",
        step=1,
        created_at=datetime.now(UTC),
        graph_id="drafter",
        assistant_id=None,
        actor=None,
        metadata={"source": "loop"},
        values={"messages": messages},
        is_head=True,
    )


async def test_the_mirror_keeps_hostile_content_faithfully_or_says_what_it_changed(db):
    url, pool = db
    mirror = Mirror(pool)
    thread_id = str(uuid.uuid4())
    huge = "clause " * (10 * 1024 * 1024 // 7)
    messages = [
        HumanMessage("null\x00byte", id="nul"),
        HumanMessage(huge, id="huge"),
        AIMessage("lone \ud800 surrogate", id="surrogate"),
        ChatMessage(role="critic", content="an unknown kind of message", id="unknown"),
        HumanMessage(
            [{"type": "text", "text": "blocks"}, {"type": "image_url", "image_url": {"url": "x"}}],
            id="blocks",
        ),
    ]
    await mirror.after_checkpoint(event=event(thread_id, messages))
    await mirror.after_checkpoint(event=event(thread_id, messages))  # replay: no change

    with psycopg.connect(url) as conn:
        stored = dict(
            conn.execute(
                "SELECT m.message_id, m.content FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.thread_id = %s",
                (thread_id,),
            ).fetchall()
        )
        kinds = dict(conn.execute("SELECT message_id, type FROM messages").fetchall())
        audits = conn.execute(
            "SELECT action, details FROM audit_logs WHERE target = %s", (thread_id,)
        ).fetchall()
    assert stored["nul"] == "null\ufffdbyte"
    assert stored["huge"] == huge
    assert stored["surrogate"] == "lone \ufffd surrogate"
    assert stored["unknown"] == "an unknown kind of message" and kinds["unknown"] == "chat"
    assert '"image_url"' in stored["blocks"]
    assert len(audits) == 2  # one per checkpoint (the two events had different checkpoints)
    assert all(
        a[0] == "message.sanitized" and set(a[1]["message_ids"]) == {"nul", "surrogate"}
        for a in audits
    )
