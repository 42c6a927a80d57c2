"""Every statement on the hooks outbox: ``hook_events`` (filled by a trigger on the checkpoint
table, and by the registry when a run ends), ``hook_cursors`` (each plugin's position, retries),
``hook_parked_threads`` (threads a plugin is held back on while the cursor moves on) and
``hook_dead_letters`` (events a plugin gave up on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from store.db import DictConnection, one

#: A round of a plugin's delivery in one statement: its cursor locked for the transaction
#: (skipped when another dispatcher holds it, or it is backing off), whether any of its
#: threads is parked, and the events after the cursor (no row: the cursor is taken or backing
#: off; one row without an event: nothing after it).
ROUND_SQL = """
WITH c AS (
    SELECT plugin, last_event_id, attempts FROM hook_cursors
    WHERE plugin = %(plugin)s AND (next_attempt_at IS NULL OR next_attempt_at <= now())
    FOR UPDATE SKIP LOCKED
)
SELECT c.last_event_id AS cursor_last_event_id, c.attempts AS cursor_attempts,
       EXISTS (SELECT 1 FROM hook_parked_threads p WHERE p.plugin = c.plugin) AS cursor_parked,
       e.*
FROM c LEFT JOIN LATERAL (
    SELECT * FROM hook_events WHERE id > c.last_event_id ORDER BY id LIMIT %(limit)s
) e ON true
ORDER BY e.id
"""
_ROUND_COLUMNS = ("cursor_last_event_id", "cursor_attempts", "cursor_parked")
EVENT_SQL = "SELECT * FROM hook_events WHERE id = %s"
THREAD_EVENTS_SQL = """
SELECT * FROM hook_events WHERE thread_id = %s AND id >= %s AND id <= %s ORDER BY id LIMIT %s
"""
PARKED_SQL = """
SELECT thread_id, event_id, attempts, next_attempt_at, next_attempt_at <= now() AS due
FROM hook_parked_threads WHERE plugin = %s ORDER BY event_id
"""
PARK_SQL = """
INSERT INTO hook_parked_threads AS p
    (plugin, thread_id, event_id, attempts, last_error, next_attempt_at)
VALUES (%(plugin)s, %(thread_id)s, %(event_id)s, %(attempts)s, %(error)s,
        now() + make_interval(secs => %(delay)s))
ON CONFLICT (plugin, thread_id) DO UPDATE SET
    event_id = excluded.event_id, attempts = excluded.attempts, last_error = excluded.last_error,
    next_attempt_at = excluded.next_attempt_at, updated_at = now()
"""


async def ensure_cursor(conn: DictConnection, plugin: str) -> None:
    await conn.execute(
        "INSERT INTO hook_cursors (plugin) VALUES (%s) ON CONFLICT DO NOTHING", (plugin,)
    )


async def lock_round(
    conn: DictConnection, plugin: str, limit: int
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``ROUND_SQL``: the plugin's cursor locked for this transaction (``last_event_id``,
    ``attempts``, and ``parked``: whether any thread is parked), or None when another
    dispatcher holds it or it is backing off; and up to ``limit`` events after it, in order."""
    found = await (await conn.execute(ROUND_SQL, {"plugin": plugin, "limit": limit})).fetchall()
    if not found:
        return None, []
    first = found[0]
    cursor = {
        "last_event_id": first["cursor_last_event_id"],
        "attempts": first["cursor_attempts"],
        "parked": first["cursor_parked"],
    }
    if first["id"] is None:
        return cursor, []
    for row in found:
        for column in _ROUND_COLUMNS:
            del row[column]
    return cursor, found


async def thread_events(
    conn: DictConnection, thread_id: str, first: int, last: int, limit: int
) -> list[dict[str, Any]]:
    """A thread's events with ids from ``first`` to ``last`` (both included), in order."""
    return await (await conn.execute(THREAD_EVENTS_SQL, (thread_id, first, last, limit))).fetchall()


async def parked(conn: DictConnection, plugin: str) -> list[dict[str, Any]]:
    """The threads ``plugin`` is held back on, oldest first, each with whether it is ``due``."""
    return await (await conn.execute(PARKED_SQL, (plugin,))).fetchall()


async def park(
    conn: DictConnection,
    plugin: str,
    thread_id: str,
    event_id: int,
    attempts: int,
    error: str | None,
    delay: float,
) -> None:
    """Hold ``plugin`` back on ``thread_id`` from ``event_id`` on, for ``delay`` seconds."""
    params = {
        "plugin": plugin,
        "thread_id": thread_id,
        "event_id": event_id,
        "attempts": attempts,
        "error": error,
        "delay": delay,
    }
    await conn.execute(PARK_SQL, params)


async def unpark(conn: DictConnection, plugin: str, thread_id: str) -> None:
    await conn.execute(
        "DELETE FROM hook_parked_threads WHERE plugin = %s AND thread_id = %s", (plugin, thread_id)
    )


async def event(conn: DictConnection, event_id: int) -> dict[str, Any] | None:
    return await (await conn.execute(EVENT_SQL, (event_id,))).fetchone()


async def dead_letter(
    conn: DictConnection, plugin: str, event_id: int, error: str, attempts: int
) -> None:
    await conn.execute(
        "INSERT INTO hook_dead_letters (plugin, event_id, error, attempts) VALUES (%s, %s, %s, %s)",
        (plugin, event_id, error, attempts),
    )


