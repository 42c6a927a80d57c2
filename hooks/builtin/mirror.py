"""The built-in mirror: conversations, messages, documents and audit entries, from the events.

Idempotent (replaying every event twice changes nothing) and branch-aware: every message ever
seen is kept with the checkpoint it first appeared at, and ``is_current``/``position`` follow the
thread's current state, so after a fork the current messages are exactly the state's while the
other branch stays queryable. Text PostgreSQL refuses (NUL bytes, lone surrogates) is stored with
those characters replaced, and the replacement is audited.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from hooks import hookimpl
from hooks.events import CheckpointEvent, RunEvent
from store.audit import INSERT_SQL as AUDIT_SQL
from store.repositories import owners

TITLE_LENGTH = 120
#: NUL, and surrogate code points (a Python str holds them only unpaired): PostgreSQL refuses both.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

UPSERT_CONVERSATION_SQL = """
INSERT INTO conversations (id, thread_id, owner_id, title, metadata, last_activity_at, created_at)
VALUES (%(id)s, %(thread_id)s::text,
        -- the durable owner (resource_owners), never what a checkpoint's metadata says
        (SELECT owner_id FROM resource_owners
         WHERE kind = 'thread' AND resource_id = %(thread_id)s::text),
        %(title)s,
        %(metadata)s, %(at)s, %(at)s)
ON CONFLICT (thread_id) DO UPDATE SET
    owner_id = COALESCE(conversations.owner_id, EXCLUDED.owner_id),
    title = COALESCE(conversations.title, EXCLUDED.title),
    metadata = conversations.metadata || EXCLUDED.metadata,
    last_activity_at = GREATEST(conversations.last_activity_at, EXCLUDED.last_activity_at),
    updated_at = now()
RETURNING id
"""
UPSERT_MESSAGE_SQL = """
INSERT INTO messages (conversation_id, message_id, role, type, content, tool_calls, checkpoint_id)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (conversation_id, message_id) DO UPDATE SET
    role = EXCLUDED.role, type = EXCLUDED.type, content = EXCLUDED.content,
    tool_calls = EXCLUDED.tool_calls
"""
CURRENT_MESSAGES_SQL = """
UPDATE messages SET
    is_current = message_id = ANY(%(ids)s::text[]),
    position = array_position(%(ids)s::text[], message_id::text) - 1
WHERE conversation_id = %(conversation)s
  AND (is_current OR message_id = ANY(%(ids)s::text[]))
"""
INSERT_DOCUMENT_SQL = """
INSERT INTO documents (conversation_id, document_key, version, type, jurisdiction, title, body,
                       citations, content_hash, checkpoint_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (conversation_id, document_key, version, content_hash) DO NOTHING
"""
#: Taken first by every transaction that writes a thread's mirror rows, and by the registry's
#: deletion of those rows (server/registry.py): the two never interleave.
LOCK_THREAD_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('adlaan.thread:' || %s, 0))"
#: A deleted thread (a stateless run's temporary thread, say) keeps a tombstone for a while: an
#: event delivered after the deletion must not write its conversation back.
TOMBSTONED_SQL = "SELECT EXISTS (SELECT 1 FROM deleted_threads WHERE thread_id = %s)"
# Checkpoints committed between an update's parent and the update itself: it branched off.
IS_FORK_SQL = """
SELECT EXISTS (
    SELECT 1 FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''
    AND checkpoint_id > %s AND checkpoint_id < %s
)
"""


def clean_text(text: str) -> tuple[str, bool]:
    """Text PostgreSQL accepts: NUL and lone surrogates become U+FFFD. Returns (text, changed)."""
    cleaned = _UNSTORABLE.sub("\ufffd", text)
    return cleaned, cleaned != text


def _clean_json(value: Any) -> Any:
    return json.loads(clean_text(json.dumps(value, default=str, ensure_ascii=False))[0])


def _role(message: Any) -> str:
    kind = getattr(message, "type", None) or "unknown"
    return {"human": "user", "ai": "assistant"}.get(kind, kind)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return json.dumps(content, default=str, ensure_ascii=False)


async def _actor_of(conn, event: CheckpointEvent | RunEvent) -> str | None:
    """The principal the server recorded for the event, else the thread's durable owner (the
    only user who can act on it): the audit trail never names whom a caller's metadata says."""
    if event.actor:
        return event.actor
    found = await owners.owner_of(conn, "thread", event.thread_id)
    return found if isinstance(found, str) else None


