"""A crash-safe thread registry for `langgraph dev`.

The dev server's in-memory runtime keeps threads, assistants and runs in a dict that it pickles
to `.langgraph_api/` every few seconds, so a SIGKILL loses whatever the API acknowledged since the
last flush, although the checkpoints are safe in PostgreSQL. This module closes that gap:

- **write-through**: the runtime's mutating operations (``Threads.put/patch/copy/delete``,
  ``Assistants.put/patch/set_latest/delete``, ``Runs.put/set_status/delete``) are wrapped so that each
  object they return is upserted into ``api_registry`` before the API answers;
- **restore**: at start-up (before the first request) everything the pickle lacks comes back from
  ``api_registry``, and any thread that has checkpoints but no registry row is rebuilt from its
  checkpoint metadata; runs that were in flight end as ``error`` and their threads become idle.

A stateless run (``POST /runs``, ``/runs/wait``, ``/runs/stream`` with the default
``on_completion="delete"``) runs on a temporary thread that the runtime creates in ``Runs.put``
and deletes when the run ends; the run carries ``kwargs["temporary"] = True`` (the thread itself
carries no mark, and the API runs the graph without a checkpointer). Such a thread is never
written through, only its run; the deletion, which the worker requests without consuming
``Threads.delete``'s iterator, is written through at once, with the thread's runs and mirror
rows. A stateless run lost with the server is dropped at the next start, with its thread.

The contact with the runtime is narrow (the ``ops`` classes and ``GLOBAL_STORE``) and pinned; the
contract test ``tests/unit/test_compat.py`` fails when an upgrade changes it.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import pickle
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from hooks.builtin.mirror import LOCK_THREAD_SQL
from store.audit import INSERT_SQL as AUDIT_SQL
from store.models.hook_event import RUN_EVENT_SQL

logger = logging.getLogger("adlaan.registry")

#: Fields of a thread the runtime derives from checkpoints; never persisted here.
_DERIVED_THREAD_FIELDS = ("values", "interrupts", "error")
_TERMINAL_RUN_STATUSES = {"success", "error", "timeout", "interrupted"}
#: Checkpoint metadata keys that are LangGraph's own, not the thread's metadata.
_INTERNAL_METADATA = {
    "source",
    "step",
    "parents",
    "writes",
    "run_id",
    "thread_id",
    "checkpoint_ns",
    "checkpoint_id",
    "langgraph_request_id",
    "run_attempt",
    "langgraph_version",
    "langgraph_api_version",
    "langgraph_plan",
    "langgraph_host",
    "langgraph_api_url",
    "langgraph_auth_user",
    "langgraph_auth_user_id",
    "langgraph_auth_permissions",
    "__pregel_task_id",
    "__request_start_time_ms__",
    "x-request-id",
    "user-agent",
}

UPSERT_SQL = """
INSERT INTO api_registry (kind, key, payload) VALUES (%s, %s, %s)
ON CONFLICT (kind, key) DO UPDATE SET payload = EXCLUDED.payload, updated_at = now()
"""
DELETE_SQL = "DELETE FROM api_registry WHERE kind = %s AND key = %s"
DELETE_KEYS_SQL = "DELETE FROM api_registry WHERE kind = %s AND key = ANY(%s)"
# Messages and documents go with their conversation (ON DELETE CASCADE); LOCK_THREAD_SQL first,
# so the mirror cannot write the rows back while (or after) they are deleted.
DELETE_CONVERSATION_SQL = "DELETE FROM conversations WHERE thread_id = %s"
# A thread owned by a user is that user's conversation from its creation on, whatever writes its
# checkpoints (runs carry the owner in their metadata; state updates do not).
OWN_CONVERSATION_SQL = """
INSERT INTO conversations (id, thread_id, owner_id, metadata)
SELECT gen_random_uuid(), %(thread_id)s, u.id, jsonb_build_object('owner', u.id::text)
FROM users u WHERE u.id::text = %(owner)s
ON CONFLICT (thread_id) DO UPDATE SET owner_id = COALESCE(conversations.owner_id, EXCLUDED.owner_id)
"""
DELETE_PREFIX_SQL = "DELETE FROM api_registry WHERE kind = %s AND key LIKE %s"

# Threads with checkpoints but without a registry row: their newest root checkpoint's metadata.
ORPHAN_THREADS_SQL = """
SELECT DISTINCT ON (c.thread_id) c.thread_id, c.metadata,
       (first.checkpoint ->> 'ts')::timestamptz AS created_at,
       (c.checkpoint ->> 'ts')::timestamptz AS updated_at
