"""Storage of a long drafter conversation: bytes in the checkpoint tables and read latency at
10 / 100 / 1,000 turns, for the stock saver, the stock saver with the messages in a
``DeltaChannel``, and ours (as written, and after ``turns`` compaction).

    .venv/bin/python -m bench.storage [--turns 10,100,1000] [--out docs/benchmarks.md]

The graph is the real ``drafter`` (offline extractor), driven directly (no server), one thread
per saver; each size is measured on that thread as it grows. Every turn changes the document
(the jurisdiction and the term alternate), as a long negotiation does. The raw message bytes are
the UTF-8 text of the messages in the state; the table bytes are ``pg_column_size`` of the
thread's rows in ``checkpoints``, ``checkpoint_blobs`` and ``checkpoint_writes`` (after TOAST
compression, without indexes), as the checkpointer benchmark counts them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import StateGraph
from langgraph.graph.message import _messages_delta_reducer
from typing_extensions import TypedDict

from bench.checkpointer import thread_bytes
from graphs.drafter.graph import build
from graphs.drafter.graph import builder as drafter_builder
from graphs.drafter.state import Document, Terms, Turn, merge_document
from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool

ROOT = Path(__file__).resolve().parents[1]
START_MARK, END_MARK = "<!-- storage:start -->", "<!-- storage:end -->"
STATES = ["California", "Texas", "New York", "Delaware", "Washington", "Florida", "Illinois"]
SAMPLES = 30


class DeltaState(TypedDict, total=False):
    """The drafter's state with its messages in a ``DeltaChannel`` (LangGraph 1.2, beta)."""

    messages: Annotated[list[AnyMessage], DeltaChannel(_messages_delta_reducer)]
    terms: Terms
    document: Annotated[Document | None, merge_document]
    turn: Turn | None


def delta_builder() -> StateGraph[Any, Any, Any, Any]:
    """The drafter's nodes and edges over ``DeltaState``."""
    return build(DeltaState, input_schema=None)


def script(turn: int) -> str:
    """What the user says at ``turn``: first the request, then alternating changes."""
    if turn == 0:
        return "I need to draft a mutual NDA between Acme Corp and Globex Inc"
    if turn % 2:
        return f"Make it for {STATES[(turn // 2) % len(STATES)]} jurisdiction"
    return f"Make it a {2 + (turn // 2) % 4}-year term"


def message_bytes(values: dict) -> int:
    return sum(len(str(m.content).encode()) for m in values.get("messages", []))


async def _median_ms(call: Callable, samples: int = SAMPLES) -> float:
    await call()  # warm-up
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def measure(
    url: str, label: str, saver, builder: StateGraph[Any, Any, Any, Any], sizes: list[int]
) -> list:
    graph = builder.compile(checkpointer=saver)
    thread = str(uuid.uuid4())  # as the server names threads (the same length for every saver)
    config = {"configurable": {"thread_id": thread}}
    rows = []
    done = 0
    for size in sizes:
        start = time.perf_counter()
        for turn in range(done, size):
            await graph.ainvoke(
                {"messages": [{"role": "user", "content": script(turn)}]},
                {**config, "metadata": {"run_id": str(uuid.uuid4())}},
            )
        done = size
        write_s = time.perf_counter() - start
        state = await graph.aget_state(config)
        get_state = await _median_ms(lambda: graph.aget_state(config))

        async def history(graph=graph) -> None:
            [s async for s in graph.aget_state_history(config, limit=10)]

        hist = await _median_ms(history, 10)
        # A saver that wrote nothing of the thread (another server process, or after a restart):
        # its first read, then the median of the reads after it.
        cold_graph = builder.compile(checkpointer=type(saver)(saver.conn))
        start = time.perf_counter()
        await cold_graph.aget_state(config)
        first = (time.perf_counter() - start) * 1000
        cold = await _median_ms(lambda g=cold_graph: g.aget_state(config), 10)
        row = {
            "saver": label,
            "turns": size,
            "bytes": thread_bytes(url, thread),
            "message_bytes": message_bytes(state.values),
            "document_version": state.values.get("document", {}).get("version"),
            "get_state_ms": get_state,
            "history_ms": hist,
            "cold_get_state_ms": cold,
            "first_read_ms": first,
            "write_s": write_s,
        }
        if isinstance(saver, PostgresCheckpointer):
            row["compacted_bytes"] = await compacted_bytes(url, saver, thread)
        print(row, file=sys.stderr, flush=True)
        rows.append(row)
    return rows


async def compacted_bytes(url: str, saver: PostgresCheckpointer, thread: str) -> int | None:
    """Bytes after ``turns`` compaction, measured on a copy (the thread keeps growing)."""
    copy = str(uuid.uuid4())
    await saver.acopy_thread(thread, copy)
    try:
        await saver.aprune([copy], strategy="turns")
    except NotImplementedError:  # DeltaChannel threads are not compacted
        return None
    size = thread_bytes(url, copy)
    await saver.aprune([copy], strategy="delete")
    return size


async def run(url: str, sizes: list[int]) -> list[dict]:
    pool = make_async_pool(url, max_size=4, name="bench-storage")
    await pool.open(wait=True)
    try:
        rows = []
        rows += await measure(url, "stock", AsyncPostgresSaver(pool), drafter_builder, sizes)
        rows += await measure(
            url, "stock + DeltaChannel", AsyncPostgresSaver(pool), delta_builder(), sizes
        )
        rows += await measure(url, "Adlaan", PostgresCheckpointer(pool), drafter_builder, sizes)
        return rows
    finally:
        await pool.close()


