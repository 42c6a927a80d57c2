"""The built-in mirror: conversations, messages, documents and audit entries, from the events.

Idempotent (replaying every event twice changes nothing) and branch-aware: every message ever
seen is kept with the checkpoint it first appeared at, and ``is_current``/``position`` follow the
thread's current state, so after a fork the current messages are exactly the state's while the
other branch stays queryable; a run rolled back by a later one (its checkpoints deleted) leaves
nothing once the thread's next head checkpoint is mirrored. Text PostgreSQL refuses (NUL bytes, lone surrogates) is stored with
those characters replaced, and the replacement is audited. A document that cannot be stored (a
``version`` that is not a positive integer, say) raises ``PermanentError`` before anything is
written, so the dispatcher dead-letters that one event at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from hooks import PermanentError, hookimpl
from hooks.events import CheckpointEvent, RunEvent
from store import crypto
from store.db import DictPool
from store.repositories import checkpoints, conversations, documents, owners, tombstones
from store.repositories import messages as messages_repo
from store.repositories.audit import INSERT_SQL as AUDIT_SQL

TITLE_LENGTH = 120
#: NUL, and surrogate code points (a Python str holds them only unpaired): PostgreSQL refuses both.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: Taken first by every transaction that writes a thread's mirror rows, and by the registry's
#: deletion of those rows (server/registry.py): the two never interleave.
LOCK_THREAD_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('adlaan.thread:' || %s, 0))"
#: The same lock on several threads, taken in the order given (the subquery fixes it).
LOCK_THREADS_SQL = """
SELECT pg_advisory_xact_lock(hashtextextended('adlaan.thread:' || t.id, 0))
FROM (SELECT id FROM unnest(%s::text[]) WITH ORDINALITY u(id, n) ORDER BY n OFFSET 0) t
"""


#: The widest value each document column takes (store/models/document.py).
_DOCUMENT_TEXT = {"key": 100, "type": 50, "jurisdiction": 10}
_MAX_VERSION = 2**31 - 1


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"[:200]


def valid_document(event: CheckpointEvent) -> dict[str, Any] | None:
    """The state's document when it has a version to mirror, None when it has none yet; raises
    ``PermanentError`` naming the thread, checkpoint and field when it cannot be stored."""
    document = event.values.get("document")
    where = f"thread {event.thread_id} checkpoint {event.checkpoint_id}: document"
    if document is None:
        return None
    if not isinstance(document, dict):
        raise PermanentError(f"{where} must be an object, got {_kind(document)}")
    version = document.get("version")
    if version is None or version == 0:  # no draft yet
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        raise PermanentError(f"{where}.version must be a positive integer, got {_kind(version)}")
    if not 1 <= version <= _MAX_VERSION:
        raise PermanentError(f"{where}.version must be 1 to {_MAX_VERSION}, got {version}")
    for name, width in _DOCUMENT_TEXT.items():
        value = document.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise PermanentError(f"{where}.{name} must be a string, got {_kind(value)}")
        if len(value) > width:
            raise PermanentError(f"{where}.{name} is longer than {width} characters")
    citations = document.get("citations")
    if citations is not None and not isinstance(citations, list):
        raise PermanentError(f"{where}.citations must be a list, got {_kind(citations)}")
    return document


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


@dataclass
class _Thread:
    """What one thread's checkpoint events of a batch write, gathered in their order."""

    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    #: ``(checkpoint_id, message row)`` in order; the repository keeps each message's first
    #: checkpoint and last content
    messages: list[tuple[str, messages_repo.Message]] = field(default_factory=list)
    #: the message ids of the last head checkpoint, if any was the head
    current: list[str] | None = None
    documents: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


#: Messages and documents whose rows the mirror keeps prepared, and document versions it
#: remembers having stored.
REMEMBERED = 4096


