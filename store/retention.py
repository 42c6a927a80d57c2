"""Retention and compaction in set-based SQL: find idle threads, delete or archive them (with
their checkpoints and mirror rows), and leave one audit entry per thread; delete audit entries
older than the audit retention of their class (security events, the others), in batches.

A thread's last activity is the timestamp of its newest root checkpoint, so this works whether
or not the relational mirror has caught up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from psycopg import Connection
from psycopg.types.json import Jsonb

from store.db import DictConnection
from store.repositories import audit, checkpoints, conversations, registry, tombstones

Policy = Literal["delete", "archive"]

IDLE_THREADS_SQL = checkpoints.IDLE_THREADS_SQL
DELETE_THREADS_SQL = (
    # tombstone first: a run still writing to one of these threads cannot bring it back
    tombstones.ADD_SQL,
    *checkpoints.DELETE_SQL,
    # messages and documents go with their conversation (ON DELETE CASCADE)
    conversations.DELETE_SQL,
    registry.FORGET_THREADS_SQL,
)
ARCHIVE_SQL = conversations.ARCHIVE_SQL
AUDIT_SQL = audit.THREADS_SQL


@dataclass(frozen=True)
class IdleThread:
    """A thread whose newest checkpoint is older than the cut-off."""

    thread_id: str
    last_activity: datetime


async def aidle_threads(
    conn: DictConnection, cutoff: datetime, limit: int = 1_000_000, *, skip_archived: bool = False
) -> list[IdleThread]:
    """Threads idle since before ``cutoff``, oldest first (without archived ones if asked)."""
    rows = await (await conn.execute(IDLE_THREADS_SQL, (skip_archived, cutoff, limit))).fetchall()
    return [IdleThread(_get(r, 0, "thread_id"), _get(r, 1, "last_activity")) for r in rows]


def _get(row, index: int, key: str):
    return row[key] if isinstance(row, dict) else row[index]


def _statements(
    threads: Sequence[IdleThread], policy: Policy, actor: str, reason: str
) -> list[tuple[str, dict]]:
    action = "thread.deleted" if policy == "delete" else "thread.archived"
    params = {
        "ids": [t.thread_id for t in threads],
        "lasts": [t.last_activity for t in threads],
        "actor": actor,
        "action": action,
        "details": Jsonb({"reason": reason}),
    }
    changes = DELETE_THREADS_SQL if policy == "delete" else (ARCHIVE_SQL,)
    return [(sql, params) for sql in (*changes, AUDIT_SQL)]


async def aapply_policy(
    conn: DictConnection,
    threads: Sequence[IdleThread],
    policy: Policy,
    *,
    actor: str = "retention",
    reason: str = "idle",
) -> None:
    """Delete (or archive) ``threads`` and audit each, in one transaction."""
    if threads:
        async with conn.transaction():
            for sql, params in _statements(threads, policy, actor, reason):
                await conn.execute(sql, params)


#: Tombstones only need to outlive any run that was in flight when its thread was deleted.
PURGE_TOMBSTONES_SQL = tombstones.SWEEP_OLD_SQL
PURGE_AUDIT_BATCH_SQL = audit.PURGE_BATCH_SQL
AUDIT_PURGED_SQL = audit.PURGED_SQL


def _purge_params(cutoff: datetime, batch_size: int, security: bool) -> dict:
    return {
        "cutoff": cutoff,
        "limit": batch_size,
        "security": security,
        "security_actions": list(audit.SECURITY_ACTIONS),
    }


def _purged_details(deleted: int, cutoff: datetime, security: bool) -> Jsonb:
    kind = "security" if security else "other"
    return Jsonb({"deleted": deleted, "before": cutoff.isoformat(), "class": kind})


def purge_audit(
    conn: Connection,
    cutoff: datetime,
    batch_size: int,
    *,
    security: bool = False,
    actor: str = "retention",
) -> int:
    """Delete audit entries of one class (security events, or the others) created before
    ``cutoff``, ``batch_size`` per statement (each its own transaction on an autocommit
    connection); how many. Leaves one ``audit.purged`` entry."""
    deleted = 0
    params = _purge_params(cutoff, batch_size, security)
    while True:
        count = conn.execute(PURGE_AUDIT_BATCH_SQL, params).rowcount
        deleted += count
        if count < batch_size:
            break
    if deleted:
        conn.execute(AUDIT_PURGED_SQL, (actor, _purged_details(deleted, cutoff, security)))
    return deleted


async def apurge_audit(
    conn: DictConnection,
    cutoff: datetime,
    batch_size: int,
    *,
    security: bool = False,
    actor: str = "retention",
) -> int:
    """The async twin of ``purge_audit``."""
    deleted = 0
    params = _purge_params(cutoff, batch_size, security)
    while True:
        count = (await conn.execute(PURGE_AUDIT_BATCH_SQL, params)).rowcount
        deleted += count
        if count < batch_size:
            break
    if deleted:
        await conn.execute(AUDIT_PURGED_SQL, (actor, _purged_details(deleted, cutoff, security)))
    return deleted
