"""``PostgresCheckpointer``: langgraph-checkpoint-postgres's ``AsyncPostgresSaver``, completed.

What the stock saver (3.2.0) lacks, and this adds:

- no saver-wide ``asyncio.Lock`` when it runs on a pool: each query checks out its own
  connection, so different threads are served in parallel (the stock saver serialises every
  query of the process through one lock);
- ``adelete_thread`` leaves a tombstone (``deleted_threads``): a trigger refuses later writes, so a
  run still in flight cannot bring a deleted thread back;
- ``acopy_thread`` as three set-based ``INSERT … SELECT`` statements in one transaction
  (langgraph-api's fallback re-inserts a thread checkpoint by checkpoint through ``aput``);
- ``adelete_for_runs`` (``multitask_strategy="rollback"`` cleans up the cancelled run), backed by
  an index on ``metadata->>'run_id'`` that the migration creates;
- ``aprune("keep_latest")`` that keeps the head of *every* branch (the stock one keeps the newest
  checkpoint by id, deleting the other branch's head after a fork), and ``aprune("turns")``
  which compacts history to turn boundaries plus every branch head, re-linking each kept
  checkpoint to its nearest kept ancestor so history stays a tree. Both keep what the stock
  prune keeps (a pre-v4 checkpoint's pending sends, in its parent), delete finished subgraph
  calls with the root checkpoint they started from, and refuse threads that use a
  ``DeltaChannel``, as the stock one does, rather than prune their state away.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.postgres import aio as _aio
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.postgres.base import (
    PRUNE_BLOBS_SQL,
    PRUNE_DELETE_THREADS_SQL,
    PRUNE_DELTA_THREADS_SQL,
    PRUNE_HEADS_SQL,
    PRUNE_REFERENCED_BLOBS_SQL,
    PRUNE_SNAPSHOT_SQL,
    PRUNE_SUBGRAPH_CALLS_SQL,
    PRUNE_WRITES_SQL,
    _garbage_blobs,
)
from langgraph.checkpoint.serde.types import TASKS
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

#: Strategies of ``aprune``: the stock two, plus ``turns`` (compaction).
PRUNE_STRATEGIES = ("keep_latest", "turns", "delete")

#: Index that makes ``adelete_for_runs`` cheap; created by the migration step.
RUN_ID_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS checkpoints_run_id_idx "
    "ON checkpoints ((metadata ->> 'run_id')) WHERE metadata ? 'run_id'"
)

TOMBSTONE_SQL = """
INSERT INTO deleted_threads (thread_id) SELECT unnest(%s::text[])
ON CONFLICT (thread_id) DO UPDATE SET deleted_at = now()
"""

COPY_THREAD_SQL = (
    """
    INSERT INTO checkpoints
        (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
    SELECT %(target)s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
           CASE WHEN metadata ? 'thread_id'
                THEN jsonb_set(metadata, '{thread_id}', to_jsonb(%(target)s::text))
                ELSE metadata END
    FROM checkpoints WHERE thread_id = %(source)s
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT %(target)s, checkpoint_ns, channel, version, type, blob
    FROM checkpoint_blobs WHERE thread_id = %(source)s
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO checkpoint_writes
        (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)
    SELECT %(target)s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob
    FROM checkpoint_writes WHERE thread_id = %(source)s
    ON CONFLICT DO NOTHING
    """,
)

# Checkpoints a run wrote, with the blob versions they referenced, deleted in one statement.
DELETE_RUNS_SQL = """
WITH deleted AS (
    DELETE FROM checkpoints
    WHERE metadata ? 'run_id' AND metadata ->> 'run_id' = ANY(%s)
    RETURNING thread_id, checkpoint_ns, checkpoint_id, checkpoint -> 'channel_versions' AS versions
), writes AS (
    DELETE FROM checkpoint_writes w USING deleted d
    WHERE w.thread_id = d.thread_id AND w.checkpoint_ns = d.checkpoint_ns
      AND w.checkpoint_id = d.checkpoint_id
)
SELECT DISTINCT d.thread_id, d.checkpoint_ns, v.key AS channel, v.value AS version
FROM deleted d CROSS JOIN LATERAL jsonb_each_text(d.versions) AS v
"""

# Blob versions the deleted checkpoints used that no remaining checkpoint of the thread uses.
DELETE_ORPHAN_BLOBS_SQL = """
DELETE FROM checkpoint_blobs b
USING unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS f(thread_id, checkpoint_ns, channel, version)
WHERE b.thread_id = f.thread_id AND b.checkpoint_ns = f.checkpoint_ns
  AND b.channel = f.channel AND b.version = f.version
  AND NOT EXISTS (
      SELECT 1 FROM checkpoints c
      WHERE c.thread_id = f.thread_id AND c.checkpoint_ns = f.checkpoint_ns
        AND c.checkpoint -> 'channel_versions' ->> f.channel = f.version
  )
"""

# Checkpoints that no other checkpoint of the thread names as its parent: every branch's head.
BRANCH_HEADS_SQL = """
SELECT c.checkpoint_ns, array_agg(c.checkpoint_id) AS ids
FROM checkpoints c
WHERE c.thread_id = %s
  AND NOT EXISTS (
      SELECT 1 FROM checkpoints child
      WHERE child.thread_id = c.thread_id AND child.checkpoint_ns = c.checkpoint_ns
        AND child.parent_checkpoint_id = c.checkpoint_id
  )
GROUP BY c.checkpoint_ns
"""

# Branch heads, plus the last checkpoint of every run (a turn boundary: where a run stopped)
# and every checkpoint written outside a run (update_state, forks): what a user can step to.
# A child continues its parent's run when it has the same run id (or neither has one, as with
# the Python API) and is not the ``input`` checkpoint every invocation starts with.
TURN_BOUNDARIES_SQL = """
SELECT c.checkpoint_ns, array_agg(c.checkpoint_id) AS ids
FROM checkpoints c
WHERE c.thread_id = %s
  AND (
      NOT EXISTS (
          SELECT 1 FROM checkpoints child
          WHERE child.thread_id = c.thread_id AND child.checkpoint_ns = c.checkpoint_ns
            AND child.parent_checkpoint_id = c.checkpoint_id
            AND child.metadata ->> 'run_id' IS NOT DISTINCT FROM c.metadata ->> 'run_id'
            AND child.metadata ->> 'source' IS DISTINCT FROM 'input'
      )
      OR c.metadata ->> 'source' IN ('update', 'fork')
  )
GROUP BY c.checkpoint_ns
"""

# A kept checkpoint older than format v4 reads its pending sends from its parent's writes,
# so that parent stays too.
SENDS_PARENTS_SQL = f"""
SELECT c.parent_checkpoint_id AS id
FROM checkpoints c
WHERE c.thread_id = %s AND c.checkpoint_ns = %s AND c.checkpoint_id = ANY(%s)
  AND (c.checkpoint ->> 'v')::int < 4 AND c.parent_checkpoint_id IS NOT NULL
  AND EXISTS (
      SELECT 1 FROM checkpoint_writes w
      WHERE w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns
        AND w.checkpoint_id = c.parent_checkpoint_id AND w.channel = '{TASKS}'
  )
"""

# Point each kept checkpoint at its nearest kept ancestor (NULL when it has none).
RELINK_SQL = """
WITH RECURSIVE kept AS (
    SELECT unnest(%(ids)s::text[]) AS checkpoint_id
), walk AS (
    SELECT c.checkpoint_id AS start, c.parent_checkpoint_id AS ancestor, 1 AS depth
    FROM checkpoints c JOIN kept k ON k.checkpoint_id = c.checkpoint_id
    WHERE c.thread_id = %(thread)s AND c.checkpoint_ns = %(ns)s
    UNION ALL
    SELECT w.start, p.parent_checkpoint_id, w.depth + 1
    FROM walk w JOIN checkpoints p
      ON p.thread_id = %(thread)s AND p.checkpoint_ns = %(ns)s AND p.checkpoint_id = w.ancestor
    WHERE w.ancestor IS NOT NULL AND w.ancestor <> ALL(%(ids)s::text[])
), nearest AS (
    SELECT DISTINCT ON (start) start,
           CASE WHEN ancestor = ANY(%(ids)s::text[]) THEN ancestor END AS parent
    FROM walk
    WHERE ancestor IS NULL OR ancestor = ANY(%(ids)s::text[])
       OR NOT EXISTS (SELECT 1 FROM checkpoints p WHERE p.thread_id = %(thread)s
                      AND p.checkpoint_ns = %(ns)s AND p.checkpoint_id = walk.ancestor)
    ORDER BY start, depth
)
UPDATE checkpoints c SET parent_checkpoint_id = n.parent
FROM nearest n
WHERE c.thread_id = %(thread)s AND c.checkpoint_ns = %(ns)s AND c.checkpoint_id = n.start
  AND c.parent_checkpoint_id IS DISTINCT FROM n.parent
"""

DELETE_UNKEPT_SQL = """
WITH deleted AS (
    DELETE FROM checkpoints
    WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id <> ALL(%s)
    RETURNING checkpoint_id, checkpoint -> 'channel_versions' AS versions
)
SELECT d.checkpoint_id, v.key AS channel, v.value AS version
FROM deleted d LEFT JOIN LATERAL jsonb_each_text(d.versions) AS v ON true
"""

_Statements = Generator[tuple[str, Any, bool], list[DictRow], None]


def _refuse_delta_threads(thread_ids: Sequence[str], strategy: str) -> _Statements:
    """Refuse, as the stock saver does, to prune threads whose graphs use a ``DeltaChannel``:
    their state is rebuilt from the writes of ancestors that pruning would delete."""
    rows = yield PRUNE_DELTA_THREADS_SQL, (list(thread_ids), list(thread_ids)), True
    if delta := sorted(r["thread_id"] for r in rows):
        raise NotImplementedError(
            f"{strategy} can't prune threads that use a DeltaChannel: {', '.join(delta)}"
        )


def _prune_keeping(thread_id: str, keep_sql: str, strategy: str) -> _Statements:
    """One thread's prune, in one snapshot: keep what ``keep_sql`` selects per namespace (and
    the parents holding a pre-v4 checkpoint's sends), delete the rest, re-link the kept ones,
    then drop writes and blobs nothing kept refers to. A finished subgraph call's namespace
    goes whole with the root checkpoint it started from."""
    yield PRUNE_SNAPSHOT_SQL, (), False
    heads = yield PRUNE_HEADS_SQL, (thread_id,) * 4, True
    # Catches a thread that started using a DeltaChannel after the batch check.
    yield from _refuse_delta_threads([thread_id], strategy)
    kept_rows = yield keep_sql, (thread_id,), True
    kept = {r["checkpoint_ns"]: list(r["ids"]) for r in kept_rows}
    # A subgraph call's namespace ends with its task id after a ":" (a `checkpointer=True`
    # subgraph's does not: its state outlives each call). Runs save in the background, so a
    # call whose root checkpoint is not saved yet is left alone.
    calls = sorted(
        h["checkpoint_ns"]
        for h in heads
        if ":" in h["checkpoint_ns"] and h["root_saved"] and h["root"] not in kept.get("", ())
    )
    if calls:
        for sql in PRUNE_SUBGRAPH_CALLS_SQL:
            yield sql, (thread_id, calls), False
    for ns, ids in kept.items():
        if ns in calls:
            continue
        parents = yield SENDS_PARENTS_SQL, (thread_id, ns, ids), True
        ids = sorted({*ids, *(r["id"] for r in parents)})
        yield RELINK_SQL, {"ids": ids, "thread": thread_id, "ns": ns}, False
        deleted = yield DELETE_UNKEPT_SQL, (thread_id, ns, ids), True
        if not deleted:
            continue
        gone = sorted({r["checkpoint_id"] for r in deleted})
        yield PRUNE_WRITES_SQL, (thread_id, ns, gone), False
        freed = [r for r in deleted if r["channel"] is not None]
        referenced = yield PRUNE_REFERENCED_BLOBS_SQL, (thread_id, ns), True
        for channel, versions in _garbage_blobs(freed, referenced).items():
            yield PRUNE_BLOBS_SQL, (thread_id, ns, channel, versions), False


class PostgresCheckpointer(AsyncPostgresSaver):
    """The project's checkpointer; see the module docstring for what it adds."""

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        # On a pool every checkout is a connection of its own: the stock saver's lock (needed
        # for a single shared connection) would only serialise unrelated threads.
        if not isinstance(self.conn, AsyncConnectionPool) or self.pipe is not None:
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        async with self.conn.connection() as conn:
            if pipeline and self.supports_pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            elif pipeline:
                async with (
                    conn.transaction(),
                    conn.cursor(binary=True, row_factory=dict_row) as cur,
                ):
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete a thread's checkpoints, writes and blobs, and leave a tombstone so that a run
        still in flight cannot write the thread back."""
        async with self._cursor() as cur, cur.connection.transaction():
            await cur.execute(TOMBSTONE_SQL, ([str(thread_id)],))
            for sql in PRUNE_DELETE_THREADS_SQL:
                await cur.execute(sql, ([str(thread_id)],))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and pending write of a thread, in one transaction."""
        params = {"source": str(source_thread_id), "target": str(target_thread_id)}
        async with self._cursor() as cur, cur.connection.transaction():
            for sql in COPY_THREAD_SQL:
                await cur.execute(sql, params)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes and now-unused blobs) the runs wrote."""
        run_ids = [str(r) for r in run_ids]
        if not run_ids:
            return
        async with self._cursor() as cur, cur.connection.transaction():
            await cur.execute(DELETE_RUNS_SQL, (run_ids,), prepare=False)
            freed = await cur.fetchall()
            if freed:
                columns = ("thread_id", "checkpoint_ns", "channel", "version")
                await cur.execute(
                    DELETE_ORPHAN_BLOBS_SQL,
                    tuple([r[c] for r in freed] for c in columns),
                    prepare=False,
                )

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Prune threads: ``keep_latest`` keeps every branch head, ``turns`` keeps turn
        boundaries too, ``delete`` removes the threads."""
        if isinstance(thread_ids, str):
            raise TypeError("thread_ids must be a sequence of thread IDs, not a str")
        if strategy not in PRUNE_STRATEGIES:
            raise ValueError(f"Unknown prune strategy: {strategy!r}; use one of {PRUNE_STRATEGIES}")
        thread_ids = [str(t) for t in thread_ids]
        if not thread_ids:
            return
        if strategy == "delete":
            async with self._cursor() as cur, cur.connection.transaction():
                await cur.execute(TOMBSTONE_SQL, (thread_ids,))
                for sql in PRUNE_DELETE_THREADS_SQL:
                    await cur.execute(sql, (thread_ids,))
            return
        keep_sql = BRANCH_HEADS_SQL if strategy == "keep_latest" else TURN_BOUNDARIES_SQL
        async with self._cursor() as cur:
            await _aio._aexecute(cur, _refuse_delta_threads(thread_ids, strategy))
        for thread_id in thread_ids:
            async with self._cursor() as cur:
                if self.pipe:
                    # The transaction must start with its isolation level, and in pipeline
                    # mode it would take in what ran since the last sync.
                    await self.pipe.sync()
                async with cur.connection.transaction():
                    # One snapshot: what a run saves meanwhile is neither seen nor deleted.
                    await _aio._aexecute(cur, _prune_keeping(thread_id, keep_sql, strategy))
