"""The ``adlaan`` command: set-up, the dev server, database chores."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from server.cli_errors import EPILOG, CliError, ExitCode, NotFound, PortInUse, explain
from server.cli_lifecycle import register as register_lifecycle
from server.settings import ENV_FILE_ENV, RESOLVED_URL_ENV, get_settings
from store.db import mask_url, wait_for_database


class ExplainingTyper(typer.Typer):
    """A Typer whose expected failures print a message and exit with their code
    (server/cli_errors.py), never a traceback; anything else is a bug and shows one."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            explained = explain(error)
            if explained is None:
                raise
            message, code = explained
            console.print(Text.assemble(("error: ", "bold red"), message), highlight=False)
            sys.exit(int(code))


app = ExplainingTyper(
    help="Adlaan Agent: the legal-drafting LangGraph server and its database.",
    epilog=EPILOG,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database: where it is, the embedded server.")
app.add_typer(db_app, name="db")
hooks_app = typer.Typer(help="Plugin hooks: the dispatcher, its state, dead letters.")
app.add_typer(hooks_app, name="hooks")
mirror_app = typer.Typer(help="The relational mirror of threads (conversations, messages...).")
app.add_typer(mirror_app, name="mirror")
threads_app = typer.Typer(help="The LangGraph API's thread registry, kept in PostgreSQL.")
app.add_typer(threads_app, name="threads")
users_app = typer.Typer(help="Users and their API keys.")
app.add_typer(users_app, name="users")
console = Console(stderr=True, soft_wrap=True)
ROOT = Path(__file__).resolve().parents[1]


@app.callback()
def main(
    env_file: Path = typer.Option(
        None,
        "--env-file",
        envvar=ENV_FILE_ENV,
        help="Read settings from this file instead of .env (current directory, then the "
        "project root). The environment still wins.",
    ),
) -> None:
    """Adlaan Agent: the legal-drafting LangGraph server and its database."""
    if env_file is not None:
        # through the environment, so the dev server's processes read the same file
        os.environ[ENV_FILE_ENV] = str(env_file)
        get_settings.cache_clear()
    get_settings()  # a bad configuration fails here, before any command starts anything


def _countdown(attempt: int, retries: int, delay: float, reason: str) -> None:
    """Wait ``delay`` seconds before the next connection attempt, counting down on screen."""
    import time

    with console.status("") as status:
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            status.update(
                f"database not answering ({reason}); retry {attempt}/{retries} in {left:.0f}s"
            )
            time.sleep(min(left, 0.25))
    console.print(f"[yellow]database not answering[/] ({reason}): retry {attempt}/{retries}")


def _ready_database(*, migrated: bool = True) -> str:
    """Resolve the database (starting the embedded one if needed), wait for it (transient
    failures retried with a countdown, permanent ones fail at once), say which; unless
    ``migrated=False``, refuse a database whose schema is not current."""
    settings = get_settings()
    url, source = settings.database_url_and_source()
    console.print(f"[bold]database:[/] {mask_url(url)} [dim]({source})[/]")
    wait_for_database(
        url,
        retries=settings.db_startup_retries,
        connect_timeout=settings.db_connect_timeout,
        on_retry=_countdown,
    )
    if migrated:
        from store.migrate import require_current_schema

        require_current_schema(url)
    return url


@app.command()
def migrate() -> None:
    """Create or upgrade every table (checkpointer and relational), under an advisory lock."""
    from store.migrate import migrate as run_migrations

    url = _ready_database(migrated=False)
    run_migrations(url)
    console.print("[green]database is migrated[/]")


@app.command()
def dev(
    port: int = typer.Option(None, help="Port to serve on (default: $PORT or 2024)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    reload: bool | None = typer.Option(
        None,
        "--reload/--no-reload",
        help="Restart the server when source files change (default: on in a checkout, off for "
        "an installed package, whose sources are site-packages).",
    ),
) -> None:
    """Migrate, then run `langgraph dev --no-browser` on the same database, as a child that
    gets this command's signals and stops with it (even when this command is killed)."""
    from server.supervise import port_problem, run_supervised
    from store.migrate import migrate as run_migrations

    port = port or get_settings().port
    try:
        serving = get_settings().server_environment(host)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--host") from None
    if problem := port_problem(host, port):
        raise PortInUse(
            f"cannot serve on {host}:{port}: {problem}\n"
            "Fix: stop what listens there, or pick another port: `adlaan dev --port N` "
            "(`make dev PORT=N`)."
        )
    url = _ready_database(migrated=False)
    run_migrations(url)
    _hint_first_user(url)
    langgraph = shutil.which("langgraph", path=str(Path(sys.executable).parent)) or "langgraph"
    argv = [langgraph, "dev", "--no-browser", "--host", host, "--port", str(port)]
    if reload is None:
        reload = (ROOT / "pyproject.toml").is_file()
    if not reload:
        argv.append("--no-reload")
    env = {**os.environ, RESOLVED_URL_ENV: url, **serving}
    _runtime_files(url)
    console.print(f"[bold]serving[/] graph [cyan]drafter[/] on http://{host}:{port}")
    code = run_supervised(argv, env, ROOT)
    if code == ExitCode.INTERRUPTED:
        console.print("stopped")
        return
    if code:
        raise CliError(f"the server exited with code {code} (its log is above)", ExitCode.FAILED)


def _runtime_files(url: str) -> None:
    """The dev server's pickles go to the data directory, owner-only (server/runtime/files.py);
    its children inherit umask 077, so every file they write is the owner's only."""
    from server.runtime.files import prepare

    target = prepare(ROOT, get_settings().data_dir, url)
    os.umask(0o077)
    console.print(f"[bold]runtime files:[/] {target} [dim](owner-only)[/]")


def _hint_first_user(url: str) -> None:
    """Every request needs credentials: say how to get the first ones."""
    from store.repositories import users

    async def work(pool):
        async with pool.connection() as conn:
            return await users.count_active(conn)

    if not _with_pool(url, work, size=1):
        console.print(
            "[yellow]no users yet[/]: every request needs a key. Create one with\n"
            "  printf '%s\\n' \"$PASSWORD\" | .venv/bin/adlaan users create --email you@example.com "
            "--password-stdin --admin --api-key\n"
            "and send it as 'Authorization: Bearer <key>' (docs/api.md)."
        )


register_lifecycle(app, db_app)  # cleanup, prune, db stats (server/cli_lifecycle.py)


async def _require_threads(pool, thread_ids: list[str]) -> None:
    """Raise ``NotFound`` naming every id in ``thread_ids`` that has no checkpoint."""
    from store.repositories import checkpoints

    if not thread_ids:
        return
    async with pool.connection() as conn:
        known = set(await checkpoints.threads_with_checkpoints(conn, thread_ids))
    if missing := [t for t in thread_ids if t not in known]:
        raise NotFound(
            f"no thread with id {', '.join(missing)} (nothing was changed)\n"
            "Fix: check the id (GET /threads/search lists them), or leave it out."
        )


def _with_pool(url: str, work, *, size: int = 4):
    """Run ``await work(pool)`` on a fresh pool to ``url``."""
    import asyncio

    from store.db import make_async_pool

    async def main():
        pool = make_async_pool(url, max_size=size, name="adlaan-cli")
        await pool.open(wait=True)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


@hooks_app.command("worker")
def hooks_worker() -> None:
    """Deliver hook events until interrupted (alongside, or instead of, the server's dispatcher)."""
    import asyncio

    from server.hooks import deliver_forever

    url = _ready_database()
    settings = get_settings()

    def started(dispatcher) -> None:
        console.print(f"delivering to: {', '.join(dispatcher.plugin_names())} (Ctrl-C stops)")

    try:
        asyncio.run(deliver_forever(url, settings, asyncio.Event(), started=started))
    except KeyboardInterrupt:
        console.print("stopped")


@hooks_app.command("status")
def hooks_status() -> None:
    """Each plugin's position, lag and retry state, the parked threads, and the dead letters."""
    from rich.table import Table

    from store.repositories import outbox

    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn:
            return await outbox.status(conn)

    found = _with_pool(url, work, size=1)
    table = Table("plugin", "last event", "behind", "attempts", "retry at", "last error")
    for cursor in found["cursors"]:
        table.add_row(
            cursor["plugin"],
            str(cursor["last_event_id"]),
            str(found["newest"] - cursor["last_event_id"]),
            str(cursor["attempts"]),
            str(cursor["next_attempt_at"] or ""),
            (cursor["last_error"] or "")[:80],
        )
    console.print(table)
    parked_table = Table("parked thread", "plugin", "from event", "attempts", "retry at", "error")
    for row in found["parked"]:
        parked_table.add_row(
            row["thread_id"],
            row["plugin"],
            str(row["event_id"]),
            str(row["attempts"]),
            str(row["next_attempt_at"]),
            (row["last_error"] or "")[:80],
        )
    console.print(parked_table if found["parked"] else "no parked threads")
    dead_table = Table("dead letter", "plugin", "event", "attempts", "error", "at")
    for row in found["dead"]:
        dead_table.add_row(*(str(v)[:80] for v in row.values()))
    console.print(dead_table if found["dead"] else "no dead letters")


@hooks_app.command("retry")
def hooks_retry(
    plugin: str = typer.Option(None, help="Only this plugin's dead letters."),
) -> None:
    """Deliver the dead letters again, now (each once; a failure leaves it dead)."""
    from server.hooks import make_dispatcher

    url = _ready_database()
    settings = get_settings()

    async def work(pool):
        dispatcher = make_dispatcher(pool, settings)
        if plugin and plugin not in dispatcher.plugin_names():
            raise NotFound(
                f"no plugin named {plugin!r} is loaded "
                f"(loaded: {', '.join(dispatcher.plugin_names()) or 'none'})\n"
                "Fix: check the name, or allow the plugin with HOOKS_ALLOW."
            )
        return await dispatcher.retry_dead_letters(plugin)

    ok, failed = _with_pool(url, work)
    console.print(f"delivered {ok} dead letter(s); {failed} failed again")
    if failed:
        raise typer.Exit(1)


@mirror_app.command("sync")
def mirror_sync(
    thread: list[str] = typer.Option(None, "--thread", help="Only this thread (repeatable)."),
) -> None:
    """Repair the mirror from the checkpoints: every root checkpoint is mirrored again, in order
    (idempotent), so the mirror equals the state."""
    from rich.progress import Progress

    from hooks.builtin.mirror import Mirror
    from hooks.dispatcher import Dispatcher
    from hooks.manager import get_plugin_manager

    url = _ready_database()

    async def work(pool):
        await _require_threads(pool, list(thread or []))
        mirror = Mirror(pool)
        dispatcher = Dispatcher(pool, get_plugin_manager(builtins=[("mirror", mirror)]))
        rows = await dispatcher.checkpoint_events(thread or None)
        with Progress(console=console) as progress:
            task = progress.add_task("mirroring checkpoints", total=len(rows))
            for row in rows:
                await dispatcher.call("mirror", await dispatcher.event(row, cache=False))
                progress.advance(task)
        return len(rows)

    count = _with_pool(url, work)
    console.print(f"[green]mirrored {count} checkpoint(s)[/]")


@threads_app.command("restore")
def threads_restore(
    server: str = typer.Option(
        None, help="URL of a running server to restore into now (else: at its next start)."
    ),
    token: str = typer.Option(
        None, envvar="ADLAAN_TOKEN", help="An admin's API key, for --server."
    ),
) -> None:
    """Rebuild the thread registry from PostgreSQL: threads with checkpoints but no registry
    entry get one (idempotent; newer entries are never overwritten)."""
    import httpx
    from rich.progress import Progress

    from server.registry import Registry

    url = _ready_database()

    async def work(pool) -> int:
        with Progress(console=console) as progress:
            task = progress.add_task("restoring threads", total=None)
            return await Registry(pool).rebuild_from_checkpoints(
                lambda done, total: progress.update(task, completed=done, total=total)
            )

    restored = _with_pool(url, work, size=2)
    console.print(f"[green]{restored} thread(s) added to the registry from their checkpoints[/]")
    if server:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{server.rstrip('/')}/adlaan/registry/restore", headers=headers, timeout=300
        )
        response.raise_for_status()
        console.print(f"server restored: {response.json()}")
    else:
        console.print("a running server picks them up at its next start (or pass --server URL)")


