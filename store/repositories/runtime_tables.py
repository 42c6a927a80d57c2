"""Our statements on the tables of ``adlaan serve``'s runtime (langgraph-runtime-pg: ``threads``,
``runs``, ``crons``, ``assistants``, ``assistant_versions``, ``store_items``; and langgraph's
``PostgresStore``: ``store``, ``store_vectors``), which the runtime otherwise owns and creates
(server/runtime/pg.py ``migrate``). The only statement here is a user's erasure; a database that
never ran ``adlaan serve`` has none of these tables and is left alone.
"""

from __future__ import annotations

from typing import Any

from store.db import DictConnection

#: (table, statement): what of a user to delete from each table, where the table exists. A store
#: namespace starts with its owner's user id (``server/auth.py``), kept as a dotted ``prefix``.
_ERASE = (
    ("store", "DELETE FROM store WHERE prefix = %(user)s OR starts_with(prefix, %(dotted)s)"),
    (
        "store_items",
        "DELETE FROM store_items WHERE prefix = %(user)s OR starts_with(prefix, %(dotted)s)",
    ),
    (
        "crons",
        "DELETE FROM crons WHERE cron_id::text = ANY(%(crons)s) "
        "OR thread_id::text = ANY(%(threads)s) OR user_id = %(user)s "
        "OR metadata ->> 'owner' = %(user)s",
    ),
    (
        "runs",
        "DELETE FROM runs WHERE thread_id::text = ANY(%(threads)s) "
        "OR metadata ->> 'owner' = %(user)s",
    ),
    (
        "threads",
        "DELETE FROM threads WHERE thread_id::text = ANY(%(threads)s) "
        "OR metadata ->> 'owner' = %(user)s",
    ),
    (
        "assistant_versions",
        "DELETE FROM assistant_versions WHERE assistant_id::text = ANY(%(assistants)s) "
        "OR metadata ->> 'owner' = %(user)s",
    ),
    (
        "assistants",
        "DELETE FROM assistants WHERE assistant_id::text = ANY(%(assistants)s) "
        "OR metadata ->> 'owner' = %(user)s",
    ),
)


async def erase_user(
    conn: DictConnection,
    user_id: str,
    *,
    threads: list[str],
    assistants: list[str],
    crons: list[str],
) -> dict[str, int]:
    """Delete the user's rows (their store namespaces, threads, runs, crons, assistants) from
    whichever of the runtime's tables exist; rows deleted per table."""
    params: dict[str, Any] = {
        "user": user_id,
        "dotted": user_id + ".",
        "threads": threads,
        "assistants": assistants,
        "crons": crons,
    }
    deleted = {}
    for table, statement in _ERASE:
        found = await (await conn.execute("SELECT to_regclass(%s) AS t", (table,))).fetchone()
        if found is not None and found["t"] is not None:
            deleted[table] = (await conn.execute(statement, params)).rowcount
    return deleted
