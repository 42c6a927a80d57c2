"""The production runtime of ``adlaan serve``: langgraph-runtime-pg, patched narrowly.

langgraph-runtime-pg (MIT) keeps threads, runs, crons and store items in PostgreSQL and streams
runs through Redis, for stock langgraph-api. It pins langgraph-api 0.11.1; we serve it under
0.16.7, with our ``auth`` handler, ``http.app`` and checkpointer. ``docs/serving.md`` traces each
failure that causes to its root and gives the upstream patch text; here each fix is a wrapper
installed at start-up (``install()``), in every server process (``server/app.py`` calls it when
the edition is ``pg``; ``serve()`` before uvicorn starts):

1. ``Runs.put``: the authenticated user langgraph-api puts into the run's configuration is an
   object; the runtime stores ``kwargs`` as JSONB. Replaced by its JSON form, which the worker
   turns back into a user (``langgraph_api.worker_runtime`` -> ``normalize_user``).
2. ``store.Store``: called by langgraph-api's ``EnsureStoreAccessible`` on the lifespan event,
   before the runtime's pool exists; it raised, and uvicorn served with nothing started. Before
   ``start_pool()`` it now returns a stand-in that finds the real store at each use.
6. ``Runs.cancel`` accepts langgraph-api 0.16's ``reason`` (not transported: logged).
7. ``Crons.update`` accepts ``clear_end_time`` (``"end_time": null``) and clears it.
8. ``Crons.put`` hands the auth handler the cron's ``metadata`` (as the in-memory runtime does),
   so an owner-stamping handler like ``server/auth.py`` stamps the row its filters match.
9. ``queue._shutdown_workers`` drains: on SIGTERM the runs this process is running get
   ``LG_SHUTDOWN_GRACE_SECONDS`` to finish before they are cancelled (and re-run by another).
10. ``checkpoint.setup_checkpointer`` opens nothing when langgraph.json names a custom
   checkpointer (ours): the runtime's own ``AsyncPostgresSaver`` pool (one idle connection a
   process, ``setup()`` on our checkpoint tables at each start) is then never used, since the
   runtime's ops ask langgraph-api for the checkpointer (``ops._get_checkpointer``).
11. ``queue._claim_and_dispatch`` asks the queue loop to poll again at once only when it filled
   every free runner (more runs may be pending). ``Runs.next`` claims until it finds none, so
   a call that claimed fewer found the queue empty, and the next run's commit wakes the loop
   (``wake_run_queue``; it polls every 0.5 s anyway): the runtime polled again after every
   claim, an empty ``UPDATE ... FOR UPDATE SKIP LOCKED`` session on the event loop while the
   claimed run's graph was running on it.
12. ``Threads.set_joint_status`` (the worker ends a run) in two statements: the run's status,
   then the thread's status, values, interrupts and error, in one transaction as before. The
   runtime loaded the thread and the run through the ORM (their JSONB decoded), counted the
   thread's live runs apart and flushed twice, between a run's last checkpoint and its answer.
   A thread or run not found (its 404) takes the runtime's own path, and so does a rollback,
   after the rolled-back run's checkpoints are deleted: the runtime deletes the run's row
   here, which frees the thread for its next run, and langgraph-api's worker deletes the
   checkpoints only afterwards, so another process could start the next run from the
   rolled-back one's head (its state, and a change of ``messages`` based on a deleted value).
13. ``database.start_pool`` builds its engine with ``pool_pre_ping=True``: every session began
   with a ping (BEGIN, an empty query, ROLLBACK), seven a turn. The engine is built without
   it (``database.create_async_engine`` wrapped), and a checkout replaces a connection that
   asyncpg has seen the server close (a restart, a terminated backend: ``is_closed()``, no
   round trip), which is what the ping found.

Patches 3-5 of the study (migrations racing, the runtime's ``alembic_version``) are not carried:
``migrate()`` runs the runtime's migrations once, under an advisory lock, in a version table of
its own, before the server starts with ``LG_RUNTIME_PG_AUTO_MIGRATE=false``.

Every patched function is checked against the source it was written for (``KNOWN_SOURCES``,
sha256 of ``inspect.getsource``): ``install()`` refuses anything else, and
``tests/unit/test_runtime_contract.py`` fails on an upgrade that changes one.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import importlib
import inspect
import logging
import os
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from typing import Any, cast

logger = logging.getLogger("adlaan.runtime.pg")

#: The edition name langgraph-api imports as ``langgraph_runtime_{EDITION}``.
EDITION = "pg"
#: The versions the patches below were written and tested against.
PINNED: dict[str, str] = {"langgraph-runtime-pg": "0.11.1.post1", "langgraph-api": "0.16.7"}
#: The runtime's Alembic history lives here, not in our ``alembic_version``.
VERSION_TABLE = "langgraph_runtime_pg_version"
#: Advisory lock key serialising the runtime's migrations across processes ("lgrp").
MIGRATION_LOCK_KEY = 0x6C67_7270
#: Environment variable: seconds a SIGTERMed process lets its running runs finish.
SHUTDOWN_GRACE_ENV = "LG_SHUTDOWN_GRACE_SECONDS"


class UnsupportedRuntime(RuntimeError):
    """langgraph-runtime-pg is missing, at another version, or changed where we patch it."""


def available() -> bool:
    """Whether langgraph-runtime-pg is installed (``adlaan serve`` needs it)."""
    return find_spec("langgraph_runtime_pg") is not None


def active() -> bool:
    """Whether this process serves on the pg edition (``adlaan serve`` sets it)."""
    return os.environ.get("LANGGRAPH_RUNTIME_EDITION") == EDITION


def require_pinned() -> None:
    """Refuse to run on versions the patches were not written for."""
    for name, pinned in PINNED.items():
        try:
            found = version(name)
        except PackageNotFoundError:
            raise UnsupportedRuntime(
                f"{name} is not installed: `adlaan serve` needs {name}=={pinned} "
                "(docs/serving.md, 'Installing')"
            ) from None
        if found != pinned:
            raise UnsupportedRuntime(
                f"server/runtime/pg.py was written for {name} {pinned}, found {found}: run "
                "tests/unit/test_runtime_contract.py, re-check each patch, then update PINNED"
            )


# -- the patched functions, as they were when the patches were written ------------------------
def _source_hash(obj: Any) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


def _runtime(module: str) -> Any:
    """A module of langgraph-runtime-pg (imported here only: it has no type information)."""
    return importlib.import_module(f"langgraph_runtime_pg.{module}")


def _targets() -> dict[str, tuple[Any, str, Any]]:
    """``name -> (owner, attribute, the function as found)`` for every patch target."""
    ops, queue, store = _runtime("ops"), _runtime("queue"), _runtime("store")
    checkpoint, database = _runtime("checkpoint"), _runtime("database")

    def static(cls: type, name: str) -> Any:
        return inspect.getattr_static(cls, name).__func__

    return {
        "ops.Runs.put": (ops.Runs, "put", static(ops.Runs, "put")),
        "ops.Runs.cancel": (ops.Runs, "cancel", static(ops.Runs, "cancel")),
        "ops.Crons.put": (ops.Crons, "put", static(ops.Crons, "put")),
        "ops.Crons.update": (ops.Crons, "update", static(ops.Crons, "update")),
        "ops.Crons.handle_event": (
            ops.Crons,
            "handle_event",
            inspect.getattr_static(ops.Crons, "handle_event").__func__,
        ),
        "ops._apply_cron_updates": (ops, "_apply_cron_updates", ops._apply_cron_updates),
        "store.Store": (store, "Store", store.Store),
        "queue._shutdown_workers": (queue, "_shutdown_workers", queue._shutdown_workers),
        "checkpoint.setup_checkpointer": (
            checkpoint,
            "setup_checkpointer",
            checkpoint.setup_checkpointer,
        ),
        "queue._claim_and_dispatch": (queue, "_claim_and_dispatch", queue._claim_and_dispatch),
        "ops.Threads.set_joint_status": (
            ops.Threads,
            "set_joint_status",
            static(ops.Threads, "set_joint_status"),
        ),
        # patch 13 replaces the engine factory start_pool calls; start_pool is what it checks
        "database.start_pool": (database, "create_async_engine", database.start_pool),
    }


#: sha256 (first 16 hex digits) of each target's source in langgraph-runtime-pg 0.11.1.post1.
KNOWN_SOURCES: dict[str, str] = {
    "ops.Runs.put": "8f9d10e44eab29d6",
    "ops.Runs.cancel": "1408c15c6efc2ed2",
    "ops.Crons.put": "ce57305a9573267d",
    "ops.Crons.update": "f14cf68b276e793d",
    "ops.Crons.handle_event": "f9f0a29ad2bb86c5",
    "ops._apply_cron_updates": "d4da2cf929715532",
    "store.Store": "059518849b1d337b",
    "queue._shutdown_workers": "49041e585d69ac72",
    "checkpoint.setup_checkpointer": "caa125df0613616e",
    "queue._claim_and_dispatch": "b5e3a70e25c69212",
    "ops.Threads.set_joint_status": "40bf42b3ba78351b",
    "database.start_pool": "94f2b65b1cacf1c8",
}


def changed_targets() -> list[str]:
    """The patch targets whose source is not the one the patch was written for."""
    return [
        name
        for name, (_, _, found) in _targets().items()
        if _source_hash(getattr(found, "__adlaan_wrapped__", found)) != KNOWN_SOURCES[name]
    ]


# -- 1. the authenticated user in runs.kwargs -------------------------------------------------
def jsonable_auth_user(kwargs: dict) -> dict:
    """``kwargs`` with ``config.configurable.langgraph_auth_user`` (a user object) as a dict."""
    from starlette.authentication import BaseUser

    config = kwargs.get("config") or {}
    configurable = config.get("configurable") or {}
    user = configurable.get("langgraph_auth_user")
    if not isinstance(user, BaseUser):
        return kwargs
    if callable(getattr(user, "model_dump", None)):
        as_dict = user.model_dump()  # type: ignore[attr-defined]
    else:
        as_dict = {
            "identity": user.identity,
            "is_authenticated": user.is_authenticated,
            "display_name": user.display_name,
        }
    configurable = {**configurable, "langgraph_auth_user": as_dict}
    return {**kwargs, "config": {**config, "configurable": configurable}}


def _wrap_runs_put(op: Callable) -> Callable:
    @functools.wraps(op)
    async def put(conn, assistant_id, kwargs, *args, **rest):
        return await op(conn, assistant_id, jsonable_auth_user(kwargs), *args, **rest)

    return put


# -- 2. the store asked for before the pool exists --------------------------------------------
def _wrap_store(op: Callable) -> Callable:
    from langgraph.store.base import BaseStore

    module = _runtime("store")

    class DeferredStore(BaseStore):
        """The process-wide store, found at each use (the runtime's lifespan starts it)."""

        @property
        def supports_ttl(self) -> bool:  # type: ignore[override]
            return op().supports_ttl

        @property
        def ttl_config(self) -> Any:  # type: ignore[override]
            return op().ttl_config

        def batch(self, ops: Any) -> Any:
            return op().batch(ops)

        async def abatch(self, ops: Any) -> Any:
            return await op().abatch(ops)

        def __getattr__(self, name: str) -> Any:
            return getattr(op(), name)

    @functools.wraps(op)
    def factory(*args: Any, **kwargs: Any) -> Any:
        return op() if module._STORE is not None else DeferredStore()

    return factory


# -- 6. Runs.cancel(reason=) ------------------------------------------------------------------
def _wrap_runs_cancel(op: Callable) -> Callable:
    @functools.wraps(op)
    async def cancel(conn, run_ids=None, *, reason: str | None = None, **rest):
        if reason:
            logger.debug("cancel %s: %s", run_ids, reason)
        return await op(conn, run_ids, **rest)

    return cancel


# -- 7. Crons.update(clear_end_time=) ---------------------------------------------------------
_clearing_end_time: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "adlaan_clear_end_time", default=False
)
_CRON_FIELDS = (
    "schedule",
    "end_time",
    "enabled",
    "on_run_completed",
    "payload",
    "metadata",
    "timezone",
)