def _password_from_stdin(password_stdin: bool, command: str) -> str:
    """The password on standard input (never on the command line, where other users of the
    machine could read it in the process list)."""
    if not password_stdin:
        raise typer.BadParameter(
            "pass --password-stdin and the password on standard input, e.g. "
            f"`printf '%s\\n' \"$PASSWORD\" | adlaan {command} --email E --password-stdin`",
            param_hint="--password-stdin",
        )
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="The user's e-mail address (their login)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
    admin: bool = typer.Option(False, "--admin", help="May read the audit log and /stats."),
    api_key: bool = typer.Option(
        False, "--api-key", help="Also create an API key and print it (shown once)."
    ),
) -> None:
    """Create a user. The password comes from stdin (never from the command line, where other
    users of the machine could read it in the process list)."""
    from store import accounts
    from store.repositories import audit

    password = _password_from_stdin(password_stdin, "users create")
    try:
        accounts.normalize_email(email)
        digest = accounts.hash_password(password)  # before any connection is taken
    except accounts.AccountError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn, conn.transaction():
            user = await accounts.create_user(conn, email, password_hash=digest, is_admin=admin)
            await audit.record(conn, "cli", "user.created", str(user["id"]), admin=admin)
            key = None
            if api_key:
                key, _ = await accounts.issue_credential(conn, user["id"], name="created with user")
            return user, key

    try:
        user, key = _with_pool(url, work, size=1)
    except accounts.AccountError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    role = "admin" if admin else "user"
    console.print(f"[green]created {role} {user['email']}[/] (id {user['id']})")
    if key:
        typer.echo(key)


