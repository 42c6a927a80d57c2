"""Encryption at rest of checkpoints whose state has primitive channels (a ``str``, an ``int``):
with a key, ``PostgresCheckpointer`` sends them through the encrypting serializer into
``checkpoint_blobs`` instead of leaving them inline in ``checkpoints.checkpoint`` as the stock
saver does; reads, history and forks see the same values. Without a key nothing changes."""

from __future__ import annotations

import os
import uuid
from typing import TypedDict

import psycopg
import pytest
from langgraph.graph import START, StateGraph

from store.checkpointer import PostgresCheckpointer
from store.crypto import Keyring
from store.db import make_async_pool
from tests.integration.test_encryption import plaintext_columns

pytestmark = pytest.mark.integration

WORD = "Quorvendish"
SENTENCE = f"Draft a licence for {WORD} Lighthouses covering the foghorn melodies"


class State(TypedDict, total=False):
    topic: str
    note: str
    turns: int
    ratio: float
    urgent: bool


def _note(state: State) -> dict:
    return {
        "note": f"noted: {state['topic']}",
        "turns": state.get("turns", 0) + 1,
        "ratio": 0.5,
        "urgent": True,
    }


def _graph(saver):
    builder = StateGraph(State)
    builder.add_node("note", _note)
    builder.add_edge(START, "note")
    return builder.compile(checkpointer=saver)


@pytest.fixture
async def pool(database_url):
    pool = make_async_pool(database_url, max_size=4)
    await pool.open(wait=True)
    yield pool
    await pool.close()


def _ring() -> Keyring:
    return Keyring(os.urandom(32))


def _cfg(thread_id: str, checkpoint_id: str | None = None) -> dict:
    configurable = {"thread_id": thread_id}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def _inline(url: str, thread_id: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT checkpoint -> 'channel_values' FROM checkpoints WHERE thread_id = %s",
            (thread_id,),
        ).fetchall()
    return [row[0] or {} for row in rows]


async def test_primitive_channels_are_encrypted_and_read_back(pool, database_url):
    graph = _graph(PostgresCheckpointer(pool, serde=_ring().serializer()))
    thread = str(uuid.uuid4())
    await graph.ainvoke({"topic": SENTENCE, "turns": 0}, _cfg(thread))
    await graph.ainvoke({"turns": 5}, _cfg(thread))  # `topic` unchanged: the same version

    assert plaintext_columns(database_url, (SENTENCE, WORD)) == []
    inline = [v for values in _inline(database_url, thread) for v in values.values()]
    assert all(v is None for v in inline), inline  # (a channel without a value: None)

    state = await graph.aget_state(_cfg(thread))
    assert state.values == {
        "topic": SENTENCE,
        "note": f"noted: {SENTENCE}",
        "turns": 6,
        "ratio": 0.5,
        "urgent": True,
    }
    history = [s async for s in graph.aget_state_history(_cfg(thread))]
    assert len(history) >= 4
    assert all(s.values.get("topic") == SENTENCE for s in history if s.values.get("note"))

    # a fork from the first turn's end: an update of one channel, the others as they were
    first = next(s for s in reversed(history) if s.values.get("turns") == 1)
    forked = await graph.aupdate_state(first.config, {"note": "forked"})
    state = await graph.aget_state(forked)
    assert state.values["topic"] == SENTENCE and state.values["turns"] == 1
    assert state.values["note"] == "forked"
    assert plaintext_columns(database_url, (SENTENCE, WORD, "forked")) == []

    # another saver with the same key (a restart: nothing in memory) reads the same
    ring_reader = _graph(PostgresCheckpointer(pool, serde=graph.checkpointer.serde.inner))
    assert (await ring_reader.aget_state(forked)).values == state.values


async def test_a_thread_started_without_a_key_goes_on_with_one(pool, database_url):
    """A primitive written inline before the key was set, unchanged afterwards, is still read:
    the first checkpoint with a key stores it as a blob under its version."""
    thread = str(uuid.uuid4())
    await _graph(PostgresCheckpointer(pool)).ainvoke({"topic": SENTENCE}, _cfg(thread))
    assert any(v.get("topic") == SENTENCE for v in _inline(database_url, thread))

    graph = _graph(PostgresCheckpointer(pool, serde=_ring().serializer()))
    await graph.ainvoke({"turns": 10}, _cfg(thread))
    state = await graph.aget_state(_cfg(thread))
    assert state.values["topic"] == SENTENCE and state.values["turns"] == 11
    with psycopg.connect(database_url) as conn:
        head = conn.execute(
            "SELECT checkpoint -> 'channel_values' FROM checkpoints WHERE thread_id = %s "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (thread,),
        ).fetchone()[0]
    assert "topic" not in (head or {}), head


async def test_without_a_key_primitives_stay_inline(pool, database_url):
    """Nothing changes without a key: the stock layout, primitives in the checkpoint's JSON."""
    thread = str(uuid.uuid4())
    graph = _graph(PostgresCheckpointer(pool))
    await graph.ainvoke({"topic": SENTENCE}, _cfg(thread))
    head = _inline(database_url, thread)
    assert any(v.get("topic") == SENTENCE and v.get("turns") == 1 for v in head)
    assert (await graph.aget_state(_cfg(thread))).values["topic"] == SENTENCE
