"""Every statement on ``conversations``: one row per thread, owned by its thread's owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from psycopg.types.json import Jsonb

from store.db import DictConnection, one

#: The mirror's upsert (a checkpoint seen): the owner comes from ``resource_owners``, never from
#: what a checkpoint's metadata says. One row per thread (each given once), in one statement;
#: a deleted thread (``deleted_threads``) is left out, and so is not in what it returns.
UPSERT_MANY_SQL = """
WITH before AS (
    SELECT thread_id, xmin::text AS xmin FROM conversations
    WHERE thread_id = ANY(%(threads)s::text[])
)
INSERT INTO conversations (id, thread_id, owner_id, title, metadata, last_activity_at, created_at)
SELECT v.id, v.thread_id,
       (SELECT owner_id FROM resource_owners
        WHERE kind = 'thread' AND resource_id = v.thread_id),
       v.title, v.metadata, v.at, v.at
FROM unnest(%(ids)s::uuid[], %(threads)s::text[], %(titles)s::text[], %(metadata)s::jsonb[],
            %(ats)s::timestamptz[]) WITH ORDINALITY AS v(id, thread_id, title, metadata, at, n)
WHERE NOT EXISTS (SELECT 1 FROM deleted_threads d WHERE d.thread_id = v.thread_id)
ORDER BY v.n
ON CONFLICT (thread_id) DO UPDATE SET
    owner_id = COALESCE(conversations.owner_id, EXCLUDED.owner_id),
    title = COALESCE(conversations.title, EXCLUDED.title),
    metadata = conversations.metadata || EXCLUDED.metadata,
    last_activity_at = GREATEST(conversations.last_activity_at, EXCLUDED.last_activity_at),
    updated_at = now()
RETURNING thread_id, id, (SELECT b.xmin FROM before b WHERE b.thread_id = conversations.thread_id)
    AS before, xmin::text AS after
"""
#: A thread owned by a user is that user's conversation from its creation on, whatever writes
#: its checkpoints (runs carry the owner in their metadata; state updates do not).
OWN_SQL = """
INSERT INTO conversations (id, thread_id, owner_id, metadata)
SELECT gen_random_uuid(), %(thread_id)s, u.id, jsonb_build_object('owner', u.id::text)
FROM users u WHERE u.id::text = %(owner)s
ON CONFLICT (thread_id) DO UPDATE SET owner_id = COALESCE(conversations.owner_id, EXCLUDED.owner_id)
"""
#: Archiving works before the mirror has written a conversation row: it writes one.
ARCHIVE_SQL = """
INSERT INTO conversations (id, thread_id, status)
SELECT gen_random_uuid(), t, 'archived' FROM unnest(%(ids)s::text[]) AS t
ON CONFLICT (thread_id) DO UPDATE SET status = 'archived', updated_at = now()
"""
#: Messages and documents go with their conversation (ON DELETE CASCADE).
DELETE_ONE_SQL = "DELETE FROM conversations WHERE thread_id = %s"
DELETE_SQL = "DELETE FROM conversations WHERE thread_id = ANY(%(ids)s)"
#: Threads that are archived, for the retention sweep's ``skip_archived``.
ARCHIVED_EXISTS_SQL = (
    "EXISTS (SELECT 1 FROM conversations c WHERE c.thread_id = ck.thread_id "
    "AND c.status = 'archived')"
)

#: A conversation as the routes show it (one row of ``conversations c``).
_SHOWN = """
SELECT c.thread_id, c.title, c.status, c.metadata ->> 'graph_id' AS graph_id, c.created_at,
       c.last_activity_at,
       (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.is_current)
           AS message_count
FROM conversations c
"""
_LIST_SQL = (
    _SHOWN
    + """WHERE c.owner_id = %(owner)s
  AND (%(status)s::text IS NULL OR c.status = %(status)s)
  AND (%(after)s::timestamptz IS NULL OR c.last_activity_at >= %(after)s)
  AND (%(before)s::timestamptz IS NULL OR c.last_activity_at < %(before)s)
  AND (%(cursor_at)s::timestamptz IS NULL OR {seek})