@users_app.command("list")
def users_list() -> None:
    """Every user: id, e-mail, role, status (a table; tab-separated lines when piped)."""
    from rich.table import Table

    from store import accounts

    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn:
            return await accounts.list_users(conn)

    rows = [
        (
            str(user["id"]),
            user["email"],
            "admin" if user["is_admin"] else "user",
            "active" if user["is_active"] else "disabled",
            f"{user['created_at']:%Y-%m-%d %H:%M}",
        )
        for user in _with_pool(url, work, size=1)
    ]
    if not sys.stdout.isatty():  # piped: one tab-separated line per user, nothing cut
        for row in rows:
            typer.echo("\t".join(row))
        return
    table = Table("id", "email", "role", "status", "created")
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=True).print(table)


def _set_active(email: str, active: bool) -> None:
    from store import accounts
    from store.repositories import audit

    try:
        accounts.normalize_email(email)
    except accounts.AccountError as error:
        raise typer.BadParameter(str(error), param_hint="--email") from None
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn, conn.transaction():
            changed = await accounts.set_active(conn, email, active)
            if changed:
                action = "user.enabled" if active else "user.disabled"
                await audit.record(conn, "cli", action, email.strip().lower())
            return changed

    if not _with_pool(url, work, size=1):
        console.print(f"[red]no user with e-mail {email}[/]")
        raise typer.Exit(1)
    console.print(f"[green]{email} {'enabled' if active else 'disabled'}[/]")


