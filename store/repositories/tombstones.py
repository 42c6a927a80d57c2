"""Every statement on ``deleted_threads``: tombstones of deleted threads.

A trigger on the checkpoint tables (store/models/deleted_thread.py) refuses writes for a
tombstoned thread, and the mirror skips its events, so a run still in flight or an event
delivered late cannot bring a deleted thread back. Tombstones are swept after a week.
"""

from __future__ import annotations

from collections.abc import Sequence

from store.db import DictConnection

ADD_SQL = (
    "INSERT INTO deleted_threads (thread_id) SELECT unnest(%(ids)s::text[]) ON CONFLICT DO NOTHING"
)
#: A deletion by the saver (``adelete_thread``): a tombstone refreshed if one exists.
TOMBSTONE_SQL = """
INSERT INTO deleted_threads (thread_id) SELECT unnest(%s::text[])
ON CONFLICT (thread_id) DO UPDATE SET deleted_at = now()
"""
REVIVE_SQL = "DELETE FROM deleted_threads WHERE thread_id = ANY(%s)"
#: Tombstones only need to outlive any run that was in flight when its thread was deleted.
SWEEP_OLD_SQL = "DELETE FROM deleted_threads WHERE deleted_at < now() - interval '7 days'"
AMONG_SQL = "SELECT thread_id FROM deleted_threads WHERE thread_id = ANY(%s::text[])"


async def add(conn: DictConnection, thread_ids: Sequence[str]) -> None:
    await conn.execute(ADD_SQL, {"ids": list(thread_ids)})


async def deleted_among(conn: DictConnection, thread_ids: Sequence[str]) -> set[str]:
    """Which of ``thread_ids`` are deleted (tombstoned), in one statement."""
    cur = await conn.execute(AMONG_SQL, (list(thread_ids),))
    return {row["thread_id"] for row in await cur.fetchall()}
