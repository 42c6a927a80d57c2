"""Our own statements on the checkpoint tables, which the saver (store/checkpointer.py, built on
langgraph-checkpoint-postgres) otherwise owns: existence checks, branch detection, the outbox's
head lookup, idle threads, and deleting a thread's checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from psycopg import sql

from store.db import DictConnection, one

#: Does ``checkpoint_id`` exist in ``thread_id``'s namespace ``ns``?
EXISTS_SQL = (
    "SELECT EXISTS (SELECT 1 FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = %s "
    "AND checkpoint_id = %s) AS found"
)
#: Checkpoints committed between an update's parent and the update itself: it branched off.
IS_FORK_SQL = """
SELECT EXISTS (
    SELECT 1 FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''
    AND checkpoint_id > %s AND checkpoint_id < %s
)
"""
#: Any checkpoint at all for a thread id.
HAS_HISTORY_SQL = "SELECT 1 FROM checkpoints WHERE thread_id = %s LIMIT 1"
DELETE_SQL = (
    "DELETE FROM checkpoint_writes WHERE thread_id = ANY(%(ids)s)",
    "DELETE FROM checkpoint_blobs WHERE thread_id = ANY(%(ids)s)",
    "DELETE FROM checkpoints WHERE thread_id = ANY(%(ids)s)",
)


async def exists(conn: DictConnection, thread_id: str, ns: str, checkpoint_id: str) -> bool:
    row = await one(await conn.execute(EXISTS_SQL, (thread_id, ns, checkpoint_id)))
    return row["found"]


async def has_history(conn: DictConnection, thread_id: str) -> bool:
    return await (await conn.execute(HAS_HISTORY_SQL, (thread_id,))).fetchone() is not None


async def is_fork(conn: DictConnection, thread_id: str, parent_id: str, checkpoint_id: str) -> bool:
    row = await one(await conn.execute(IS_FORK_SQL, (thread_id, parent_id, checkpoint_id)))
    return bool(row["exists"])


async def threads_with_checkpoints(conn: DictConnection, thread_ids: Sequence[str]) -> list[str]:
    cur = await conn.execute(
        "SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id = ANY(%s)", (list(thread_ids),)
    )
    return [row["thread_id"] for row in await cur.fetchall()]


async def head_id(conn: DictConnection, thread_id: str) -> str | None:
    """The newest root checkpoint of a thread."""
    row = await (
        await conn.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = '' "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (thread_id,),
        )
    ).fetchone()
    return row["checkpoint_id"] if row else None


#: The newest root checkpoint of each of several threads, one index descent each.
HEAD_IDS_SQL = """
SELECT t.thread_id, h.checkpoint_id
FROM unnest(%s::text[]) AS t(thread_id)
CROSS JOIN LATERAL (
    SELECT checkpoint_id FROM checkpoints
    WHERE thread_id = t.thread_id AND checkpoint_ns = ''
    ORDER BY checkpoint_id DESC LIMIT 1
) h
"""


async def head_ids(conn: DictConnection, thread_ids: Sequence[str]) -> dict[str, str | None]:
    """``head_id`` of each of ``thread_ids`` in one statement (None: no checkpoint)."""
    cur = await conn.execute(HEAD_IDS_SQL, (list(thread_ids),))
    found = {row["thread_id"]: row["checkpoint_id"] for row in await cur.fetchall()}
    return {thread_id: found.get(thread_id) for thread_id in thread_ids}


async def roots(conn: DictConnection, thread_ids: Sequence[str] | None) -> list[dict]:
    """Every root checkpoint (of ``thread_ids``, or of every thread), in order, shaped as the
    outbox's checkpoint events are, for replaying them to a plugin."""
    ids = list(thread_ids) if thread_ids else None
    cur = await conn.execute(
        "SELECT 0 AS id, 'checkpoint' AS kind, thread_id, checkpoint_id, parent_checkpoint_id, "
        "metadata->>'run_id' AS run_id, metadata->>'source' AS source, "
        "'{}'::jsonb AS payload, NULL::timestamptz AS created_at "
        "FROM checkpoints WHERE checkpoint_ns = '' "
        "AND (%s::text[] IS NULL OR thread_id = ANY(%s::text[])) ORDER BY thread_id, checkpoint_id",
        (ids, ids),
    )
    return await cur.fetchall()


#: Threads whose newest root checkpoint is older than a cut-off (without archived ones if
#: asked), oldest first: a thread's last activity is its newest checkpoint, mirrored or not.
IDLE_THREADS_SQL = """
SELECT thread_id, max((checkpoint ->> 'ts')::timestamptz) AS last_activity
FROM checkpoints ck
WHERE checkpoint_ns = ''
  AND NOT (%s AND EXISTS (
      SELECT 1 FROM conversations c WHERE c.thread_id = ck.thread_id AND c.status = 'archived'
  ))
GROUP BY thread_id
HAVING max((checkpoint ->> 'ts')::timestamptz) < %s
ORDER BY last_activity
LIMIT %s
"""


#: The threads that have stored values (blobs or writes), for ``adlaan db rotate-key``.
VALUE_THREADS_SQL = (
    "SELECT thread_id FROM checkpoint_blobs UNION SELECT thread_id FROM checkpoint_writes"
)
#: Each value table's primary key.
VALUE_TABLES = {
    "checkpoint_blobs": ("thread_id", "checkpoint_ns", "channel", "version"),
    "checkpoint_writes": ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx"),
}


async def value_threads(conn: DictConnection) -> list[str]:
    """Every thread with a stored value (a blob or a write)."""
    return [row["thread_id"] for row in await (await conn.execute(VALUE_THREADS_SQL)).fetchall()]


async def rewrite_values(
    conn: DictConnection,
    thread_id: str,
    rewrite: Callable[[str, bytes | None], tuple[str, bytes] | None],
) -> int:
    """Rewrite each stored value of a thread as ``rewrite(type, blob)`` says (None: leave it),
    rows locked; run inside the caller's transaction. Returns how many were rewritten."""
    count = 0
    for table, key in VALUE_TABLES.items():
        names = sql.SQL(", ").join(map(sql.Identifier, key))
        select = sql.SQL(
            "SELECT {key}, type, blob FROM {table} WHERE thread_id = %s FOR UPDATE"
        ).format(key=names, table=sql.Identifier(table))
        update = sql.SQL("UPDATE {table} SET type = %s, blob = %s WHERE ({key}) = ({at})").format(
            table=sql.Identifier(table),
            key=names,
            at=sql.SQL(", ").join(sql.Placeholder() * len(key)),
        )
        width = len(key)
        for found in await (await conn.execute(select, (thread_id,))).fetchall():
            row = tuple(found.values())
            if (new := rewrite(row[width], row[width + 1])) is None:
                continue
            await conn.execute(update, (*new, *row[:width]))
            count += 1
    return count