async def back_off(
    conn: DictConnection, plugin: str, last: int, attempts: int, error: str, delay: float
) -> None:
    await conn.execute(
        "UPDATE hook_cursors SET last_event_id = %s, attempts = %s, last_error = %s,"
        " next_attempt_at = now() + make_interval(secs => %s), updated_at = now()"
        " WHERE plugin = %s",
        (last, attempts, error, delay, plugin),
    )


async def advance(conn: DictConnection, plugin: str, last: int) -> None:
    await conn.execute(
        "UPDATE hook_cursors SET last_event_id = %s, attempts = 0, next_attempt_at = NULL,"
        " last_error = NULL, updated_at = now() WHERE plugin = %s",
        (last, plugin),
    )


#: Events every plugin's cursor has passed, made before the cut-off, that no parked thread and
#: no pending dead letter still needs: delivered, and safe to forget. Oldest first, in batches.
PURGE_DELIVERED_SQL = """
DELETE FROM hook_events WHERE id IN (
    SELECT e.id FROM hook_events e
    WHERE e.created_at < %(cutoff)s
      AND e.id <= (SELECT coalesce(min(last_event_id), 0) FROM hook_cursors)
      AND NOT EXISTS (SELECT 1 FROM hook_parked_threads p
                      WHERE p.thread_id = e.thread_id AND p.event_id <= e.id)
      AND NOT EXISTS (SELECT 1 FROM hook_dead_letters d
                      WHERE d.event_id = e.id AND d.retried_at IS NULL)
    ORDER BY e.id LIMIT %(limit)s
)
"""
#: Dead letters delivered by a retry before the cut-off (``retried``), or (with an explicit
#: policy) any dead letter made before it.
PURGE_DEAD_LETTERS_SQL = """
DELETE FROM hook_dead_letters WHERE id IN (
    SELECT id FROM hook_dead_letters
    WHERE CASE WHEN %(retried)s THEN retried_at < %(cutoff)s ELSE created_at < %(cutoff)s END
    ORDER BY id LIMIT %(limit)s
)
"""


async def purge_delivered(conn: DictConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` delivered events made before ``cutoff`` (``PURGE_DELIVERED_SQL``)."""
    params = {"cutoff": cutoff, "limit": limit}
    return (await conn.execute(PURGE_DELIVERED_SQL, params)).rowcount


async def purge_dead_letters(
    conn: DictConnection, cutoff: datetime, limit: int, *, retried: bool
) -> int:
    """Delete up to ``limit`` dead letters: delivered by a retry before ``cutoff`` when
    ``retried``, else made before ``cutoff`` whatever became of them."""
    params = {"cutoff": cutoff, "limit": limit, "retried": retried}
    return (await conn.execute(PURGE_DEAD_LETTERS_SQL, params)).rowcount


async def status(conn: DictConnection) -> dict[str, Any]:
    """The newest event id, each plugin's cursor, the parked threads, and the dead letters not
    yet retried."""
    newest = await one(await conn.execute("SELECT coalesce(max(id), 0) AS newest FROM hook_events"))
    cursors = await (
        await conn.execute(
            "SELECT plugin, last_event_id, attempts, next_attempt_at, last_error "
            "FROM hook_cursors ORDER BY plugin"
        )
    ).fetchall()
    parked_threads = await (
        await conn.execute(
            "SELECT plugin, thread_id, event_id, attempts, next_attempt_at, last_error "
            "FROM hook_parked_threads ORDER BY plugin, event_id"
        )
    ).fetchall()
    dead = await pending_dead_letters(conn)
    return {
        "newest": newest["newest"],
        "cursors": cursors,
        "parked": parked_threads,
        "dead": dead,
    }


async def pending_dead_letters(
    conn: DictConnection, plugin: str | None = None
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT id, plugin, event_id, attempts, error, created_at FROM hook_dead_letters "
        "WHERE retried_at IS NULL AND (%s::text IS NULL OR plugin = %s) ORDER BY id",
        (plugin, plugin),
    )
    return await cur.fetchall()


async def dead_letter_failed_again(conn: DictConnection, letter_id: int, error: str) -> None:
    await conn.execute("UPDATE hook_dead_letters SET error = %s WHERE id = %s", (error, letter_id))


async def dead_letter_retried(conn: DictConnection, letter_id: int) -> None:
    await conn.execute(
        "UPDATE hook_dead_letters SET retried_at = now() WHERE id = %s", (letter_id,)
    )


async def forget_threads(conn: DictConnection, thread_ids: list[str]) -> int:
    """Delete every event of these threads, with their dead letters and parked positions (an
    erasure: nothing of the threads may stay); how many events. A cursor past a deleted event
    is unaffected, and one before it finds the next event."""
    await conn.execute(
        "DELETE FROM hook_dead_letters WHERE event_id IN "
        "(SELECT id FROM hook_events WHERE thread_id = ANY(%s))",
        (thread_ids,),
    )
    await conn.execute("DELETE FROM hook_parked_threads WHERE thread_id = ANY(%s)", (thread_ids,))
    cur = await conn.execute("DELETE FROM hook_events WHERE thread_id = ANY(%s)", (thread_ids,))
    return cur.rowcount
