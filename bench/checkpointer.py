"""Checkpointer benchmarks: PostgresCheckpointer side by side with the stock AsyncPostgresSaver
(langgraph-checkpoint-postgres), in the same run, on the same PostgreSQL and pool size.

    python -m bench                # all of them, written to docs/benchmarks.md
    python -m bench --quick        # smaller sizes, for a smoke run
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

import psycopg
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import START, MessagesState, StateGraph

from store.checkpointer import PostgresCheckpointer
from store.db import make_async_pool
from store.retention import IdleThread, aapply_policy

FILLER = "The Receiving Party shall hold the Confidential Information in strict confidence. "


def tool_turn_graph(checkpointer):
    """A tool-using turn: the model asks for a tool, the tool answers, the model replies
    (three steps, each re-storing the whole message list, as chat agents do)."""

    def model(state: MessagesState) -> dict:
        last = state["messages"][-1]
        if last.type == "tool":
            return {"messages": [AIMessage(FILLER * 2)]}
        call = {
            "name": "lookup",
            "args": {"q": last.text[:40]},
            "id": f"call_{uuid.uuid4().hex[:8]}",
        }
        return {"messages": [AIMessage("", tool_calls=[call])]}

    def tool(state: MessagesState) -> dict:
        call = state["messages"][-1].tool_calls[0]
        return {"messages": [ToolMessage(FILLER, tool_call_id=call["id"])]}

    def route(state: MessagesState) -> str:
        return "tool" if state["messages"][-1].tool_calls else "__end__"

    builder = StateGraph(MessagesState)
    builder.add_node("model", model)
    builder.add_node("tool", tool)
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", route)
    builder.add_edge("tool", "model")
    return builder.compile(checkpointer=checkpointer)


def turn(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


def cfg(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}, "metadata": {"run_id": str(uuid.uuid4())}}


@dataclass
class Row:
    name: str
    stock: float
    ours: float
    unit: str
    better: str  # "higher" or "lower"

    @property
    def ratio(self) -> float:
        if self.better == "higher":
            return self.ours / self.stock if self.stock else float("inf")
        return self.stock / self.ours if self.ours else float("inf")


@asynccontextmanager
async def _savers(url: str, pool_size: int):
    """The stock saver and ours, each on a pool of its own of the same size."""
    stock_pool = make_async_pool(url, max_size=pool_size, min_size=pool_size, name="bench-stock")
    ours_pool = make_async_pool(url, max_size=pool_size, min_size=pool_size, name="bench-ours")
    await stock_pool.open(wait=True)
    await ours_pool.open(wait=True)
    try:
        yield AsyncPostgresSaver(stock_pool), PostgresCheckpointer(ours_pool)
    finally:
        await stock_pool.close()
        await ours_pool.close()


async def throughput(url: str, concurrency: int, turns_each: int, pool_size: int = 10) -> Row:
    """Turns per second with ``concurrency`` threads talking at once."""
    async with _savers(url, pool_size) as (stock, ours):
        results = {}
        for label, saver in (("stock", stock), ("ours", ours)):
            graph = tool_turn_graph(saver)
            threads = [f"tp-{label}-{uuid.uuid4()}" for _ in range(concurrency)]

            async def talk(thread_id: str, graph=graph) -> None:
                for i in range(turns_each):
                    await graph.ainvoke(turn(f"question {i}"), cfg(thread_id))

            start = time.perf_counter()
            await asyncio.gather(*(talk(t) for t in threads))
            results[label] = concurrency * turns_each / (time.perf_counter() - start)
    return Row(
        f"throughput, {concurrency} concurrent thread(s)",
        results["stock"],
        results["ours"],
        "turns/s",
        "higher",
    )


def thread_bytes(url: str, thread_id: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """
            SELECT coalesce((SELECT sum(pg_column_size(c.*)) FROM checkpoints c WHERE thread_id = %(t)s), 0)
                 + coalesce((SELECT sum(pg_column_size(b.*)) FROM checkpoint_blobs b WHERE thread_id = %(t)s), 0)
                 + coalesce((SELECT sum(pg_column_size(w.*)) FROM checkpoint_writes w WHERE thread_id = %(t)s), 0)
            """,
            {"t": thread_id},
        ).fetchone()[0]


async def build_thread(saver, turns: int) -> str:
    graph = tool_turn_graph(saver)
    thread_id = f"long-{uuid.uuid4()}"
    for i in range(turns):
        await graph.ainvoke(turn(f"question {i}"), cfg(thread_id))
    return thread_id


async def storage(url: str, turns: int) -> list[Row]:
    """Bytes of one long thread: as stored, then compacted (ours) / stock keep_latest."""
    async with _savers(url, 2) as (stock, ours):
        stock_thread = await build_thread(stock, turns)
        ours_thread = await build_thread(ours, turns)
        stored = thread_bytes(url, stock_thread), thread_bytes(url, ours_thread)
        await ours.aprune([ours_thread], strategy="turns")
        compacted = thread_bytes(url, ours_thread)
        turns_kept = await _count(url, ours_thread)
        await stock.aprune([stock_thread], strategy="keep_latest")
        stock_latest = thread_bytes(url, stock_thread)
    return [
        Row(
            f"storage of a {turns}-turn thread, as written", stored[0], stored[1], "bytes", "lower"
        ),
        Row(
            f"storage after compaction (stock: no compaction; ours: `turns`, {turns_kept} checkpoints kept, every turn still replayable)",
            stored[0],
            compacted,
            "bytes",
            "lower",
        ),
        Row(
            "storage after stock keep_latest (1 checkpoint, history gone) vs ours `turns`",
            stock_latest,
            compacted,
            "bytes",
            "lower",
        ),
    ]


async def _count(url: str, thread_id: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread_id,)
        ).fetchone()[0]


async def get_state_latency(url: str, sizes: tuple[int, ...], samples: int = 30) -> list[Row]:
    """Median ``aget_state`` time of a thread of N turns."""
    async with _savers(url, 2) as (stock, ours):
        rows = []
        for n in sizes:
            thread_id = await build_thread(ours, n)  # same rows serve both savers
            medians = {}
            for label, saver in (("stock", stock), ("ours", ours)):
                graph = tool_turn_graph(saver)
                times = []
                for _ in range(samples):
                    start = time.perf_counter()
                    await graph.aget_state({"configurable": {"thread_id": thread_id}})
                    times.append(time.perf_counter() - start)
                medians[label] = statistics.median(times) * 1000
            rows.append(
                Row(
                    f"aget_state at {n} turns (median of {samples})",
                    medians["stock"],
                    medians["ours"],
                    "ms",
                    "lower",
                )
            )
    return rows


async def sweep(url: str, threads: int) -> Row:
    """Deleting ``threads`` idle threads: stock adelete_thread one by one vs the set-based sweep."""
    async with _savers(url, 4) as (stock, ours):
        template = await build_thread(ours, 2)
        timings = {}
        for label in ("stock", "ours"):
            ids = [f"idle-{label}-{i}-{uuid.uuid4()}" for i in range(threads)]
            async with ours.conn.connection() as conn:
                await conn.execute(
                    """
                    INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
                    SELECT t, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata
                    FROM checkpoints, unnest(%(ids)s::text[]) AS t WHERE thread_id = %(src)s;
                    """,
                    {"ids": ids, "src": template},
                )
                await conn.execute(
                    """
                    INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
                    SELECT t, checkpoint_ns, channel, version, type, blob
                    FROM checkpoint_blobs, unnest(%(ids)s::text[]) AS t WHERE thread_id = %(src)s
                    """,
                    {"ids": ids, "src": template},
                )
            start = time.perf_counter()
            if label == "stock":
                for thread_id in ids:
                    await stock.adelete_thread(thread_id)
            else:
                idle = [IdleThread(t, None) for t in ids]  # type: ignore[arg-type]
                for i in range(0, len(idle), 500):
                    async with ours.conn.connection() as conn:
                        await aapply_policy(conn, idle[i : i + 500], "delete", actor="bench")
            timings[label] = time.perf_counter() - start
    return Row(
        f"delete {threads} idle threads (ours also writes {threads} audit entries)",
        timings["stock"],
        timings["ours"],
        "s",
        "lower",
    )
