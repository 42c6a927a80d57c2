"""The ``adlaan`` command: set-up, the dev server, database chores."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console

from server.settings import RESOLVED_URL_ENV, get_settings
from store.db import DatabaseUnavailable, mask_url, wait_for_database

app = typer.Typer(help="Adlaan Agent: the legal-drafting LangGraph server and its database.")
db_app = typer.Typer(help="The database: where it is, the embedded server.")
app.add_typer(db_app, name="db")
threads_app = typer.Typer(help="The LangGraph API's thread registry, kept in PostgreSQL.")
app.add_typer(threads_app, name="threads")
console = Console(stderr=True, soft_wrap=True)
ROOT = Path(__file__).resolve().parents[1]


def _ready_database() -> str:
    """Resolve the database (starting the embedded one if needed), wait for it, say which."""
    settings = get_settings()
    try:
        url, source = settings.database_url_and_source()
        console.print(f"[bold]database:[/] {mask_url(url)} [dim]({source})[/]")
        wait_for_database(url, retries=settings.db_startup_retries)
    except DatabaseUnavailable as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    return url


@app.command()
def migrate() -> None:
    """Create or upgrade every table (checkpointer and relational), under an advisory lock."""
    from store.migrate import migrate as run_migrations

    url = _ready_database()
    run_migrations(url)
    console.print("[green]database is migrated[/]")


@app.command()
def dev(
    port: int = typer.Option(None, help="Port to serve on (default: $PORT or 2024)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    reload: bool = typer.Option(True, help="Restart the server when source files change."),
) -> None:
    """Migrate, then run `langgraph dev --no-browser` on the same database."""
    from store.migrate import migrate as run_migrations

    url = _ready_database()
    run_migrations(url)
    port = port or get_settings().port
    langgraph = shutil.which("langgraph", path=str(Path(sys.executable).parent)) or "langgraph"
    argv = [langgraph, "dev", "--no-browser", "--host", host, "--port", str(port)]
    if not reload:
        argv.append("--no-reload")
    env = {**os.environ, RESOLVED_URL_ENV: url}
    console.print(f"[bold]serving[/] graph [cyan]drafter[/] on http://{host}:{port}")
    os.chdir(ROOT)
    os.execvpe(argv[0], argv, env)


@app.command()
def cleanup(
    older_than: str = typer.Option(
        None, help="Idle time, e.g. 90d, 12h (default: RETENTION_DAYS)."
    ),
    policy: str = typer.Option(None, help="delete or archive (default: RETENTION_POLICY)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; change nothing."),
) -> None:
    """Delete (or archive) threads idle longer than the retention, with an audit entry each."""
    import psycopg
    from rich.progress import Progress

    from store.retention import apply_policy, idle_threads, parse_duration

    settings = get_settings()
    policy = policy or settings.retention_policy
    if policy not in ("delete", "archive"):
        raise typer.BadParameter("policy must be 'delete' or 'archive'", param_hint="--policy")
    try:
        age = parse_duration(older_than) if older_than else timedelta(days=settings.retention_days)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--older-than") from None
    url = _ready_database()
    cutoff = datetime.now(UTC) - age
    with psycopg.connect(url, autocommit=True) as conn:
        threads = idle_threads(conn, cutoff, skip_archived=policy == "archive")
        verb = "would " + policy if dry_run else policy
        console.print(
            f"{len(threads)} thread(s) idle since before {cutoff:%Y-%m-%d %H:%M} UTC: {verb}"
        )
        for thread in threads[:20]:
            console.print(
                f"  {thread.thread_id}  last activity {thread.last_activity:%Y-%m-%d %H:%M}"
            )
        if dry_run or not threads:
            return
        batch = settings.retention_batch_size
        with Progress(console=console) as progress:
            task = progress.add_task(f"{policy} idle threads", total=len(threads))
            for start in range(0, len(threads), batch):
                chunk = threads[start : start + batch]
                apply_policy(conn, chunk, policy, actor="cli", reason="cleanup")
                progress.advance(task, len(chunk))
    done = "deleted" if policy == "delete" else "archived"
    console.print(f"[green]{done} {len(threads)} thread(s)[/]")


@app.command()
def prune(
    thread: list[str] = typer.Option(None, "--thread", help="Thread id to compact (repeatable)."),
    idle_for: str = typer.Option(None, help="Compact every thread idle this long, e.g. 7d."),
    keep: str = typer.Option(
        "turns", help="turns (turn boundaries + branch heads) or keep_latest."
    ),
) -> None:
    """Compact old history: keep turn boundaries and every branch head, drop the rest."""
    import asyncio

    import psycopg
    from rich.progress import Progress

    from store.checkpointer import PostgresCheckpointer
    from store.db import make_async_pool
    from store.retention import idle_threads, parse_duration

    if not thread and not idle_for:
        raise typer.BadParameter("name --thread ID or --idle-for DURATION", param_hint="--thread")
    if keep not in ("turns", "keep_latest"):
        raise typer.BadParameter("keep must be 'turns' or 'keep_latest'", param_hint="--keep")
    try:
        age = parse_duration(idle_for) if idle_for else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--idle-for") from None
    url = _ready_database()
    thread_ids = list(thread or [])
    if age is not None:
        with psycopg.connect(url) as conn:
            thread_ids += [t.thread_id for t in idle_threads(conn, datetime.now(UTC) - age)]

    async def run() -> None:
        pool = make_async_pool(url, max_size=2, name="adlaan-prune")
        await pool.open(wait=True)
        try:
            saver = PostgresCheckpointer(pool)
            with Progress(console=console) as progress:
                task = progress.add_task("compacting threads", total=len(thread_ids))
                for thread_id in thread_ids:
                    await saver.aprune([thread_id], strategy=keep)
                    progress.advance(task)
        finally:
            await pool.close()

    asyncio.run(run())
    console.print(f"[green]compacted {len(thread_ids)} thread(s)[/]")


@threads_app.command("restore")
def threads_restore(
    server: str = typer.Option(
        None, help="URL of a running server to restore into now (else: at its next start)."
    ),
) -> None:
    """Rebuild the thread registry from PostgreSQL: threads with checkpoints but no registry
    entry get one (idempotent; newer entries are never overwritten)."""
    import asyncio

    import httpx
    from rich.progress import Progress

    from server.registry import ORPHAN_THREADS_SQL, Registry
    from store.db import make_async_pool

    url = _ready_database()

    async def backfill() -> int:
        pool = make_async_pool(url, max_size=2, name="adlaan-restore")
        await pool.open(wait=True)
        try:
            async with pool.connection() as conn:
                orphans = await (await conn.execute(ORPHAN_THREADS_SQL)).fetchall()
            registry = Registry(pool)
            store = {"threads": [Registry.thread_from_checkpoint(o) for o in orphans]}
            with Progress(console=console) as progress:
                task = progress.add_task("restoring threads", total=len(orphans))
                for start in range(0, len(orphans), 200):
                    chunk = orphans[start : start + 200]
                    await registry.save_threads(store, [o["thread_id"] for o in chunk])
                    progress.advance(task, len(chunk))
            return len(orphans)
        finally:
            await pool.close()

    restored = asyncio.run(backfill())
    console.print(f"[green]{restored} thread(s) added to the registry from their checkpoints[/]")
    if server:
        response = httpx.post(f"{server.rstrip('/')}/adlaan/registry/restore", timeout=300)
        response.raise_for_status()
        console.print(f"server restored: {response.json()}")
    else:
        console.print("a running server picks them up at its next start (or pass --server URL)")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL in use (password masked)."""
    url, source = get_settings().database_url_and_source()
    typer.echo(f"{mask_url(url)}\t{source}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL (its data stays in ADLAAN_DATA_DIR)."""
    from store.embedded import stop_embedded

    stopped = stop_embedded(get_settings().data_dir)
    typer.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


if __name__ == "__main__":
    app()
