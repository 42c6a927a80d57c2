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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

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


def machine_speed() -> str:
    """How fast this machine runs Python now, to compare figures taken on different days (the
    machine is shared, and its speed has varied threefold between sessions): the best of three
    runs of a fixed pure-Python loop, in milliseconds (lower is faster)."""
    import time

    best = float("inf")
    for _ in range(3):
        start, total = time.perf_counter(), 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return f"a reference Python loop (2M additions) took {best * 1000:,.0f} ms"


class Scratch(NamedTuple):
    """A benchmark's database: the admin URL it was made on, its name, and its URL."""

    admin: str
    name: str
    url: str


@contextmanager
def scratch_database() -> Iterator[Scratch]:
    """A new, migrated database on the benchmark server (``BENCH_DATABASE_URL`` or the embedded
    one), dropped when the block ends."""
    admin = admin_url()
    name = f"adlaan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield Scratch(admin, name, url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


async def run_hooks(url: str, quick: bool) -> list[cp.Row]:
    from bench import hooks

    rows = await hooks.run(url, 5 if quick else 30)
    for row in rows:
        print(row, flush=True)
    return rows


async def run_api(url: str, quick: bool) -> list[cp.Row]:
    from bench import api

    return await api.run(url, quick)


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


API_START, API_END = "<!-- api:start -->", "<!-- api:end -->"
STORAGE_START, STORAGE_END = "<!-- storage:start -->", "<!-- storage:end -->"


def render_api(rows: list[cp.Row], command: str, quick: bool) -> str:
    from bench.api import MESSAGES_PER_CONVERSATION, SEARCH_RUNS, WARM_UP, sizes

    messages, requests = sizes(quick)
    lines = [
        API_START,
        "## API: search and authentication",
        "",
        f'Produced by `{command}`, on a database of its own. Latency rows compare "stock" = '
        "an `ILIKE` scan / the server without auth with Adlaan's.",
        "",
        f"- Message search: {messages:,} generated legal-chat messages in "
        f"{messages // MESSAGES_PER_CONVERSATION:,} conversations of one user. Stock is the query "
        "a user would write without this project (`messages JOIN conversations WHERE owner_id = "
        "… AND content ILIKE '%term%' ORDER BY id DESC LIMIT 20`); Adlaan is the function "
        "`GET /api/v1/search` calls (`store/repositories/messages.py`: the GIN-indexed `search_vector`, ranked "
        "with `ts_rank_cd`, with `ts_headline` snippets), with the arguments the route passes "
        "(the phrase quoted, as a user types it). Both fetch the first page of 20, interleaved on "
        f"one connection, median of {SEARCH_RUNS} after {WARM_UP} warm-up runs each, on a "
        "connection made as the server makes its pool's: with prepared statements (psycopg "
        "prepares a query from its 6th execution, and PostgreSQL may then switch to a generic "
        "plan), and without (`DATABASE_POOLER=pgbouncer`). `ILIKE` matches substrings, "
        "full-text search stemmed words; the match counts are in the row names.",
        "- Prepared vs unprepared: Adlaan's search builds its statement for the filters given "
        "and always runs it unprepared, whatever the connection's setting. This benchmark found "
        "why: prepared, PostgreSQL switched to a generic plan that could not see which filters "
        "were absent and ran one GIN index scan per conversation of the owner (0.8 s to 7.8 s a "
        "search here, against 6–7 ms unprepared). The stock `ILIKE` query is cheap when "
        "it walks the primary key backwards and stops at the 20th match (its generic plan "
        "does), and reads every row when its custom plan is a sequential scan and sort; which "
        "custom plan it gets depends on the estimate `ANALYZE`'s random sample gives for the "
        "pattern, so its unprepared rows vary from run to run (~4–15 ms or ~130–200 ms at 200,000 "
        "rows on this machine).",
        "- Storage: the stored `search_vector` column and the GIN index are what full-text search "
        "costs; the stock query needs neither.",
        f"- Authentication: the real `langgraph dev` serving `drafter`, once with the project's "
        "langgraph.json and once with its `auth` section removed (what `langgraph dev` does "
        "without this project: no authentication, no per-owner filter); on each, one thread with "
        f"one run, then {requests} sequential `GET /threads/{{id}}/state` with httpx after a "
        "warm-up. With auth, every request resolves its API key in PostgreSQL and the thread "
        "read is filtered on its owner.",
        "",
        "| benchmark | stock | Adlaan | ratio |",
        "|---|---:|---:|---:|",
        *(_line(row) for row in rows),
        API_END,
        "",
    ]
    return "\n".join(lines)


