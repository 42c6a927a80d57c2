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

Crons (``Crons.put/update/delete/set_next_run_date``, and those that go with their thread or
assistant) and the LangGraph store's items (its ``batch``/``abatch``) are written through the same
way, and for them the registry is the reference: at start-up the runtime's crons and items become
exactly the registry's, so one deleted just before a crash does not come back from a stale
pickle. The first start after an upgrade, when the registry has none yet (no marker row, key
``''``), copies the pickle's into the registry instead.

A stateless run (``POST /runs``, ``/runs/wait``, ``/runs/stream`` with the default
``on_completion="delete"``) runs on a temporary thread that the runtime creates in ``Runs.put``
and deletes when the run ends; the run carries ``kwargs["temporary"] = True`` (the thread itself
carries no mark, and the API runs the graph without a checkpointer). Such a thread is never
written through, only its run; the deletion, which the worker requests without consuming
``Threads.delete``'s iterator, is written through at once, with the thread's runs and mirror
rows. A stateless run lost with the server is dropped at the next start, with its thread.

The runtime's ops are wrapped, and its store read, by ``server.runtime`` (the one place that
touches the runtime's internals, pinned and contract-tested); this module decides what each change
writes.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import pickle
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

from psycopg.abc import Params
from psycopg.types.json import Jsonb

from hooks.builtin.mirror import LOCK_THREAD_SQL
from server.runtime import (
    Listeners,
    StoreChange,
    current_identity,
    install_write_through,
    replace_store_items,
    runtime_store,
    runtime_store_items,
    uninstall_write_through,
)
from server.runtime import files as runtime_files
from store import crypto
from store.db import DictPool
from store.models.hook_event import RUN_EVENT_SQL
from store.repositories import conversations, tombstones
from store.repositories import registry as registry_rows
from store.repositories.audit import INSERT_SQL as AUDIT_SQL

logger = logging.getLogger("adlaan.registry")

#: Fields of a thread the runtime derives from its checkpoints; never persisted here.
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

UPSERT_SQL, DELETE_SQL, DELETE_PREFIX_SQL = (
    registry_rows.UPSERT_SQL,
    registry_rows.DELETE_SQL,
    registry_rows.DELETE_PREFIX_SQL,
)
DELETE_KEYS_SQL = registry_rows.DELETE_KEYS_SQL
# Messages and documents go with their conversation; LOCK_THREAD_SQL first, so the mirror cannot
# write the rows back while (or after) they are deleted.
DELETE_CONVERSATION_SQL = conversations.DELETE_ONE_SQL
OWN_CONVERSATION_SQL = conversations.OWN_SQL
ORPHAN_THREADS_SQL = registry_rows.ORPHAN_THREADS_SQL


def _dumps(value: Any) -> bytes:
    # The runtime itself persists these objects with pickle; same trust boundary, same format.
    # Encrypted when ADLAAN_ENCRYPTION_KEY is set: a run's input and store items hold user text.
    return crypto.seal_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _loads(payload: bytes) -> Any:
    return pickle.loads(crypto.unseal_bytes(payload))  # noqa: S301 (see _dumps)


#: One statement of a write-through transaction: SQL and its parameters.
Statement: TypeAlias = tuple[str, Params]


def _key(value: Any) -> str:
    return str(value)


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


#: The key of the row that marks a kind the registry holds as the reference (crons, store items).
MARKER = ""


def store_item_key(namespace: Sequence[str], key: str) -> str:
    """The registry key of a store item: the namespace's first label (cut to 100 characters:
    a user's id, by convention, so one user's items can be found), ``/``, and a digest of the
    whole namespace and key (which may be longer than the column)."""
    digest = hashlib.sha256(json.dumps([list(namespace), key]).encode()).hexdigest()
    return f"{(namespace[0] if namespace else '')[:100]}/{digest}"


def _item_payload(namespace: Sequence[str], key: str, item: Any) -> bytes:
    return _dumps(
        {
            "namespace": list(namespace),
            "key": key,
            "value": item.value,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
        }
    )


def _item(payload: dict) -> tuple[tuple[str, ...], str, Any]:
    from langgraph.store.base import Item

    namespace = tuple(payload["namespace"])
    item = Item(
        value=payload["value"],
        key=payload["key"],
        namespace=namespace,
        created_at=payload["created_at"],
        updated_at=payload["updated_at"],
    )
    return namespace, payload["key"], item


