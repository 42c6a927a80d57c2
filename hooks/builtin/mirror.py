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
from store.repositories import audit, conversations, documents
from store.repositories import messages as messages_repo

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
    #: each message's last row's fingerprint (``Mirror._row``), by message id
    fingerprints: dict[str, int] = field(default_factory=dict)


#: Messages and documents whose rows the mirror keeps prepared, and document versions it
#: remembers having stored.
REMEMBERED = 4096
#: Conversations whose stored messages the mirror remembers (a fingerprint each).
CONVERSATIONS_REMEMBERED = 1024


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
        # What this mirror's committed transactions stored of each conversation's messages:
        # (the conversation row's writer then, {message id: fingerprint}). A message whose row
        # would not change is not sent again, while nothing else wrote the conversation
        # (``_known``): every state repeats the thread's earlier messages.
        self._messages: _Recent = _Recent(CONVERSATIONS_REMEMBERED)

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
        async with self.pool.connection() as conn:
            async with conn.pipeline(), conn.transaction():
                if threads:
                    # in one order: two batches (two dispatchers) never wait on each other
                    await conn.execute(LOCK_THREADS_SQL, (sorted(threads),))
                # one upsert for every thread of the batch, which leaves out the deleted ones
                # (a stateless run's, say: a late event must not write it back); a statement
                # after the locks', so it sees a deletion that committed while they waited
                seen = await conversations.upsert_seen_many(
                    conn, [self._conversation(t, threads[t]) for t in sorted(threads)]
                )
                conversation_of = {t: each.id for t, each in seen.items()}
                live = {t: threads[t] for t in conversation_of}
                heads = {
                    conversation_of[t]: thread.current
                    for t, thread in live.items()
                    if thread.current is not None
                }
                known = {seen[t].id: self._known(seen[t]) for t in live}
                # new rows of the heads' messages are written current (no second write of them);
                # a message whose stored row is the one it would get is not sent (``_known``)
                await messages_repo.upsert_batch(
                    conn,
                    [
                        (conversation_of[t], checkpoint_id, row)
                        for t, thread in live.items()
                        for checkpoint_id, row in thread.messages
                        if known[conversation_of[t]].get(row[0]) != thread.fingerprints[row[0]]
                    ],
                    heads,
                )
                await messages_repo.set_current_batch(conn, heads)
                # a run rolled back by a later one: its checkpoints are gone, so are its messages
                orphaned = await messages_repo.forget_orphans(conn, list(heads))
                versions = [
                    version
                    for t, thread in live.items()
                    for checkpoint_id, document in thread.documents
                    if (version := self._version(conversation_of[t], checkpoint_id, document))
                    is not None
                ]
                await documents.add_versions(conn, versions)
                # audit entries in event order, in one statement
                await audit.record_entries(conn, _audit_entries(events, conversation_of, replaced))
            # committed: the conversations the rollbacks' clean-up took messages from
            gone = await messages_repo.forgotten(orphaned)
        for version in versions:
            self._stored.keep(_stored_key(version), None)
        for t, thread in live.items():
            conversation = seen[t]
            if conversation.id in gone:  # rows deleted: what they held is forgotten
                self._messages.pop(conversation.id, None)
                continue
            stored = known[conversation.id]
            stored.update(thread.fingerprints)
            self._messages.keep(conversation.id, (conversation.after, stored))

    def _known(self, conversation: conversations.Seen) -> dict[str, int]:
        """The fingerprints (``_row``) of the messages this mirror's committed transactions
        stored in ``conversation``, by message id, when nothing else wrote it since (its row was
        last written by the last of them: every transaction that writes a conversation's
        messages writes its row, under the thread's lock); else none."""
        found = self._messages.get(conversation.id)
        if found is None or found[0] != conversation.before:
            return {}
        fingerprints: dict[str, int] = found[1]
        return fingerprints

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

    def _row(self, message: Any) -> tuple[messages_repo.Message, bool, int]:
        """A message's row, whether its text had to be cleaned (``clean_text``), and the
        row's fingerprint (what ``_known`` compares)."""
        if (found := self._rows.get(id(message))) is not None and found[0] is message:
            return found[1], found[2], found[3]
        content, changed = clean_text(_content_text(message.content))
        tool_calls = getattr(message, "tool_calls", None) or None
        calls = _clean_json(tool_calls) if tool_calls else None
        row = (
            message.id,
            _role(message),
            getattr(message, "type", "unknown"),
            content,
            Jsonb(calls) if calls else None,
        )
        # 64 bits of a keyed hash (SipHash, a key per process): what a row holds, compared
        # without keeping its text
        fingerprint = hash((row[1], row[2], content, json.dumps(calls, sort_keys=True)))
        self._rows.keep(id(message), (message, row, changed, fingerprint))
        return row, changed, fingerprint

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
            row, changed, fingerprint = self._row(message)
            if changed:
                replaced.append(message.id)
            thread.messages.append((event.checkpoint_id, row))
            thread.fingerprints[message.id] = fingerprint
        if event.is_head:
            thread.current = [m.id for m in messages]
        if document is not None:
            thread.documents.append((event.checkpoint_id, document))
        return replaced


def _audit_entries(
    events: Sequence[CheckpointEvent | RunEvent],
    conversation_of: dict[str, uuid.UUID],
    replaced: dict[int, list[str]],
) -> list[audit.Entry]:
    """The audit entries of ``events``, in their order: a run's end; a run's start, a state
    update or a fork (``audit.INSERT_MANY_SQL`` tells a fork from the checkpoints); text that
    had to be cleaned. An entry without an actor names the thread's owner."""
    entries: list[audit.Entry] = []
    for event in events:
        if isinstance(event, RunEvent):
            entries.append(
                audit.Entry(
                    event.actor,
                    "run.finished",
                    event.thread_id,
                    {
                        "run_id": event.run_id,
                        "status": event.status,
                        "assistant_id": event.assistant_id,
                    },
                    f"run.finished:{event.run_id}",
                )
            )
            continue
        if not event.metadata or event.thread_id not in conversation_of:
            continue
        if (entry := _checkpoint_entry(event)) is not None:
            entries.append(entry)
        if replaced[id(event)]:
            entries.append(
                audit.Entry(
                    "mirror",
                    "message.sanitized",
                    event.thread_id,
                    {
                        "message_ids": replaced[id(event)],
                        "reason": "NUL or lone surrogate replaced by U+FFFD",
                    },
                    f"sanitized:{event.thread_id}:{event.checkpoint_id}",
                )
            )
    return entries


def _checkpoint_entry(event: CheckpointEvent) -> audit.Entry | None:
    """A checkpoint's audit entry: a run started, a state updated (either one a fork when it
    branches off an earlier checkpoint), or none."""
    parent, checkpoint_id = event.parent_checkpoint_id, event.checkpoint_id
    if event.source == "input" and event.run_id:
        action, key = "run.started", f"run.started:{event.run_id}"
        fork_key = key
    elif event.source in ("update", "fork"):
        action = "state.updated"
        key = f"state.updated:{event.thread_id}:{checkpoint_id}"
        fork_key = f"thread.forked:{event.thread_id}:{checkpoint_id}"
    else:
        return None
    details = {
        "checkpoint_id": checkpoint_id,
        "parent_checkpoint_id": parent,
        "run_id": event.run_id,
        "graph_id": event.graph_id,
    }
    fork = audit.Fork("thread.forked", fork_key, parent, checkpoint_id) if parent else None
    return audit.Entry(event.actor, action, event.thread_id, details, key, fork)


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
