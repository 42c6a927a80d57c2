"""Linear storage (issue 13): PostgresCheckpointer stores a channel's new value as its change
from an earlier one, so a long conversation grows by what each turn adds. Every test reads
back with a *fresh* saver (nothing in memory) and compares with what was written."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import psycopg
import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.base.id import uuid6
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import sql
from psycopg.types.json import Jsonb

from graphs.drafter.graph import builder as drafter
from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool

pytestmark = pytest.mark.integration

STATES = ["California", "Texas", "New York", "Delaware"]

# One drafter turn (graphs/drafter/graph.py, a tool-calling agent): the human message, the
# agent's AI message with its tool calls, one ToolMessage per call and the agent's reply. The
# first turn of ``said`` makes two tool calls, every later one makes one.
MESSAGES_PER_TURN = 4
FIRST_TURN_MESSAGES = MESSAGES_PER_TURN + 1
# A turn's checkpoints: the input, then before agent, tools, agent and publish, and its end.
CHECKPOINTS_PER_TURN = 6


def messages_after(turns: int) -> int:
    """The messages of a thread after ``turns`` turns of ``said`` (from turn 0)."""
    return FIRST_TURN_MESSAGES + MESSAGES_PER_TURN * (turns - 1) if turns else 0


def said(turn: int) -> dict:
    if turn == 0:
        text = "I need to draft a mutual NDA between Acme Corp and Globex Inc"
    elif turn % 2:
        text = f"Make it for {STATES[(turn // 2) % len(STATES)]} jurisdiction"
    else:
        text = f"Make it a {2 + (turn // 2) % 4}-year term"
    return {"messages": [{"role": "user", "content": text}]}


def run_cfg(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}, "metadata": {"run_id": str(uuid.uuid4())}}


def cfg(thread_id: str, checkpoint_id: str | None = None) -> dict:
    configurable = {"thread_id": thread_id}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


@pytest.fixture
async def pool(database_url):
    pool = make_async_pool(database_url, max_size=6)
    await pool.open(wait=True)
    yield pool
    await pool.close()


async def talk(graph, thread_id: str, turns: range) -> None:
    for turn in turns:
        await graph.ainvoke(said(turn), run_cfg(thread_id))


async def snapshot(graph, thread_id: str) -> list[tuple[str, dict, tuple]]:
    """Every checkpoint of the thread: id, values and next nodes."""
    return [
        (s.config["configurable"]["checkpoint_id"], s.values, s.next)
        async for s in graph.aget_state_history(cfg(thread_id))
    ]


def thread_bytes(database_url: str, thread_id: str) -> int:
    with psycopg.connect(database_url) as conn:
        return sum(
            conn.execute(
                f"SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {table} t WHERE thread_id = %s",
                (thread_id,),
            ).fetchone()[0]
            for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
        )


async def test_a_long_thread_grows_linearly_and_reads_back_exactly(pool, database_url):
    writer = drafter.compile(checkpointer=PostgresCheckpointer(pool))
    thread = f"linear-{uuid.uuid4()}"
    await talk(writer, thread, range(20))
    first = thread_bytes(database_url, thread)
    await talk(writer, thread, range(20, 60))
    last = thread_bytes(database_url, thread) - first
    # The last 40 turns cost about what the first 20 did, turn for turn (the stock saver's
    # cost per turn grows with the thread: ~3x here).
    assert last / 40 < 1.5 * first / 20
    with psycopg.connect(database_url) as conn:
        kinds = {
            r[0].split(":")[0]
            for r in conn.execute(
                "SELECT type FROM checkpoint_blobs WHERE thread_id = %s AND channel = 'messages'",
                (thread,),
            )
        }
    assert kinds == {"z1.msgpack", "delta"}
    with psycopg.connect(database_url) as conn:
        # a checkpoint's id is its row's, not stored again in the JSON (reads put it back)
        stored = conn.execute(
            "SELECT count(*) FILTER (WHERE checkpoint ? 'id'), count(*) FROM checkpoints "
            "WHERE thread_id = %s",
            (thread,),
        ).fetchone()
    assert stored == (0, 60 * CHECKPOINTS_PER_TURN)

    written = await snapshot(writer, thread)
    reader = drafter.compile(checkpointer=PostgresCheckpointer(pool))
    assert await snapshot(reader, thread) == written
    assert len(written[0][1]["messages"]) == messages_after(60)
    assert written[0][1]["document"]["version"] == 60


async def test_a_thread_the_stock_saver_started_goes_on(pool):
    thread = f"mixed-{uuid.uuid4()}"
    await talk(drafter.compile(checkpointer=AsyncPostgresSaver(pool)), thread, range(5))
    ours = drafter.compile(checkpointer=PostgresCheckpointer(pool))
    await talk(ours, thread, range(5, 12))

    history = await snapshot(drafter.compile(checkpointer=PostgresCheckpointer(pool)), thread)
    ends = [values for _, values, nxt in history if not nxt]
    assert [len(v["messages"]) for v in ends[:12]] == [messages_after(12 - i) for i in range(12)]
    assert ends[0]["document"]["version"] == 12
    # Replay from a turn the stock saver wrote (the end of the third), with ours.
    old_turn = next(
        cid
        for cid, values, nxt in history
        if not nxt and len(values["messages"]) == messages_after(3)
    )
    replayed = await ours.ainvoke(said(3), cfg(thread, old_turn))
    assert len(replayed["messages"]) == messages_after(4)


async def test_copy_fork_update_and_rollback_keep_every_value(pool):
    saver = PostgresCheckpointer(pool)
    graph = drafter.compile(checkpointer=saver)
    thread = f"ops-{uuid.uuid4()}"
    await talk(graph, thread, range(8))
    history = await snapshot(graph, thread)
    middle = next(
        cid
        for cid, values, nxt in history
        if not nxt and len(values["messages"]) == messages_after(4)
    )
    await graph.ainvoke(said(9), cfg(thread, middle))  # a branch from turn 4
    await graph.aupdate_state(cfg(thread), {"messages": [{"role": "user", "content": "note"}]})
    run = str(uuid.uuid4())
    await graph.ainvoke(
        said(10), {"configurable": {"thread_id": thread}, "metadata": {"run_id": run}}
    )
    await saver.adelete_for_runs([run])
    copy = f"ops-copy-{uuid.uuid4()}"
    await saver.acopy_thread(thread, copy)

    fresh = drafter.compile(checkpointer=PostgresCheckpointer(pool))
    expected = await snapshot(graph, thread)
    assert await snapshot(fresh, thread) == expected
    assert [v for _, v, _ in await snapshot(fresh, copy)] == [v for _, v, _ in expected]
    assert expected[0][1]["messages"][-1].content == "note"


@pytest.mark.parametrize("strategy", ["turns", "keep_latest"])
async def test_prune_keeps_what_the_kept_checkpoints_are_stored_against(
    pool, database_url, strategy
):
    saver = PostgresCheckpointer(pool)
    graph = drafter.compile(checkpointer=saver)
    thread = f"prune-{uuid.uuid4()}"
    await talk(graph, thread, range(30))
    before = {cid: values for cid, values, _ in await snapshot(graph, thread)}

    await saver.aprune([thread], strategy=strategy)

    after = await snapshot(drafter.compile(checkpointer=PostgresCheckpointer(pool)), thread)
    assert after and all(values == before[cid] for cid, values, _ in after)
    if strategy == "turns":
        assert len(after) == 30


async def test_what_a_reader_does_to_its_values_never_reaches_the_database(pool):
    graph = drafter.compile(checkpointer=PostgresCheckpointer(pool))
    thread = f"mutate-{uuid.uuid4()}"
    await talk(graph, thread, range(3))
    state = await graph.aget_state(cfg(thread))
    state.values["messages"][0].content = "changed in memory"
    state.values["messages"].append(state.values["messages"][0])
    await talk(graph, thread, range(3, 5))

    fresh = await drafter.compile(checkpointer=PostgresCheckpointer(pool)).aget_state(cfg(thread))
    assert fresh.values["messages"][0].content.startswith("I need to draft")
    assert len(fresh.values["messages"]) == messages_after(5)
    # The writer's own reads share message objects (that is what keeps a read of a long
    # thread flat): each reader gets a list of its own, the messages in it are the same.
    again = (await graph.aget_state(cfg(thread))).values["messages"]
    assert len(again) == messages_after(5)
    assert [m.content for m in again[1:]] == [m.content for m in fresh.values["messages"][1:]]


async def test_state_reads_share_decoded_messages_and_other_reads_do_not(pool):
    # Pins what the saver relies on in LangGraph: Pregel.aget_state and aget_state_history
    # call it directly (store/checkpointer.py, _state_reader). Shared messages keep a read of a
    # long thread flat; any other read (a run's) decodes objects of its own.
    saver = PostgresCheckpointer(pool)
    graph = drafter.compile(checkpointer=saver)
    thread = f"shared-{uuid.uuid4()}"
    await talk(graph, thread, range(3))
    first = (await graph.aget_state(cfg(thread))).values["messages"]
    second = (await graph.aget_state(cfg(thread))).values["messages"]
    assert first is not second and len(first) == messages_after(3)
    assert all(a is b for a, b in zip(first, second, strict=True))
    history = [s async for s in graph.aget_state_history(cfg(thread), limit=3)]
    assert history[0].values["messages"][0] is first[0]
    own = await saver.aget_tuple(cfg(thread))
    assert own is not None
    messages = own.checkpoint["channel_values"]["messages"]
    assert messages == first
    assert not any(a is b for a, b in zip(messages, first, strict=True))


@pytest.mark.parametrize("cache_size", [3, 4096])
async def test_another_process_follows_a_growing_thread(pool, cache_size):
    # A reader that wrote nothing (the hook dispatcher's saver, another server process) reads
    # each new head from the versions it already read, or from the whole chain when its
    # memory is too small to hold them.
    writer = drafter.compile(checkpointer=PostgresCheckpointer(pool))
    reader = drafter.compile(checkpointer=PostgresCheckpointer(pool, cache_size=cache_size))
    thread = f"follow-{uuid.uuid4()}"
    for turn in range(25):
        await talk(writer, thread, range(turn, turn + 1))
        read = await reader.aget_state(cfg(thread))
        assert read.values == (await writer.aget_state(cfg(thread))).values
    assert len(read.values["messages"]) == messages_after(25)


V1_THREAD = Path(__file__).with_name("checkpointer_v1_thread.json")


def load_v1_thread(database_url: str, thread_id: str) -> None:
    """Insert the rows an earlier PostgresCheckpointer wrote (see the file's ``_about``)."""
    rows = json.loads(V1_THREAD.read_text())
    with psycopg.connect(database_url) as conn:
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            for row in rows[table]:
                values = {
                    key: base64.b64decode(value["b64"])
                    if isinstance(value, dict) and "b64" in value
                    else Jsonb(value)
                    if key in ("checkpoint", "metadata")
                    else value
                    for key, value in row.items()
                }
                values["thread_id"] = thread_id
                columns = sql.SQL(", ").join(map(sql.Identifier, values))
                placeholders = sql.SQL(", ").join(sql.Placeholder() * len(values))
                conn.execute(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier(table), columns, placeholders
                    ),
                    list(values.values()),
                )