@users_app.command("disable")
def users_disable(email: str = typer.Option(..., help="The user's e-mail address.")) -> None:
    """Disable a user: every credential of theirs stops working at once; nothing is deleted."""
    _set_active(email, False)


@users_app.command("enable")
def users_enable(email: str = typer.Option(..., help="The user's e-mail address.")) -> None:
    """Enable a disabled user again."""
    _set_active(email, True)


@users_app.command("api-key")
def users_api_key(
    email: str = typer.Option(..., help="The user's e-mail address."),
    name: str = typer.Option("cli", help="A name to tell the key apart."),
) -> None:
    """Create an API key for a user and print it (it is shown once, stored hashed)."""
    from store import accounts
    from store.repositories import audit, users

    try:
        address = accounts.normalize_email(email)
    except accounts.AccountError as error:
        raise typer.BadParameter(str(error), param_hint="--email") from None
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn, conn.transaction():
            user_id = await users.id_by_email(conn, address)
            if user_id is None:
                return None
            key, created = await accounts.issue_credential(conn, user_id, name=name)
            await audit.record(conn, "cli", "auth.api_key_created", str(created["id"]))
            return key

    key = _with_pool(url, work, size=1)
    if key is None:
        console.print(f"[red]no user with e-mail {address}[/]")
        raise typer.Exit(1)
    typer.echo(key)


