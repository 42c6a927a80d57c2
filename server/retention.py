"""Retention: what bounds each table, and the sweeper that enforces it inside the server.

Every ``RETENTION_SWEEP_INTERVAL`` the server sweeps:

- threads idle longer than ``RETENTION_IDLE`` (``never`` by default: conversations are legal
  records and nothing is deleted unless an operator opts in) get ``RETENTION_POLICY``:
  ``delete`` removes the thread from the LangGraph API (its registry and, through the
  checkpointer, its checkpoints) and then its mirror rows; ``archive`` marks its conversation
  archived. Each thread gets an audit entry;
- the tables that only grow (``sweep_tables``): audit entries past the retention of their class
  (security events are kept longer), hook events every plugin has handled, dead letters delivered
  by a retry (or, with a policy, any), login sessions that ended, login-throttle windows that
  ended, tombstones of deleted threads; on ``adlaan serve``'s runtime, finished runs (as long as
  hook events) and their retry counters.

``adlaan cleanup`` does the same on demand (with ``--dry-run`` and a confirmation above
``CLEANUP_CONFIRM_ABOVE`` threads); ``adlaan db stats`` shows each table with the policy
``TABLE_POLICIES`` names for it. docs/data-lifecycle.md says why the defaults are what they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from server.durations import describe
from server.metrics import retention_deleted
from server.registry import deletion_audited
from server.runtime import delete_threads
from server.settings import Settings
from store.db import DictConnection, DictPool
from store.repositories import api_keys, login_throttle, outbox, runtime_tables, tombstones
from store.retention import aapply_policy, aidle_threads, apurge_audit

logger = logging.getLogger("adlaan.retention")


async def forget_threads(thread_ids: list[str]) -> None:
    """Delete the threads from the dev server's registry (which deletes their checkpoints)."""
    token = deletion_audited.set(True)  # aapply_policy audits these, with the reason
    try:
        await delete_threads(thread_ids)
    finally:
        deletion_audited.reset(token)


def _with_thread(settings: Settings) -> str:
    idle = settings.retention_idle
    if idle is None:
        return "with its thread: kept (RETENTION_IDLE=never)"
    return f"with its thread: {settings.retention_policy} after {describe(idle)} idle"


def _after(setting: str, value: timedelta | None, what: str) -> str:
    if value is None:
        return f"{what}: kept ({setting}=never)"
    return f"{what}: deleted after {describe(value)} ({setting})"


#: What bounds each table the project owns, as a sentence for ``adlaan db stats`` (a test fails
#: when a table has no entry: a new table must say what keeps it from growing without bound).
TABLE_POLICIES: dict[str, Callable[[Settings], str]] = {
    "checkpoints": _with_thread,
    "checkpoint_blobs": _with_thread,
    "checkpoint_writes": _with_thread,
    "conversations": _with_thread,
    "messages": _with_thread,
    "documents": _with_thread,
    "checkpoint_migrations": lambda s: "fixed: one row per saver schema version",
    "alembic_version": lambda s: "fixed: one row",
    "api_registry": lambda s: (
        "threads with their thread; runs until they end; store items "
        "and crons until deleted through the API"
    ),
    "resource_owners": lambda s: "one row per thread or assistant; goes with it",
    "deleted_threads": lambda s: "tombstones: deleted after 7 days",
    "audit_logs": lambda s: (
        _after("AUDIT_RETENTION", s.audit_retention, "entries")
        + "; "
        + _after("AUDIT_SECURITY_RETENTION", s.audit_security_retention, "security events")
    ),
    "hook_events": lambda s: (
        _after("HOOK_EVENTS_RETENTION", s.hook_events_retention, "delivered events")
        + "; undelivered, parked or dead: kept"
    ),
    "hook_dead_letters": lambda s: (
        _after("HOOK_DEAD_LETTERS_RETENTION", s.hook_dead_letters_retention, "dead letters")
        + "; retried ones with the delivered events"
    ),
    "hook_cursors": lambda s: "fixed: one row per plugin",
    "hook_parked_threads": lambda s: "one row per held-back thread; removed once delivered",
    "api_keys": lambda s: (
        _after("SESSION_RETENTION", s.session_retention, "ended sessions")
        + "; API keys: until revoked or their user is erased"
    ),
    "login_throttle": lambda s: f"ended windows ({s.login_window_minutes:g} min): deleted",
    "users": lambda s: "one row per account, until erased (adlaan users erase)",
    # adlaan serve's runtime (langgraph-runtime-pg) and langgraph's PostgresStore, when the
    # database has served it: their tables are the runtime's, bounded as far as said here
    "threads": lambda s: "adlaan serve: " + _with_thread(s),
    "runs": lambda s: (
        "adlaan serve: "
        + _after("RUNS_RETENTION", s.runs_retention, "finished runs")
        + "; pending and running ones: with their thread"
    ),
    "retry_counters": lambda s: "adlaan serve: one row per run, deleted with it",
    "crons": lambda s: "adlaan serve: until deleted through the API, or with their thread",
    "assistants": lambda s: "adlaan serve: until deleted through the API",
    "assistant_versions": lambda s: "adlaan serve: with their assistant",
    "store_items": lambda s: "adlaan serve: until deleted through the API or their user erased",
    "store": lambda s: "adlaan serve: until deleted through the API or their user erased",
    "store_vectors": lambda s: "adlaan serve: with their store item",
    "langgraph_runtime_pg_version": lambda s: "fixed: one row",
    "store_migrations": lambda s: "fixed: one row per store schema version",
    "vector_migrations": lambda s: "fixed: one row per vector schema version",
}