def _wrap_crons_update(op: Callable) -> Callable:
    @functools.wraps(op)
    async def update(conn, *, clear_end_time: bool = False, **fields):
        if not clear_end_time:
            return await op(conn, **fields)
        if all(fields.get(name) is None for name in _CRON_FIELDS):
            # the op refuses an update of nothing: merging no metadata changes nothing, and
            # lets it check access and load the row as for any update
            fields["metadata"] = {}
        token = _clearing_end_time.set(True)
        try:
            return await op(conn, **fields)
        finally:
            _clearing_end_time.reset(token)

    return update


def _wrap_apply_cron_updates(op: Callable) -> Callable:
    @functools.wraps(op)
    def apply(row, *args, **kwargs):
        op(row, *args, **kwargs)
        if _clearing_end_time.get():
            row.end_time = None

    return apply


# -- 8. the cron's metadata handed to the auth handler ----------------------------------------
class _CronMetadata(dict):
    """The metadata of a cron being created: true even when empty, so that the op's
    ``metadata or {}`` keeps this very dict, the one the auth handler stamps."""

    def __bool__(self) -> bool:
        return True


_cron_metadata: contextvars.ContextVar[_CronMetadata | None] = contextvars.ContextVar(
    "adlaan_cron_metadata", default=None
)


