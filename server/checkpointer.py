"""The checkpointer entry point named in langgraph.json (``checkpointer.path``).

langgraph-api enters this async context manager once per event loop it runs graphs on and
keeps the saver for the life of the server. Its tables must already exist: they are created by
the migration step (``adlaan migrate``), never here and never at request time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server import runtime
from server.settings import Settings, get_settings
from store import crypto
from store.checkpointer import PostgresCheckpointer
from store.db import DatabaseUnavailable, await_database, make_async_pool, mask_url
from store.migrate import schema_is_current


def pool_for(settings: Settings, url: str, *, name: str):
    """An unopened pool sized and hardened as the settings say."""
    return make_async_pool(
        url,
        max_size=settings.db_pool_size,
        min_size=settings.db_pool_min_size,
        max_idle=settings.db_pool_max_idle,
        max_lifetime=settings.db_pool_max_lifetime,
        prepare=settings.database_pooler != "pgbouncer",
        name=name,
    )


@asynccontextmanager
async def checkpointer() -> AsyncIterator[PostgresCheckpointer]:
    """Yield a ``PostgresCheckpointer`` on a pool of connections to the configured database."""
    runtime.install_adapter()
    settings = get_settings()
    url, source = await asyncio.to_thread(settings.database_url_and_source)
    logging.getLogger("adlaan.checkpointer").info("database %s (%s)", mask_url(url), source)
    await await_database(url, retries=settings.db_startup_retries)
    if not await asyncio.to_thread(schema_is_current, url):
        raise DatabaseUnavailable(
            f"The database at {mask_url(url)} is not migrated. Run `adlaan migrate` "
            "(or `make setup`) before starting the server."
        )
    pool = pool_for(settings, url, name="adlaan-checkpointer")
    await pool.open(wait=True)
    try:
        yield PostgresCheckpointer(pool, **crypto.saver_kwargs(settings.keyring()))
    finally:
        await pool.close()
