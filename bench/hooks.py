"""Hooks benchmarks on the real server: turn latency with the dispatcher on vs off, and how long
after a run the mirror has written it (lag), p50 and p99."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from bench.checkpointer import Row
from tests.server import LangGraphServer

TURNS = ("I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _caught_up(url: str, newest: int) -> bool:
    with psycopg.connect(url) as conn:
        behind = conn.execute(
            "SELECT count(*) FROM hook_cursors WHERE last_event_id < %s", (newest,)
        ).fetchone()[0]
    return behind == 0


def _newest_event(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM hook_events").fetchone()[0]


async def _turns(
    server: LangGraphServer, conversations: int, db_url: str | None
) -> tuple[list[float], list[float]]:
    """Latencies of every turn, and (when ``db_url``) the mirror lag after each."""
    client = server.client()
    latencies, lags = [], []
    for _ in range(conversations):
        thread_id = (await client.threads.create())["thread_id"]
        for text in TURNS:
            start = time.perf_counter()
            await client.runs.wait(
                thread_id, "drafter", input={"messages": [{"role": "user", "content": text}]}
            )
            done = time.perf_counter()
            latencies.append(done - start)
            if db_url:
                newest = _newest_event(db_url)
                while not _caught_up(db_url, newest):  # noqa: ASYNC110 (polls PostgreSQL)
                    await asyncio.sleep(0.002)
                lags.append(time.perf_counter() - done)
    return latencies, lags


async def run(url: str, conversations: int) -> list[Row]:
    rows = []
    results = {}
    for label, enabled in (("off", "false"), ("on", "true")):
        server = LangGraphServer(
            url,
            Path(tempfile.mkdtemp(prefix=f"adlaan-bench-hooks-{label}-")),
            extra_env={"HOOKS_ENABLED": enabled},
        )
        server.start()
        try:
            await _turns(server, 1, None)  # warm up
            results[label] = await _turns(server, conversations, url if enabled == "true" else None)
        finally:
            server.stop()
    off, on = results["off"][0], results["on"][0]
    lags = results["on"][1]
    rows.append(
        Row(
            "turn latency p50, hooks off (stock) vs on",
            statistics.median(off) * 1000,
            statistics.median(on) * 1000,
            "ms",
            "lower",
        )
    )
    rows.append(
        Row(
            "turn latency p99, hooks off (stock) vs on",
            _percentile(off, 0.99) * 1000,
            _percentile(on, 0.99) * 1000,
            "ms",
            "lower",
        )
    )
    rows.append(
        Row(
            "mirror lag after a run, p50 (stock: no mirror)",
            float("nan"),
            statistics.median(lags) * 1000,
            "ms",
            "lower",
        )
    )
    rows.append(
        Row(
            "mirror lag after a run, p99 (stock: no mirror)",
            float("nan"),
            _percentile(lags, 0.99) * 1000,
            "ms",
            "lower",
        )
    )
    return rows
