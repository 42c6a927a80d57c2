"""Database plumbing shared by the checkpointer, the ORM and the CLI: URLs, pools, engines, waits.

Everything here takes a URL; choosing the URL is the settings object's job (``server.settings``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypeAlias, TypeVar

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

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


def connection_kwargs(*, prepare: bool = True) -> dict[str, Any]:
    """Connection options for every pooled connection of the project.

    ``prepare=False`` turns server-side prepared statements off, which transaction poolers
    such as PgBouncer need.
    """
    kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row, **KEEPALIVE_KWARGS}
    if not prepare:
        kwargs["prepare_threshold"] = None
    return kwargs


def make_async_pool(
    url: str,
    *,
    max_size: int = 20,
    min_size: int = 1,
    max_idle: float = 300.0,
    max_lifetime: float = 1800.0,
    timeout: float = 30.0,
    prepare: bool = True,
    name: str = "adlaan",
) -> DictPool:
    """An unopened async pool that checks each connection on checkout (a restarted server's
    dead connections are replaced, not handed to a query)."""
    return AsyncConnectionPool(
        conninfo=libpq_url(url),
        connection_class=DictConnection,
        min_size=min(min_size, max_size),
        max_size=max_size,
        max_idle=max_idle,
        max_lifetime=max_lifetime,
        timeout=timeout,
        kwargs=connection_kwargs(prepare=prepare),
        check=AsyncConnectionPool.check_connection,
        open=False,
        name=name,
    )


def make_engine(url: str, *, pool_size: int = 5, prepare: bool = True) -> AsyncEngine:
    """An async SQLAlchemy engine on psycopg 3 for the relational tables."""
    connect_args: dict[str, Any] = dict(KEEPALIVE_KWARGS)
    if not prepare:
        connect_args["prepare_threshold"] = None
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions that keep loaded attributes after commit (handlers return them afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return DatabaseUnavailable(
        f"Cannot connect to PostgreSQL at {mask_url(url)}: {reason}\n"
        "Fix: start PostgreSQL, or correct DATABASE_URL (or DB_HOST/DB_PORT/DB_NAME/DB_USER/"
        "DB_PASSWORD) in the environment or .env; unset them all to use the embedded PostgreSQL."
    )


def wait_for_database(
    url: str, *, retries: int = 5, delay: float = 1.0, connect_timeout: int = 10
) -> None:
    """Connect once, retrying with backoff; raise ``DatabaseUnavailable`` when it never answers."""
    for attempt in range(retries + 1):
        try:
            with psycopg.connect(libpq_url(url), connect_timeout=connect_timeout) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as error:
            if attempt == retries:
                raise _unavailable(url, error) from None
            time.sleep(min(delay * 2**attempt, 10.0))


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
        except psycopg.OperationalError as error:
            if attempt == retries:
                raise _unavailable(url, error) from None
            await asyncio.sleep(min(delay * 2**attempt, 10.0))
