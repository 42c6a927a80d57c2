"""Operators' routes: the audit log and monitoring statistics (administrators only)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from server.routes.deps import AdminUser, Conn, SafeStr, decode_cursor, encode_cursor
from store import audit

router = APIRouter(tags=["admin"])


class AuditEntry(BaseModel):
    """One audit entry."""

    id: int
    actor: str | None
    action: str
    target: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    """Audit entries, newest first; pass ``next_cursor`` back for older ones."""

    items: list[AuditEntry]
    next_cursor: str | None


@router.get("/api/v1/audit", response_model=AuditPage)
async def query_audit(
    caller: AdminUser,
    conn: Conn,
    actor: SafeStr | None = Query(None, max_length=255, description="A user id, or 'retention'…"),
    action: SafeStr | None = Query(
        None, max_length=64, description="Exact action, or a family like 'auth.*'."
    ),
    target: SafeStr | None = Query(None, max_length=255, description="A thread id, a path…"),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200),
) -> AuditPage:
    """Who did what to which target, when: filter by actor, action, target and time."""
    seek = decode_cursor(cursor, 1, (int,))
    before = seek[0] if seek else None
    rows = await audit.query(
        conn,
        actor=actor,
        action=action,
        target=target,
        since=since,
        until=until,
        before_id=before,
        limit=limit + 1,
    )
    items = [AuditEntry(**r) for r in rows[:limit]]
    return AuditPage(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


STORAGE_SQL = """
SELECT thread_id, sum(bytes)::bigint AS bytes, sum(checkpoints)::bigint AS checkpoints
FROM (
    SELECT thread_id, sum(pg_column_size(c.*)) AS bytes, count(*) AS checkpoints
    FROM checkpoints c GROUP BY thread_id
    UNION ALL
    SELECT thread_id, sum(pg_column_size(b.*)), 0 FROM checkpoint_blobs b GROUP BY thread_id
    UNION ALL
    SELECT thread_id, sum(pg_column_size(w.*)), 0 FROM checkpoint_writes w GROUP BY thread_id
) s
GROUP BY thread_id ORDER BY bytes DESC LIMIT %s
"""
COUNTS_SQL = """
SELECT (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM users WHERE is_active) AS active_users,
       (SELECT count(*) FROM conversations) AS conversations,
       (SELECT count(*) FROM conversations WHERE status = 'archived') AS archived_conversations,
       (SELECT count(*) FROM messages) AS messages,
       (SELECT count(*) FROM documents) AS documents,
       (SELECT count(*) FROM api_registry WHERE kind = 'thread') AS threads,
       (SELECT count(*) FROM audit_logs) AS audit_entries
"""
TABLE_SIZES_SQL = """
SELECT relname AS table, pg_total_relation_size(oid) AS bytes FROM pg_class
WHERE relkind = 'r' AND relname = ANY(%s) ORDER BY bytes DESC
"""
LAG_SQL = """
SELECT c.plugin, c.last_event_id, c.attempts, c.last_error,
       (SELECT count(*) FROM hook_events e WHERE e.id > c.last_event_id) AS events_behind,
       (SELECT extract(epoch FROM now() - min(e.created_at)) FROM hook_events e
        WHERE e.id > c.last_event_id) AS oldest_pending_seconds
FROM hook_cursors c ORDER BY c.plugin
"""
DEAD_SQL = """
SELECT plugin, count(*) AS dead_letters FROM hook_dead_letters WHERE retried_at IS NULL
GROUP BY plugin ORDER BY plugin
"""
WATCHED_TABLES = [
    "checkpoints",
    "checkpoint_blobs",
    "checkpoint_writes",
    "conversations",
    "messages",
    "documents",
    "audit_logs",
    "hook_events",
    "api_registry",
]


@router.get("/stats")
async def stats(
    caller: AdminUser,
    conn: Conn,
    top: int = Query(10, ge=1, le=100, description="How many of the largest threads to list."),
) -> dict[str, Any]:
    """Monitoring: row counts, table sizes, the threads taking the most checkpoint storage,
    how far each hook plugin lags behind, and hook failures."""
    counts = await (await conn.execute(COUNTS_SQL)).fetchone()
    sizes = await (await conn.execute(TABLE_SIZES_SQL, (WATCHED_TABLES,))).fetchall()
    storage = await (await conn.execute(STORAGE_SQL, (top,))).fetchall()
    lag = await (await conn.execute(LAG_SQL)).fetchall()
    dead = await (await conn.execute(DEAD_SQL)).fetchall()
    return {
        "counts": counts,
        "table_bytes": {r["table"]: r["bytes"] for r in sizes},
        "checkpoint_storage_top_threads": storage,
        "mirror_lag": [
            {
                "plugin": r["plugin"],
                "events_behind": r["events_behind"],
                "oldest_pending_seconds": float(r["oldest_pending_seconds"] or 0.0),
            }
            for r in lag
        ],
        "hook_failures": {
            "retrying": [
                {"plugin": r["plugin"], "attempts": r["attempts"], "last_error": r["last_error"]}
                for r in lag
                if r["attempts"]
            ],
            "dead_letters": {r["plugin"]: r["dead_letters"] for r in dead},
        },
    }