class Mirror:
    """Writes the relational mirror through ``pool``."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    @hookimpl
    async def after_checkpoint(self, event: CheckpointEvent) -> None:
        if (
            not event.metadata
        ):  # the checkpoint is gone (thread deleted or pruned): nothing to mirror
            return
        messages = [m for m in event.values.get("messages") or [] if getattr(m, "id", None)]
        title = next(
            (
                _content_text(m.content)[:TITLE_LENGTH]
                for m in messages
                if getattr(m, "type", "") == "human"
            ),
            None,
        )
        metadata = {
            k: event.metadata[k]
            for k in ("graph_id", "assistant_id", "owner", "user_id")
            if k in event.metadata
        }
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(LOCK_THREAD_SQL, (event.thread_id,))
            tombstoned = await (await conn.execute(TOMBSTONED_SQL, (event.thread_id,))).fetchone()
            if tombstoned["exists"]:
                return
            row = await (
                await conn.execute(
                    UPSERT_CONVERSATION_SQL,
                    {
                        "id": uuid.uuid4(),
                        "thread_id": event.thread_id,
                        "title": clean_text(title)[0] if title else None,
                        "metadata": Jsonb(_clean_json(metadata)),
                        "at": event.created_at,
                    },
                )
            ).fetchone()
            conversation = row["id"]
            replaced, params = [], []
            for message in messages:
                content, changed = clean_text(_content_text(message.content))
                if changed:
                    replaced.append(message.id)
                tool_calls = getattr(message, "tool_calls", None) or None
                params.append(
                    (
                        conversation,
                        message.id,
                        _role(message),
                        getattr(message, "type", "unknown"),
                        content,
                        Jsonb(_clean_json(tool_calls)) if tool_calls else None,
                        event.checkpoint_id,
                    )
                )
            if params:  # one pipelined batch, not a round trip per message
                async with conn.cursor() as cur:
                    await cur.executemany(UPSERT_MESSAGE_SQL, params)
            if event.is_head:
                await conn.execute(
                    CURRENT_MESSAGES_SQL,
                    {"ids": [m.id for m in messages], "conversation": conversation},
                )
            document = event.values.get("document") or {}
            if document.get("version"):
                body = clean_text(str(document.get("body", "")))[0]
                citations = _clean_json(document.get("citations") or [])
                digest = hashlib.sha256(
                    (body + json.dumps(citations, sort_keys=True)).encode()
                ).hexdigest()
                await conn.execute(
                    INSERT_DOCUMENT_SQL,
                    (
                        conversation,
                        document.get("key", "document"),
                        document["version"],
                        document.get("type", "document"),
                        document.get("jurisdiction"),
                        clean_text(str(document.get("title", "")))[0][:500],
                        body,
                        Jsonb(citations),
                        digest,
                        event.checkpoint_id,
                    ),
                )
            await self._audit_checkpoint(conn, event)
            if replaced:
                await conn.execute(
                    AUDIT_SQL,
                    (
                        "mirror",
                        "message.sanitized",
                        event.thread_id,
                        Jsonb(
                            {
                                "message_ids": replaced,
                                "reason": "NUL or lone surrogate replaced by U+FFFD",
                            }
                        ),
                        f"sanitized:{event.thread_id}:{event.checkpoint_id}",
                    ),
                )

    async def _audit_checkpoint(self, conn, event: CheckpointEvent) -> None:
        forked = False
        if event.parent_checkpoint_id and event.source in ("update", "input", "fork"):
            row = await (
                await conn.execute(
                    IS_FORK_SQL, (event.thread_id, event.parent_checkpoint_id, event.checkpoint_id)
                )
            ).fetchone()
            forked = bool(row["exists"])
        if event.source == "input" and event.run_id:
            action = "thread.forked" if forked else "run.started"
            key = f"run.started:{event.run_id}"
        elif event.source in ("update", "fork"):
            action = "thread.forked" if forked else "state.updated"
            key = f"{action}:{event.thread_id}:{event.checkpoint_id}"
        else:
            return
        details = {
            "checkpoint_id": event.checkpoint_id,
            "parent_checkpoint_id": event.parent_checkpoint_id,
            "run_id": event.run_id,
            "graph_id": event.graph_id,
        }
        actor = await _actor_of(conn, event)
        await conn.execute(AUDIT_SQL, (actor, action, event.thread_id, Jsonb(details), key))

    @hookimpl
    async def after_run(self, event: RunEvent) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                AUDIT_SQL,
                (
                    await _actor_of(conn, event),
                    "run.finished",
                    event.thread_id,
                    Jsonb(
                        {
                            "run_id": event.run_id,
                            "status": event.status,
                            "assistant_id": event.assistant_id,
                        }
                    ),
                    f"run.finished:{event.run_id}",
                ),
            )