def is_temporary(run: dict) -> bool:
    """Whether ``run`` is a stateless run whose thread the runtime deletes when it ends."""
    return bool((run.get("kwargs") or {}).get("temporary"))


class Registry:
    """Writes the runtime's objects through to PostgreSQL and restores them at start-up."""

    def __init__(self, pool: DictPool) -> None:
        self.pool = pool

    # -- write-through ------------------------------------------------------------------
    async def execute(self, statements: Sequence[Statement]) -> None:
        if not statements:
            return
        async with self.pool.connection() as conn, conn.transaction():
            for sql, params in statements:
                await conn.execute(sql, params)

    @staticmethod
    def _thread_row(thread: dict) -> Statement:
        stable = {k: v for k, v in thread.items() if k not in _DERIVED_THREAD_FIELDS}
        return UPSERT_SQL, ("thread", _key(thread["thread_id"]), _dumps(stable))

    async def save_threads(
        self, store: dict, thread_ids: list[Any], *, revive: bool = False
    ) -> None:
        wanted = {_key(t) for t in thread_ids}
        threads = [t for t in store["threads"] if _key(t["thread_id"]) in wanted]
        rows: list[Statement] = [self._thread_row(t) for t in threads]
        rows += [
            (OWN_CONVERSATION_SQL, {"thread_id": _key(t["thread_id"]), "owner": owner})
            for t in threads
            if isinstance(owner := (t.get("metadata") or {}).get("owner"), str) and owner
        ]
        if revive:
            rows.append((tombstones.REVIVE_SQL, (list(wanted),)))
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
        statements: list[Statement] = [(UPSERT_SQL, ("run", _key(run["run_id"]), _dumps(run)))]
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
        never overwrites what the store already holds, which is newer); for the installed
        registry, the runtime's crons and store items become the registry's. First, the runtime's files (and all the process writes from now
        on) are made owner-only: they hold conversation text."""
        if _registry is self:  # the server's own registry: its process and its files
            await asyncio.to_thread(runtime_files.protect)
            open_sealed_files(store)
        report = RestoreReport()
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(registry_rows.ALL_SQL)).fetchall()
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
            if kind not in have:  # crons and store items: restore_crons, restore_store_items
                continue
            if key in have[kind]:
                if kind == "run":
                    finished_runs.append(key)  # the runtime's own pickle has it: it decides
                continue
            try:
                values[kind, key] = _loads(row["payload"])
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
        if _registry is self:  # the registry the runtime writes through to (``install``)
            report.crons = await self.restore_crons(store, report)
            report.store_items = await self.restore_store_items(report)
        return report

    async def _reference(
        self, kind: str, current: dict[str, bytes], report: RestoreReport
    ) -> dict[str, Any] | None:
        """The registry's objects of ``kind`` by key, unpickled, to make the runtime's; None
        when it holds none yet (no marker), after copying ``current`` (the runtime's) in."""
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(registry_rows.KIND_SQL, (kind,))).fetchall()
        if not any(row["key"] == MARKER for row in rows):
            statements: list[Statement] = [
                (UPSERT_SQL, (kind, key, payload)) for key, payload in current.items()
            ]
            await self.execute([*statements, (UPSERT_SQL, (kind, MARKER, b""))])
            return None
        found = {}
        for row in rows:
            if row["key"] == MARKER:
                continue
            try:
                found[row["key"]] = _loads(row["payload"])
            except Exception:
                logger.exception("registry: cannot restore %s %s; skipped", kind, row["key"])
                report.skipped += 1
        return found

    async def restore_crons(self, store: dict, report: RestoreReport) -> int:
        """Make the runtime's crons the registry's; how many there are."""
        current = {_key(c["cron_id"]): _dumps(c) for c in store.get("crons") or []}
        found = await self._reference("cron", current, report)
        if found is not None:
            store["crons"] = list(found.values())
        return len(store.get("crons") or [])

    async def restore_store_items(self, report: RestoreReport) -> int:
        """Make the runtime's LangGraph store items the registry's; how many there are."""
        items = runtime_store_items()
        current = {
            store_item_key(namespace, key): _item_payload(namespace, key, item)
            for namespace, key, item in items
        }
        found = await self._reference("store_item", current, report)
        if found is None:
            return len(items)
        restored = [_item(payload) for payload in found.values()]
        replace_store_items(restored)
        return len(restored)

    async def save_cron(self, cron: dict) -> None:
        await self.execute([(UPSERT_SQL, ("cron", _key(cron["cron_id"]), _dumps(cron)))])

    async def forget_crons(self, cron_ids: list[str]) -> None:
        await self.execute([(DELETE_KEYS_SQL, ("cron", [_key(c) for c in cron_ids]))])

    async def save_store_changes(self, changes: Sequence[StoreChange]) -> None:
        """Each item a store batch put, or its deletion, in one transaction."""
        statements: list[Statement] = []
        for change in changes:
            key = store_item_key(change.namespace, change.key)
            if change.item is None:
                statements.append((DELETE_SQL, ("store_item", key)))
            else:
                payload = _item_payload(change.namespace, change.key, change.item)
                statements.append((UPSERT_SQL, ("store_item", key, payload)))
        await self.execute(statements)

    async def rebuild_from_checkpoints(
        self, progress: Callable[[int, int], None] | None = None, *, chunk: int = 200
    ) -> int:
        """Give every thread that has checkpoints but no registry row one, built from its
        checkpoints (``adlaan threads restore``; a running server picks them up at its next start
        or ``POST /adlaan/registry/restore``). How many; ``progress(done, total)``."""
        async with self.pool.connection() as conn:
            orphans = await (await conn.execute(ORPHAN_THREADS_SQL)).fetchall()
        store = {"threads": [self.thread_from_checkpoint(o) for o in orphans]}
        for start in range(0, len(orphans), chunk):
            ids = [o["thread_id"] for o in orphans[start : start + chunk]]
            await self.save_threads(store, ids)
            if progress:
                progress(min(start + chunk, len(orphans)), len(orphans))
        return len(orphans)

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
    #: crons and LangGraph store items the runtime holds after the restore
    crons: int = 0
    store_items: int = 0