FROM checkpoints c
JOIN LATERAL (
    SELECT checkpoint FROM checkpoints f
    WHERE f.thread_id = c.thread_id AND f.checkpoint_ns = ''
    ORDER BY f.checkpoint_id LIMIT 1
) first ON true
WHERE c.checkpoint_ns = ''
  -- the API's threads have UUIDs; others (e.g. the Python Agent API's "user-123-session-456")
  -- are not API threads and stay out of its registry
  AND c.thread_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  AND NOT EXISTS (SELECT 1 FROM api_registry r WHERE r.kind = 'thread' AND r.key = c.thread_id)
ORDER BY c.thread_id, c.checkpoint_id DESC
"""


def _dumps(value: Any) -> bytes:
    # The runtime itself persists these objects with pickle; same trust boundary, same format.
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _key(value: Any) -> str:
    return str(value)


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


def is_temporary(run: dict) -> bool:
    """Whether ``run`` is a stateless run whose thread the runtime deletes when it ends."""
    return bool((run.get("kwargs") or {}).get("temporary"))


class Registry:
    """Writes the runtime's objects through to PostgreSQL and restores them at start-up."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    # -- write-through ------------------------------------------------------------------
    async def execute(self, statements: list[tuple[str, tuple]]) -> None:
        if not statements:
            return
        async with self.pool.connection() as conn, conn.transaction():
            for sql, params in statements:
                await conn.execute(sql, params)

    @staticmethod
    def _thread_row(thread: dict) -> tuple[str, tuple]:
        stable = {k: v for k, v in thread.items() if k not in _DERIVED_THREAD_FIELDS}
        return UPSERT_SQL, ("thread", _key(thread["thread_id"]), _dumps(stable))

    async def save_threads(
        self, store: dict, thread_ids: list[Any], *, revive: bool = False
    ) -> None:
        wanted = {_key(t) for t in thread_ids}
        threads = [t for t in store["threads"] if _key(t["thread_id"]) in wanted]
        rows = [self._thread_row(t) for t in threads]
        rows += [
            (OWN_CONVERSATION_SQL, {"thread_id": _key(t["thread_id"]), "owner": owner})
            for t in threads
            if isinstance(owner := (t.get("metadata") or {}).get("owner"), str) and owner
        ]
        if revive:
            rows.append(("DELETE FROM deleted_threads WHERE thread_id = ANY(%s)", (list(wanted),)))
        await self.execute(rows)

    async def forget(self, kind: str, key: Any) -> None:
        statements = [(DELETE_SQL, (kind, _key(key)))]
        if kind == "assistant":
            statements.append((DELETE_PREFIX_SQL, ("assistant_version", f"{_key(key)}:%")))
        await self.execute(statements)

    async def save_assistant(self, store: dict, assistant_id: Any) -> None:
        key = _key(assistant_id)
        statements = [
            (UPSERT_SQL, ("assistant", key, _dumps(a)))
            for a in store["assistants"]
            if _key(a["assistant_id"]) == key
        ]
        statements += [
            (UPSERT_SQL, ("assistant_version", f"{key}:{v['version']}", _dumps(v)))
            for v in store["assistant_versions"]
            if _key(v["assistant_id"]) == key
        ]
        await self.execute(statements)

    async def save_run(self, store: dict, run: dict) -> None:
        statements = [(UPSERT_SQL, ("run", _key(run["run_id"]), _dumps(run)))]
        # A stateless run's thread is temporary: only the run is kept (until it ends), so that a
        # restart after a crash knows to delete the thread rather than bring it back.
        if not is_temporary(run):
            statements += [
                self._thread_row(t)
                for t in store["threads"]
                if run.get("thread_id") is not None and t["thread_id"] == run["thread_id"]
            ]
        await self.execute(statements)

    async def forget_thread(
        self, thread_id: Any, run_ids: list[str], *, audit: tuple | None = None
    ) -> None:
        """A deleted thread leaves the registry with its runs, and the mirror with its rows."""
        key = _key(thread_id)
        statements = [
            (DELETE_SQL, ("thread", key)),
            (DELETE_KEYS_SQL, ("run", run_ids)),
            (LOCK_THREAD_SQL, (key,)),
            (DELETE_CONVERSATION_SQL, (key,)),
        ]
        if audit is not None:
            statements.append((AUDIT_SQL, audit))
        await self.execute(statements)

    # -- restore ------------------------------------------------------------------------
    async def restore(
        self, store: dict, progress: Callable[[int], None] | None = None
    ) -> RestoreReport:
        """Bring into ``store`` every object the registry has and the store lacks (idempotent;
        never overwrites what the store already holds, which is newer)."""
        report = RestoreReport()
        async with self.pool.connection() as conn:
            rows = await (
                await conn.execute("SELECT kind, key, payload FROM api_registry ORDER BY kind, key")
            ).fetchall()
            orphans = await (await conn.execute(ORPHAN_THREADS_SQL)).fetchall()
        have = {
            "thread": {_key(t["thread_id"]) for t in store["threads"]},
            "assistant": {_key(a["assistant_id"]) for a in store["assistants"]},
            "assistant_version": {
                f"{_key(v['assistant_id'])}:{v['version']}" for v in store["assistant_versions"]
            },
            "run": {_key(r["run_id"]) for r in store["runs"]},
        }
        finished_runs: list[str] = []
        values: dict[tuple[str, str], Any] = {}
        for row in rows:
            kind, key = row["kind"], row["key"]
            if key in have[kind]:
                if kind == "run":
                    finished_runs.append(key)  # the runtime's own pickle has it: it decides
                continue
            try:
                values[kind, key] = pickle.loads(row["payload"])  # noqa: S301 (see _dumps)
            except Exception:  # one unreadable row must not keep the server from starting
                logger.exception("registry: cannot restore %s %s; skipped", kind, key)
                report.skipped += 1
        # Stateless runs the store lost: their temporary threads go, as the worker would have
        # deleted them (the runs end here; the runtime cannot run them again without a thread).
        temporary = {
            _key(value["thread_id"])
            for (kind, key), value in values.items()
            if kind == "run" and is_temporary(value) and value.get("thread_id") is not None
        } - have["thread"]
        for (kind, key), value in values.items():
            if kind == "run" and _key(value.get("thread_id")) in temporary:
                finished_runs.append(key)
            elif kind == "thread" and key in temporary:
                pass
            elif kind == "thread":
                value.update(status="idle", values=None)
                store["threads"].append(value)
                report.threads += 1
            elif kind == "assistant":
                store["assistants"].append(value)
                report.assistants += 1
            elif kind == "assistant_version":
                store["assistant_versions"].append(value)
            elif kind == "run":
                # In flight when the server died and lost with its pickle: it ends as an error.
                value.update(status="error", updated_at=datetime.now(UTC))
                store["runs"].append(value)
                finished_runs.append(key)
                report.runs_failed += 1
            if progress:
                progress(1)
        for thread_id in sorted(temporary):  # (rows an older version wrote through)
            await self.forget_thread(thread_id, [])
            report.temporary_dropped += 1
        orphans = [o for o in orphans if o["thread_id"] not in temporary]
        for orphan in orphans:
            if orphan["thread_id"] in have["thread"]:
                continue  # the runtime's pickle holds it (and the registry did not): keep it once
            store["threads"].append(self.thread_from_checkpoint(orphan))
            report.threads += 1
            report.rebuilt_from_checkpoints += 1
            if progress:
                progress(1)
        report.threads_unstuck = self._unstick(store)
        await self.execute([(DELETE_SQL, ("run", key)) for key in finished_runs])
        if orphans:
            ids = [o["thread_id"] for o in orphans]
            await self.save_threads(store, ids)
        return report

    @staticmethod
    def thread_from_checkpoint(row: dict) -> dict:
        metadata = {k: v for k, v in (row["metadata"] or {}).items() if k not in _INTERNAL_METADATA}
        return {
            "thread_id": uuid.UUID(row["thread_id"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "state_updated_at": row["updated_at"],
            "metadata": metadata,
            "status": "idle",
            "config": {},
            "values": None,
        }

    @staticmethod
    def _unstick(store: dict) -> int:
        """Threads marked busy without a pending or running run would refuse runs forever."""
        active = {r["thread_id"] for r in store["runs"] if r["status"] in ("pending", "running")}
        unstuck = 0
        for thread in store["threads"]:
            if thread.get("status") == "busy" and thread["thread_id"] not in active:
                thread["status"] = "idle"
                unstuck += 1
        return unstuck


@dataclass
class RestoreReport:
    """What ``Registry.restore`` brought back."""

    threads: int = 0
    assistants: int = 0
    runs_failed: int = 0
    rebuilt_from_checkpoints: int = 0
    threads_unstuck: int = 0
    skipped: int = 0
    #: stateless runs lost with the server, dropped with their temporary threads
    temporary_dropped: int = 0


# -- wiring into the runtime ---------------------------------------------------------------
_registry: Registry | None = None

#: Set by a caller that writes its own audit entry for the deletions it makes (the retention
#: sweeper, with its reason), so one deletion leaves one entry.
deletion_audited: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "deletion_audited", default=False
)


def _wrap_iterator(op: Callable, after: Callable[[Any, Any], Any]) -> Callable:
    """Wrap an op returning an async iterator: ``after(conn, item)`` runs for each item before it
    is handed to the API (so the write is durable before the API acknowledges it)."""

    @functools.wraps(op)
    async def wrapper(conn, *args, **kwargs):
        iterator = await op(conn, *args, **kwargs)
        if _registry is None:
            return iterator

        async def through() -> AsyncIterator[Any]:
            async for item in iterator:
                await after(conn, item)
                yield item

        return through()

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _store_of(conn) -> dict:
    store = getattr(conn, "store", None)
    if store is None:
        from langgraph_runtime_inmem.database import GLOBAL_STORE

        store = GLOBAL_STORE
    return store


async def _after_thread(conn, thread) -> None:
    if isinstance(thread, dict):
        await _registry.save_threads(_store_of(conn), [thread["thread_id"]])


async def _after_thread_created(conn, thread) -> None:
    """A thread created (again) under an id deliberately: lift the id's tombstone, if any."""
    if isinstance(thread, dict):
        await _registry.save_threads(_store_of(conn), [thread["thread_id"]], revive=True)


def _actor() -> str | None:
    """The authenticated caller of the API request being served, if any (for audit entries)."""
    from langgraph_api.utils import get_auth_ctx

    ctx = get_auth_ctx()
    identity = getattr(getattr(ctx, "user", None), "identity", None) if ctx else None
    return identity or None


def _wrap_delete_thread(op: Callable) -> Callable:
    """``Threads.delete(conn, thread_id)`` deletes as it is called; the worker that ends a
    stateless run never consumes the iterator it returns. So the write-through happens here, at
    once, and the caller gets an iterator over what was deleted."""

    @functools.wraps(op)
    async def wrapper(conn, thread_id, *args, **kwargs):
        if _registry is None:
            return await op(conn, thread_id, *args, **kwargs)
        # the op removes the thread and its runs from the store: note them first
        store = _store_of(conn)
        thread = next((t for t in store["threads"] if _key(t["thread_id"]) == _key(thread_id)), {})
        runs = [r for r in store["runs"] if _key(r.get("thread_id")) == _key(thread_id)]
        deleted = [item async for item in await op(conn, thread_id, *args, **kwargs)]
        for item in deleted:
            await _after_thread_deleted(item, thread, runs)

        async def replay() -> AsyncIterator[Any]:
            for item in deleted:
                yield item

        return replay()

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


async def _after_thread_deleted(thread_id: Any, thread: dict, runs: list[dict]) -> None:
    key = _key(thread_id)
    audit = None
    if not deletion_audited.get():
        details = {"temporary": True} if any(is_temporary(r) for r in runs) else {}
        # the worker deletes a stateless run's thread outside any request: its owner asked
        owner = (thread.get("metadata") or {}).get("owner")
        audit = (
            _actor() or (owner if isinstance(owner, str) and owner else None),
            "thread.deleted",
            key,
            Jsonb(details),
            f"thread.deleted:{key}:{uuid.uuid4()}",
        )
    await _registry.forget_thread(key, [_key(r["run_id"]) for r in runs], audit=audit)


def _wrap_copy(op: Callable) -> Callable:
    """Like the other thread ops, plus an audit entry naming the source thread."""

    @functools.wraps(op)
    async def wrapper(conn, thread_id, *args, **kwargs):
        async def after(conn, thread) -> None:
            await _after_thread(conn, thread)
            if isinstance(thread, dict):
                target = _key(thread["thread_id"])
                details = Jsonb({"source_thread_id": _key(thread_id)})
                await _registry.execute(
                    [
                        (
                            AUDIT_SQL,
                            (_actor(), "thread.copied", target, details, f"thread.copied:{target}"),
                        )
                    ]
                )

        return await _wrap_iterator(op, after)(conn, thread_id, *args, **kwargs)

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


async def _after_assistant(conn, assistant) -> None:
    if isinstance(assistant, dict):
        await _registry.save_assistant(_store_of(conn), assistant["assistant_id"])


async def _after_assistant_deleted(conn, assistant_id) -> None:
    await _registry.forget("assistant", assistant_id)


async def _after_run(conn, run) -> None:
    if isinstance(run, dict):
        await _registry.save_run(_store_of(conn), run)


async def _after_run_deleted(conn, run_id) -> None:
    await _registry.forget("run", run_id)


async def _run_ended(conn, run_id: Any, status: str) -> None:
    """A run that ends leaves the registry and enters the hooks outbox, in one transaction."""
    statements = [(DELETE_SQL, ("run", _key(run_id)))]
    run = next((r for r in _store_of(conn)["runs"] if _key(r["run_id"]) == _key(run_id)), None)
    if run is not None and status in _TERMINAL_RUN_STATUSES:
        payload = {
            "status": status,
            "assistant_id": _key(run.get("assistant_id")),
            "metadata": run.get("metadata") or {},
        }
        event = (_key(run["thread_id"]), _key(run_id), Jsonb(payload, dumps=_json_dumps))
        statements.append((RUN_EVENT_SQL, event))
    await _registry.execute(statements)


def _wrap_set_status(op: Callable) -> Callable:
    """``Runs.set_status(conn, run_id, status)``: used for retries and by other callers."""

    @functools.wraps(op)
    async def wrapper(conn, run_id, status, *args, **kwargs):
        result = await op(conn, run_id, status, *args, **kwargs)
        if _registry is not None and status in _TERMINAL_RUN_STATUSES:
            await _run_ended(conn, run_id, status)
        return result

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _wrap_set_joint_status(op: Callable) -> Callable:
    """``Threads.set_joint_status(conn, thread_id, run_id, run_status, ...)``: how the worker
    ends every run (``rollback`` deletes the run)."""

    @functools.wraps(op)
    async def wrapper(conn, thread_id, run_id, run_status, *args, **kwargs):
        result = await op(conn, thread_id, run_id, run_status, *args, **kwargs)
        if _registry is not None and (
            run_status in _TERMINAL_RUN_STATUSES or run_status == "rollback"
        ):
            await _run_ended(conn, run_id, run_status)
        return result

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


#: (class name, method, wrapper factory) — everything this module touches in the runtime.
WRAPPED_OPS: tuple[tuple[str, str, Callable[[Callable], Callable]], ...] = (
    ("Threads", "put", lambda op: _wrap_iterator(op, _after_thread_created)),
    ("Threads", "patch", lambda op: _wrap_iterator(op, _after_thread)),
    ("Threads", "copy", _wrap_copy),
    ("Threads", "delete", _wrap_delete_thread),
    ("Assistants", "put", lambda op: _wrap_iterator(op, _after_assistant)),
    ("Assistants", "patch", lambda op: _wrap_iterator(op, _after_assistant)),
    ("Assistants", "set_latest", lambda op: _wrap_iterator(op, _after_assistant)),
    ("Assistants", "delete", lambda op: _wrap_iterator(op, _after_assistant_deleted)),
    ("Runs", "put", lambda op: _wrap_iterator(op, _after_run)),
    ("Runs", "delete", lambda op: _wrap_iterator(op, _after_run_deleted)),
    ("Runs", "set_status", _wrap_set_status),
    ("Threads", "set_joint_status", _wrap_set_joint_status),
)


SUPPORTED_RUNTIME = "0.36.7"


def install(registry: Registry) -> None:
    """Wrap the runtime's mutating ops (once) and route their writes to ``registry``."""
    global _registry
    from importlib.metadata import version

    from langgraph_runtime_inmem import ops

    if (found := version("langgraph-runtime-inmem")) != SUPPORTED_RUNTIME:
        raise RuntimeError(
            f"server/registry.py was written for langgraph-runtime-inmem {SUPPORTED_RUNTIME}, "
            f"found {found}: re-check the wrapped ops (tests/unit/test_compat.py) and the pin"
        )

    _registry = registry
    for class_name, method, factory in WRAPPED_OPS:
        cls = getattr(ops, class_name)
        current = cls.__dict__[method]
        function = current.__func__ if isinstance(current, staticmethod) else current
        if getattr(function, "__adlaan_wrapped__", None) is not None:
            continue
        setattr(cls, method, staticmethod(factory(function)))


def uninstall() -> None:
    """Stop writing through (the wrappers stay, and pass calls straight on)."""
    global _registry
    _registry = None


def thread_owner(thread_id: Any) -> str | None:
    """The ``metadata.owner`` of a thread the API holds ("" when it has none), None when the API
    has no such thread (a scan, as the in-memory runtime's own lookups are)."""
    for thread in runtime_store()["threads"]:
        if str(thread["thread_id"]) == str(thread_id):
            return str((thread.get("metadata") or {}).get("owner") or "")
    return None


def runtime_store() -> dict:
    """The in-memory runtime's store (threads, assistants, runs...)."""
    from langgraph_runtime_inmem.database import GLOBAL_STORE

    return GLOBAL_STORE
