"""`adlaan serve` next to `langgraph dev`: an offline drafter turn through ``runs.wait`` (its
p50, one turn at a time), and turns a second with concurrent clients on one and two processes.

    .venv/bin/python -m bench.serve [--turns 30] [--seconds 20] [--clients 8]

On a fresh database (``BENCH_DATABASE_URL``, an admin URL, or the embedded PostgreSQL) and Redis
(``BENCH_REDIS_URL``, default redis://127.0.0.1:6379/12); writes the "serve" section of
docs/benchmarks.md. Each turn is a new thread's first drafter turn (offline: no LLM_MODEL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import storage

ROOT = Path(__file__).resolve().parents[1]
START_MARK, END_MARK = "<!-- serve:start -->", "<!-- serve:end -->"
TURN = {"messages": [{"role": "user", "content": "I need to draft an NDA"}]}


@dataclass
class Result:
    """What one server set-up measured."""

    name: str
    p50_ms: float
    p90_ms: float
    turns_per_second: float
    errors: int


async def _turn(client) -> None:
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "drafter", input=TURN, raise_error=True)


async def latencies(client, turns: int) -> list[float]:
    """Milliseconds of ``runs.wait`` for ``turns`` turns, one at a time (thread creation untimed)."""
    await _turn(client)  # warm-up: the graph's first import, pools
    found = []
    for _ in range(turns):
        thread = await client.threads.create()
        start = time.perf_counter()
        await client.runs.wait(thread["thread_id"], "drafter", input=TURN, raise_error=True)
        found.append((time.perf_counter() - start) * 1000)
    return found


async def throughput(clients: list, seconds: float, concurrency: int) -> tuple[float, int]:
    """Turns a second (and errors) of ``concurrency`` loops, spread over ``clients`` in turn."""
    deadline = time.monotonic() + seconds
    done, errors = 0, 0

    async def loop(client) -> None:
        nonlocal done, errors
        while time.monotonic() < deadline:
            try:
                await _turn(client)
                done += 1
            except Exception as error:  # counted, and shown once
                if not errors:
                    print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
                errors += 1

    start = time.monotonic()
    await asyncio.gather(*(loop(clients[i % len(clients)]) for i in range(concurrency)))
    return done / (time.monotonic() - start), errors


def _result(name: str, ms: list[float], rate: float, errors: int) -> Result:
    ordered = sorted(ms)
    p90 = ordered[int(len(ordered) * 0.9) - 1] if ordered else float("nan")
    return Result(name, statistics.median(ordered), p90, rate, errors)


def measure(url: str, redis: str, turns: int, seconds: float, concurrency: int) -> list[Result]:
    from tests.accounts import make_user
    from tests.serve import ServeServer
    from tests.server import LangGraphServer

    results = []
    quiet = {"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000", "HOOKS_ENABLED": "true"}
    with tempfile.TemporaryDirectory() as tmp:
        dev = LangGraphServer(url, Path(tmp, "dev").resolve(), quiet)
        Path(dev.workdir).mkdir()
        dev.start()
        try:
            ms = asyncio.run(latencies(dev.client(), turns))
            rate, errors = asyncio.run(throughput([dev.client()], seconds, concurrency))
            results.append(_result("`langgraph dev` (in-memory runtime)", ms, rate, errors))
        finally:
            dev.stop()
        user = make_user(url)
        servers = []
        for name in ("a", "b"):
            Path(tmp, name).mkdir()
            servers.append(ServeServer(url, Path(tmp, name), redis, quiet, user=user))
        a, b = servers
        a.start()
        try:
            ms = asyncio.run(latencies(a.client(), turns))
            rate, errors = asyncio.run(throughput([a.client()], seconds, concurrency))
            results.append(_result("`adlaan serve`, 1 process", ms, rate, errors))
            b.start()
            ms = asyncio.run(latencies(b.client(), turns))
            rate, errors = asyncio.run(throughput([a.client(), b.client()], seconds, concurrency))
            results.append(_result("`adlaan serve`, 2 processes", ms, rate, errors))
        finally:
            a.stop()
            b.stop()
    return results


def render(results: list[Result], command: str, concurrency: int, seconds: float) -> str:
    one = next((r for r in results if "1 process" in r.name), None)
    lines = [
        START_MARK,
        "## Serving: `adlaan serve` and `langgraph dev`",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d} ({os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end). Latency: an offline `drafter` turn "
        "(a new thread's first turn) through `runs.wait`, one at a time. Throughput: "
        f"{concurrency} clients, each running such turns back to back for {seconds:.0f} s (on two "
        "processes, half the clients on each). The client runs on the same machine.",
        "",
        "| server | runs.wait p50 | p90 | turns/s | vs 1 process | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r.turns_per_second / one.turns_per_second:.2f}×" if one else ""
        lines.append(
            f"| {r.name} | {r.p50_ms:,.0f} ms | {r.p90_ms:,.0f} ms | {r.turns_per_second:.1f} | "
            f"{ratio} | {r.errors} |"
        )
    lines += [
        "",
        "`langgraph dev`'s queue polls every 0.5 s, so its turns take a second; `adlaan serve` "
        "wakes a worker through Redis when a run is created (docs/serving.md).",
        END_MARK,
        "",
    ]
    return "\n".join(lines)


def write_section(out: Path, section: str) -> None:
    """Replace the serve section of ``out`` (or append it), leaving the rest as it is."""
    storage.write_section(out, section, START_MARK, END_MARK)


def main(argv: list[str] | None = None) -> None:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from bench.__main__ import admin_url
    from store.migrate import migrate
    from tests.serve import skip_reason

    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("--turns", type=int, default=30, help="turns timed one at a time")
    parser.add_argument("--seconds", type=float, default=20, help="length of a throughput run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    if reason := skip_reason(redis):
        sys.exit(f"cannot run: {reason}")

    admin = admin_url()
    name = f"adlaan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        results = measure(url, redis, args.turns, args.seconds, args.clients)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    defaults = (args.turns, args.seconds, args.clients) == (30, 20, 8)
    command = ".venv/bin/python -m bench.serve" + (
        ""
        if defaults
        else f" --turns {args.turns} --seconds {args.seconds:g} --clients {args.clients}"
    )
    section = render(results, command, args.clients, args.seconds)
    print(section)
    write_section(Path(args.out), section)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
