"""Our own statements on the checkpoint tables, which the saver (store/checkpointer.py, built on
langgraph-checkpoint-postgres) otherwise owns: existence checks, branch detection, the outbox's
head lookup, idle threads, and deleting a thread's checkpoints."""

from __future__ import annotations

from collections.abc import Sequence

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