async def test_a_thread_an_earlier_version_wrote_goes_on_in_the_new_format(pool, database_url):
    # Rows of the earlier format (10-digit versions, uncompressed values and changes with
    # their base version inside, whole writes) and of the current one in a single thread.
    thread = f"v1-{uuid.uuid4()}"
    load_v1_thread(database_url, thread)
    saver = PostgresCheckpointer(pool)
    graph = drafter.compile(checkpointer=saver)
    old = await snapshot(graph, thread)
    # four turns of the drafter of then: 3 checkpoints and 2 messages each
    assert len(old) == 4 * 3
    assert len(old[0][1]["messages"]) == 4 * 2
    old_version = old[0][1]["document"]["version"]

    await talk(graph, thread, range(4, 7))
    with psycopg.connect(database_url) as conn:
        kinds = {
            r[0].split(":")[0]
            for r in conn.execute(
                "SELECT type FROM checkpoint_blobs WHERE thread_id = %s UNION ALL "
                "SELECT type FROM checkpoint_writes WHERE thread_id = %s",
                (thread, thread),
            )
        }
    assert {"msgpack", "delta", "z1.msgpack", "ref"} <= kinds  # both formats, one thread

    history = await snapshot(drafter.compile(checkpointer=PostgresCheckpointer(pool)), thread)
    assert len(history) == len(old) + 3 * CHECKPOINTS_PER_TURN
    assert history[-len(old) :] == old  # the old checkpoints read as they did
    ends = [values for _, values, nxt in history if not nxt]
    new_ends = [4 * 2 + MESSAGES_PER_TURN * n for n in (3, 2, 1)]  # each new turn's one tool call
    assert [len(v["messages"]) for v in ends[:4]] == [*new_ends, 4 * 2]
    # The old turns end every third checkpoint (found by position: a checkpoint the old graph
    # wrote before its ``draft`` node, gone now, has no next node either).
    assert [len(v["messages"]) for _, v, _ in old[::3]] == [8, 6, 4, 2]
    assert ends[0]["document"]["version"] > old_version

    # Replay from a turn the earlier saver wrote; copy and compact the mixed thread.
    turn_two = next(cid for cid, values, nxt in old if len(values["messages"]) == 4 and not nxt)
    # (nobody edited that draft by hand: the new jurisdiction is made without a question)
    replayed = await graph.ainvoke(said(5), cfg(thread, turn_two))
    assert len(replayed["messages"]) == 4 + MESSAGES_PER_TURN
    copy = f"v1-copy-{uuid.uuid4()}"
    await saver.acopy_thread(thread, copy)
    before = {cid: values for cid, values, _ in await snapshot(graph, copy)}
    await saver.aprune([copy], strategy="turns")
    after = await snapshot(drafter.compile(checkpointer=PostgresCheckpointer(pool)), copy)
    assert len(after) == 8 and all(values == before[cid] for cid, values, _ in after)


