"""Run the benchmarks on a fresh database and write ``docs/benchmarks.md``.

    .venv/bin/python -m bench [--quick] [--out docs/benchmarks.md]

The database is a new one on the embedded PostgreSQL, or on ``BENCH_DATABASE_URL`` (an admin URL)
when set; it is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench import checkpointer as cp
from store.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]


def admin_url() -> str:
    if url := os.environ.get("BENCH_DATABASE_URL"):
        return url
    from server.settings import Settings
    from store.embedded import ensure_embedded

    return ensure_embedded(Settings().data_dir, database="postgres")


async def run_hooks(url: str, quick: bool) -> list[cp.Row]:
    from bench import hooks

    rows = await hooks.run(url, 5 if quick else 30)
    for row in rows:
        print(row, flush=True)
    return rows


async def run(url: str, quick: bool) -> list[cp.Row]:
    rows: list[cp.Row] = []
    turns_each = 3 if quick else 10
    for concurrency in (1, 8, 32):
        rows.append(await cp.throughput(url, concurrency, turns_each))
        print(rows[-1], flush=True)
    rows += await cp.storage(url, 40 if quick else 200)
    print(rows[-3:], flush=True)
    rows += await cp.get_state_latency(url, (10, 50) if quick else (10, 100, 500))
    print(rows[-2:], flush=True)
    rows.append(await cp.sweep(url, 500 if quick else 10_000))
    print(rows[-1], flush=True)
    return rows


def _fmt(value: float, unit: str) -> str:
    if value != value:  # NaN: the stock alternative has nothing to measure
        return "—"
    if unit == "bytes":
        return f"{value / 1024:,.0f} KiB"
    return f"{value:,.2f} {unit}"


def _line(row: cp.Row) -> str:
    ratio = "—" if row.stock != row.stock else f"{row.ratio:,.2f}×"
    return f"| {row.name} | {_fmt(row.stock, row.unit)} | {_fmt(row.ours, row.unit)} | {ratio} |"


HOOKS_START, HOOKS_END = "<!-- hooks:start -->", "<!-- hooks:end -->"


def render_hooks(rows: list[cp.Row], command: str) -> str:
    lines = [
        HOOKS_START,
        "## Hooks and mirror",
        "",
        f"Produced by `{command}`: the real `langgraph dev` serving `drafter`, driven through "
        "`langgraph_sdk`, once with the hook dispatcher off (`HOOKS_ENABLED=false`, as the stock "
        "server) and once on. Lag is the time from a run's response until every plugin's cursor "
        "has passed the newest event. The ~1 s turn latency is the dev server's own (its in-memory "
        "run queue; a stock `langgraph dev` without any of this project shows the same).",
        "",
        "| benchmark | hooks off | hooks on | ratio |",
        "|---|---:|---:|---:|",
        *(_line(row) for row in rows),
        HOOKS_END,
        "",
    ]
    return "\n".join(lines)


def render(rows: list[cp.Row], command: str, quick: bool, server_version: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {server_version}){' — quick sizes' if quick else ''}.",
        "Every row runs the stock `AsyncPostgresSaver` (langgraph-checkpoint-postgres 3.2.0) and "
        "Adlaan's `PostgresCheckpointer` in the same process, on the same database and pool size. "
        "The graph is a tool-using chat turn (model → tool → model), the shape whose storage grows "
        "with the square of the turns. Ratio > 1 means Adlaan is better (faster, or smaller).",
        "",
        "## Checkpointer",
        "",
        "| benchmark | stock | Adlaan | ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {_fmt(row.stock, row.unit)} | {_fmt(row.ours, row.unit)} | {row.ratio:,.2f}× |"
        )
    lines += [
        "",
        "Notes:",
        "- Throughput: the stock saver sends every query of the process through one `asyncio.Lock`, "
        "so concurrent threads queue on a single connection; Adlaan's checks out a pooled connection "
        "per query (pool of 10 for both).",
        "- Storage: compaction (`adlaan prune`, strategy `turns`) keeps every turn boundary and "
        "every branch head, so each turn stays readable, replayable and branchable; the stock "
        "`keep_latest` keeps one checkpoint and loses the history.",
        "- The sweep deletes idle threads with their checkpoints in set-based batches of 500 and "
        "writes one audit entry per thread; the stock alternative is `adelete_thread` per thread.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--only", choices=("checkpointer", "hooks"), help="run one section")
    args = parser.parse_args()

    admin = admin_url()
    name = f"adlaan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        server_version = conn.execute("SHOW server_version").fetchone()[0]
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        rows = [] if args.only == "hooks" else asyncio.run(run(url, args.quick))
        if args.only != "checkpointer":  # on a database of its own: no backlog to mirror first
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            migrate(url)
        hook_rows = [] if args.only == "checkpointer" else asyncio.run(run_hooks(url, args.quick))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    command = "make bench" if not args.quick else ".venv/bin/python -m bench --quick"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.read_text() if out.exists() else ""
    if rows:
        text = render(rows, command, args.quick, server_version)
    else:  # keep the checkpointer section that is there
        text = previous.split(HOOKS_START)[0].rstrip() + "\n\n"
    if hook_rows:
        text += render_hooks(hook_rows, command + (" --only hooks" if args.only else ""))
    elif HOOKS_START in previous:
        text += previous[previous.index(HOOKS_START) :]
    out.write_text(text)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
