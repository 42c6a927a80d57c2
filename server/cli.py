"""The ``adlaan`` command: set-up, the dev server, database chores."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer
from rich.console import Console

from server.settings import RESOLVED_URL_ENV, get_settings
from store.db import DatabaseUnavailable, mask_url, wait_for_database

app = typer.Typer(help="Adlaan Agent: the legal-drafting LangGraph server and its database.")
db_app = typer.Typer(help="The database: where it is, the embedded server.")
app.add_typer(db_app, name="db")
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
