"""Our statements on the tables of ``adlaan serve``'s runtime (langgraph-runtime-pg: ``threads``,
``runs``, ``crons``, ``assistants``, ``assistant_versions``, ``store_items``; and langgraph's
``PostgresStore``: ``store``, ``store_vectors``), which the runtime otherwise owns and creates
(server/runtime/pg.py ``migrate``). Here: the trigger that puts a finished run into the hooks
outbox (as the dev server's registry does), the retention of finished runs and their retry
counters, and a user's erasure. A database that never ran ``adlaan serve`` has none of these
tables and is left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from store import crypto
from store.db import LOCK_ATTEMPTS, LOCK_PAUSE, LOCK_TIMEOUT_MS, DictConnection, retrying_locks
from store.models.hook_event import (
    FINISHED_RUN_STATUSES,
    RUN_EVENT_FUNCTION_SQL,
)

_FINISHED = ", ".join(f"'{status}'" for status in FINISHED_RUN_STATUSES)

RUN_EVENT_TRIGGER = "runs_hook_event"
RUN_EVENT_TRIGGER_SQL = (
    f"CREATE TRIGGER {RUN_EVENT_TRIGGER} AFTER UPDATE OF status ON runs FOR EACH ROW "
    f"WHEN (NEW.status IN ({_FINISHED}) AND OLD.status NOT IN ({_FINISHED})) "
    "EXECUTE FUNCTION adlaan_run_event()"
)


#: The trigger's definition, kept as its comment: a start that finds it current leaves ``runs``
#: alone (replacing a trigger locks the table against the processes already serving).
RUN_EVENT_VERSION = hashlib.sha256(RUN_EVENT_TRIGGER_SQL.encode()).hexdigest()[:16]


def install_run_events(
    conn: psycopg.Connection[Any], *, attempts: int = LOCK_ATTEMPTS, pause: float = LOCK_PAUSE
) -> bool:
    """Create the function and, unless it is current, the trigger on the runtime's ``runs``, in
    one transaction (no moment without it); call it after the runtime's migrations and ours,
    under their lock. Waiting for ``runs`` gives up after ``LOCK_TIMEOUT_MS`` and is tried
    again (``store.db.retrying_locks``): serving processes are never stalled behind it. Whether
    the trigger was (re)created."""
    return retrying_locks(
        lambda: _install_run_events(conn),
        "the run-event trigger's replacement",
        attempts=attempts,
        pause=pause,
    )


def _install_run_events(conn: psycopg.Connection[Any]) -> bool:
    with conn.transaction():
        conn.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
        conn.execute(RUN_EVENT_FUNCTION_SQL)
        found = (
            conn.cursor(row_factory=tuple_row)
            .execute(
                "SELECT obj_description(oid, 'pg_trigger') FROM pg_trigger "
                "WHERE tgname = %s AND tgrelid = 'runs'::regclass",
                (RUN_EVENT_TRIGGER,),
            )
            .fetchone()
        )
        if found is not None and found[0] == RUN_EVENT_VERSION:
            return False
        conn.execute(f"DROP TRIGGER IF EXISTS {RUN_EVENT_TRIGGER} ON runs")
        conn.execute(RUN_EVENT_TRIGGER_SQL)
        conn.execute(f"COMMENT ON TRIGGER {RUN_EVENT_TRIGGER} ON runs IS '{RUN_EVENT_VERSION}'")
        return True


#: Finished runs last updated before a cutoff, a batch at a time, with their retry counters (the
#: runtime keeps both for ever; pending and running runs are never touched).
PURGE_FINISHED_RUNS_SQL = """
WITH gone AS (
    DELETE FROM runs WHERE run_id IN (
        SELECT run_id FROM runs WHERE status = ANY(%(finished)s) AND updated_at < %(before)s
        ORDER BY updated_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
    ) RETURNING run_id
), counters AS (
    DELETE FROM retry_counters WHERE run_id IN (SELECT run_id FROM gone)
) SELECT count(*) AS n FROM gone
"""
#: Retry counters of runs that no longer exist (a counter is made for a run that does).
PURGE_ORPHAN_COUNTERS_SQL = """
DELETE FROM retry_counters c WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = c.run_id)
"""


async def _exists(conn: DictConnection, table: str) -> bool:
    found = await (await conn.execute("SELECT to_regclass(%s) AS t", (table,))).fetchone()
    return found is not None and found["t"] is not None


async def purge_finished_runs(conn: DictConnection, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` runs that finished before ``before`` and their retry counters;
    how many runs (0 on a database without the runtime's tables)."""
    if not await _exists(conn, "runs"):
        return 0
    params = {"before": before, "limit": limit, "finished": list(FINISHED_RUN_STATUSES)}
    found = await (await conn.execute(PURGE_FINISHED_RUNS_SQL, params)).fetchone()
    return int(found["n"]) if found else 0


async def purge_orphan_retry_counters(conn: DictConnection) -> int:
    """Delete the retry counters whose run is gone; how many."""
    if not await _exists(conn, "retry_counters") or not await _exists(conn, "runs"):
        return 0
    return (await conn.execute(PURGE_ORPHAN_COUNTERS_SQL)).rowcount


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
        if await _exists(conn, table):
            deleted[table] = (await conn.execute(statement, params)).rowcount
    return deleted