def _kib(value: int | None) -> str:
    return "—" if value is None else f"{value / 1024:,.0f} KiB"


def render(rows: list[dict], command: str) -> str:
    by = {(r["saver"], r["turns"]): r for r in rows}
    sizes = sorted({r["turns"] for r in rows})
    savers = list(dict.fromkeys(r["saver"] for r in rows))
    lines = [
        START_MARK,
        "## Storage of a long conversation",
        "",
        f"Produced by `{command}`: the real `drafter` graph (offline), one thread per saver, "
        "measured at each size as it grows; every turn changes the document. Table bytes are "
        "`pg_column_size` of the thread's rows in the three checkpoint tables (after TOAST "
        "compression, without indexes); message bytes are the UTF-8 text of the messages in "
        f"the state. `aget_state` is the median of {SAMPLES} reads of the latest state, history "
        "the median of 10 `aget_state_history(limit=10)`, both after a warm-up, in the process "
        'that wrote the thread; "fresh saver" reads with a new saver instance (nothing of the '
        "thread in memory, as another server process or after a restart): its first read, then "
        "the median of 10 after it.",
        "",
        "| saver | turns | message text | checkpoint tables | per turn | after `turns` compaction "
        "| aget_state | fresh saver: first read | fresh saver: aget_state | history (limit 10) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for saver in savers:
        for size in sizes:
            r = by.get((saver, size))
            if not r:
                continue
            lines.append(
                f"| {saver} | {size:,} | {_kib(r['message_bytes'])} | {_kib(r['bytes'])} "
                f"| {r['bytes'] / size / 1024:,.1f} KiB | {_kib(r.get('compacted_bytes'))} "
                f"| {r['get_state_ms']:,.2f} ms | {r['first_read_ms']:,.1f} ms "
                f"| {r['cold_get_state_ms']:,.2f} ms | {r['history_ms']:,.2f} ms |"
            )
    small, large = sizes[0], sizes[-1]
    lines += ["", "Read latency at the largest size over the smallest:", ""]
    for saver in savers:
        a, b = by.get((saver, small)), by.get((saver, large))
        if a and b:
            lines.append(
                f"- {saver}: aget_state {b['get_state_ms'] / a['get_state_ms']:,.1f}× "
                f"({small:,} → {large:,} turns), fresh saver "
                f"{b['cold_get_state_ms'] / a['cold_get_state_ms']:,.1f}×, history "
                f"{b['history_ms'] / a['history_ms']:,.1f}×"
            )
    lines += [
        "",
        "Notes:",
        "- Adlaan stores a list or dict channel's new value as its change from an earlier one "
        "(`store/checkpoint_delta.py`: appended messages, the document's changed lines), and "
        "stores it whole again only when the changes since the last whole copy outweigh it four "
        "times. A write that the next checkpoint stores too (the reply a node appends, the "
        "document and terms it returns) becomes a reference to that value once the checkpoint "
        "is saved, so each message and each change of the document is stored once. Values of "
        "more than 96 bytes are deflated with a preset dictionary of LangChain's field names. "
        "Versions are 11 characters (the stock saver's are 49). Bytes per turn stay flat: the "
        "turn's checkpoint rows and writes and its changed values (the tool-calling drafter's "
        "turn is six checkpoints: input, agent, tools, agent, publish and the end; four "
        "messages: the request, a tool call, its result and the reply).",
        "- As written, a turn keeps six checkpoints and LangGraph's writes; `turns` compaction "
        "(`adlaan prune`) keeps one checkpoint per turn, every turn still replayable and "
        "forkable.",
        "- Reads: the stock `SELECT` joins a checkpoint's versions to every blob of the thread "
        "(a hash of the whole thread's blobs: most of the stock saver's growth here); Adlaan "
        "looks each blob up by its key. `aget_state` and `aget_state_history` hand out new lists "
        "of messages decoded once and shared between those reads (LangGraph replaces messages, "
        "it does not change them); a run's own read decodes objects of its own, so nothing a "
        "reader does to what it was given reaches a run or the database. A fresh saver follows "
        "the chain of changes once (its first read), then one change a version.",
        END_MARK,
        "",
    ]
    return "\n".join(lines)


def write_section(out: Path, section: str, start: str = START_MARK, end: str = END_MARK) -> None:
    """Replace the section between ``start`` and ``end`` of ``out`` (or append it), leaving the
    rest as it is."""
    previous = out.read_text() if out.exists() else ""
    if start in previous and end in previous:
        head, rest = previous.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = previous + ("\n" if previous and not previous.endswith("\n\n") else "") + section
    out.write_text(text)


def main(argv: list[str] | None = None) -> None:
    from bench.__main__ import scratch_database

    parser = argparse.ArgumentParser(prog="python -m bench.storage")
    parser.add_argument("--turns", default="10,100,1000", help="sizes, comma-separated")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    sizes = sorted(int(t) for t in args.turns.split(","))

    with scratch_database() as scratch:
        rows = asyncio.run(run(scratch.url, sizes))
    command = ".venv/bin/python -m bench.storage" + (
        f" --turns {args.turns}" if args.turns != "10,100,1000" else ""
    )
    write_section(Path(args.out), render(rows, command))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