class _Recent(OrderedDict):
    """A bounded LRU."""

    def __init__(self, size: int = REMEMBERED) -> None:
        super().__init__()
        self.size = size

    def keep(self, key: Any, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class Mirror:
    """Writes the relational mirror through ``pool``."""

    def __init__(self, pool: DictPool) -> None:
        self.pool = pool
        # The dispatcher's events share the messages a checkpoint did not change with the
        # event before (store/checkpointer.py, ``values_only``): each message object's row is
        # prepared once (its text cleaned, its tool calls made JSON), keyed by the object,
        # which the entry holds so that its id is never reused meanwhile.
        self._rows: _Recent = _Recent()
        # A document's row (cleaned body, digest) by its content, and the versions this
        # mirror's transactions committed, by conversation: documents are deleted only with
        # their conversation (a new one has a new id), so a version committed stays stored
        # and is not sent again; every state after the first draft repeats the document.
        self._documents: _Recent = _Recent()
        self._stored: _Recent = _Recent()

    @hookimpl
    async def after_checkpoint(self, event: CheckpointEvent) -> None:
        await self.after_events([event])

    @hookimpl
    async def after_run(self, event: RunEvent) -> None:
        await self.after_events([event])

    async def after_events(self, events: Sequence[CheckpointEvent | RunEvent]) -> None:
        """Mirror several events (of several threads, each thread's in order) in one
        transaction, with one statement per table for all of them: what the dispatcher calls
        with a batch (docs/hooks.md, "Batches"). The result is the same as delivering them one
        by one in order; if any is refused, nothing is written."""
        checkpoints = [e for e in events if isinstance(e, CheckpointEvent) and e.metadata]
        # a checkpoint that is gone (thread deleted or pruned) has no metadata: nothing to mirror;
        # a bad document is refused before any write, so the batch is redelivered one by one
        # and only that event is dead-lettered
        documents_of = {id(e): valid_document(e) for e in checkpoints}
        threads: dict[str, _Thread] = {}
        replaced: dict[int, list[str]] = {}
        for e in checkpoints:
            thread = threads.setdefault(e.thread_id, _Thread())
            replaced[id(e)] = self._gather(thread, e, documents_of[id(e)])
        versions: list[documents.Version] = []
        if not threads and not any(isinstance(e, RunEvent) for e in events):
            return
        # pipelined: statements whose results are not read go out together, in one round trip
        async with self.pool.connection() as conn, conn.pipeline(), conn.transaction():
            if threads:
                # in one order, so that two batches (two dispatchers) never wait on each other
                await conn.execute(LOCK_THREADS_SQL, (sorted(threads),))
            # a deleted thread (a stateless run's, say): a late event must not write it back;
            # one statement for every thread of the batch, then one upsert for the living
            order = sorted(threads)
            deleted = await tombstones.deleted_among(conn, order) if order else set()
            conversation_of: dict[str, uuid.UUID] = await conversations.upsert_seen_many(
                conn, [self._conversation(t, threads[t]) for t in order if t not in deleted]
            )
            live = {t: threads[t] for t in conversation_of}
            heads = {
                conversation_of[t]: thread.current
                for t, thread in live.items()
                if thread.current is not None
            }
            # new rows of the heads' messages are written current (no second write of them)
            await messages_repo.upsert_batch(
                conn,
                [
                    (conversation_of[t], checkpoint_id, row)
                    for t, thread in live.items()
                    for checkpoint_id, row in thread.messages
                ],
                heads,
            )
            await messages_repo.set_current_batch(conn, heads)
            # a run rolled back by a later one: its checkpoints are gone, so are its messages
            await messages_repo.forget_orphans(conn, list(heads))
            versions = [
                version
                for t, thread in live.items()
                for checkpoint_id, document in thread.documents
                if (version := self._version(conversation_of[t], checkpoint_id, document))
                is not None
            ]
            await documents.add_versions(conn, versions)
            for each in events:  # audit entries in event order
                if isinstance(each, RunEvent):
                    await self._audit_run(conn, each)
                elif each.metadata and each.thread_id in conversation_of:
                    await self._audit_checkpoint(conn, each)
                    if replaced[id(each)]:
                        await self._audit_sanitized(conn, each, replaced[id(each)])
        for version in versions:  # committed
            self._stored.keep(_stored_key(version), None)

    @staticmethod
    def _conversation(thread_id: str, thread: _Thread) -> dict[str, Any]:
        """A thread's row for ``conversations.upsert_seen_many``."""
        return {
            "id": uuid.uuid4(),
            "thread_id": thread_id,
            # a title cut from the first message would be its plaintext: none with a key
            "title": thread.title if crypto.keyring() is None else None,
            "metadata": Jsonb(_clean_json(thread.metadata)),
            "at": thread.at or datetime.now(UTC),
        }

    def _version(
        self, conversation_id: uuid.UUID, checkpoint_id: str, document: dict[str, Any]
    ) -> documents.Version | None:
        """The row of a checkpoint's document (``valid_document``), None when this mirror
        committed that version of that content for that conversation before."""
        citations = document.get("citations") or []
        content = (
            document.get("key", "document"),
            document["version"],
            document.get("type", "document"),
            document.get("jurisdiction"),
            str(document.get("title", "")),
            str(document.get("body", "")),
            json.dumps(citations, sort_keys=True, default=str, ensure_ascii=False),
        )
        row = self._documents.get(content) or self._documents.keep(
            content, _version(conversation_id, checkpoint_id, document)
        )
        if (conversation_id, *_stored_key(row)[1:]) in self._stored:
            return None
        return dataclasses.replace(
            row, conversation_id=conversation_id, checkpoint_id=checkpoint_id
        )

    def _row(self, message: Any) -> tuple[messages_repo.Message, bool]:
        """A message's row, and whether its text had to be cleaned (``clean_text``)."""
        if (found := self._rows.get(id(message))) is not None and found[0] is message:
            return found[1], found[2]
        content, changed = clean_text(_content_text(message.content))
        tool_calls = getattr(message, "tool_calls", None) or None
        row = (
            message.id,
            _role(message),
            getattr(message, "type", "unknown"),
            content,
            Jsonb(_clean_json(tool_calls)) if tool_calls else None,
        )
        self._rows.keep(id(message), (message, row, changed))
        return row, changed

    def _gather(
        self, thread: _Thread, event: CheckpointEvent, document: dict[str, Any] | None
    ) -> list[str]:
        """Add what ``event`` writes to its thread's part of a batch; returns the ids of its
        messages whose text had to be cleaned (``clean_text``)."""
        replaced: list[str] = []
        messages = [m for m in event.values.get("messages") or [] if getattr(m, "id", None)]
        if thread.title is None:
            title = next(
                (
                    _content_text(m.content)[:TITLE_LENGTH]
                    for m in messages
                    if getattr(m, "type", "") == "human"
                ),
                None,
            )
            thread.title = clean_text(title)[0] if title else None
        # never owner or user_id: a caller sets those
        thread.metadata.update(
            {k: event.metadata[k] for k in ("graph_id", "assistant_id") if k in event.metadata}
        )
        at = event.created_at or datetime.now(UTC)
        thread.at = at if thread.at is None else max(thread.at, at)
        for message in messages:
            row, changed = self._row(message)
            if changed:
                replaced.append(message.id)
            thread.messages.append((event.checkpoint_id, row))
        if event.is_head:
            thread.current = [m.id for m in messages]
        if document is not None:
            thread.documents.append((event.checkpoint_id, document))
        return replaced

    async def _audit_checkpoint(self, conn, event: CheckpointEvent) -> None:
        forked = False
        if event.parent_checkpoint_id and event.source in ("update", "input", "fork"):
            forked = await checkpoints.is_fork(
                conn, event.thread_id, event.parent_checkpoint_id, event.checkpoint_id
            )
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

    async def _audit_sanitized(self, conn, event: CheckpointEvent, replaced: list[str]) -> None:
        details = {"message_ids": replaced, "reason": "NUL or lone surrogate replaced by U+FFFD"}
        await conn.execute(
            AUDIT_SQL,
            (
                "mirror",
                "message.sanitized",
                event.thread_id,
                Jsonb(details),
                f"sanitized:{event.thread_id}:{event.checkpoint_id}",
            ),
        )

    async def _audit_run(self, conn, event: RunEvent) -> None:
        details = {
            "run_id": event.run_id,
            "status": event.status,
            "assistant_id": event.assistant_id,
        }
        await conn.execute(
            AUDIT_SQL,
            (
                await _actor_of(conn, event),
                "run.finished",
                event.thread_id,
                Jsonb(details),
                f"run.finished:{event.run_id}",
            ),
        )


def _stored_key(version: documents.Version) -> tuple:
    """What tells a stored document version (its unique key)."""
    return (version.conversation_id, version.key, version.version, version.content_hash)


def _version(conversation_id: uuid.UUID, checkpoint_id: str, document: dict[str, Any]):
    """The row of a checkpoint's document (``valid_document``)."""
    body = clean_text(str(document.get("body", "")))[0]
    citations = _clean_json(document.get("citations") or [])
    digest = hashlib.sha256((body + json.dumps(citations, sort_keys=True)).encode()).hexdigest()
    return documents.Version(
        conversation_id,
        key=document.get("key", "document"),
        version=document["version"],
        type=document.get("type", "document"),
        jurisdiction=document.get("jurisdiction"),
        title=clean_text(str(document.get("title", "")))[0][:500],
        body=body,
        citations=citations,
        content_hash=digest,
        checkpoint_id=checkpoint_id,
    )