def _email_option(email: str) -> str:
    """``--email`` normalised, or a usage error."""
    from store import accounts

    try:
        return accounts.normalize_email(email)
    except accounts.AccountError as error:
        raise typer.BadParameter(str(error), param_hint="--email") from None


def _no_user(address: str) -> typer.Exit:
    console.print(f"[red]no user with e-mail {address}[/]: see `adlaan users list`")
    return typer.Exit(1)


@users_app.command("password")
def users_password(
    email: str = typer.Option(..., help="The user's e-mail address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input (one line)."
    ),
    revoke_api_keys: bool = typer.Option(
        False, "--revoke-api-keys", help="Also revoke every API key of the user's."
    ),
) -> None:
    """Reset a user's password: every login session of theirs is revoked and their login
    throttle cleared (audited, user.password_reset). The password comes from stdin."""
    from store import accounts

    address = _email_option(email)
    password = _password_from_stdin(password_stdin, "users password")
    try:
        digest = accounts.hash_password(password)  # before any connection is taken
    except accounts.AccountError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn, conn.transaction():
            user = await accounts.find_user(conn, address)
            if user is None:
                return None
            return await accounts.set_password(
                conn,
                user,
                digest,
                actor="cli",
                action="user.password_reset",
                revoke_api_keys=revoke_api_keys,
            )

    revoked = _with_pool(url, work, size=1)
    if revoked is None:
        raise _no_user(address)
    console.print(f"[green]password of {address} reset[/]; {revoked} credential(s) revoked")


@users_app.command("unlock")
def users_unlock(email: str = typer.Option(..., help="The user's e-mail address.")) -> None:
    """Let a user throttled after too many failed logins log in again now (audited,
    user.unlocked)."""
    from store import accounts

    address = _email_option(email)
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn, conn.transaction():
            user = await accounts.find_user(conn, address)
            return None if user is None else await accounts.unlock(conn, user, actor="cli")

    cleared = _with_pool(url, work, size=1)
    if cleared is None:
        raise _no_user(address)
    state = "unlocked" if cleared else "was not throttled (nothing to clear)"
    console.print(f"[green]{address} {state}[/]")


@users_app.command("sessions")
def users_sessions(email: str = typer.Option(..., help="The user's e-mail address.")) -> None:
    """A user's live login sessions and API keys: id, kind, name, prefix, dates (a table;
    tab-separated lines when piped). Revoke one with `adlaan users revoke`."""
    from rich.table import Table

    from store import accounts

    address = _email_option(email)
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn:
            user = await accounts.find_user(conn, address)
            if user is None:
                return None
            return await accounts.list_live_credentials(conn, str(user["id"]))

    found = _with_pool(url, work, size=1)
    if found is None:
        raise _no_user(address)

    def when(at) -> str:
        return f"{at:%Y-%m-%d %H:%M}" if at else "-"

    rows = [
        (
            str(row["id"]),
            row["kind"],
            row["name"] or "-",
            row["prefix"] + "…",
            when(row["created_at"]),
            when(row["expires_at"]),
            when(row["last_used_at"]),
        )
        for row in found
    ]
    if not sys.stdout.isatty():
        for row in rows:
            typer.echo("\t".join(row))
        return
    table = Table("id", "kind", "name", "prefix", "created", "expires", "last used")
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=True).print(table)


