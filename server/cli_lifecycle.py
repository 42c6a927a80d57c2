"""The ``adlaan`` commands of the data lifecycle's retention side: ``cleanup``, ``prune`` and
``db stats`` (registered on the app by ``register``; server/cli.py holds the shared helpers).

Durations need a unit that cannot be misread (server/durations.py); a cleanup that would delete
or archive more than ``CLEANUP_CONFIRM_ABOVE`` threads asks first (``--yes`` answers for it);
``--dry-run`` lists what would go and changes nothing.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console

from server.cli_errors import CliError, ExitCode
from server.durations import DurationError, describe, parse_duration


def _duration_option(text: str, param: str) -> timedelta:
    try:
        delta = parse_duration(text)
    except DurationError as error:
        raise typer.BadParameter(str(error), param_hint=param) from None
    if delta is None or delta <= timedelta(0):  # (never is not allowed here)
        raise typer.BadParameter("must be longer than zero", param_hint=param)
    return delta


def cleanup(
    older_than: str = typer.Option(
        None,
        help="Idle time with its unit: 90d, 12h, 30min, 2w, 1y (default: RETENTION_IDLE; "
        "a bare number or 'm' is refused).",
    ),
    policy: str = typer.Option(None, help="delete or archive (default: RETENTION_POLICY)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; change nothing."),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Do not ask, even above CLEANUP_CONFIRM_ABOVE threads."
    ),
) -> None:
    """Delete (or archive) threads idle longer than the retention, with an audit entry each,
    then sweep the tables that only grow (old audit entries, delivered hook events, ended
    sessions...). Without --older-than and with RETENTION_IDLE=never, no thread is touched."""
    from rich.progress import Progress

    from server.cli import _ready_database, _with_pool, console
    from server.retention import sweep_tables
    from server.settings import get_settings
    from store.retention import Policy, aapply_policy, aidle_threads

    settings = get_settings()
    policy = policy or settings.retention_policy
    if policy not in ("delete", "archive"):
        raise typer.BadParameter("policy must be 'delete' or 'archive'", param_hint="--policy")
    chosen: Policy = "archive" if policy == "archive" else "delete"
    age = _duration_option(older_than, "--older-than") if older_than else settings.retention_idle
    url = _ready_database()
    verb = "would " + policy if dry_run else policy
    archive = policy == "archive"

    async def find(pool):
        if age is None:
            return []
        async with pool.connection() as conn:
            return await aidle_threads(conn, datetime.now(UTC) - age, skip_archived=archive)

    threads = _with_pool(url, find, size=1)
    if age is None:
        console.print(
            "threads: none swept (RETENTION_IDLE=never, the default: conversations are kept; "
            "pass --older-than 1y, say, to clean up threads idle that long)"
        )
    else:
        console.print(f"{len(threads)} thread(s) idle for more than {describe(age)}: {verb}")
        shown = threads if dry_run else threads[:20]
        for thread in shown:
            console.print(
                f"  {thread.thread_id}  last activity {thread.last_activity:%Y-%m-%d %H:%M} UTC"
            )
        if len(threads) > len(shown):
            console.print(f"  ... and {len(threads) - len(shown)} more (--dry-run lists all)")
    if not dry_run and len(threads) > settings.cleanup_confirm_above and not yes:
        question = f"{policy} {len(threads)} thread(s)? This cannot be undone"
        if not sys.stdin.isatty():
            raise CliError(
                f"refusing to {policy} {len(threads)} thread(s) without confirmation (more than "
                f"CLEANUP_CONFIRM_ABOVE={settings.cleanup_confirm_above}); nothing was changed\n"
                "Fix: check the list (--dry-run), then run again with --yes",
                ExitCode.FAILED,
            )
        if not typer.confirm(question, default=False, err=True):
            console.print("nothing was changed")
            raise typer.Exit(int(ExitCode.FAILED))

    async def work(pool) -> None:
        if threads and not dry_run:
            async with pool.connection() as conn:
                with Progress(console=console) as progress:
                    task = progress.add_task(f"{policy} idle threads", total=len(threads))
                    batch = settings.retention_batch_size
                    for start in range(0, len(threads), batch):
                        chunk = threads[start : start + batch]
                        await aapply_policy(conn, chunk, chosen, actor="cli", reason="cleanup")
                        progress.advance(task, len(chunk))
            done = "deleted" if policy == "delete" else "archived"
            console.print(f"[green]{done} {len(threads)} thread(s)[/]")
        swept = await sweep_tables(pool, settings, actor="cli", dry_run=dry_run)
        for table, count in swept.counts.items():
            if count:
                console.print(f"{table}: {count} row(s) {'would go' if dry_run else 'deleted'}")
        if not swept.total:
            console.print("tables: nothing past its retention")

    _with_pool(url, work, size=1)


def prune(
    thread: list[str] = typer.Option(None, "--thread", help="Thread id to compact (repeatable)."),
    idle_for: str = typer.Option(
        None, help="Compact every thread idle this long, with its unit: 7d, 12h, 2w."
    ),
    keep: str = typer.Option(
        "turns", help="turns (turn boundaries + branch heads) or keep_latest."
    ),
) -> None:
    """Compact old history: keep turn boundaries and every branch head, drop the rest."""
    from rich.progress import Progress

    from server.cli import _ready_database, _require_threads, _with_pool, console
    from store.checkpointer import PostgresCheckpointer
    from store.retention import aidle_threads

    if not thread and not idle_for:
        raise typer.BadParameter("name --thread ID or --idle-for DURATION", param_hint="--thread")
    if keep not in ("turns", "keep_latest"):
        raise typer.BadParameter("keep must be 'turns' or 'keep_latest'", param_hint="--keep")
    age = _duration_option(idle_for, "--idle-for") if idle_for else None
    url = _ready_database()

    async def work(pool) -> int:
        thread_ids = list(thread or [])
        await _require_threads(pool, thread_ids)
        if age is not None:
            async with pool.connection() as conn:
                idle = await aidle_threads(conn, datetime.now(UTC) - age)
            thread_ids += [t.thread_id for t in idle]
        saver = PostgresCheckpointer(pool)
        with Progress(console=console) as progress:
            task = progress.add_task("compacting threads", total=len(thread_ids))
            for thread_id in thread_ids:
                await saver.aprune([thread_id], strategy=keep)
                progress.advance(task)
        return len(thread_ids)

    count = _with_pool(url, work, size=2)
    console.print(f"[green]compacted {count} thread(s)[/]")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def db_stats(
    as_json: bool = typer.Option(False, "--json", help="One JSON document on standard output."),
) -> None:
    """Every table of the database: rows, size on disk (indexes and TOAST included) and the
    retention policy that keeps it bounded."""
    from rich.table import Table

    from server.cli import _ready_database, _with_pool
    from server.retention import table_policy
    from server.settings import get_settings
    from store.repositories import stats

    settings = get_settings()
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn:
            return await stats.tables(conn)

    rows = [
        {**row, "policy": table_policy(row["table"], settings) or "NONE: grows without bound"}
        for row in _with_pool(url, work, size=1)
    ]
    if as_json:
        typer.echo(json.dumps({"tables": rows}, indent=2))
        return
    table = Table("table", "rows", "size", "bounded by", title="adlaan db stats")
    for row in rows:
        table.add_row(row["table"], f"{row['rows']:,}", _size(row["bytes"]), row["policy"])
    Console(soft_wrap=not sys.stdout.isatty()).print(table)


def register(app: typer.Typer, db_app: typer.Typer) -> None:
    """Add this module's commands to the ``adlaan`` app and its ``db`` group."""
    app.command()(cleanup)
    app.command()(prune)
    db_app.command("stats")(db_stats)
