"""Every statement on ``messages``: the mirror's upserts, a conversation's messages, and
full-text search over a user's messages (the GIN-indexed ``messages.search_vector``, ranked, with
highlighted snippets).

Search is built for the filters actually given and executed unprepared: once prepared,
PostgreSQL may switch to a generic plan that cannot see which filters are absent and runs one
GIN index scan per conversation of the owner (hundreds of times slower at 10,000 conversations;
``python -m bench --only api`` measures it).
"""

from __future__ import annotations

import uuid
from typing import Any

from store.db import DictConnection
from store.models.message import SEARCH_TEXT_LIMIT

# websearch_to_tsquery accepts any text (quotes for phrases, OR, -word) and never raises a
# syntax error, so user input goes in as is. Snippets are built from HTML-escaped text, so the
# only markup in them is the <mark> around matches.
_SEARCH_SQL = f"""
WITH q AS (SELECT websearch_to_tsquery('english', %(q)s) AS query),
hits AS (
    SELECT m.id, c.thread_id, c.title, m.message_id, m.role, m.is_current, m.created_at,
           m.content, ts_rank_cd(m.search_vector, q.query, 32) AS rank, q.query
    FROM q, messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.owner_id = %(owner)s AND m.search_vector @@ q.query {{filters}}
    ORDER BY rank DESC, m.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT thread_id, title, message_id, role, is_current, created_at, rank,
       ts_headline('english',
                   replace(replace(replace(left(content, {SEARCH_TEXT_LIMIT}),
                       '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                   query,
                   'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2')
           AS snippet
FROM hits ORDER BY rank DESC, id DESC
"""


def search_sql(*, thread_id: bool, role: bool, current_only: bool) -> str:
    """The search statement with exactly the filters given."""
    filters = []
    if thread_id:
        filters.append("AND c.thread_id = %(thread)s")
    if role:
        filters.append("AND m.role = %(role)s")
    if current_only:
        filters.append("AND m.is_current")
    return _SEARCH_SQL.format(filters=" ".join(filters))


async def search_messages(
    conn: DictConnection,
    *,
    q: str,
    owner: str,
    thread_id: str | None = None,
    role: str | None = None,
    current_only: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The owner's messages matching ``q``, best first, each with a ``<mark>``-ed snippet."""
    sql = search_sql(
        thread_id=thread_id is not None, role=role is not None, current_only=current_only
    )
    params = {
        "q": q,
        "owner": owner,
        "thread": thread_id,
        "role": role,
        "limit": limit,
        "offset": offset,
    }
    cur = await conn.execute(sql, params, prepare=False)
    return await cur.fetchall()


UPSERT_SQL = """
INSERT INTO messages (conversation_id, message_id, role, type, content, tool_calls, checkpoint_id)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (conversation_id, message_id) DO UPDATE SET
    role = EXCLUDED.role, type = EXCLUDED.type, content = EXCLUDED.content,
    tool_calls = EXCLUDED.tool_calls
"""
#: After a head checkpoint: exactly its messages are current, in its order.
CURRENT_SQL = """
UPDATE messages SET
    is_current = message_id = ANY(%(ids)s::text[]),
    position = array_position(%(ids)s::text[], message_id::text) - 1
WHERE conversation_id = %(conversation)s
  AND (is_current OR message_id = ANY(%(ids)s::text[]))
"""


async def upsert_many(conn: DictConnection, rows: list[tuple]) -> None:
    """``UPSERT_SQL`` rows in one pipelined batch, not a round trip each."""
    if rows:
        async with conn.cursor() as cur:
            await cur.executemany(UPSERT_SQL, rows)


async def set_current(conn: DictConnection, conversation_id: uuid.UUID, ids: list[str]) -> None:
    await conn.execute(CURRENT_SQL, {"ids": ids, "conversation": conversation_id})


async def of_conversation(
    conn: DictConnection,
    conversation_id: uuid.UUID,
    *,
    current_only: bool,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """A conversation's messages: the current branch in order, or every message ever seen."""
    where, order = ("AND is_current", "position") if current_only else ("", "id")
    cur = await conn.execute(
        "SELECT message_id, role, type, content, tool_calls, position, is_current, checkpoint_id, "
        f"created_at FROM messages WHERE conversation_id = %s {where} ORDER BY {order} "
        "LIMIT %s OFFSET %s",
        (conversation_id, limit, offset),
    )
    return await cur.fetchall()
