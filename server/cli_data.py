"""``adlaan backup``, ``adlaan restore``, ``adlaan users export`` and ``adlaan users erase``: the
data lifecycle commands (docs/data-lifecycle.md), registered on server/cli.py's app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from server.cli import (
    _email_option,
    _no_user,
    _ready_database,
    _with_pool,
    app,
    console,
    users_app,
)
from server.cli_errors import CliError, ExitCode
from server.settings import get_settings


def _runtime_dir(chosen: Path | None, url: str) -> Path:
    """``--runtime-dir``, or the database's own runtime directory (where `adlaan dev` on that
    database keeps the development server's files)."""
    from server.runtime.files import runtime_dir

    return chosen if chosen is not None else runtime_dir(get_settings().data_dir, url)


class _Steps:
    """A Rich progress display fed by ``server.backup``'s steps."""

    def __init__(self, progress: Progress, verb: str):
        self.progress, self.verb = progress, verb
        self.task: TaskID | None = None

    def __call__(self, step: str, detail: Any) -> None:
        if step == "tables":
            self.task = self.progress.add_task(f"{self.verb} tables", total=detail)
        elif step == "table" and self.task is not None:
            self.progress.update(self.task, advance=1, description=f"{self.verb} {detail}")
        elif step == "check":
            self.progress.add_task("checking every table against the manifest", total=None)
        elif step == "runtime":
            self.progress.add_task(f"runtime files ({detail})", total=None)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _failed(error: Exception) -> CliError:
    """A backup or restore that could not be done, said as such (exit code 1)."""
    return CliError(str(error), ExitCode.FAILED)


RUNTIME_DIR_HELP = (
    "The development server's runtime directory (its pickles): by default the database's own, "
    "ADLAAN_DATA_DIR/runtime/<database>, which `adlaan dev` links to .langgraph_api."
)


@app.command("backup")
def backup_command(
    path: Path = typer.Argument(..., help="The backup file to write (e.g. adlaan.backup)."),
    runtime_dir: Path = typer.Option(None, help=RUNTIME_DIR_HELP),
) -> None:
    """Back up everything (every table in one consistent snapshot with pg_dump, and the
    runtime's files) into one compressed file, while the server runs."""
    from server.backup import BackupError, backup
    from store.dump import ToolFailed, ToolMissing

    url = _ready_database(migrated=False)
    runtime_dir = _runtime_dir(runtime_dir, url)
    try:
        with _progress() as progress:
            manifest = backup(
                url, path, runtime_dir=runtime_dir, on_step=_Steps(progress, "dumping")
            )
    except (BackupError, ToolFailed, ToolMissing) as error:
        raise _failed(error) from None
    rows = sum(int(t["rows"]) for t in manifest.tables.values())
    console.print(
        f"[green]backed up[/] {len(manifest.tables)} tables ({rows} rows), "
        f"{len(manifest.runtime_files)} runtime file(s) to {path} "
        f"({path.stat().st_size:,} bytes; PostgreSQL {manifest.server_version.split()[0]}, "
        f"pg_dump {manifest.pg_dump})"
    )


@app.command("restore")
def restore_command(
    path: Path = typer.Argument(..., help="A file `adlaan backup` wrote."),
    runtime_dir: Path = typer.Option(None, help=RUNTIME_DIR_HELP),
    into_non_empty: bool = typer.Option(
        False,
        "--into-non-empty",
        help="Restore into a database that has tables: what the backup holds is dropped and "
        "replaced (and the runtime files overwritten). Without it, only an empty database.",
    ),
) -> None:
    """Restore a backup into an empty database (and the runtime's files), then check every
    table's row count and hash against the backup's manifest. Start the server afterwards."""
    from server.backup import BackupError, restore
    from store.dump import ToolFailed, ToolMissing

    if not path.is_file():
        raise typer.BadParameter(f"no file {path}", param_hint="PATH")
    url = _ready_database(migrated=False)
    runtime_dir = _runtime_dir(runtime_dir, url)
    try:
        with _progress() as progress:
            restored = restore(
                url,
                path,
                runtime_dir=runtime_dir,
                into_non_empty=into_non_empty,
                on_step=_Steps(progress, "restoring"),
            )
    except (BackupError, ToolFailed, ToolMissing) as error:
        raise _failed(error) from None
    manifest = restored.manifest
    table = Table("table", "rows", "check")
    for name, want in manifest.tables.items():
        table.add_row(name, str(want["rows"]), "equal")
    console.print(table)
    console.print(
        f"[green]restored[/] the backup of {manifest.created_at} "
        f"(schema {manifest.schema_revision or '-'}) with {restored.tool.path}; "
        f"{len(restored.runtime_files)} runtime file(s) into {runtime_dir}.\n"
        "Next: `adlaan migrate` if this code is newer than the backup, then start the server."
    )


@users_app.command("export")
def users_export(
    path: Path = typer.Argument(..., help="The zip file to write."),
    email: str = typer.Option(..., help="The user's e-mail address."),
) -> None:
    """Export everything about one user to a zip: their conversations (messages as JSON, every
    document version as .docx), what they own, and the audit entries about them."""
    from server.user_data import export_zip
    from store.repositories import audit, users

    address = _email_option(email)
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory: name the zip file", param_hint="PATH")
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn:
            user = await users.by_email(conn, address)
            if user is None:
                return None
            data = await export_zip(conn, user)
            await audit.record(conn, "cli", "user.exported", str(user["id"]), size=len(data))
            return data

    with console.status(f"exporting {address}"):
        data = _with_pool(url, work, size=1)
    if data is None:
        raise _no_user(address)
    path.write_bytes(data)
    path.chmod(0o600)
    console.print(f"[green]exported {address}[/] to {path} ({len(data):,} bytes)")


@users_app.command("erase")
def users_erase(
    email: str = typer.Option(..., help="The user's e-mail address."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase a user and every trace of them: their threads (checkpoints, writes, blobs, mirror
    rows, outbox events), the registry's rows of what they owned, their account, sessions, API
    keys and login throttle; the audit entries about them are anonymised. Cannot be undone.
    Stop the development server first: its memory and files hold its threads too."""
    from server.user_data import erase
    from store.repositories import users

    address = _email_option(email)
    if not yes:
        typer.confirm(
            f"Erase {address} and every conversation of theirs, for good?", abort=True, err=True
        )
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn:
            user = await users.by_email(conn, address)
            return None if user is None else await erase(conn, user, actor="cli")

    erased = _with_pool(url, work, size=1)
    if erased is None:
        raise _no_user(address)
    console.print(
        f"[green]erased {address}[/]: {erased.threads} thread(s), {erased.assistants} "
        f"assistant(s), {erased.crons} cron(s), {erased.events} outbox event(s); "
        f"{erased.audit_entries} audit entr(ies) now name {erased.pseudonym}"
    )
