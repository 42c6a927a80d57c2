"""Every statement on ``messages``: the mirror's upserts, a conversation's messages, and
full-text search over a user's messages (``store/repositories/fulltext.py``: a page of the newest matches
from the ``(created_at, id)`` btree or the GIN index on ``search_vector``, best first, with
snippets).

Search is built for the filters actually given. Only a statement whose plan cannot depend on
the words runs prepared (a bounded walk of the newest messages, or one conversation's,
``fulltext.prepare``): a generic plan of any other cannot see how common the words are
(hundreds of times slower at 10,000 conversations; ``make bench-search`` measures it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncCursor

from store import crypto
from store.db import DictConnection
from store.repositories import fulltext

SEARCHED = fulltext.Searched(
    table="messages",
    alias="m",
    columns="m.content, c.thread_id, c.title, m.message_id, m.role, m.is_current",
    text="content",
    result="thread_id, title, message_id, role, is_current, created_at",
    filters={
        **fulltext.filters("m"),
        "role": "AND m.role = %(role)s",
        "current_only": "AND m.is_current",
    },
)


async def search_messages(
    conn: DictConnection,
    *,
    q: str,
    owner: str,
    thread_id: str | None = None,
    role: str | None = None,
    current_only: bool = False,
    status: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    sort: fulltext.Sort = "relevance",
    limit: int = 20,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of the owner's messages matching ``q`` (in their conversations of ``status``,
    created in ``[after, before)``): the ``offset``-th to ``offset + limit``-th newest matches,
    best first (``sort="recent"``: newest first), each with a ``<mark>``-ed snippet."""
    params = {
        "q": q,
        "owner": owner,
        "thread": thread_id,
        "role": role,
        "current_only": current_only,
        "status": status,
        "after": after,
        "before": before,
        "limit": limit,
        "offset": offset,
    }
    if crypto.keyring() is not None:
        return []  # the index holds only ciphertext (docs/security.md, "Encryption at rest")
    return await fulltext.search(conn, SEARCHED, params, sort)


#: Messages of checkpoints of one or more conversations: inserted (with the checkpoint each
#: first appeared at), or updated when they changed. A state repeats every earlier message, so
#: the unchanged ones are left alone: no new row version, no ``tsvector`` recomputed, no index
#: entry, in one statement for every conversation of a batch.
UPSERT_SQL = """
INSERT INTO messages (conversation_id, message_id, role, type, content, tool_calls, checkpoint_id,
                      is_current, position)
SELECT v.conversation_id, v.message_id, v.role, v.type, v.content, v.tool_calls, v.checkpoint_id,
       v.position IS NOT NULL, v.position
FROM unnest(%(conversations)s::uuid[], %(ids)s::text[], %(roles)s::text[], %(types)s::text[],
            %(contents)s::text[], %(tool_calls)s::jsonb[], %(checkpoints)s::text[],
            %(positions)s::int[])
     AS v(conversation_id, message_id, role, type, content, tool_calls, checkpoint_id, position)
WHERE NOT EXISTS (
    SELECT 1 FROM messages m
    WHERE m.conversation_id = v.conversation_id AND m.message_id = v.message_id
      AND m.role = v.role AND m.type = v.type AND m.content = v.content
      AND m.tool_calls IS NOT DISTINCT FROM v.tool_calls
)
ON CONFLICT (conversation_id, message_id) DO UPDATE SET
    role = EXCLUDED.role, type = EXCLUDED.type, content = EXCLUDED.content,
    tool_calls = EXCLUDED.tool_calls
"""
#: After head checkpoints: in each of ``heads`` (conversations), exactly the messages listed
#: for it are current, at the positions given (rows already so are not rewritten).
CURRENT_SQL = """
WITH wanted AS (
    SELECT * FROM unnest(%(conversations)s::uuid[], %(ids)s::text[], %(positions)s::int[])
        AS w(conversation_id, message_id, position)
), n AS (
    SELECT m.id, w.message_id IS NOT NULL AS is_current, w.position
    FROM messages m
    LEFT JOIN wanted w ON w.conversation_id = m.conversation_id AND w.message_id = m.message_id
    WHERE m.conversation_id = ANY(%(heads)s::uuid[])
      AND (m.is_current OR (m.conversation_id, m.message_id) IN (
          SELECT conversation_id, message_id FROM wanted))
)
UPDATE messages SET is_current = n.is_current, position = n.position
FROM n
WHERE messages.id = n.id
  AND (messages.is_current, messages.position) IS DISTINCT FROM (n.is_current, n.position)
"""

#: A message as the mirror stores it: ``(message_id, role, type, content, tool_calls)``
#: (``tool_calls`` a ``Jsonb`` or None).
Message = tuple[str, str, str, str, Any]