def table_policy(table: str, settings: Settings) -> str | None:
    """The policy that bounds ``table``, or None for a table without one."""
    describe_policy = TABLE_POLICIES.get(table)
    return describe_policy(settings) if describe_policy else None


@dataclass
class Swept:
    """Rows each step of ``sweep_tables`` deleted (or would delete, in a dry run)."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def _batches(step: Callable[[], Awaitable[int]], batch_size: int) -> int:
    """Run a batched delete until a batch comes back short; how many rows in all."""
    deleted = 0
    while True:
        count = await step()
        deleted += count
        if count < batch_size:
            return deleted


async def _sweep(conn: DictConnection, settings: Settings, actor: str) -> Swept:
    now = datetime.now(UTC)
    batch = settings.retention_batch_size
    swept = Swept()
    for key, retention, security in (
        ("audit_logs (other)", settings.audit_retention, False),
        ("audit_logs (security)", settings.audit_security_retention, True),
    ):
        if retention is not None:
            swept.counts[key] = await apurge_audit(
                conn, now - retention, batch, security=security, actor=actor
            )
    if (dead := settings.hook_dead_letters_retention) is not None:
        swept.counts["hook_dead_letters"] = await _batches(
            lambda: outbox.purge_dead_letters(conn, now - dead, batch, retried=False), batch
        )
    if (delivered := settings.hook_events_retention) is not None:
        swept.counts["hook_dead_letters (retried)"] = await _batches(
            lambda: outbox.purge_dead_letters(conn, now - delivered, batch, retried=True), batch
        )
        swept.counts["hook_events"] = await _batches(
            lambda: outbox.purge_delivered(conn, now - delivered, batch), batch
        )
    if (finished := settings.runs_retention) is not None:
        # adlaan serve's runtime keeps every finished run unless swept
        swept.counts["runs"] = await _batches(
            lambda: runtime_tables.purge_finished_runs(conn, now - finished, batch), batch
        )
    swept.counts["retry_counters"] = await runtime_tables.purge_orphan_retry_counters(conn)
    if (ended := settings.session_retention) is not None:
        swept.counts["api_keys (sessions)"] = await _batches(
            lambda: api_keys.purge_ended_sessions(conn, now - ended, batch), batch
        )
    window = timedelta(minutes=settings.login_window_minutes)
    swept.counts["login_throttle"] = await login_throttle.purge_expired(conn, window)
    swept.counts["deleted_threads"] = (await conn.execute(tombstones.SWEEP_OLD_SQL)).rowcount
    return swept


class _DryRun(Exception):
    """Raised to roll a dry run back, carrying what it would have deleted."""

    def __init__(self, swept: Swept) -> None:
        super().__init__("dry run")
        self.swept = swept


async def sweep_tables(
    pool: DictPool, settings: Settings, *, actor: str = "retention", dry_run: bool = False
) -> Swept:
    """Delete what the retention settings say has gone stale in every table that only grows
    (each batch its own transaction); with ``dry_run``, count it in one transaction rolled back."""
    async with pool.connection() as conn:
        if not dry_run:
            return await _sweep(conn, settings, actor)
        try:
            async with conn.transaction():
                raise _DryRun(await _sweep(conn, settings, actor))
        except _DryRun as done:
            return done.swept


async def sweep_once(pool: DictPool, settings: Settings) -> int:
    """One sweep; returns how many threads it deleted or archived."""
    done = 0
    if settings.retention_idle is not None:
        cutoff = datetime.now(UTC) - settings.retention_idle
        archive = settings.retention_policy == "archive"
        while True:
            async with pool.connection() as conn:
                batch = await aidle_threads(
                    conn, cutoff, settings.retention_batch_size, skip_archived=archive
                )
            if not batch:
                break
            if settings.retention_policy == "delete":
                await forget_threads([t.thread_id for t in batch])
            async with pool.connection() as conn:
                await aapply_policy(conn, batch, settings.retention_policy, reason="retention")
            done += len(batch)
    swept = await sweep_tables(pool, settings)
    # Archived threads are kept: only deletions count.
    deleted_threads = done if settings.retention_policy == "delete" else 0
    retention_deleted({"threads": deleted_threads, **swept.counts})
    if swept.total:
        logger.warning(
            "retention: deleted %s",
            ", ".join(f"{n} from {table}" for table, n in swept.counts.items() if n),
        )
    return done


async def run_sweeper(pool: DictPool, settings: Settings) -> None:
    """Sweep forever at the configured interval; a failed sweep is logged and retried later."""
    while True:
        try:
            count = await sweep_once(pool, settings)
            if count:
                logger.warning("retention: %s %d idle thread(s)", settings.retention_policy, count)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("retention sweep failed; retrying at the next interval")
        await asyncio.sleep(settings.retention_sweep_interval)
