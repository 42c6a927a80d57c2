"""Database plumbing shared by the checkpointer, the ORM and the CLI: URLs, pools, waits.

Everything here takes a URL; choosing the URL is the settings object's job (``server.settings``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

#: TCP keepalives so that a dead peer (PostgreSQL restarted, a NAT dropping the flow) is noticed
#: by the kernel instead of hanging a query forever.
KEEPALIVE_KWARGS: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


#: A connection of the project's pools (``connection_kwargs``): rows come back as dicts.
DictConnection: TypeAlias = AsyncConnection[DictRow]
#: The pool ``make_async_pool`` builds.
DictPool: TypeAlias = AsyncConnectionPool[DictConnection]

Row = TypeVar("Row")


async def one(cur: AsyncCursor[Row]) -> Row:
    """The row of a statement that always returns one (``RETURNING``, an aggregate, ``EXISTS``)."""
    row = await cur.fetchone()
    if row is None:
        raise LookupError("the statement returned no row")
    return row


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached; the message names the URL (password masked) and the fix."""


class DatabaseRefused(DatabaseUnavailable):
    """PostgreSQL answered and said no for good (wrong password, unknown role or database, a
    malformed URL): retrying cannot help, so it fails at once."""


#: Fragments of libpq's messages for failures that no retry can mend. psycopg reports a failed
#: connection without a SQLSTATE, so the message is all there is to go on.
PERMANENT_MARKERS = (
    "password authentication failed",
    "no password supplied",
    "does not exist",  # database "x" / role "x" does not exist
    "no pg_hba.conf entry",
    "invalid integer value",
    "invalid connection option",
    "invalid uri",
    'missing "=" after',
    "invalid sslmode",
    "name or service not known",
    "nodename nor servname",
    "permission denied",
    "authentication method",
    "not permitted to log in",
)


def is_permanent(error: BaseException) -> bool:
    """True for a connection error that retrying cannot fix (see ``PERMANENT_MARKERS``);
    False for the transient ones: refused, timed out, the server starting or full."""
    if isinstance(error, psycopg.ProgrammingError):  # a malformed conninfo
        return True
    message = str(error).lower()
    return any(marker in message for marker in PERMANENT_MARKERS)