def _wrap_crons_put(op: Callable) -> Callable:
    @functools.wraps(op)
    async def put(conn, *, metadata: dict | None = None, **rest):
        stamped = _CronMetadata(metadata or {})
        token = _cron_metadata.set(stamped)
        try:
            return await op(conn, metadata=stamped, **rest)
        finally:
            _cron_metadata.reset(token)

    return put


def _wrap_handle_event(op: Callable) -> Callable:
    @functools.wraps(op)
    async def handle_event(cls, ctx, action, value):
        metadata = _cron_metadata.get()
        if metadata is None or action != "create" or not isinstance(value, dict):
            return await op(cls, ctx, action, value)
        value.setdefault("metadata", metadata)
        result = await op(cls, ctx, action, value)
        if isinstance(value.get("metadata"), dict) and value["metadata"] is not metadata:
            metadata.clear()  # the handler replaced the dict: keep what it wrote
            metadata.update(value["metadata"])
        return result

    return handle_event


# -- 9. drain on shutdown ---------------------------------------------------------------------
def shutdown_grace_seconds() -> float:
    """How long a stopping process lets its running runs finish (``LG_SHUTDOWN_GRACE_SECONDS``)."""
    return max(float(os.environ.get(SHUTDOWN_GRACE_ENV) or 0), 0.0)