ASSIGN_THREADS_SQL = """
UPDATE threads SET metadata = metadata || jsonb_build_object('owner', %(owner)s::text)
WHERE thread_id = ANY(%(ids)s::uuid[])
   OR (%(unowned)s AND coalesce(metadata ->> 'owner', '') = '')
RETURNING thread_id::text AS thread_id
"""


async def assign_threads(
    conn: DictConnection, thread_ids: list[str], owner: str, *, unowned: bool
) -> list[str]:
    """Give the runtime's threads ``thread_ids`` (and with ``unowned`` every thread without an
    owner) to ``owner``: their ``metadata.owner``, which the auth handler's filters match. The
    ids of the threads changed, in the caller's transaction (with ``resource_owners``)."""
    params = {"owner": owner, "ids": thread_ids, "unowned": unowned}
    return [
        row["thread_id"]
        for row in await (await conn.execute(ASSIGN_THREADS_SQL, params)).fetchall()
    ]


#: The runtime's tables ``GET /stats`` sizes with ours (absent ones are left out).
WATCHED_TABLES = ["threads", "runs", "retry_counters", "crons", "store_items", "store"]


async def thread_count(conn: DictConnection) -> int:
    """The threads the runtime holds (0 on a database that never ran ``adlaan serve``)."""
    if not await _exists(conn, "threads"):
        return 0
    found = await (await conn.execute("SELECT count(*) AS n FROM threads")).fetchone()
    return int(found["n"]) if found else 0


#: The runtime's columns that hold what a conversation says, sealed with a key
#: (``server/runtime/pg_seal.py``): table -> (its key columns, the sealed columns).
SEALED_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "threads": (("thread_id",), ("values", "interrupts", "error")),
    "runs": (("run_id",), ("kwargs",)),
    "crons": (("cron_id",), ("payload",)),
    "store": (("prefix", "key"), ("value",)),
}


async def reseal(
    conn: DictConnection, rewrite: Callable[[str, Any], Any], *, batch: int = 500
) -> int:
    """Rewrite every sealed value of the runtime's tables (``adlaan db rotate-key``):
    ``rewrite(table, stored JSON)`` gives the new JSON; a row changed meanwhile (a server
    writing) is left as the server wrote it. Rows rewritten, in the caller's transaction."""
    from psycopg import sql
    from psycopg.types.json import Jsonb

    count = 0
    for table, (keys, columns) in SEALED_COLUMNS.items():
        if not await _exists(conn, table):
            continue
        key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
        select = sql.SQL(
            "SELECT {keys}, {columns} FROM {table} WHERE ({keys}) > ({after}) "
            "ORDER BY {keys} LIMIT {limit}"
        )
        first = sql.SQL("SELECT {keys}, {columns} FROM {table} ORDER BY {keys} LIMIT {limit}")
        update = sql.SQL("UPDATE {table} SET {sets} WHERE {match}").format(
            table=sql.Identifier(table),
            sets=sql.SQL(", ").join(
                # None stays what it is (SQL NULL or JSON null: psycopg reads both as None)
                sql.SQL("{c} = coalesce({new}::jsonb, {c})").format(
                    c=sql.Identifier(c), new=sql.Placeholder(f"new_{c}")
                )
                for c in columns
            ),
            match=sql.SQL(" AND ").join(
                [
                    *(
                        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(f"key_{k}"))
                        for k in keys
                    ),
                    *(
                        sql.SQL(
                            "coalesce({c}, 'null'::jsonb) = coalesce({old}::jsonb, 'null'::jsonb)"
                        ).format(c=sql.Identifier(c), old=sql.Placeholder(f"old_{c}"))
                        for c in columns
                    ),
                ]
            ),
        )
        after: tuple | None = None
        while True:
            parts = {
                "keys": key_list,
                "columns": sql.SQL(", ").join(map(sql.Identifier, columns)),
                "table": sql.Identifier(table),
                "limit": sql.Literal(batch),
            }
            if after is None:
                query = first.format(**parts)
            else:
                query = select.format(**parts, after=sql.SQL(", ").join(map(sql.Literal, after)))
            rows = await (await conn.execute(query)).fetchall()
            if not rows:
                break
            for row in rows:
                params: dict[str, Any] = {f"key_{k}": row[k] for k in keys}
                changed = False
                for c in columns:
                    old = row[c]
                    new = rewrite(table, old)
                    changed |= new != old
                    params[f"old_{c}"] = None if old is None else Jsonb(old)
                    params[f"new_{c}"] = None if new is None else Jsonb(new)
                if changed:
                    count += (await conn.execute(update, params)).rowcount
            after = tuple(rows[-1][k] for k in keys)
    return count


def resealed(table: str, value: Any) -> Any:
    """``value`` of a sealed column of ``table`` under the current key (what ``reseal``
    rewrites with during ``adlaan db rotate-key``): decrypted with any key of the ring,
    plaintext written before a key was set included, and encrypted again."""
    if table == "store":
        return crypto.seal_object(crypto.unseal_object(value))
    return crypto.seal_json_text(crypto.unseal_json(value))