async def upsert_batch(
    conn: DictConnection,
    rows: list[tuple[uuid.UUID, str, Message]],
    heads: dict[uuid.UUID, list[str]] | None = None,
) -> None:
    """Store messages of several checkpoints, ``(conversation_id, checkpoint_id, message)``
    each, with ``UPSERT_SQL``: a message given more than once keeps its last content and the
    checkpoint of its first (where it first appeared). A new row of a message that ``heads``
    (what ``set_current_batch`` is given next) lists is written current at its position at
    once, so that statement need not rewrite it (an existing row is left to it)."""
    at: dict[tuple[uuid.UUID, str], int] = {}
    for conversation_id, message_ids in (heads or {}).items():
        for position, message_id in enumerate(message_ids):
            at.setdefault((conversation_id, message_id), position)
    latest: dict[tuple[uuid.UUID, str], list[Any]] = {}
    for conversation_id, checkpoint_id, message in rows:
        key = (conversation_id, message[0])
        first = latest[key][1] if key in latest else checkpoint_id
        latest[key] = [conversation_id, first, *message, at.get(key)]
    if not latest:
        return
    columns = list(zip(*latest.values(), strict=True))
    await conn.execute(
        UPSERT_SQL,
        {
            "conversations": list(columns[0]),
            "checkpoints": list(columns[1]),
            "ids": list(columns[2]),
            "roles": list(columns[3]),
            "types": list(columns[4]),
            "contents": [crypto.seal(text) for text in columns[5]],
            "tool_calls": [crypto.seal_json(calls) for calls in columns[6]],
            "positions": list(columns[7]),
        },
    )


async def upsert_many(
    conn: DictConnection, conversation_id: uuid.UUID, checkpoint_id: str, messages: list[Message]
) -> None:
    """Store one checkpoint's messages (``upsert_batch``); a message id given twice keeps its
    last."""
    await upsert_batch(conn, [(conversation_id, checkpoint_id, m) for m in messages])


async def set_current_batch(conn: DictConnection, heads: dict[uuid.UUID, list[str]]) -> None:
    """For each conversation of ``heads``, its head checkpoint's message ids in order: exactly
    those are current, at their positions (an id listed twice keeps its first)."""
    if not heads:
        return
    conversations: list[uuid.UUID] = []
    ids: list[str] = []
    positions: list[int] = []
    for conversation_id, message_ids in heads.items():
        seen: set[str] = set()
        for position, message_id in enumerate(message_ids):
            if message_id not in seen:
                seen.add(message_id)
                conversations.append(conversation_id)
                ids.append(message_id)
                positions.append(position)
    await conn.execute(
        CURRENT_SQL,
        {"conversations": conversations, "ids": ids, "positions": positions, "heads": list(heads)},
    )


async def set_current(conn: DictConnection, conversation_id: uuid.UUID, ids: list[str]) -> None:
    await set_current_batch(conn, {conversation_id: ids})


#: Messages no checkpoint holds any more: not current, first seen at a checkpoint of the thread
#: that was deleted (a run rolled back by ``multitask_strategy="rollback"``). A pruned thread
#: loses checkpoints too, but ``aprune`` keeps every branch's head: a message of another branch
#: is kept while a branch tip (a checkpoint without children, not the thread's newest) newer
#: than its checkpoint remains.
ORPHANS_SQL = """
DELETE FROM messages m
USING conversations c
WHERE c.id = m.conversation_id AND m.conversation_id = ANY(%(heads)s::uuid[])
  AND NOT m.is_current AND m.checkpoint_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM checkpoints k
      WHERE k.thread_id = c.thread_id AND k.checkpoint_ns = '' AND k.checkpoint_id = m.checkpoint_id
  )
  AND NOT EXISTS (
      SELECT 1 FROM checkpoints tip
      WHERE tip.thread_id = c.thread_id AND tip.checkpoint_ns = ''
        AND tip.checkpoint_id > m.checkpoint_id
        AND tip.checkpoint_id < (
            SELECT max(h.checkpoint_id) FROM checkpoints h
            WHERE h.thread_id = c.thread_id AND h.checkpoint_ns = ''
        )
        AND NOT EXISTS (
            SELECT 1 FROM checkpoints child
            WHERE child.thread_id = tip.thread_id AND child.checkpoint_ns = ''
              AND child.parent_checkpoint_id = tip.checkpoint_id
        )
  )
RETURNING m.conversation_id
"""


async def forget_orphans(
    conn: DictConnection, conversation_ids: list[uuid.UUID]
) -> AsyncCursor[dict[str, Any]] | None:
    """After head checkpoints of ``conversation_ids`` were mirrored (``set_current_batch``):
    delete their messages that no checkpoint holds any more (``ORPHANS_SQL``), so the mirrored
    conversation is the thread's state and its remaining branches. Returns the statement's
    cursor, for ``forgotten`` to read when its result is in (in a pipeline: after it)."""
    if not conversation_ids:
        return None
    return await conn.execute(ORPHANS_SQL, {"heads": conversation_ids})


async def forgotten(cursor: AsyncCursor[dict[str, Any]] | None) -> set[uuid.UUID]:
    """The conversations whose messages ``forget_orphans`` deleted."""
    if cursor is None:
        return set()
    return {row["conversation_id"] for row in await cursor.fetchall()}


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
    rows = await cur.fetchall()
    for row in rows:
        row["content"] = crypto.unseal(row["content"])
        row["tool_calls"] = crypto.unseal_json(row["tool_calls"])
    return rows


#: ``adlaan db rotate-key``: the encrypted columns (content, tool_calls), a page at a time with the rows locked,
#: and their update.
SEALED_COUNT_SQL = "SELECT count(*) FROM messages"
SEALED_PAGE_SQL = (
    "SELECT id, content, tool_calls FROM messages WHERE id > %s ORDER BY id LIMIT %s FOR UPDATE"
)
SEALED_UPDATE_SQL = "UPDATE messages SET (content, tool_calls) = (%s, %s) WHERE id = %s"