# -- wiring into the runtime ---------------------------------------------------------------
_registry: Registry | None = None

#: Set by a caller that writes its own audit entry for the deletions it makes (the retention
#: sweeper, with its reason), so one deletion leaves one entry.
deletion_audited: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "deletion_audited", default=False
)


async def _after_thread(store: dict, thread) -> None:
    if isinstance(thread, dict):
        await _installed().save_threads(store, [thread["thread_id"]])


async def _after_thread_created(store: dict, thread) -> None:
    """A thread created (again) under an id deliberately: lift the id's tombstone, if any."""
    if isinstance(thread, dict):
        await _installed().save_threads(store, [thread["thread_id"]], revive=True)


def _installed() -> Registry:
    """The registry the listeners write to (they run only while one is installed)."""
    if _registry is None:
        raise RuntimeError("no registry is installed")
    return _registry


def _actor() -> str | None:
    """The authenticated caller of the API request being served, if any (for audit entries)."""
    return current_identity()


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
    await _installed().forget_thread(key, [_key(r["run_id"]) for r in runs], audit=audit)


async def _after_thread_copied(store: dict, thread_id: Any, thread) -> None:
    """Like the other thread ops, plus an audit entry naming the source thread."""
    await _after_thread(store, thread)
    if isinstance(thread, dict):
        target = _key(thread["thread_id"])
        details = Jsonb({"source_thread_id": _key(thread_id)})
        await _installed().execute(
            [(AUDIT_SQL, (_actor(), "thread.copied", target, details, f"thread.copied:{target}"))]
        )


async def _after_assistant(store: dict, assistant) -> None:
    if isinstance(assistant, dict):
        await _installed().save_assistant(store, assistant["assistant_id"])


async def _after_assistant_deleted(store: dict, assistant_id) -> None:
    await _installed().forget("assistant", assistant_id)


async def _after_run(store: dict, run) -> None:
    if isinstance(run, dict):
        await _installed().save_run(store, run)


async def _after_run_deleted(store: dict, run_id) -> None:
    await _installed().forget("run", run_id)


async def _after_cron(store: dict, cron) -> None:
    if isinstance(cron, dict):
        await _installed().save_cron(cron)


async def _after_crons_deleted(store: dict, cron_ids: list[str]) -> None:
    await _installed().forget_crons(cron_ids)


async def _after_store_changed(changes: list[StoreChange]) -> None:
    await _installed().save_store_changes(changes)


