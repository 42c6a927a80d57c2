"""Writing and reading the audit log (``audit_logs``): who did what to which target, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

#: (actor, action, target, details, dedupe_key): writers that may replay (the mirror) or repeat
#: (refused requests) set ``dedupe_key``, and a second entry with the same key is a no-op.
INSERT_SQL = """
INSERT INTO audit_logs (actor, action, target, details, dedupe_key) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (dedupe_key) DO NOTHING
"""


async def record(
    conn: AsyncConnection,
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    dedupe_key: str | None = None,
    **details: Any,
) -> None:
    """Append one entry (never message contents: ids, counts and reasons only)."""
    await conn.execute(INSERT_SQL, (actor, action, target, Jsonb(details), dedupe_key))


async def query(
    conn: AsyncConnection,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Entries matching every given filter, newest first; ``before_id`` pages backwards.

    ``action`` ending in ``.*`` matches a family (``auth.*``)."""
    action_prefix = action[:-1] if action and action.endswith(".*") else None
    cur = await conn.execute(
        "SELECT id, actor, action, target, details, created_at FROM audit_logs WHERE "
        "(%(actor)s::text IS NULL OR actor = %(actor)s) "
        "AND (%(action)s::text IS NULL OR action = %(action)s) "
        "AND (%(prefix)s::text IS NULL OR starts_with(action, %(prefix)s)) "
        "AND (%(target)s::text IS NULL OR target = %(target)s) "
        "AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s) "
        "AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s) "
        "AND (%(before)s::bigint IS NULL OR id < %(before)s) "
        "ORDER BY id DESC LIMIT %(limit)s",
        {
            "actor": actor,
            "action": None if action_prefix else action,
            "prefix": action_prefix,
            "target": target,
            "since": since,
            "until": until,
            "before": before_id,
            "limit": limit,
        },
        prepare=False,  # a custom plan sees which filters are absent (NULL) and drops them
    )
    return await cur.fetchall()