#: ``on_retry(attempt, retries, delay, reason)`` is called before each wait between attempts
#: and does the waiting itself (a CLI shows a countdown); by default, ``time.sleep(delay)``.
OnRetry = Callable[[int, int, float, str], None]


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for logs and error messages)."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL we can parse: show only its scheme
        return url.split("://", 1)[0] + "://***"
    return parsed.render_as_string(hide_password=True)


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy form (``postgresql+psycopg://``) of a libpq URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {mask_url(url)}")


def libpq_url(url: str) -> str:
    """The libpq form (``postgresql://``) of a URL, as psycopg wants it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def connection_kwargs(*, prepare: bool = True, options: str | None = None) -> dict[str, Any]:
    """Connection options for every pooled connection of the project.

    ``prepare=False`` turns server-side prepared statements off, which transaction poolers
    such as PgBouncer need. ``options`` are run-time settings for the server (``-c name=value``,
    as libpq's ``options``; PgBouncer refuses them), e.g. ``DISPATCHER_OPTIONS``.
    """
    kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row, **KEEPALIVE_KWARGS}
    if not prepare:
        kwargs["prepare_threshold"] = None
    if options:
        kwargs["options"] = options
    return kwargs


#: What a hook dispatcher's connections set (server/hooks.py): statements planned once, and
#: commits that do not wait for the WAL to reach the disk. The mirror is derived from
#: checkpoints that were committed durably, and a crash loses only a suffix of the WAL: a lost
#: cursor update is a redelivery (delivery is at least once), never a skipped event, since a
#: mirror's transaction commits before the cursor's that passes its events.
DISPATCHER_OPTIONS = "-c plan_cache_mode=force_generic_plan -c synchronous_commit=off"


def make_async_pool(
    url: str,
    *,
    max_size: int = 20,
    min_size: int = 1,
    max_idle: float = 300.0,
    max_lifetime: float = 1800.0,
    timeout: float = 30.0,
    prepare: bool = True,
    options: str | None = None,
    check: bool = True,
    name: str = "adlaan",
) -> DictPool:
    """An unopened async pool that checks each connection on checkout (a restarted server's
    dead connections are replaced, not handed to a query); ``check=False`` for a pool whose
    user can take a failed statement and then checks the pool itself (the hook dispatcher:
    ``AsyncConnectionPool.check`` when the database looks unavailable).

    A failed check has the pool check all its idle connections at once
    (``AsyncConnectionPool.check``, in a task: the broken ones are closed and replaced):
    psycopg_pool waits before it tries the next one (1 s, then 2, 4, 8 ...), so a pool holding
    five or more connections that a database restart cut would spend more than its whole
    ``timeout`` finding them dead one by one."""
    pool: DictPool
    checking: asyncio.Task[None] | None = None  # the pool's check, while it runs

    async def check_one(conn: DictConnection) -> None:
        nonlocal checking
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            if checking is None or checking.done():
                checking = asyncio.create_task(pool.check(), name=f"check pool {pool.name}")
                checking.add_done_callback(_log_failure)
            raise

    pool = AsyncConnectionPool(
        conninfo=libpq_url(url),
        connection_class=DictConnection,
        min_size=min(min_size, max_size),
        max_size=max_size,
        max_idle=max_idle,
        max_lifetime=max_lifetime,
        timeout=timeout,
        kwargs=connection_kwargs(prepare=prepare, options=options),
        check=check_one if check else None,
        open=False,
        name=name,
    )
    return pool


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logging.getLogger("adlaan.db").warning("checking a pool's connections failed: %s", error)


def _reason(error: Exception) -> str:
    text = str(error).strip()
    if not text:
        return type(error).__name__
    # libpq prefixes "connection failed: connection to server at ..., port ... failed: FATAL:"
    line = text.splitlines()[0]
    return line.rsplit("FATAL:", 1)[-1].strip()


def _unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    reason = _reason(error)
    if is_permanent(error):
        return DatabaseRefused(
            f"PostgreSQL at {mask_url(url)} refused the connection: {reason}\n"
            "Fix: correct DATABASE_URL (or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD) in the "
            "environment or .env (`adlaan config` shows what is in effect); unset them all to "
            "use the embedded PostgreSQL."
        )
    return DatabaseUnavailable(
        f"Cannot connect to PostgreSQL at {mask_url(url)}: {reason}\n"
        "Fix: start PostgreSQL, or correct DATABASE_URL (or DB_HOST/DB_PORT/DB_NAME/DB_USER/"
        "DB_PASSWORD) in the environment or .env; unset them all to use the embedded PostgreSQL."
    )


def _backoff(delay: float, attempt: int) -> float:
    return min(delay * 2**attempt, 10.0)


def wait_for_database(
    url: str,
    *,
    retries: int = 5,
    delay: float = 1.0,
    connect_timeout: int = 10,
    on_retry: OnRetry | None = None,
) -> None:
    """Connect once, retrying transient failures with backoff; raise ``DatabaseRefused`` at once
    on a permanent one and ``DatabaseUnavailable`` when it never answers."""
    for attempt in range(retries + 1):
        try:
            with psycopg.connect(libpq_url(url), connect_timeout=connect_timeout) as conn:
                conn.execute("SELECT 1")
            return
        except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
            if attempt == retries or is_permanent(error):
                raise _unavailable(url, error) from None
            wait = _backoff(delay, attempt)
            if on_retry is None:
                time.sleep(wait)
            else:
                on_retry(attempt + 1, retries, wait, _reason(error))


async def await_database(
    url: str, *, retries: int = 5, delay: float = 1.0, connect_timeout: int = 10
) -> None:
    """The async twin of ``wait_for_database``."""
    for attempt in range(retries + 1):
        try:
            conn = await psycopg.AsyncConnection.connect(
                libpq_url(url), connect_timeout=connect_timeout
            )
            async with conn:
                await conn.execute("SELECT 1")
            return
        except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
            if attempt == retries or is_permanent(error):
                raise _unavailable(url, error) from None
            await asyncio.sleep(_backoff(delay, attempt))


# --- schema changes while others serve ---------------------------------------------------------

#: How long a schema change (a migration, the run-event trigger's replacement) waits for a
#: table's lock before it is rolled back and, ``LOCK_PAUSE`` seconds later, tried again (at
#: most ``LOCK_ATTEMPTS`` times in all). A lock request waiting in PostgreSQL's queue blocks
#: every later request on its table: an upgrade while other processes serve would stall them
#: all behind a long transaction, and for ever behind one that itself waits for another
#: connection of its process (langgraph-runtime-pg's queue loop holds ``runs`` while it sweeps
#: on a second connection; our dispatcher's round holds its cursor while the mirror writes),
#: a deadlock PostgreSQL cannot see. A timed-out request leaves the queue.
LOCK_TIMEOUT_MS, LOCK_ATTEMPTS, LOCK_PAUSE = 2_000, 30, 1.0

_T = TypeVar("_T")
_migrate_log = logging.getLogger("adlaan.migrate")


def retrying_locks(
    step: Callable[[], _T], what: str, *, attempts: int = LOCK_ATTEMPTS, pause: float = LOCK_PAUSE
) -> _T:
    """``step()``, which sets ``lock_timeout`` to ``LOCK_TIMEOUT_MS`` on its connection and
    makes its changes in transactions, tried again while it fails on that timeout, ``pause``
    seconds apart, at most ``attempts`` times in all; then the timeout's error is raised
    (``what`` names the step in the warning each retry logs)."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(1, attempts):
        try:
            return step()
        except (psycopg.errors.LockNotAvailable, OperationalError) as error:
            cause = error.orig if isinstance(error, OperationalError) else error
            if not isinstance(cause, psycopg.errors.LockNotAvailable):
                raise
            _migrate_log.warning(
                "%s waited %d ms for a table that a serving process holds; trying again in "
                "%g s (attempt %d of %d)",
                what,
                LOCK_TIMEOUT_MS,
                pause,
                attempt,
                attempts,
            )
            time.sleep(pause)
    return step()