async def _run_ended(store: dict, run_id: Any, status: str) -> None:
    """A run that ends leaves the registry and enters the hooks outbox, in one transaction."""
    statements: list[Statement] = [(DELETE_SQL, ("run", _key(run_id)))]
    run = next((r for r in store["runs"] if _key(r["run_id"]) == _key(run_id)), None)
    if run is not None and status in _TERMINAL_RUN_STATUSES:
        payload = {
            "status": status,
            "assistant_id": _key(run.get("assistant_id")),
            "metadata": run.get("metadata") or {},
        }
        event = (_key(run["thread_id"]), _key(run_id), Jsonb(payload, dumps=_json_dumps))
        statements.append((RUN_EVENT_SQL, event))
    await _installed().execute(statements)


#: Base names of the runtime's files: its threads, runs, assistants and crons; its store's items.
OPS_FILE, STORE_FILE = ".langgraph_ops.pckl", "store.pckl"
#: What the runtime's state file lists, and the field naming each entry.
_STATE_IDS = {
    "threads": ("thread_id",),
    "runs": ("run_id",),
    "assistants": ("assistant_id",),
    "assistant_versions": ("assistant_id", "version"),
    "crons": ("cron_id",),
}


def open_sealed_files(store: dict) -> None:
    """With a key, the runtime's files are sealed (``store.crypto.seal_pickles``). A file read
    before the process knew its key (the store's items, read at import) is opened now: its
    objects join what the runtime holds, as if it had loaded them itself; a file no configured
    key opens is left as it is, never overwritten, and the registry restores what it holds."""
    opened, failed = crypto.open_pending()
    if failed:
        logger.error(
            "the development server's files %s are encrypted with a key that is not configured "
            "(ADLAAN_ENCRYPTION_KEY / ADLAAN_ENCRYPTION_OLD_KEYS): left as they are; threads, "
            "assistants, crons and store items come from the registry in PostgreSQL",
            ", ".join(sorted(failed)),
        )
    if (state := opened.get(OPS_FILE)) is not None:
        _merge_state(store, state)
    if (items := opened.get(STORE_FILE)) is not None:
        held = {(namespace, key) for namespace, key, _ in runtime_store_items()}
        found = [
            (namespace, key, item)
            for namespace, by_key in items.items()
            for key, item in by_key.items()
            if (namespace, key) not in held
        ]
        replace_store_items([*runtime_store_items(), *found])


def _merge_state(store: dict, state: dict) -> None:
    """The runtime's state read late: each object the runtime lacks joins it (the system's
    assistants excepted: the server made them afresh); a run that was running is pending again,
    as the runtime makes one it loads itself."""
    for kind, fields in _STATE_IDS.items():
        held = {tuple(str(o[f]) for f in fields) for o in store.get(kind) or []}
        for obj in state.get(kind) or []:
            if tuple(str(obj[f]) for f in fields) in held:
                continue
            if kind == "assistants" and (obj.get("metadata") or {}).get("created_by") == "system":
                continue
            if kind == "runs" and obj.get("status") == "running":
                obj.update(status="pending", updated_at=datetime.now(UTC))
            store.setdefault(kind, []).append(obj)


def install(registry: Registry) -> None:
    """Route the runtime's changes to ``registry`` (``server.runtime`` wraps its ops, once);
    with a key, the runtime's files are written sealed from now on."""
    global _registry
    if crypto.keyring() is not None:
        crypto.seal_pickles()
    install_write_through(
        Listeners(
            thread_created=_after_thread_created,
            thread_saved=_after_thread,
            thread_copied=_after_thread_copied,
            thread_deleted=_after_thread_deleted,
            assistant_saved=_after_assistant,
            assistant_deleted=_after_assistant_deleted,
            run_saved=_after_run,
            run_deleted=_after_run_deleted,
            run_ended=_run_ended,
            cron_saved=_after_cron,
            crons_deleted=_after_crons_deleted,
            store_changed=_after_store_changed,
        )
    )
    _registry = registry


def uninstall() -> None:
    """Stop writing through (the wrappers stay, and pass calls straight on)."""
    global _registry
    _registry = None
    uninstall_write_through()


def thread_owner(thread_id: Any) -> str | None:
    """The ``metadata.owner`` of a thread the API holds ("" when it has none), None when the API
    has no such thread (a scan, as the in-memory runtime's own lookups are)."""
    for thread in runtime_store()["threads"]:
        if str(thread["thread_id"]) == str(thread_id):
            return str((thread.get("metadata") or {}).get("owner") or "")
    return None