@pytest.mark.parametrize("removal", ["turns", "rollback"])
async def test_a_kept_write_keeps_the_value_it_refers_to(pool, database_url, removal):
    # c1's write becomes a reference to the value c2 stores; c2 goes (compaction keeps c1, a
    # turn boundary, and c3, the head; a rollback of run r2 deletes c2 and c3), the value stays.
    saver = PostgresCheckpointer(pool)
    thread = str(uuid.uuid4())
    document = {"body": "The parties agree.\n" * 100, "version": 1}

    async def put(parent, step, run, values):
        checkpoint = empty_checkpoint()
        versions = {channel: saver.get_next_version(None, None) for channel in values}
        checkpoint.update(
            id=str(uuid6(clock_seq=step)), channel_values=values, channel_versions=versions
        )
        config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        if parent:
            config["configurable"]["checkpoint_id"] = parent["configurable"]["checkpoint_id"]
        meta = {"source": "loop", "step": step, "parents": {}, "run_id": run}
        return await saver.aput(config, checkpoint, meta, versions)

    c1 = await put(None, 1, "r1", {})
    await saver.aput_writes(c1, [("document", document)], "task-1")
    c2 = await put(c1, 2, "r2", {"document": document})
    await put(c2, 3, "r2", {"document": {"version": 2}})
    with psycopg.connect(database_url) as conn:
        kind = conn.execute(
            "SELECT type FROM checkpoint_writes WHERE thread_id = %s", (thread,)
        ).fetchone()[0]
    assert kind.startswith("ref:")

    if removal == "turns":
        await saver.aprune([thread], strategy="turns")
    else:
        await saver.adelete_for_runs(["r2"])

    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread,)
        ).fetchone()[0]
    assert left == (2 if removal == "turns" else 1)
    read = await PostgresCheckpointer(pool).aget_tuple(c1)
    assert read is not None and read.pending_writes == [("task-1", "document", document)]