def _wrap_shutdown_workers(op: Callable) -> Callable:
    queue = _runtime("queue")

    @functools.wraps(op)
    async def shutdown_workers(webhooks: set) -> None:
        # The claiming loop has stopped (this runs in its ``finally``): no new run starts here.
        running = [task for task in queue._workers_snapshot() if not task.done()]
        grace = shutdown_grace_seconds()
        if running and grace > 0:
            logger.warning("draining %d running run(s), up to %.0fs", len(running), grace)
            futures = [asyncio.wrap_future(t) if not asyncio.isfuture(t) else t for t in running]
            _, pending = await asyncio.wait(futures, timeout=grace)
            if pending:
                logger.warning(
                    "%d run(s) still running after %.0fs: cancelled, another process re-runs "
                    "them from their last checkpoint",
                    len(pending),
                    grace,
                )
        await op(webhooks)

    return shutdown_workers


# -- 10. no idle saver pool under a custom checkpointer --------------------------------------
def custom_checkpointer() -> bool:
    """Whether langgraph.json names a custom checkpointer (langgraph-api's own test of it)."""
    from langgraph_api import config

    return bool(getattr(config, "USE_CUSTOM_CHECKPOINTER", False))


def _wrap_setup_checkpointer(op: Callable) -> Callable:
    @functools.wraps(op)
    async def setup_checkpointer() -> Any:
        if custom_checkpointer():
            # the runtime's Checkpointer() raises if anything asks for it: loud, not a silent
            # second saver writing where ours does not read
            logger.debug("custom checkpointer: the runtime's own saver pool is not opened")
            return None
        return await op()

    return setup_checkpointer


