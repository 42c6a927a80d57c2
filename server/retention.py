"""The retention sweeper that runs inside the server process.

Every ``RETENTION_SWEEP_INTERVAL`` seconds it finds threads idle longer than ``RETENTION_DAYS`` and
applies ``RETENTION_POLICY``: ``delete`` removes the thread from the LangGraph API (its registry
and, through the checkpointer, its checkpoints) and then its mirror rows; ``archive`` marks its
conversation archived. Each thread gets an audit entry. ``adlaan cleanup`` does the same on demand.
Each sweep also deletes audit entries older than ``AUDIT_RETENTION_DAYS`` and login-throttle
counters whose window has ended.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.registry import deletion_audited
from server.runtime import delete_threads
from server.settings import Settings
from store.db import DictPool
from store.repositories import login_throttle
from store.retention import PURGE_TOMBSTONES_SQL, aapply_policy, aidle_threads, apurge_audit

logger = logging.getLogger("adlaan.retention")


async def forget_threads(thread_ids: list[str]) -> None:
    """Delete the threads from the dev server's registry (which deletes their checkpoints)."""
    token = deletion_audited.set(True)  # aapply_policy audits these, with the reason
    try:
        await delete_threads(thread_ids)
    finally:
        deletion_audited.reset(token)


@dataclass(frozen=True)
class Purged:
    """What ``purge_expired`` deleted."""

    audit_entries: int
    login_counters: int


async def purge_expired(pool: DictPool, settings: Settings) -> Purged:
    """Delete audit entries older than the audit retention (in batches) and login-throttle
    counters whose window has ended."""
    cutoff = datetime.now(UTC) - timedelta(days=settings.audit_retention_days)
    window = timedelta(minutes=settings.login_window_minutes)
    async with pool.connection() as conn:
        audit_entries = await apurge_audit(conn, cutoff, settings.retention_batch_size)
        login_counters = await login_throttle.purge_expired(conn, window)
    return Purged(audit_entries, login_counters)


async def sweep_once(pool: DictPool, settings: Settings) -> int:
    """One sweep; returns how many threads it deleted or archived."""
    cutoff = datetime.now(UTC) - timedelta(days=settings.retention_days)
    archive = settings.retention_policy == "archive"
    done = 0
    while True:
        async with pool.connection() as conn:
            batch = await aidle_threads(
                conn, cutoff, settings.retention_batch_size, skip_archived=archive
            )
        if not batch:
            async with pool.connection() as conn:
                await conn.execute(PURGE_TOMBSTONES_SQL)
            purged = await purge_expired(pool, settings)
            if purged.audit_entries:
                logger.warning("retention: deleted %d old audit entries", purged.audit_entries)
            return done
        if settings.retention_policy == "delete":
            await forget_threads([t.thread_id for t in batch])
        async with pool.connection() as conn:
            await aapply_policy(conn, batch, settings.retention_policy, reason="retention")
        done += len(batch)


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
