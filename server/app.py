"""The HTTP app named in langgraph.json (``http.app``): Adlaan's routes and middleware.

langgraph-api mounts these routes next to its own and applies the middleware to every request,
so the request guard also covers the LangGraph API that Studio and the SDK call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from server.guard import RequestGuard
from server.settings import get_settings
from store.db import await_database, make_async_pool


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the app's own small pool (the checkpointer has its own) for the life of the server."""
    settings = get_settings()
    url, _ = settings.database_url_and_source()
    await await_database(url, retries=settings.db_startup_retries)
    pool = make_async_pool(
        url,
        max_size=min(5, settings.db_pool_size),
        max_idle=settings.db_pool_max_idle,
        max_lifetime=settings.db_pool_max_lifetime,
        prepare=settings.database_pooler != "pgbouncer",
        name="adlaan-app",
    )
    await pool.open(wait=True)
    app.state.pool = pool
    try:
        yield
    finally:
        app.state.pool = None
        await pool.close()


app = FastAPI(title="Adlaan Agent", lifespan=lifespan)


def _pool() -> AsyncConnectionPool | None:
    return getattr(app.state, "pool", None)


app.add_middleware(RequestGuard, pool_getter=_pool)


@app.get("/adlaan/health", tags=["adlaan"])
async def health() -> dict[str, str]:
    """Liveness and database reachability of the Adlaan server."""
    pool = _pool()
    if pool is None:
        return {"status": "starting"}
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")
    return {"status": "ok", "database": "ok"}
