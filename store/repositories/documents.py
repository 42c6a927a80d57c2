"""Every statement on ``documents``: every version of every document of a conversation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from store import crypto
from store.db import DictConnection
from store.repositories import fulltext

#: ``documents.title``'s length.
TITLE_LIMIT = 500

INSERT_SQL = """
INSERT INTO documents (conversation_id, document_key, version, type, jurisdiction, title, body,
                       citations, content_hash, checkpoint_id)
SELECT * FROM unnest(%(conversations)s::uuid[], %(keys)s::text[], %(versions)s::int[],
                     %(types)s::text[], %(jurisdictions)s::text[], %(titles)s::text[],
                     %(bodies)s::text[], %(citations)s::jsonb[], %(hashes)s::text[],
                     %(checkpoints)s::text[])
ON CONFLICT (conversation_id, document_key, version, content_hash) DO NOTHING
"""


@dataclass(frozen=True)
class Version:
    """A document version as a checkpoint holds it (``add_versions`` seals title and body)."""

    conversation_id: uuid.UUID
    key: str
    version: int
    type: str
    jurisdiction: str | None
    title: str
    body: str
    citations: list[Any]
    content_hash: str
    checkpoint_id: str


async def add_versions(conn: DictConnection, versions: list[Version]) -> None:
    """Record versions, in one statement (replaying the same content is a no-op; of one
    content given twice, the first checkpoint's is kept)."""
    first: dict[tuple[uuid.UUID, str, int, str], Version] = {}
    for v in versions:
        first.setdefault((v.conversation_id, v.key, v.version, v.content_hash), v)
    if not first:
        return
    rows = list(first.values())
    await conn.execute(
        INSERT_SQL,
        {
            "conversations": [v.conversation_id for v in rows],
            "keys": [v.key for v in rows],
            "versions": [v.version for v in rows],
            "types": [v.type for v in rows],
            "jurisdictions": [v.jurisdiction for v in rows],
            "titles": [crypto.seal_within(v.title, TITLE_LIMIT) for v in rows],
            "bodies": [crypto.seal(v.body) for v in rows],
            "citations": [Jsonb(v.citations) for v in rows],
            "hashes": [v.content_hash for v in rows],
            "checkpoints": [v.checkpoint_id for v in rows],
        },
    )


async def add_version(
    conn: DictConnection,
    conversation_id: uuid.UUID,
    *,
    key: str,
    version: int,
    type: str,
    jurisdiction: str | None,
    title: str,
    body: str,
    citations: list[Any],
    content_hash: str,
    checkpoint_id: str,
) -> None:
    """Record a version (replaying the same content is a no-op)."""
    await add_versions(
        conn,
        [
            Version(
                conversation_id,
                key,
                version,
                type,
                jurisdiction,
                title,
                body,
                citations,
                content_hash,
                checkpoint_id,
            )
        ],
    )


def _unsealed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their title and body decrypted (``store/crypto.py``; plaintext rows as is)."""
    for row in rows:
        for column in ("title", "body"):
            if column in row:
                row[column] = crypto.unseal(row[column])
    return rows


_COLUMNS = (
    "d.id, c.thread_id, d.document_key, d.version, d.type, d.jurisdiction, d.title, "
    "d.checkpoint_id, d.created_at, d.final_at"
)


async def of_conversation(conn: DictConnection, conversation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of every document of a conversation, oldest first (without bodies)."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM documents d JOIN conversations c ON c.id = d.conversation_id "
        "WHERE d.conversation_id = %s ORDER BY d.document_key, d.version, d.id",
        (conversation_id,),
    )
    return _unsealed(await cur.fetchall())


async def with_owner(conn: DictConnection, document_id: int) -> dict[str, Any] | None:
    """One version with its body, citations and its conversation's ``owner_id``."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS}, d.body, d.citations, c.owner_id FROM documents d "
        "JOIN conversations c ON c.id = d.conversation_id WHERE d.id = %s",
        (document_id,),
    )
    row = await cur.fetchone()
    return None if row is None else _unsealed([row])[0]


async def full_of_conversation(
    conn: DictConnection, conversation_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every version of every document of a conversation with its body and citations, oldest
    first (a user's export)."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS}, d.body, d.citations FROM documents d "
        "JOIN conversations c ON c.id = d.conversation_id "
        "WHERE d.conversation_id = %s ORDER BY d.document_key, d.version, d.id",
        (conversation_id,),
    )
    return _unsealed(await cur.fetchall())


async def set_final(conn: DictConnection, document_id: int, final: bool) -> dict[str, Any] | None:
    """Mark a version final (keeping the first time it was marked) or a draft again; the row's
    new ``final_at``, or None when there is no such version."""
    cur = await conn.execute(
        "UPDATE documents SET final_at = CASE WHEN %s THEN coalesce(final_at, now()) END "
        "WHERE id = %s RETURNING final_at",
        (final, document_id),
    )
    return await cur.fetchone()


SEARCHED = fulltext.Searched(
    table="documents",
    alias="d",
    columns="d.title, d.body, c.thread_id, d.document_key, d.version, d.type, d.jurisdiction, "
    "d.checkpoint_id, d.final_at",
    text="title || ' ' || body",
    result="id, thread_id, document_key, version, type, jurisdiction, title, checkpoint_id, "
    "created_at, final_at",
    filters=fulltext.filters("d"),
    # a version's vector is large (compressed, read whole to check a word): a shorter walk
    walk=1_000,
)


async def search_documents(
    conn: DictConnection,
    *,
    q: str,
    owner: str,
    thread_id: str | None = None,
    status: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    sort: fulltext.Sort = "relevance",
    limit: int = 20,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The owner's document versions whose title or text matches ``q``, found as message
    search finds messages (``store/repositories/fulltext.py``: a walk of the newest 1,000
    versions, or a statement planned for the words), each with a ``<mark>``-ed snippet."""
    params = {
        "q": q,
        "owner": owner,
        "thread": thread_id,
        "status": status,
        "after": after,
        "before": before,
        "limit": limit,
        "offset": offset,
    }
    if crypto.keyring() is not None:
        return []  # the index holds only ciphertext (docs/security.md, "Encryption at rest")
    return await fulltext.search(conn, SEARCHED, params, sort)


#: ``adlaan db rotate-key``: the encrypted columns (title, body), a page at a time with the rows locked,
#: and their update.
SEALED_COUNT_SQL = "SELECT count(*) FROM documents"
SEALED_PAGE_SQL = (
    "SELECT id, title, body FROM documents WHERE id > %s ORDER BY id LIMIT %s FOR UPDATE"
)
SEALED_UPDATE_SQL = "UPDATE documents SET (title, body) = (%s, %s) WHERE id = %s"