@users_app.command("revoke")
def users_revoke(
    email: str = typer.Option(..., help="The user's e-mail address."),
    session: str = typer.Option(
        ..., "--session", help="The id of a session or API key (`adlaan users sessions`)."
    ),
) -> None:
    """Revoke one of a user's login sessions or API keys (audited, auth.session_revoked or
    auth.api_key_revoked)."""
    import uuid

    from store import accounts

    address = _email_option(email)
    try:
        key_id = uuid.UUID(session)
    except ValueError:
        raise typer.BadParameter("not a session id (a UUID)", param_hint="--session") from None
    url = _ready_database()

    async def work(pool):
        async with pool.connection() as conn, conn.transaction():
            user = await accounts.find_user(conn, address)
            if user is None:
                return False, None
            return True, await accounts.revoke_audited(conn, str(user["id"]), key_id, actor="cli")

    exists, kind = _with_pool(url, work, size=1)
    if not exists:
        raise _no_user(address)
    if kind is None:
        console.print(f"[red]{address} has no live session or API key {key_id}[/]")
        raise typer.Exit(1)
    console.print(f"[green]{kind.replace('_', ' ')} {key_id} of {address} revoked[/]")


@threads_app.command("assign")
def threads_assign(
    owner: str = typer.Option(..., help="E-mail of the user who gets the threads."),
    thread: list[str] = typer.Option(None, "--thread", help="A thread id (repeatable)."),
    unowned: bool = typer.Option(
        False, "--unowned", help="Every thread without an owner (e.g. made before auth was on)."
    ),
    server: str = typer.Option(
        ..., help="URL of the running server (`langgraph dev` or `adlaan serve`)."
    ),
    token: str = typer.Option(
        ..., envvar="ADLAAN_TOKEN", help="An administrator's API key (or $ADLAAN_TOKEN)."
    ),
) -> None:
    """Give threads to a user: the listed ones, and/or every thread without an owner."""
    import httpx

    if not thread and not unowned:
        raise typer.BadParameter("name --thread ID or --unowned", param_hint="--thread")
    response = httpx.post(
        f"{server.rstrip('/')}/adlaan/threads/assign",
        headers={"Authorization": f"Bearer {token}"},
        json={"owner_email": owner, "thread_ids": list(thread or []), "unowned": unowned},
        timeout=300,
    )
    response.raise_for_status()  # server/cli_errors.py says what went wrong
    console.print(f"[green]assigned {response.json()['assigned']} thread(s) to {owner}[/]")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL in use (password masked). Starts nothing: for an embedded
    PostgreSQL that is not running, only where it lives."""
    url, source = get_settings().database_without_starting()
    typer.echo(f"{mask_url(url) if url else '-'}\t{source}")


@app.command("config")
def show_config() -> None:
    """Show the effective settings, where each comes from, secrets masked. Starts nothing."""
    from rich.table import Table

    from server.settings import env_files

    settings = get_settings()
    files = env_files()
    console.print(
        "[bold].env files read[/] (later wins; the environment beats them all): "
        + (", ".join(str(f) for f in files) or "none")
    )
    url, source = settings.database_without_starting()
    console.print(f"[bold]database:[/] {mask_url(url) if url else '-'} [dim]({source})[/]")
    rows = settings.effective()
    if not sys.stdout.isatty():  # piped: tab-separated lines
        for row in rows:
            typer.echo("\t".join(row))
        return
    table = Table("variable", "value", "from")
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=True).print(table)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL (its data stays in ADLAAN_DATA_DIR)."""
    from store.embedded import stop_embedded

    stopped = stop_embedded(get_settings().data_dir)
    typer.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


from server.serve import serve  # noqa: E402  (the production server: docs/serving.md)

app.command()(serve)

from server import (  # noqa: E402, F401  (backup, restore, users export/erase; db rotate-key)
    cli_crypto,
    cli_data,
)

if __name__ == "__main__":
    app()
