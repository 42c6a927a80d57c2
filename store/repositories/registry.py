"""Every statement on ``api_registry``: the LangGraph API's threads, assistants, in-flight runs,
crons and store items as the development server holds them, written through so a crash loses
none of them."""

from __future__ import annotations

UPSERT_SQL = """
INSERT INTO api_registry (kind, key, payload) VALUES (%s, %s, %s)
ON CONFLICT (kind, key) DO UPDATE SET payload = EXCLUDED.payload, updated_at = now()
"""
DELETE_SQL = "DELETE FROM api_registry WHERE kind = %s AND key = %s"
DELETE_KEYS_SQL = "DELETE FROM api_registry WHERE kind = %s AND key = ANY(%s)"
DELETE_PREFIX_SQL = "DELETE FROM api_registry WHERE kind = %s AND key LIKE %s"
ALL_SQL = "SELECT kind, key, payload FROM api_registry ORDER BY kind, key"
#: The rows of one kind (the store's items and crons are restored on their own).
KIND_SQL = "SELECT key, payload FROM api_registry WHERE kind = %s ORDER BY key"
#: Or the crash-safe registry would bring deleted threads back at the next start.
FORGET_THREADS_SQL = "DELETE FROM api_registry WHERE kind = 'thread' AND key = ANY(%(ids)s)"

# Threads with checkpoints but without a registry row: their newest root checkpoint's metadata.
ORPHAN_THREADS_SQL = """
SELECT DISTINCT ON (c.thread_id) c.thread_id, c.metadata,
       (first.checkpoint ->> 'ts')::timestamptz AS created_at,
       (c.checkpoint ->> 'ts')::timestamptz AS updated_at
FROM checkpoints c
JOIN LATERAL (
    SELECT checkpoint FROM checkpoints f
    WHERE f.thread_id = c.thread_id AND f.checkpoint_ns = ''
    ORDER BY f.checkpoint_id LIMIT 1
) first ON true
WHERE c.checkpoint_ns = ''
  -- the API's threads have UUIDs; others (e.g. the Python Agent API's "user-123-session-456")
  -- are not API threads and stay out of its registry
  AND c.thread_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  AND NOT EXISTS (SELECT 1 FROM api_registry r WHERE r.kind = 'thread' AND r.key = c.thread_id)
ORDER BY c.thread_id, c.checkpoint_id DESC
"""


async def all_rows(conn) -> list[dict]:
    """Every row (``kind``, ``key``, ``payload``): the registry's objects, pickled."""
    return await (await conn.execute(ALL_SQL)).fetchall()


async def forget(conn, kind: str, keys: list[str]) -> int:
    """Delete the rows of ``kind`` with these keys; how many."""
    return (await conn.execute(DELETE_KEYS_SQL, (kind, keys))).rowcount


REWRITE_SQL = "UPDATE api_registry SET payload = %s WHERE kind = %s AND key = %s"


async def rewrite_payloads(conn, rewrite) -> int:
    """Replace each row's payload by ``rewrite(payload)`` (rows locked; run inside the caller's
    transaction), leaving empty payloads (markers) alone. Returns how many were rewritten."""
    rows = await (await conn.execute(ALL_SQL + " FOR UPDATE")).fetchall()
    count = 0
    for row in rows:
        if row["payload"]:
            await conn.execute(
                REWRITE_SQL, (rewrite(bytes(row["payload"])), row["kind"], row["key"])
            )
            count += 1
    return count