def write_section(out: Path, block: str, start: str, end: str) -> None:
    """Put ``block`` (from ``start`` to ``end``) in place of that section of ``out``, or at its
    end: what the benchmarks with a command of their own write."""
    text = out.read_text() if out.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text + ("\n" if text and not text.endswith("\n") else "") + "\n" + block
    out.write_text(text)


def _block(text: str, start: str, end: str) -> str:
    """The section between ``start`` and ``end`` (markers included) in ``text``, or ''."""
    if start not in text or end not in text:
        return ""
    return text[text.index(start) : text.index(end) + len(end)] + "\n"


def _recreate(admin: str, name: str, url: str) -> None:
    """Drop and re-create the benchmark database, migrated (a section on a database of its own)."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrate(url)


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
    parser.add_argument("--only", choices=("checkpointer", "hooks", "api"), help="run one section")
    args = parser.parse_args()

    with scratch_database() as (admin, name, url):
        with psycopg.connect(url) as conn:
            server_version = conn.execute("SHOW server_version").fetchone()[0]
        rows = [] if args.only in ("hooks", "api") else asyncio.run(run(url, args.quick))
        hook_rows = []
        if args.only in (None, "hooks"):  # on a database of its own: no backlog to mirror first
            _recreate(admin, name, url)
            hook_rows = asyncio.run(run_hooks(url, args.quick))
        api_rows = []
        if args.only in (None, "api"):  # on a database of its own: only its own messages
            _recreate(admin, name, url)
            api_rows = asyncio.run(run_api(url, args.quick))
    command = "make bench" if not args.quick else ".venv/bin/python -m bench --quick"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.read_text() if out.exists() else ""
    if rows:
        text = render(rows, command, args.quick, server_version)
    else:  # keep the checkpointer section that is there, as it is
        text = previous.split(HOOKS_START)[0].split(API_START)[0]
        text = text if not text or text.endswith("\n") else text + "\n"
    if hook_rows:
        text += render_hooks(hook_rows, command + (" --only hooks" if args.only else ""))
    else:
        text += _block(previous, HOOKS_START, HOOKS_END)
    if api_rows:
        api_command = (
            f".venv/bin/python -m bench --only api{' --quick' if args.quick else ''}"
            if args.only
            else command
        )
        api = render_api(api_rows, api_command, args.quick)
    else:
        api = _block(previous, API_START, API_END)
    if api:
        text += ("\n" if text else "") + api
    # The storage, serve, search, mirror and drafter sections have commands of their own
    # (python -m bench.storage, bench.serve, bench.search, bench.mirror, bench.drafter); kept
    # as they are.
    for start, end in (
        (STORAGE_START, STORAGE_END),
        ("<!-- serve:start -->", "<!-- serve:end -->"),
        ("<!-- serve-soak:start -->", "<!-- serve-soak:end -->"),
        ("<!-- drafter:start -->", "<!-- drafter:end -->"),
        ("<!-- search:start -->", "<!-- search:end -->"),
        ("<!-- mirror:start -->", "<!-- mirror:end -->"),
    ):
        if block := _block(previous, start, end):
            text += ("\n" if text else "") + block
    out.write_text(text)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
