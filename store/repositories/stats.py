"""Read-only figures across the tables for ``GET /stats``: counts, sizes, the threads taking
the most checkpoint storage, the hook plugins' lag and dead letters. Polled in minutes: the
storage ranking scans the checkpoint tables."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from store.db import DictConnection
from store.repositories import runtime_tables

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
    *runtime_tables.WATCHED_TABLES,
]


async def collect(conn: DictConnection, top: int) -> dict[str, Any]:
    """Every figure of ``GET /stats``; ``top`` threads by checkpoint storage."""
    counts = await (await conn.execute(COUNTS_SQL)).fetchone() or {}
    # adlaan serve keeps its threads in its runtime's table, not in the dev server's registry
    counts["threads"] = counts.get("threads", 0) + await runtime_tables.thread_count(conn)
    return {
        "counts": counts,
        "sizes": await (await conn.execute(TABLE_SIZES_SQL, (WATCHED_TABLES,))).fetchall(),
        "storage": await (await conn.execute(STORAGE_SQL, (top,))).fetchall(),
        "lag": await (await conn.execute(LAG_SQL)).fetchall(),
        "dead": await (await conn.execute(DEAD_SQL)).fetchall(),
    }


async def metric_figures(
    conn: DictConnection, sized_tables: list[str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The figures ``/metrics`` samples: each plugin's lag, its dead letters, and (when
    ``sized_tables`` is given) those tables' sizes."""
    lag = await (await conn.execute(LAG_SQL)).fetchall()
    dead = await (await conn.execute(DEAD_SQL)).fetchall()
    sizes = None
    if sized_tables is not None:
        sizes = await (await conn.execute(TABLE_SIZES_SQL, (sized_tables,))).fetchall()
    return lag, dead, sizes


#: Every table of the schema in use, with its size on disk (indexes and TOAST included).
ALL_TABLES_SQL = """
SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""


async def tables(conn: DictConnection) -> list[dict[str, Any]]:
    """Each table of the schema: ``table``, exact ``rows`` and ``bytes``, by name (for
    ``adlaan db stats``; counting scans each table, which an operator's command may)."""
    found = await (await conn.execute(ALL_TABLES_SQL)).fetchall()
    for row in found:
        count = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(row["table"]))
        row["rows"] = (await (await conn.execute(count)).fetchone() or {"n": 0})["n"]
    return [{"table": r["table"], "rows": r["rows"], "bytes": r["bytes"]} for r in found]