# -- 11. poll again at once only after a full claim ------------------------------------------
class _CountedRunners:
    """The queue's free runners as ``_claim_and_dispatch`` uses them, counting those it takes."""

    def __init__(self, runners: Any) -> None:
        self.runners = runners
        self.taken = 0

    def qsize(self) -> int:
        return self.runners.qsize()

    def get_nowait(self) -> Any:
        self.taken += 1
        return self.runners.get_nowait()


def _wrap_claim_and_dispatch(op: Callable) -> Callable:
    @functools.wraps(op)
    async def claim_and_dispatch(runners, loop, cleanup, last_run):
        free = runners.qsize()
        counted = _CountedRunners(runners)
        claimed = await op(counted, loop, cleanup, last_run)
        # The loop polls again at once when this returns a run, else waits for a wake (0.5 s
        # at most): fewer runs than free runners means the claim found the queue empty.
        return claimed if counted.taken >= free else None

    return claim_and_dispatch


# -- 12. a run's end in two statements --------------------------------------------------------
#: The statuses a thread is ``busy`` with (the runtime's count of its live runs).
LIVE_RUN_STATUSES = ("pending", "running")


async def _forget_rolled_back(run_id: Any) -> None:
    """Delete a rolled-back run's checkpoints with langgraph-api's own clean-up (which logs,
    not raises, a failure, as it does when the worker calls it)."""
    from langgraph_api.worker_runtime import cleanup_custom_checkpointer_for_run

    await cleanup_custom_checkpointer_for_run(str(run_id))


def _wrap_set_joint_status(op: Callable) -> Callable:
    from datetime import UTC, datetime

    from sqlalchemy import case, exists, literal, update
    from sqlalchemy.dialects.postgresql import JSONB

    ops, models = _runtime("ops"), _runtime("models")

    @functools.wraps(op)
    async def set_joint_status(
        conn, thread_id, run_id, run_status, graph_id, checkpoint=None, exception=None
    ):
        if run_status == "rollback":
            # What the run wrote goes first: the row's deletion frees the thread, and another
            # process may claim the next run at once (langgraph-api deletes the checkpoints
            # only after this returns; that second deletion then finds nothing).
            await _forget_rolled_back(run_id)
            return await op(conn, thread_id, run_id, run_status, graph_id, checkpoint, exception)
        from langgraph_api.serde import json_dumpb, json_loads

        thread_id, run_id = ops._ensure_uuid(thread_id), ops._ensure_uuid(run_id)
        base_status, interrupts = ops._thread_status_from_checkpoint(
            checkpoint, exception, ignore_user_control=True
        )
        now = datetime.now(UTC)
        runs, threads = models.RunRow.__table__, models.ThreadRow.__table__
        live = exists().where(runs.c.thread_id == thread_id, runs.c.status.in_(LIVE_RUN_STATUSES))
        thread = {
            threads.c.metadata: threads.c.metadata.op("||", return_type=JSONB)(
                literal({"graph_id": graph_id}, JSONB)
            ),
            threads.c.status: case((live, "busy"), else_=base_status),
            threads.c.updated_at: now,
            threads.c.state_updated_at: now,
            threads.c.interrupts: interrupts,
            threads.c.error: json_loads(json_dumpb(exception)) if exception else None,
        }
        if checkpoint is not None:  # the runtime's: values are written whenever it has them
            thread[threads.c["values"]] = json_loads(json_dumpb(checkpoint.get("values")))
        async with ops.get_session_factory()() as session:
            ended = await session.execute(
                update(runs)
                .where(runs.c.run_id == run_id, runs.c.thread_id == thread_id)
                .values({runs.c.status: run_status, runs.c.updated_at: now})
                .returning(runs.c.run_id)
            )
            if ended.first() is not None:
                found = await session.execute(
                    update(threads)
                    .where(threads.c.thread_id == thread_id)
                    .values(thread)
                    .returning(threads.c.thread_id)
                )
                if found.first() is not None:
                    await session.commit()
                    return None
            await session.rollback()
        # the thread or the run is gone: the runtime's own path says which (404)
        return await op(conn, thread_id, run_id, run_status, graph_id, checkpoint, exception)

    return set_joint_status


