"""The HTTP app named in langgraph.json (``http.app``): Adlaan's routes and middleware.

langgraph-api mounts these routes next to its own and applies the middleware to every request,
so the request guard also covers the LangGraph API that Studio and the SDK call.

No ``from __future__ import annotations`` here: langgraph-api loads this file under a module
name of its own, where pydantic cannot resolve string annotations of request bodies.
"""

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal
from uuid import UUID

import psycopg
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount

from server import gate, metrics, runtime
from server.guard import RequestGuard
from server.hooks import DispatcherProcess, make_dispatcher
from server.registry import Registry
from server.registry import install as install_registry
from server.retention import run_sweeper
from server.routes import accounts, admin, chat, conversations, documents, search, user_admin
from server.routes import me as my_data
from server.routes.deps import AdminUser, Conn, CurrentUser, SafeStr
from server.runtime import pg as runtime_pg
from server.runtime import runtime_store
from server.settings import get_settings
from server.shared import get_pool, set_pool
from store.accounts import (
    AccountError,
    Principal,
    normalize_email,
    resolve_credential,
    service_principal,
)
from store.db import DictConnection, DictPool, await_database, make_async_pool
from store.repositories import audit, checkpoints, owners, users
from store.repositories import conversations as conversation_rows
from store.repositories import runtime_tables as runtime_threads

logger = logging.getLogger("adlaan.app")
if runtime_pg.active():
    runtime_pg.install()  # in every server process, before the first request


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the app's own small pool (the checkpointer has its own) and start the retention
    sweeper, for the life of the server."""
    settings = get_settings()
    # may start the embedded PostgreSQL: keep the blocking work off the event loop
    url, _ = await asyncio.to_thread(settings.database_url_and_source)
    await await_database(url, retries=settings.db_startup_retries)
    pool = make_async_pool(
        url,
        max_size=min(10, settings.db_pool_size),
        max_idle=settings.db_pool_max_idle,
        max_lifetime=settings.db_pool_max_lifetime,
        prepare=settings.database_pooler != "pgbouncer",
        # a request waits this long for PostgreSQL (the pool reconnects meanwhile), then 503
        timeout=float(settings.db_connect_timeout),
        name="adlaan-app",
    )
    await pool.open(wait=True)
    app.state.pool = pool
    set_pool(pool)
    app.state.registry = None
    if not runtime_pg.active():  # `adlaan serve` keeps threads in PostgreSQL itself
        registry = Registry(pool)
        install_registry(registry)
        report = await registry.restore(runtime_store())
        if report.threads or report.assistants or report.runs_failed or report.threads_unstuck:
            logger.info("registry restored from PostgreSQL: %s", report)
        app.state.registry = registry
        await _record_owners(pool, runtime_store())
    app.state.studio = await _studio_principal(pool, settings)
    if os.environ.get("FORWARDED_ALLOW_IPS") is None:
        logger.warning(
            "FORWARDED_ALLOW_IPS is not set: uvicorn believes X-Forwarded-For from loopback "
            "clients; start the server with 'adlaan dev' so that only TRUSTED_PROXIES are"
        )
    stop_hooks = asyncio.Event()
    dispatcher = None
    if settings.hooks_enabled and settings.hooks_dispatcher == "process":
        # a child process (server/hooks.py): its own pool, its own core
        dispatcher = asyncio.create_task(DispatcherProcess(url).run(), name="adlaan-hooks")
    elif settings.hooks_enabled:
        dispatcher = asyncio.create_task(
            make_dispatcher(pool, settings).run(url, stop_hooks), name="adlaan-hooks"
        )
    sweeper = (
        asyncio.create_task(run_sweeper(pool, settings), name="adlaan-retention")
        if settings.retention_sweep_interval > 0
        else None
    )
    try:
        yield
    finally:
        stop_hooks.set()
        for task in (sweeper, dispatcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        app.state.pool = None
        set_pool(None)
        await pool.close()


async def _record_owners(pool: DictPool, store: dict) -> None:
    """Threads and assistants the server held before ownership was durable get their row."""
    sources: tuple[tuple[owners.Kind, str, list[dict]], ...] = (
        ("thread", "thread_id", store["threads"]),
        ("assistant", "assistant_id", store["assistants"]),
    )
    for kind, key, items in sources:
        pairs = [
            (str(item[key]), owner)
            for item in items
            if isinstance(owner := (item.get("metadata") or {}).get("owner"), str) and owner
        ]
        async with pool.connection() as conn:
            await owners.backfill(conn, kind, pairs)


async def _studio_principal(pool: DictPool, settings) -> Principal | None:
    """With STUDIO_TRUST_LOCAL, the user Studio's header stands for (created once)."""
    if not settings.studio_trust_local:
        return None
    logger.warning(
        "STUDIO_TRUST_LOCAL is on: loopback requests with Studio's header and no credential "
        "act as %s. Development only (docs/security.md).",
        STUDIO_EMAIL,
    )
    async with pool.connection() as conn:
        return await service_principal(conn, STUDIO_EMAIL)