ORDER BY c.last_activity_at {direction}, c.thread_id {direction}
LIMIT %(limit)s
"""
)
_SEEK = {
    "desc": "(c.last_activity_at, c.thread_id) < (%(cursor_at)s, %(cursor_id)s)",
    "asc": "(c.last_activity_at, c.thread_id) > (%(cursor_at)s, %(cursor_id)s)",
}


async def page(
    conn: DictConnection,
    owner: str,
    *,
    status: str | None,
    after: datetime | None,
    before: datetime | None,
    order: str,
    cursor_at: datetime | None,
    cursor_id: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """A page of the owner's conversations by last activity (keyset ``cursor_at, cursor_id``)."""
    sql = _LIST_SQL.format(seek=_SEEK[order], direction=order.upper())
    cur = await conn.execute(
        sql,
        {
            "owner": owner,
            "status": status,
            "after": after,
            "before": before,
            "cursor_at": cursor_at,
            "cursor_id": cursor_id,
            "limit": limit,
        },
        prepare=False,  # a custom plan sees which filters are absent (NULL) and drops them
    )
    return await cur.fetchall()


async def shown(conn: DictConnection, conversation_id: uuid.UUID) -> dict[str, Any]:
    """One conversation as the routes show it."""
    return await one(await conn.execute(_SHOWN + "WHERE c.id = %s", (conversation_id,)))


async def by_thread(conn: DictConnection, thread_id: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "SELECT id, thread_id, owner_id, title, status, metadata, created_at, updated_at, "
        "last_activity_at FROM conversations WHERE thread_id = %s",
        (str(thread_id),),
    )
    return await cur.fetchone()


async def update(
    conn: DictConnection, conversation_id: uuid.UUID, title: str | None, status: str | None
) -> dict[str, Any]:
    """Rename and/or change the status (None leaves a field as it is)."""
    cur = await conn.execute(
        "UPDATE conversations SET title = COALESCE(%s, title), status = COALESCE(%s, status), "
        "updated_at = now() WHERE id = %s RETURNING *",
        (title, status, conversation_id),
    )
    return await one(cur)


async def assign_owner(conn: DictConnection, thread_ids: Sequence[str], owner: str) -> None:
    await conn.execute(
        "UPDATE conversations SET owner_id = %s, "
        "metadata = metadata || jsonb_build_object('owner', %s::text), updated_at = now() "
        "WHERE thread_id = ANY(%s)",
        (owner, owner, list(thread_ids)),
    )


async def upsert_seen(
    conn: DictConnection,
    thread_id: str,
    *,
    title: str | None,
    metadata: dict[str, Any],
    at: datetime,
) -> uuid.UUID:
    """The mirror saw a checkpoint of ``thread_id``: its conversation's id."""
    row = {
        "id": uuid.uuid4(),
        "thread_id": thread_id,
        "title": title,
        "metadata": Jsonb(metadata),
        "at": at,
    }
    return (await upsert_seen_many(conn, [row]))[thread_id].id


async def of_owner(conn: DictConnection, owner: str) -> list[dict[str, Any]]:
    """Every conversation of ``owner``, oldest first (a user's export and erasure)."""
    cur = await conn.execute(
        "SELECT id, thread_id, title, status, metadata, created_at, updated_at, last_activity_at "
        "FROM conversations WHERE owner_id = %s ORDER BY created_at, thread_id",
        (owner,),
    )
    return await cur.fetchall()


class Seen(NamedTuple):
    """A conversation ``upsert_seen_many`` wrote: its id, and the transaction ids that wrote
    its row last before (None: it is new) and now (this transaction). A conversation whose
    ``before`` is what the caller's own last write left knows that nothing wrote the row
    since: the mirror then trusts what it remembers writing of its messages."""

    id: uuid.UUID
    before: str | None
    after: str


async def upsert_seen_many(conn: DictConnection, rows: Sequence[dict[str, Any]]) -> dict[str, Seen]:
    """``upsert_seen`` for several threads in one statement: ``rows`` hold ``id``,
    ``thread_id``, ``title``, ``metadata`` (a ``Jsonb``) and ``at``, one per thread, written in
    their order; returns each thread's conversation (``Seen``), but a deleted thread's, which
    it does not write."""
    if not rows:
        return {}
    cur = await conn.execute(
        UPSERT_MANY_SQL,
        {
            "ids": [row["id"] for row in rows],
            "threads": [row["thread_id"] for row in rows],
            "titles": [row["title"] for row in rows],
            "metadata": [row["metadata"] for row in rows],
            "ats": [row["at"] for row in rows],
        },
    )
    return {
        row["thread_id"]: Seen(row["id"], row["before"], row["after"])
        for row in await cur.fetchall()
    }