# -- 13. no ping before each session -----------------------------------------------------------
def refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A checkout of the runtime's pool: a connection asyncpg has seen the server close is
    replaced (the pool retries with a new one), without a round trip."""
    from sqlalchemy import exc

    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is None or driver.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


def _wrap_start_pool(op: Callable) -> Callable:
    # ``op`` is start_pool (checked against its source); what is replaced is the engine factory
    # it calls, looked up on its module at each call
    from sqlalchemy import event

    create = _runtime("database").create_async_engine

    @functools.wraps(create)
    def create_async_engine(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("pool_pre_ping"):
            return create(*args, **kwargs)
        engine = create(*args, **{**kwargs, "pool_pre_ping": False})
        event.listen(engine.sync_engine.pool, "checkout", refuse_closed)
        return engine

    return create_async_engine


# -- install ---------------------------------------------------------------------------------
_WRAPPERS: dict[str, Callable[[Callable], Callable]] = {
    "ops.Runs.put": _wrap_runs_put,
    "ops.Runs.cancel": _wrap_runs_cancel,
    "ops.Crons.put": _wrap_crons_put,
    "ops.Crons.update": _wrap_crons_update,
    "ops.Crons.handle_event": _wrap_handle_event,
    "ops._apply_cron_updates": _wrap_apply_cron_updates,
    "store.Store": _wrap_store,
    "queue._shutdown_workers": _wrap_shutdown_workers,
    "checkpoint.setup_checkpointer": _wrap_setup_checkpointer,
    "queue._claim_and_dispatch": _wrap_claim_and_dispatch,
    "ops.Threads.set_joint_status": _wrap_set_joint_status,
    "database.start_pool": _wrap_start_pool,
}
_STATIC = {
    "ops.Runs.put",
    "ops.Runs.cancel",
    "ops.Crons.put",
    "ops.Crons.update",
    "ops.Threads.set_joint_status",
}
_installed = False


def install() -> None:
    """Apply every patch once in this process; refuse unknown versions or changed targets."""
    global _installed
    if _installed:
        return
    require_pinned()
    if changed := changed_targets():
        raise UnsupportedRuntime(
            "langgraph-runtime-pg changed where server/runtime/pg.py patches it: "
            f"{', '.join(changed)}; re-check those patches (docs/serving.md)"
        )
    for name, (owner, attribute, found) in _targets().items():
        wrapper: Any = _WRAPPERS[name](found)
        wrapper.__adlaan_wrapped__ = found
        if name in _STATIC:
            wrapper = staticmethod(wrapper)
        elif name == "ops.Crons.handle_event":
            wrapper = classmethod(wrapper)
        setattr(owner, attribute, wrapper)
    from server.runtime import pg_seal  # encryption of the runtime's tables (a no-op without a key)

    pg_seal.install()
    _installed = True


# -- migrations ------------------------------------------------------------------------------
def _locked(url: str, key: int):
    """A session advisory lock taken by polling on an autocommit connection: a session blocked
    inside ``pg_advisory_lock`` holds a snapshot, which ``CREATE INDEX CONCURRENTLY`` (the
    store's setup) would wait for, and the two processes would wait on each other for ever."""
    import contextlib

    import psycopg

    from store.db import libpq_url

    @contextlib.contextmanager
    def lock():
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
                time.sleep(0.2)
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    return lock()


def migrate(url: str) -> None:
    """Bring the runtime's schema (its Alembic history, in ``VERSION_TABLE``) and langgraph's
    store tables to head, once across processes, and (re)create the trigger that puts each
    finished run into our hooks outbox (``runtime_tables.install_run_events``: ours must be
    migrated first); the checkpointer's tables are ours (``store.migrate``). Safe to run
    concurrently and again."""
    import psycopg
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory
    from langgraph.store.postgres import PostgresStore

    runtime_migrate, Base = _runtime("migrate"), _runtime("models").Base
    from psycopg.rows import dict_row
    from sqlalchemy import create_engine, pool

    from store.db import LOCK_TIMEOUT_MS, libpq_url, retrying_locks
    from store.repositories import runtime_tables

    config = Config()
    config.set_main_option("script_location", str(runtime_migrate.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)

    def upgrade(revision, context):
        return script._upgrade_revs("head", revision)

    def upgrade_runtime() -> None:
        # the runtime's env.py would use alembic_version (ours): run its revisions here instead
        engine = create_engine(runtime_migrate.to_sync_url(libpq_url(url)), poolclass=pool.NullPool)
        try:
            with (
                engine.connect() as connection,
                EnvironmentContext(config, script, fn=upgrade, destination_rev="head") as env,
            ):
                connection.exec_driver_sql(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
                connection.commit()
                env.configure(
                    connection=connection,
                    target_metadata=Base.metadata,
                    compare_type=True,
                    version_table=VERSION_TABLE,
                )
                with env.begin_transaction():
                    env.run_migrations()
        finally:
            engine.dispose()

    with _locked(url, MIGRATION_LOCK_KEY):
        retrying_locks(upgrade_runtime, "the runtime's migration")
        with psycopg.connect(
            libpq_url(url), autocommit=True, row_factory=dict_row, prepare_threshold=0
        ) as conn:
            PostgresStore(conn).setup()
            runtime_tables.install_run_events(conn)


def runtime_revision(url: str) -> str | None:
    """The runtime's schema revision in the database at ``url`` (None before ``migrate``)."""
    import psycopg

    from store.db import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (VERSION_TABLE,)).fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()  # noqa: S608
        return row[0] if row else None


# -- serving ---------------------------------------------------------------------------------
def run_server(config: dict, *, host: str, port: int, workers: int, env: dict[str, str]) -> None:
    """Serve ``config`` (a validated langgraph.json) with langgraph-api on this runtime, in this
    process (uvicorn's supervisor when ``workers`` > 1), until stopped."""
    from langgraph_api.cli import run_server as serve_langgraph

    install()
    os.environ.update(env)
    serve_langgraph(
        host,
        port,
        False,
        config.get("graphs", {}),
        n_jobs_per_worker=int(env["N_JOBS_PER_WORKER"]),
        open_browser=False,
        # not langgraph.json's "env" (the image's file, .env.image): settings come from our
        # environment and .env, as for every adlaan command
        env=None,
        store=config.get("store"),
        auth=config.get("auth"),
        http=config.get("http"),
        ui=config.get("ui"),
        ui_config=config.get("ui_config"),
        webhooks=config.get("webhooks"),
        checkpointer=config.get("checkpointer"),
        runtime_edition=cast(Any, EDITION),  # an edition run_server's type does not list
        server_level=env.get("LOG_LEVEL", "WARNING"),
        __database_uri__=env["DATABASE_URI"],
        __redis_uri__=env["REDIS_URI"],
        __migrations_path__=None,
        # a failing lifespan stops the process loudly (uvicorn's "auto" would serve without one)
        lifespan="on",
        workers=workers,
        # on SIGTERM: open requests get the grace period, then running runs get it (patch 9)
        timeout_graceful_shutdown=max(1, round(float(env[SHUTDOWN_GRACE_ENV]))),
    )