STUDIO_EMAIL = "studio@langgraph.localhost"


async def _resolve(token: str) -> Principal | None:
    async with get_pool().connection() as conn:
        return await resolve_credential(conn, token)


app = FastAPI(
    title="Adlaan Agent",
    description="Conversations, search, documents, audit and monitoring next to the LangGraph "
    "API. Every route but the public ones (docs/security.md: /ok, /auth/login, /adlaan/health, "
    "this description) needs 'Authorization: Bearer <token>'.",
    lifespan=lifespan,
)
# Routes are added one by one, not with include_router: langgraph-api wraps each top-level route
# of the app in its auth middleware, and FastAPI's included routers are not plain routes.
for module in (accounts, conversations, search, documents, chat, admin, user_admin, my_data):
    app.router.routes.extend(module.router.routes)


DATABASE_DOWN, RETRY_AFTER_SECONDS = gate.DATABASE_DOWN, gate.RETRY_AFTER_SECONDS


# Also reached from the auth handler: langgraph-api runs it inside this app, so a credential
# lookup that cannot reach PostgreSQL answers 503 too (tests/integration/test_database_down.py).
@app.exception_handler(psycopg.OperationalError)
@app.exception_handler(PoolTimeout)
async def _database_down(request: Request, error: Exception) -> JSONResponse:
    """PostgreSQL unreachable: a clear 503 the client can retry (the statement never ran, or ran
    in a transaction that did not commit)."""
    return JSONResponse(
        {"detail": DATABASE_DOWN},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@app.exception_handler(psycopg.DataError)
async def _unstorable_input(request: Request, error: psycopg.DataError) -> JSONResponse:
    """Input PostgreSQL refuses as data (out-of-range numbers, malformed values): the client's
    mistake, reported as one; the statement failed, so nothing was written."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return JSONResponse({"detail": f"invalid input: {reason}"}, status_code=422)


def _pool() -> DictPool | None:
    return getattr(app.state, "pool", None)


# Outermost first: CORS (so refusals carry its headers), then the gate (route table, credential,
# body limits), then the run/state validation, then langgraph-api's own stack.
app.add_middleware(metrics.ScrapeAndInfo, pool=_pool)  # /metrics figures, /info version
app.add_middleware(RequestGuard, pool_getter=_pool)
app.add_middleware(
    gate.Gate,
    settings=get_settings,
    resolve=_resolve,
    pool=_pool,
    studio=lambda: getattr(app.state, "studio", None),
)
app.add_middleware(
    CORSMiddleware,
    allow_origins=get_settings().cors_origins(),
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["authorization", "content-type", "x-api-key"],
    expose_headers=["x-pagination-total", "x-pagination-next", "content-location", "retry-after"],
)


@app.get("/adlaan/health", tags=["adlaan"])
async def health() -> dict[str, str]:
    """Liveness and database reachability of the Adlaan server."""
    pool = _pool()
    if pool is None:
        return {"status": "starting"}
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")
    return {"status": "ok", "database": "ok"}


class RouteAccess(BaseModel):
    """One route of the live server and who may call it."""

    methods: list[str]
    path: str
    access: Literal["public", "user", "admin", "blocked"]


def _routes(routes, prefix: str = "") -> list[tuple[list[str], str]]:
    found = []
    for route in routes:
        path = prefix + getattr(route, "path", "")
        if isinstance(route, Mount):
            found += _routes(route.routes, path)
        else:
            methods = sorted(getattr(route, "methods", None) or ["WEBSOCKET"])
            found.append((methods, path))
    return found


@app.get("/adlaan/routes", tags=["adlaan"], response_model=list[RouteAccess])
async def route_table(request: Request) -> list[RouteAccess]:
    """Every route the running server exposes (the LangGraph API's and the development server's
    included) and who may call it, as the gate decides (administrators only)."""
    return [
        RouteAccess(methods=methods, path=path, access=gate.access_of(methods[0], path))
        for methods, path in _routes(request.app.router.routes)
    ]


class PruneRequest(BaseModel):
    """Body of ``POST /threads/prune`` (the LangGraph API's own shape)."""

    thread_ids: list[str] = Field(min_length=1, max_length=10_000)
    strategy: Literal["delete", "keep_latest"] = "delete"


@app.post("/threads/prune", tags=["threads"])
async def prune_threads(body: PruneRequest, caller: CurrentUser) -> dict[str, int]:
    """Prune threads: ``keep_latest`` keeps the head of every branch of each thread (the dev
    server's in-memory runtime refuses it); ``delete`` deletes the threads as the API does.
    Only the caller's threads are touched; others are skipped as if they did not exist."""
    async with get_pool().connection() as conn:
        body.thread_ids = await owners.owned(conn, "thread", body.thread_ids, caller.user_id)
    if not body.thread_ids:
        return {"pruned_count": 0}
    if body.strategy == "delete":
        return {"pruned_count": await runtime.prune_threads(body.thread_ids, strategy="delete")}
    checkpointer = await runtime.get_checkpointer()
    async with get_pool().connection() as conn:
        existing = await checkpoints.threads_with_checkpoints(conn, body.thread_ids)
    await checkpointer.aprune(existing, strategy="keep_latest")
    return {"pruned_count": len(existing)}


@app.post("/adlaan/registry/restore", tags=["adlaan"])
async def restore_registry(caller: AdminUser) -> dict[str, int]:
    """Bring back every thread, assistant and run that PostgreSQL has and the server lacks
    (idempotent: what the server holds is newer and is kept)."""
    _require_registry()
    report = await app.state.registry.restore(runtime_store())
    return dataclasses.asdict(report)


def _require_registry() -> None:
    """The routes on the dev server's registry answer 409 on `adlaan serve`, which has none."""
    if app.state.registry is None:
        raise HTTPException(
            409, "not available on `adlaan serve`: its threads live in PostgreSQL (docs/serving.md)"
        )


class AssignRequest(BaseModel):
    """Whose threads to give to which user: listed ones, or every thread without an owner."""

    model_config = {"extra": "forbid"}
    owner_email: SafeStr = Field(min_length=3, max_length=320)
    thread_ids: list[UUID] = Field(default_factory=list, max_length=10_000)
    unowned: bool = Field(False, description="Also every thread that has no owner yet.")


@app.post("/adlaan/threads/assign", tags=["adlaan"])
async def assign_threads(body: AssignRequest, caller: AdminUser, conn: Conn) -> dict[str, int]:
    """Give threads to a user (administrators only): the listed ones, and with ``unowned`` every
    thread without an owner, such as those created before authentication was turned on. Each
    change is audited."""
    try:
        email = normalize_email(body.owner_email)
    except AccountError as error:
        raise HTTPException(422, str(error)) from None
    owner = await users.id_by_email(conn, email)
    if owner is None:
        raise HTTPException(404, f"no user with e-mail {email}")
    wanted = {str(t) for t in body.thread_ids}
    if app.state.registry is None:  # `adlaan serve`: the runtime's threads, in one transaction
        return await _assign_runtime_threads(conn, caller.user_id, wanted, owner, body.unowned)
    store = runtime_store()
    chosen = [
        t
        for t in store["threads"]
        if str(t["thread_id"]) in wanted
        or (body.unowned and not (t.get("metadata") or {}).get("owner"))
    ]
    if missing := wanted - {str(t["thread_id"]) for t in chosen}:
        raise HTTPException(404, f"no such thread(s): {', '.join(sorted(missing)[:10])}")
    for thread in chosen:
        thread["metadata"] = {**(thread.get("metadata") or {}), "owner": owner}
    ids = [str(t["thread_id"]) for t in chosen]
    await app.state.registry.save_threads(store, ids)
    async with conn.transaction():
        await _record_assignment(conn, caller.user_id, ids, owner)
    return {"assigned": len(ids)}


async def _record_assignment(conn: DictConnection, actor: str, ids: list[str], owner: str) -> None:
    """Our side of an assignment: durable owners, the mirror's conversations, the audit trail."""
    await owners.assign(conn, "thread", ids, owner)
    await conversation_rows.assign_owner(conn, ids, owner)
    await audit.record_many(conn, actor, "thread.assigned", ids, owner=owner)


async def _assign_runtime_threads(
    conn: DictConnection, actor: str, wanted: set[str], owner: str, unowned: bool
) -> dict[str, int]:
    """The assignment on `adlaan serve`: the runtime's ``threads`` and our tables, together."""
    async with conn.transaction():
        ids = await runtime_threads.assign_threads(conn, sorted(wanted), owner, unowned=unowned)
        if missing := wanted - set(ids):  # raised inside: nothing is changed
            raise HTTPException(404, f"no such thread(s): {', '.join(sorted(missing)[:10])}")
        await _record_assignment(conn, actor, ids, owner)
    return {"assigned": len(ids)}
