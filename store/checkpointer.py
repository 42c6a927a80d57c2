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
  ``DeltaChannel``, as the stock one does, rather than prune their state away;
- linear storage (``store/checkpoint_delta.py``): a list or dict channel's new value is stored as
  its change from the newest value of the channel the saver knows (an appended message, the
  document's changed lines), and a large write (the whole document a node returns) as its change
  from the value its checkpoint holds; the whole value is stored again only when the changes
  since its last whole copy outweigh that copy four times (``KEYFRAME_RATIO``). A change's type
  in ``checkpoint_blobs`` is ``delta:<serializer type>:<base version>``; reads follow the chain
  in one recursive query, prune and ``adelete_for_runs`` keep every base a kept blob or write
  needs, ``acopy_thread`` copies chains as they are;
- each value stored once: a write that the next checkpoint stores too (the message a node
  appends, the document and terms it returns: compared byte for byte) becomes a reference to
  that value in the statement that saves the checkpoint (``ref:<version>[:<start>:<end>]``);
  values of more than 96 bytes are deflated with a preset dictionary (``z1.<type>``); versions
  are 11 characters (``_compact``; the stock ones are 49 and still sort below them, so a thread
  the stock saver started goes on); a checkpoint's id is not stored again inside its JSON;
- one statement a write: a checkpoint with its blobs and references (``PUT_SQL``), a task's
  writes (``INSERT_WRITES_SQL``), each one round trip and one transaction, serialized in the
  caller's loop (the stock saver pipelines a statement a row, after a hop to a worker thread);
- flat reads: a checkpoint's blobs are fetched by their key (the stock ``SELECT`` hashes every
  blob of the thread), and the state reads (``Pregel.aget_state``, ``aget_state_history``) get
  new lists of messages decoded once and shared between them; any other read (a run's) decodes
  objects of its own, so nothing a reader does to its values reaches a run or the database.
  Threads written this way need this saver to be read; the stock saver cannot. Rows the earlier
  format wrote (10-digit versions, uncompressed, no references) are read and continued;
- with an encrypting serializer (``ADLAAN_ENCRYPTION_KEY``), every channel value goes through
  it into ``checkpoint_blobs``: the stock ``aput`` keeps a ``str``, ``int``, ``float`` or ``bool``
  value inline in the ``checkpoint`` JSONB, in plaintext (``_Primitive``). Without one, nothing
  changes.
"""

from __future__ import annotations

import copy
import random
import string
import sys
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, cast

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.base import _with_msgpack_allowlist as _allowlisted
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
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.types import TASKS, _DeltaSnapshot
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from store.checkpoint_delta import CompressedSerde, apply_chain, compress, decompress, diff
from store.repositories import tombstones

#: Strategies of ``aprune``: the stock two, plus ``turns`` (compaction).
PRUNE_STRATEGIES = ("keep_latest", "turns", "delete")

#: Index that makes ``adelete_for_runs`` cheap; created by the migration step.
RUN_ID_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS checkpoints_run_id_idx "
    "ON checkpoints ((metadata ->> 'run_id')) WHERE metadata ? 'run_id'"
)

TOMBSTONE_SQL = tombstones.TOMBSTONE_SQL

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

# Blob versions the deleted checkpoints used that no remaining checkpoint of the thread uses,
# no stored change is based on, and no remaining write refers to.
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
  AND NOT EXISTS (
      SELECT 1 FROM checkpoint_blobs d
      WHERE d.thread_id = f.thread_id AND d.checkpoint_ns = f.checkpoint_ns
        AND d.channel = f.channel AND d.type LIKE 'delta:%%'
        AND split_part(d.type, ':', 3) = f.version
  )
  AND NOT EXISTS (
      SELECT 1 FROM checkpoint_writes w
      WHERE w.thread_id = f.thread_id AND w.checkpoint_ns = f.checkpoint_ns
        AND w.channel = f.channel
        AND split_part(w.type, ':', CASE WHEN w.type LIKE 'ref:%%' THEN 2 ELSE 3 END) = f.version
        AND (w.type LIKE 'ref:%%' OR w.type LIKE 'delta:%%')
  )
"""

#: ``checkpoint_blobs.type`` of a stored change: ``delta:<serializer type>:<base version>``.
DELTA_PREFIX = "delta:"

# Values stored as changes, their bases, their bases' bases... down to whole values, or to
# versions the saver holds in memory (``known``). Each link is looked up by its whole key (a
# LATERAL subquery with a LIMIT: joined, PostgreSQL scans every blob of the thread per link).
CHAIN_SQL = """
WITH RECURSIVE chain AS (
    SELECT b.channel, b.version, b.type, b.blob, 0 AS depth
    FROM unnest(%(channels)s::text[], %(versions)s::text[]) AS w(channel, version)
    CROSS JOIN LATERAL (
        SELECT x.channel, x.version, x.type, x.blob FROM checkpoint_blobs x
        WHERE x.thread_id = %(thread)s AND x.checkpoint_ns = %(ns)s AND x.channel = w.channel
          AND x.version = w.version
        LIMIT 1
    ) b
    UNION ALL
    SELECT b.channel, b.version, b.type, b.blob, c.depth + 1
    FROM chain c
    CROSS JOIN LATERAL (
        SELECT x.channel, x.version, x.type, x.blob FROM checkpoint_blobs x
        WHERE x.thread_id = %(thread)s AND x.checkpoint_ns = %(ns)s AND x.channel = c.channel
          AND x.version = split_part(c.type, ':', 3)
        LIMIT 1
    ) b
    WHERE c.type LIKE 'delta:%%'
      AND c.channel || '/' || split_part(c.type, ':', 3) <> ALL(%(known)s::text[])
)
SELECT channel, version, type, blob FROM chain ORDER BY channel, depth
"""

# The versions kept writes refer to (``ref:`` and ``delta:`` writes), and the versions stored
# changes of kept checkpoints or of those are based on, however deep: never garbage.
DELTA_BASES_SQL = """
WITH RECURSIVE written AS (
    SELECT w.channel,
           split_part(w.type, ':', CASE WHEN w.type LIKE 'ref:%%' THEN 2 ELSE 3 END) AS version
    FROM checkpoint_writes w
    WHERE w.thread_id = %(thread)s AND w.checkpoint_ns = %(ns)s
      AND (w.type LIKE 'ref:%%' OR w.type LIKE 'delta:%%')
), refs AS (
    SELECT b.channel, b.type FROM checkpoint_blobs b
    WHERE b.thread_id = %(thread)s AND b.checkpoint_ns = %(ns)s AND b.type LIKE 'delta:%%'
      AND (
          EXISTS (
              SELECT 1 FROM checkpoints c
              WHERE c.thread_id = %(thread)s AND c.checkpoint_ns = %(ns)s
                AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version
          )
          OR EXISTS (SELECT 1 FROM written WHERE written.channel = b.channel
                     AND written.version = b.version)
      )
    UNION
    SELECT b.channel, b.type FROM refs r JOIN checkpoint_blobs b
      ON b.thread_id = %(thread)s AND b.checkpoint_ns = %(ns)s AND b.channel = r.channel
     AND b.version = split_part(r.type, ':', 3)
    WHERE r.type LIKE 'delta:%%'
)
SELECT channel, split_part(type, ':', 3) AS version FROM refs WHERE type LIKE 'delta:%%'
UNION
SELECT channel, version FROM written
"""

#: ``checkpoint_writes.type`` of a write whose value a checkpoint stores too (the value a node
#: wrote is the channel's new value, or the messages it appended): ``ref:<version>`` (the
#: whole value of that version) or ``ref:<version>:<start>:<end>`` (those items of a list).
REF_PREFIX = "ref:"

# A checkpoint in one statement (one round trip, one transaction): its new blobs, its row, and
# its parent's writes that become references to what it stores (``refs``; a write saved again
# meanwhile stays as it is). The stock ``aput`` pipelines a statement a blob and one for the
# row, each committed on its own, and the references took a second connection and round trip.
PUT_SQL = """
WITH blobs AS (
    INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT %(thread)s, %(ns)s, b.channel, b.version, b.type, b.blob
    FROM unnest(%(channels)s::text[], %(versions)s::text[], %(types)s::text[],
                %(blobs)s::bytea[]) AS b(channel, version, type, blob)
    ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
), refs AS (
    UPDATE checkpoint_writes w SET type = f.type, blob = ''::bytea
    FROM unnest(%(ref_tasks)s::text[], %(ref_idx)s::int[], %(ref_types)s::text[],
                %(ref_old)s::text[]) AS f(task_id, idx, type, old)
    WHERE w.thread_id = %(thread)s AND w.checkpoint_ns = %(ns)s AND w.checkpoint_id = %(parent)s
      AND w.task_id = f.task_id AND w.idx = f.idx AND w.type = f.old
)
INSERT INTO checkpoints
    (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
VALUES (%(thread)s, %(ns)s, %(id)s, %(parent)s, %(checkpoint)s, %(metadata)s)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
"""

# A task's writes in one statement (the stock ``aput_writes`` pipelines one a write). Writes to
# the special channels (``WRITES_IDX_MAP``: errors, interrupts...) replace what a task wrote
# there before; any other write is kept as first saved.
_WRITES_SQL = """
INSERT INTO checkpoint_writes
    (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)
SELECT %(thread)s, %(ns)s, %(id)s, %(task)s, %(path)s, w.idx, w.channel, w.type, w.blob
FROM unnest(%(idx)s::int[], %(channels)s::text[], %(types)s::text[], %(blobs)s::bytea[])
    AS w(idx, channel, type, blob)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO """
INSERT_WRITES_SQL = _WRITES_SQL + "NOTHING"
UPSERT_WRITES_SQL = _WRITES_SQL + (
    "UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
)

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
SENDS_PARENTS_SQL = """
SELECT c.parent_checkpoint_id AS id
FROM checkpoints c
WHERE c.thread_id = %s AND c.checkpoint_ns = %s AND c.checkpoint_id = ANY(%s)
  AND (c.checkpoint ->> 'v')::int < 4 AND c.parent_checkpoint_id IS NOT NULL
  AND EXISTS (
      SELECT 1 FROM checkpoint_writes w
      WHERE w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns
        AND w.checkpoint_id = c.parent_checkpoint_id AND w.channel = '__pregel_tasks'
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

# The stock SELECT with each of a checkpoint's blobs fetched by its primary key. The stock one
# joins the checkpoint's versions to the thread's blobs, which PostgreSQL plans as a hash of
# every blob of the thread (it cannot see that a checkpoint names a handful): 40 ms a read at
# 1,000 turns, and ten of them for a page of history. A LATERAL subquery with a LIMIT is not
# flattened into a join, so each version is one index lookup.
_SELECT_VALUES = """
select
    thread_id,
    checkpoint,
    checkpoint_ns,
    checkpoint_id,
    parent_checkpoint_id,
    metadata,
    (
        select array_agg(array[bl.channel::bytea, bl.type::bytea, bl.blob])
        from jsonb_each_text(checkpoint -> 'channel_versions') v
        cross join lateral (
            select b.channel, b.type, b.blob from checkpoint_blobs b
            where b.thread_id = checkpoints.thread_id
              and b.checkpoint_ns = checkpoints.checkpoint_ns
              and b.channel = v.key and b.version = v.value
            limit 1
        ) bl
    ) as channel_values,
"""
_SELECT_WRITES = """    (
        select array_agg(array[cw.task_id::text::bytea, cw.channel::bytea, cw.type::bytea,
                               cw.blob, convert_to(cw.task_path, 'UTF8'), cw.idx::text::bytea])
        from checkpoint_writes cw
        where cw.thread_id = checkpoints.thread_id
            and cw.checkpoint_ns = checkpoints.checkpoint_ns
            and cw.checkpoint_id = checkpoints.checkpoint_id
    ) as pending_writes
"""
SELECT_SQL = _SELECT_VALUES + _SELECT_WRITES + "from checkpoints "
#: A ``values_only`` reader's: the checkpoint and its values, no pending writes.
SELECT_VALUES_SQL = _SELECT_VALUES + "    NULL as pending_writes\nfrom checkpoints "

#: ``aget_tuples``: the checkpoints whose (thread, namespace, id) are given, by primary key.
MANY_WHERE_SQL = """WHERE (thread_id, checkpoint_ns, checkpoint_id) IN (
    SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])
)"""

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
        bases = yield DELTA_BASES_SQL, {"thread": thread_id, "ns": ns}, True
        for channel, versions in _garbage_blobs(freed, [*referenced, *bases]).items():
            yield PRUNE_BLOBS_SQL, (thread_id, ns, channel, versions), False


#: Set while the saver serves a state read (``Pregel.aget_state`` / ``aget_state_history``):
#: lists of messages are then handed out as new lists of shared message objects.
_SHARED: ContextVar[bool] = ContextVar("adlaan_checkpointer_shared", default=False)


def _state_reader(frame: Any) -> bool:
    """Whether the saver was called by ``Pregel.aget_state`` or ``aget_state_history``, the
    reads that hand values to a caller and never run a node on them (a run reads through
    ``aget_tuple`` too, from its loop, and gets objects of its own: what its nodes do to them
    is theirs, and what it writes is decoded from nothing another reader holds)."""
    if frame is not None and frame.f_code.co_name == "<listcomp>":
        frame = frame.f_back  # aget_state_history lists in a comprehension (its own frame < 3.12)
    return frame is not None and frame.f_code in _STATE_READS


def _state_read_codes() -> frozenset:
    from langgraph.pregel import Pregel

    return frozenset({Pregel.aget_state.__code__, Pregel.aget_state_history.__code__})


_STATE_READS = _state_read_codes()

#: The connection the current saver call holds, for the reads it needs while holding it.
_CONNECTION: ContextVar[AsyncConnection[DictRow] | None] = ContextVar(
    "adlaan_checkpointer_conn", default=None
)

#: A value stored as changes is stored whole again once its changes outweigh its last whole
#: copy (at least ``KEYFRAME_MIN_BYTES``) ``KEYFRAME_RATIO`` times: a growing value's whole
#: copies then grow fivefold, so they add up to 1.25 times the value, a value of constant size
#: is stored whole every few dozen changes, and a first read (nothing in memory) applies
#: changes no bigger than four times the value.
KEYFRAME_RATIO = 4
KEYFRAME_MIN_BYTES = 2048
#: ...and at the latest after this many changes, which bounds what a first read follows.
KEYFRAME_MAX_LINKS = 512
#: Values (and checkpoints' channel versions) kept decoded in memory, per saver.
CACHE_SIZE = 4096
#: Serialized whole values kept for reads (the newest of each channel, mostly), per saver.
CACHE_BYTES = 64 * 1024 * 1024


_MISSING = object()


class _Primitive:
    """A ``str``/``int``/``float``/``bool`` channel value that the stock ``aput`` must store as
    a blob (through the serializer, which encrypts) rather than inline in the checkpoint's
    JSONB: it is none of the types the stock code inlines; ``_dump_blobs`` unwraps it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _inlined(value: Any) -> bool:
    """Whether the stock ``aput`` would keep ``value`` inline in the checkpoint's JSONB."""
    return value is not None and isinstance(value, (str, int, float, bool))


class _WithoutId(dict):
    """A checkpoint whose stored copy leaves out its id: the row's ``checkpoint_id`` holds it
    (44 bytes a checkpoint); reads put it back. The stock ``aput`` stores ``checkpoint.copy()``
    and takes the id from the checkpoint itself."""

    def copy(self) -> dict:
        stored = dict(self)
        stored.pop("id", None)
        return stored


class _Written(NamedTuple):
    """A write this saver stored whole, which may become a reference (``REF_PREFIX``)."""

    task_id: str
    idx: int
    channel: str
    raw: bytes  # serialized, uncompressed
    length: int | None  # items, when it is a list
    stored_type: str


class _Cached(NamedTuple):
    value: Any  # decoded from stored bytes, never handed out: the base of the next change
    keyframe: int  # bytes of the last whole copy this value's chain starts from
    chain: int  # bytes of the changes since
    whole: tuple[str, bytes] | None = None  # the whole value serialized: a read decodes it
    links: int = 0  # changes since the last whole copy
    # A list of messages decoded once for readers, who each get a new list of these same
    # message objects (see ``_shareable``); None for any other value.
    items: tuple | None = None


def _shareable(value: Any) -> tuple | None:
    """The items of a list that readers may share: LangChain messages, which LangGraph treats
    as values (``add_messages`` replaces a message, it never changes one), so that reading a
    long conversation costs a list of references rather than decoding every message again."""
    if type(value) is list and value and all(isinstance(m, BaseMessage) for m in value):
        return tuple(value)
    return None


def _ours(version: Any) -> bool:
    """Versions with a random part (this saver's, and the stock saver's: 32 digits, a dot, a
    random float) are unique within a thread, so a value can be remembered and diffed by its
    version."""
    if not isinstance(version, str):
        return False
    head, dot, rest = version.partition(".")
    if not (dot and rest):
        return False
    if head.isdigit():
        return len(head) in (VERSION_DIGITS, 32)
    return (
        len(head) >= 2
        and len(head) == ord(head[0]) - ord("a") + 2
        and all(c in _ALPHABET for c in head)
    )


#: The counter width of the versions this saver wrote before its compact ones (still read,
#: and continued: see ``get_next_version``).
VERSION_DIGITS = 10
_ALPHABET = string.digits + string.ascii_lowercase
#: Random characters after a version's counter: two branches that reach the same count never
#: share a blob (36**6 = 2.2 billion).
VERSION_RANDOM = 6


def _change(payload: list) -> list:
    """The change a stored one holds: written as the change itself (a list whose first item is
    its one-letter kind), or, by this saver's first versions, as ``[base version, change]``."""
    return payload[1] if len(payload[0]) > 1 else payload


def _counter(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else int(head[1:], 36)


def _compact(number: int) -> str:
    """``number`` in base 36 after a letter that says how many digits follow (``a`` one,
    ``b`` two...): compact versions compare as strings in the order of their counters, and
    above every all-digit one (the stock saver's, and this saver's older ones)."""
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _ALPHABET[digit] + digits
        if not number:
            break
    return chr(ord("a") + len(digits) - 1) + digits


class _Cache:
    """A bounded LRU (entries, and bytes of serialized values), shared by the event loop and
    the serialisation worker threads."""

    def __init__(self, size: int, max_bytes: int = CACHE_BYTES) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _weight(value: Any) -> int:
        if not isinstance(value, _Cached):
            return 0
        whole, items = value.whole, value.items
        return (len(whole[1] or b"") if whole else 0) + 8 * len(items or ())

    def get(self, key: tuple) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            if (old := self._items.get(key)) is not None:
                self._bytes -= self._weight(old)
            self._items[key] = value
            self._bytes += self._weight(value)
            self._items.move_to_end(key)
            while len(self._items) > self._size or self._bytes > self._max_bytes:
                self._bytes -= self._weight(self._items.popitem(last=False)[1])


class PostgresCheckpointer(AsyncPostgresSaver):
    """The project's checkpointer; see the module docstring for what it adds."""

    SELECT_SQL = SELECT_SQL

    def __init__(
        self, *args: Any, cache_size: int = CACHE_SIZE, values_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        #: a reader that needs checkpoints' values and metadata only (the hooks dispatcher):
        #: their pending writes are not read, and its reads share decoded messages as state
        #: reads do (``_SHARED``), without serializing a whole value again after a change
        self.values_only = values_only
        if values_only:
            self.SELECT_SQL = SELECT_VALUES_SQL
        self.serde = CompressedSerde(self.serde)
        self._cache = _Cache(cache_size)
        self._staged: dict[tuple, _Cached] = {}
        self._written: OrderedDict[tuple, list[_Written]] = OrderedDict()
        self._written_lock = threading.Lock()
        #: values are encrypted: none may stay inline in the checkpoint's JSONB
        self._no_inline = isinstance(self.serde.inner, EncryptedSerializer)

    def with_allowlist(self, extra_allowlist):
        """The stock clone with a derived msgpack allowlist, applied to the serializer inside
        ``CompressedSerde``."""
        inner = cast(CompressedSerde, self.serde).inner
        derived = _allowlisted(inner, extra_allowlist)
        if derived is inner:
            return self
        clone = copy.copy(self)
        clone.serde = CompressedSerde(derived)
        return clone

    # -- linear storage: values stored as changes, read back through a cache -------------
    def _remember(self, thread: str, ns: str, channel: str, version: str, entry: _Cached) -> None:
        self._cache.put(("v", thread, ns, channel, version), entry)
        self._cache.put(("latest", thread, ns, channel), version)

    def _base(self, thread: str, ns: str, channel: str, version: Any) -> _Cached | None:
        """The remembered value of a version, decoded privately (a value remembered from a read
        keeps only its bytes until it is first needed as a base)."""
        found = self._cache.get(("v", thread, ns, channel, version))
        if found is not None and found.value is None:
            whole = found.whole
            if whole is None and found.items is not None:
                whole = self.serde.dumps_typed(list(found.items))
            if whole is None:
                return None
            found = found._replace(value=self.serde.loads_typed(whole))
            self._cache.put(("v", thread, ns, channel, version), found)
        return found

    def _encode(
        self, thread: str, ns: str, channel: str, version: Any, value: Any
    ) -> tuple[str, bytes | None]:
        """The type and bytes a blob is stored as: a change from the newest value of the channel
        this saver knows, or the whole value (then the start of a new chain).

        The value remembered as the next change's base is decoded from stored bytes, never the
        caller's object: a base must stay exactly what the database holds, whatever the graph
        (or a reader) later does to its objects. The whole value's bytes are kept too, so that
        reading this version back decodes them (as the stock saver would) instead of following
        the chain."""
        if not (_ours(version) and type(value) in (list, dict)):
            return compress(self.serde.dumps_typed(value))
        whole = compress(self.serde.dumps_typed(value))
        base_version = self._cache.get(("latest", thread, ns, channel))
        base = base_version and self._base(thread, ns, channel, base_version)
        if (
            base is not None
            and base.links < KEYFRAME_MAX_LINKS
            and (change := diff(base.value, value)) is not None
        ):
            kind, blob = compress(self.serde.dumps_typed(change))
            chain = base.chain + len(blob)
            limit = KEYFRAME_RATIO * max(base.keyframe, KEYFRAME_MIN_BYTES)
            if chain <= limit and 2 * len(blob) < len(whole[1]):
                stored = apply_chain(base.value, [_change(self.serde.loads_typed((kind, blob)))])
                items = None
                if base.items is not None:
                    # decoded again: readers' messages are never the base's objects
                    change = _change(self.serde.loads_typed((kind, blob)))
                    items = _shareable(apply_chain(list(base.items), [change]))
                self._staged[thread, ns, channel, version] = _Cached(
                    stored, base.keyframe, chain, whole, base.links + 1, items
                )
                return f"{DELTA_PREFIX}{kind}:{base_version}", blob
        stored = self.serde.loads_typed(whole)
        items = _shareable(self.serde.loads_typed(whole)) if _shareable(stored) else None
        self._staged[thread, ns, channel, version] = _Cached(
            stored, len(whole[1]), 0, whole, 0, items
        )
        return whole

    def _dump_blobs(self, thread_id, checkpoint_ns, values, versions):
        thread = str(thread_id)
        if self._no_inline:
            values = {k: v.value if type(v) is _Primitive else v for k, v in values.items()}
        return [
            (
                thread_id,
                checkpoint_ns,
                channel,
                version,
                *(
                    self._encode(thread, checkpoint_ns, channel, version, values[channel])
                    if channel in values
                    else ("empty", None)
                ),
            )
            for channel, version in versions.items()
        ]

    def _dump_writes(self, thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, writes):
        """A large write (the whole document a node returns) is stored as its change from a
        stored value of the channel: the one its checkpoint holds, or the newest one known (a
        run can save a step's writes before its checkpoint)."""
        rows = super()._dump_writes(
            thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, writes
        )
        thread = str(thread_id)
        versions = self._cache.get(("c", thread, checkpoint_ns, checkpoint_id)) or {}
        out = []
        written = []
        for row, (channel, value) in zip(rows, writes, strict=True):
            raw = row[8]
            row = (*row[:7], *compress((row[7], row[8])))
            if channel in WRITES_IDX_MAP or channel == TASKS or type(value) not in (list, dict):
                out.append(row)
                continue
            if len(row[8]) < 512:
                length = len(value) if type(value) is list else None
                written.append(_Written(row[3], row[5], channel, raw, length, row[7]))
                out.append(row)
                continue
            for version in (
                versions.get(channel),
                self._cache.get(("latest", thread, checkpoint_ns, channel)),
            ):
                base = _ours(version) and self._base(thread, checkpoint_ns, channel, version)
                if base and (change := diff(base.value, value)) is not None:
                    kind, delta = compress(self.serde.dumps_typed(change))
                    if 2 * len(delta) < len(row[8]):
                        row = (*row[:7], f"{DELTA_PREFIX}{kind}:{version}", delta)
                    break
            length = len(value) if type(value) is list else None
            written.append(_Written(row[3], row[5], channel, raw, length, row[7]))
            out.append(row)
        if written:
            with self._written_lock:
                key = (thread, checkpoint_ns, checkpoint_id)
                self._written.setdefault(key, []).extend(written)
                self._written.move_to_end(key)
                while len(self._written) > CACHE_SIZE:
                    self._written.popitem(last=False)
        return out

    def _references(
        self, thread: str, ns: str, parent_id: str | None, new_versions: ChannelVersions
    ) -> list[tuple[_Written, str]]:
        """The writes of ``parent_id`` whose value the new checkpoint stores (staged by
        ``_dump_blobs`` for the statement that saves it): the channel's new value itself, or the
        items a list ends with. Compared byte for byte."""
        with self._written_lock:
            written = self._written.pop((thread, ns, parent_id), [])
        refs = []
        for write in written:
            version = new_versions.get(write.channel)
            entry = (
                self._staged.get((thread, ns, write.channel, version))
                or self._base(thread, ns, write.channel, version)
                if version
                else None
            )
            if entry is None or entry.value is None or entry.whole is None:
                continue
            size = len(entry.value)
            if write.length in (None, size) and decompress(entry.whole)[1] == write.raw:
                refs.append((write, f"{REF_PREFIX}{version}"))
            elif write.length and type(entry.value) is list and size > write.length:
                start = len(entry.value) - write.length
                tail = self.serde.dumps_typed(entry.value[start:])[1]
                if tail == write.raw:
                    refs.append((write, f"{REF_PREFIX}{version}:{start}:{len(entry.value)}"))
        return refs

    def get_next_version(self, current: str | int | None, channel: None) -> str:
        """The next version: a compact counter (``_compact``) and a random part, so two
        branches that reach the same count never share a blob. A checkpoint row holds about
        eight versions and every blob row one or two: the stock saver's 49 characters would
        cost ~1.5 KB a turn."""
        if current is None:
            number = 0
        elif isinstance(current, int):
            number = current
        else:
            number = _counter(current)
        suffix = "".join(random.choices(_ALPHABET, k=VERSION_RANDOM))
        return f"{_compact(number + 1)}.{suffix}"

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """The stock ``aput`` as one statement (``PUT_SQL``), with the parent's writes that the
        checkpoint stores turned into references in it; the values it stored become known
        (decoded) to this saver once the write succeeded. Values are serialized here, not in a
        worker thread: a checkpoint's few kilobytes cost less than the hand-off."""
        configurable = config["configurable"]
        thread_id = configurable["thread_id"]
        thread = str(thread_id)
        ns = configurable.get("checkpoint_ns", "")
        parent_id = configurable.get("checkpoint_id")
        keys = [(thread, ns, channel, version) for channel, version in new_versions.items()]
        # A run saves a step's writes while its checkpoint is still being saved.
        self._cache.put(("c", thread, ns, checkpoint["id"]), dict(checkpoint["channel_versions"]))
        stored, blob_versions = checkpoint, new_versions
        sealed: list[tuple] = []
        if self._no_inline:
            stored, blob_versions, sealed = self._without_inline(
                thread, ns, checkpoint, new_versions
            )
        row = _WithoutId(stored).copy()
        values = row["channel_values"] = dict(row["channel_values"])
        # as the stock aput: primitives stay inline in the row, the rest become blobs
        blob_values = {}
        for channel, value in stored["channel_values"].items():
            if isinstance(value, _DeltaSnapshot):
                blob_values[channel] = values.pop(channel)
                values[channel] = True
            elif value is None or isinstance(value, (str, int, float, bool)):
                continue
            else:
                blob_values[channel] = values.pop(channel)
        try:
            blobs = self._dump_blobs(
                thread_id,
                ns,
                blob_values,
                {k: v for k, v in blob_versions.items() if k in blob_values},
            )
            refs = self._references(thread, ns, parent_id, new_versions) if parent_id else []
            async with self._cursor() as cur:
                await cur.execute(
                    PUT_SQL,
                    {
                        "thread": thread,
                        "ns": ns,
                        "id": checkpoint["id"],
                        "parent": parent_id,
                        "checkpoint": Jsonb(row),
                        "metadata": Jsonb(get_serializable_checkpoint_metadata(config, metadata)),
                        "channels": [b[2] for b in blobs],
                        "versions": [b[3] for b in blobs],
                        "types": [b[4] for b in blobs],
                        "blobs": [b[5] for b in blobs],
                        "ref_tasks": [w.task_id for w, _ in refs],
                        "ref_idx": [w.idx for w, _ in refs],
                        "ref_types": [ref for _, ref in refs],
                        "ref_old": [w.stored_type for w, _ in refs],
                    },
                )
        except BaseException:
            for key in keys:
                self._staged.pop(key, None)
            raise
        for key in sealed:
            self._cache.put(key, True)
        for key in keys:
            if (entry := self._staged.pop(key, None)) is not None:
                self._remember(key[0], key[1], key[2], str(key[3]), entry)
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": ns,
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """The stock ``aput_writes`` as one statement (``INSERT_WRITES_SQL`` or, when every
        write is to a special channel, ``UPSERT_WRITES_SQL``), serialized here."""
        configurable = config["configurable"]
        thread_id, ns = configurable["thread_id"], configurable["checkpoint_ns"]
        upsert = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        rows = self._dump_writes(
            thread_id, ns, configurable["checkpoint_id"], task_id, task_path, writes
        )
        if not rows:
            return
        if len({row[5] for row in rows}) < len(rows):
            # One row a key, as the stock statement a write leaves it: the last of an upsert,
            # the first otherwise (one statement may not touch a row twice).
            kept: dict[int, tuple] = {}
            for row in rows:
                if upsert or row[5] not in kept:
                    kept[row[5]] = row
            rows = list(kept.values())
        async with self._cursor() as cur:
            await cur.execute(
                UPSERT_WRITES_SQL if upsert else INSERT_WRITES_SQL,
                {
                    "thread": str(thread_id),
                    "ns": ns,
                    "id": configurable["checkpoint_id"],
                    "task": task_id,
                    "path": task_path,
                    "idx": [row[5] for row in rows],
                    "channels": [row[6] for row in rows],
                    "types": [row[7] for row in rows],
                    "blobs": [row[8] for row in rows],
                },
            )

    def _without_inline(
        self, thread: str, ns: str, checkpoint: Checkpoint, new_versions: ChannelVersions
    ) -> tuple[Checkpoint, ChannelVersions, list[tuple]]:
        """With an encrypting serializer: the checkpoint with each primitive value wrapped so
        that the stock ``aput`` stores it as a blob, the versions whose blobs it must write (a
        primitive that did not change is written too unless this saver knows its blob is
        stored: the previous checkpoint may have held it inline, written before a key was
        set), and the cache keys to remember once saved."""
        values = checkpoint["channel_values"]
        current = checkpoint["channel_versions"]
        boxed = {k: v for k, v in values.items() if _inlined(v) and k in current}
        if not boxed:
            return checkpoint, new_versions, []
        versions = dict(new_versions)
        sealed = []
        for channel in boxed:
            key = ("sealed", thread, ns, channel, str(current[channel]))
            if channel not in versions and self._cache.get(key) is None:
                versions[channel] = current[channel]
            sealed.append(key)
        wrapped = {**values, **{k: _Primitive(v) for k, v in boxed.items()}}
        return cast(Checkpoint, {**checkpoint, "channel_values": wrapped}), versions, sealed

    @asynccontextmanager
    async def _side_cursor(self) -> AsyncIterator[AsyncCursor[DictRow]]:
        """A cursor on the connection the current call holds (taking another could wait on a
        pool the caller itself exhausts, or on the single connection's lock)."""
        conn = _CONNECTION.get()
        if conn is None:
            async with self._cursor() as cur:
                yield cur
            return
        async with conn.cursor(binary=True, row_factory=dict_row) as cur:
            yield cur

    async def _resolve(
        self, thread: str, ns: str, wanted: dict[str, str], *, use_memory: bool = True
    ) -> dict[str, Any]:
        """Values of several channels (``{channel: version}``), decoded afresh (a caller owns
        what it reads): their chains of changes, read in one query down to a whole value or to
        the newest version held in memory. What it read is remembered (its bytes), so reading
        the thread on costs one change per new version."""
        known = {
            channel: latest
            for channel in wanted
            if use_memory
            and (latest := self._cache.get(("latest", thread, ns, channel))) is not None
        }
        async with self._side_cursor() as cur:
            await cur.execute(
                CHAIN_SQL,
                {
                    "thread": thread,
                    "ns": ns,
                    "channels": list(wanted),
                    "versions": list(wanted.values()),
                    "known": [f"{channel}/{version}" for channel, version in known.items()],
                },
                prepare=False,
            )
            rows = await cur.fetchall()
        by_channel: dict[str, list[DictRow]] = {}
        for row in rows:
            by_channel.setdefault(row["channel"], []).append(row)
        out = {}
        for channel, version in wanted.items():
            changes: list[Any] = []
            links = chain = 0
            base = _MISSING
            for row in by_channel.get(channel, ()):
                kind = row["type"]
                if not kind.startswith(DELTA_PREFIX):
                    base, keyframe = self.serde.loads_typed((kind, row["blob"])), len(row["blob"])
                    break
                inner, base_version = kind[len(DELTA_PREFIX) :].split(":", 1)
                changes.append(_change(self.serde.loads_typed((inner, row["blob"]))))
                links, chain = links + 1, chain + len(row["blob"])
                if base_version == known.get(channel):
                    held = self._cache.get(("v", thread, ns, channel, base_version))
                    share = _SHARED.get() and held is not None and held.items is not None
                    if held is not None and (share or held.whole is not None):
                        base = (
                            list(cast(tuple, held.items))
                            if share
                            else self.serde.loads_typed(cast(tuple, held.whole))
                        )
                        keyframe = held.keyframe
                        links, chain = links + held.links, chain + held.chain
                    break
            if base is _MISSING and use_memory and channel in known:
                # The version held in memory was evicted meanwhile: read the whole chain.
                retry = await self._resolve(thread, ns, {channel: version}, use_memory=False)
                out[channel] = retry[channel]
                continue
            if base is _MISSING:
                raise LookupError(
                    f"checkpoint value {channel}@{version} of thread {thread!r} lost its base"
                )
            value = apply_chain(base, changes[::-1]) if changes else base
            out[channel] = value
            if not _ours(version) or type(value) not in (list, dict):
                continue
            items = _shareable(value) if _SHARED.get() else None
            whole = self._whole(value, items)
            if items is not None:
                out[channel] = list(items)
            self._remember(
                thread, ns, channel, version, _Cached(None, keyframe, chain, whole, links, items)
            )
        return out

    def _whole(self, value: Any, items: tuple | None) -> tuple[str, bytes] | None:
        """The bytes a value read from changes is remembered by: a ``values_only`` reader,
        whose reads all share decoded messages, keeps only the messages (it never writes,
        and ``_base`` serializes them if it ever must)."""
        if self.values_only and items is not None:
            return None
        return self.serde.dumps_typed(value)

    def _known(self, thread: str, ns: str, channel: str, version: Any) -> Any:
        """A value this saver holds: for a state read, a new list of the shared messages;
        otherwise a new copy decoded from the whole bytes kept; or MISSING."""
        known = self._cache.get(("v", thread, ns, channel, version))
        if known is None:
            return _MISSING
        share = _SHARED.get()
        if share and known.items is not None:
            return list(known.items)
        if known.whole is None:
            return _MISSING
        value = self.serde.loads_typed(known.whole)
        if share and (items := _shareable(value)) is not None:
            self._cache.put(("v", thread, ns, channel, version), known._replace(items=items))
        return value

    def _decode_whole(
        self, thread: str, ns: str, channel: str, version: Any, kind: str, blob: bytes
    ) -> Any:
        """A value stored whole; a list of messages is decoded once and then shared."""
        key = ("v", thread, ns, channel, version)
        share = _SHARED.get() and _ours(version)
        cached = self._cache.get(key) if share else None
        if cached is not None and cached.items is not None:
            return list(cached.items)
        value = self.serde.loads_typed((kind, blob))
        if share and (items := _shareable(value)) is not None:
            entry = cached or _Cached(None, len(blob), 0, (kind, blob))
            self._cache.put(key, entry._replace(items=items))
        return value

    def _applied(
        self, thread: str, ns: str, channel: str, version: Any, kind: str, blob: bytes
    ) -> Any:
        """A value stored as one change from a version this saver holds, applied to it here
        without reading the chain (a reader following a thread in order); or MISSING. What
        it remembers is what ``_resolve`` would."""
        inner, base_version = kind[len(DELTA_PREFIX) :].split(":", 1)
        held = self._cache.get(("v", thread, ns, channel, base_version))
        if held is None:
            return _MISSING
        share = _SHARED.get()
        if share and held.items is not None:
            base = list(held.items)
        elif held.whole is not None:
            base = self.serde.loads_typed(held.whole)
        else:
            return _MISSING
        value = apply_chain(base, [_change(self.serde.loads_typed((inner, blob)))])
        if not _ours(version) or type(value) not in (list, dict):
            return value
        items = _shareable(value) if share else None
        whole = self._whole(value, items)
        entry = _Cached(None, held.keyframe, held.chain + len(blob), whole, held.links + 1, items)
        self._remember(thread, ns, channel, version, entry)
        return value if items is None else list(items)

    async def _fresh(self, thread: str, ns: str, channel: str, version: str) -> Any:
        value = self._known(thread, ns, channel, version)
        if value is _MISSING:
            value = (await self._resolve(thread, ns, {channel: version}))[channel]
        return value

    async def aget_tuples(self, configs: Sequence[RunnableConfig]) -> list[CheckpointTuple | None]:
        """The checkpoints ``configs`` name (each its thread, namespace and id), read in one
        statement and decoded in the order given, each None if it does not exist: what a
        ``values_only`` reader following many threads (the hooks dispatcher) reads for a batch,
        rather than one ``aget_tuple`` each. Given oldest first, a thread's checkpoints each
        apply their change to the value read before them."""
        keys = [
            (
                str(c["configurable"]["thread_id"]),
                c["configurable"].get("checkpoint_ns", ""),
                str(c["configurable"]["checkpoint_id"]),
            )
            for c in configs
        ]
        if not keys:
            return []
        token = _SHARED.set(self.values_only)
        try:
            async with self._cursor() as cur:
                await cur.execute(
                    self.SELECT_SQL + MANY_WHERE_SQL,
                    tuple(list(column) for column in zip(*keys, strict=True)),
                    binary=True,
                )
                rows = {
                    (str(r["thread_id"]), r["checkpoint_ns"], r["checkpoint_id"]): r
                    for r in await cur.fetchall()
                }
                out: list[CheckpointTuple | None] = []
                older: list[int] = []
                for i, key in enumerate(keys):
                    row = rows.get(key)
                    if row is not None and row["checkpoint"]["v"] < 4:
                        older.append(i)  # its parent's pending sends join its values
                        row = None
                    out.append(None if row is None else await self._load_checkpoint_tuple(row))
        finally:
            _SHARED.reset(token)
        for i in older:  # read one by one, as the stock read does
            out[i] = await self.aget_tuple(configs[i])
        return out

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The stock read; a state read (``aget_state``) shares decoded messages."""
        token = _SHARED.set(self.values_only or _state_reader(sys._getframe(1)))
        try:
            return await super().aget_tuple(config)
        finally:
            _SHARED.reset(token)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The stock listing; a history read (``aget_state_history``) shares decoded
        messages."""
        share = self.values_only or _state_reader(sys._getframe(1))
        rows = cast(
            AsyncGenerator, super().alist(config, filter=filter, before=before, limit=limit)
        )
        try:
            while True:
                token = _SHARED.set(share)
                try:
                    item = await anext(rows)
                except StopAsyncIteration:
                    return
                finally:
                    _SHARED.reset(token)
                yield item
        finally:
            await rows.aclose()

    async def _load_checkpoint_tuple(self, value: DictRow) -> CheckpointTuple:
        """The stock row-to-tuple, with values stored as changes resolved, and decoded values
        taken from (and given to) the cache."""
        thread, ns, checkpoint_id = (
            str(value["thread_id"]),
            value["checkpoint_ns"],
            value["checkpoint_id"],
        )
        checkpoint = value["checkpoint"]
        versions = checkpoint.get("channel_versions") or {}
        values = dict(checkpoint.get("channel_values") or {})
        chained: dict[str, str] = {}
        for raw_channel, raw_kind, blob in value["channel_values"] or []:
            channel, kind = raw_channel.decode(), raw_kind.decode()
            if kind == "empty":
                continue
            if not kind.startswith(DELTA_PREFIX):
                values[channel] = self._decode_whole(
                    thread, ns, channel, versions.get(channel), kind, blob
                )
            elif (known := self._known(thread, ns, channel, versions[channel])) is not _MISSING:
                values[channel] = known
            elif (
                applied := self._applied(thread, ns, channel, versions[channel], kind, blob)
            ) is not _MISSING:
                values[channel] = applied
            else:
                chained[channel] = versions[channel]
        if chained:
            values.update(await self._resolve(thread, ns, chained))
        writes = []
        for task_id, raw_channel, raw_kind, blob, _path, _idx in sorted(
            () if self.values_only else value["pending_writes"] or [],
            key=lambda w: writes_sort_key(w[4].decode(), w[0].decode(), int(w[5])),
        ):
            channel, kind = raw_channel.decode(), raw_kind.decode()
            if kind.startswith(REF_PREFIX):
                version, *span = kind[len(REF_PREFIX) :].split(":")
                whole = await self._fresh(thread, ns, channel, version)
                written = whole[int(span[0]) : int(span[1])] if span else whole
            elif kind.startswith(DELTA_PREFIX):
                inner, base_version = kind[len(DELTA_PREFIX) :].split(":", 1)
                base = await self._fresh(thread, ns, channel, base_version)
                written = apply_chain(base, [_change(self.serde.loads_typed((inner, blob)))])
            else:
                written = self.serde.loads_typed((kind, blob))
            writes.append((task_id.decode(), channel, written))
        if _ours(next(iter(versions.values()), None)):
            self._cache.put(("c", thread, ns, checkpoint_id), dict(versions))
        parent = value["parent_checkpoint_id"]
        return CheckpointTuple(
            {
                "configurable": {
                    "thread_id": thread,
                    "checkpoint_ns": ns,
                    "checkpoint_id": checkpoint_id,
                }
            },
            cast(Checkpoint, {**checkpoint, "id": checkpoint_id, "channel_values": values}),
            value["metadata"],
            {"configurable": {"thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": parent}}
            if parent
            else None,
            writes,
        )

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        # On a pool every checkout is a connection of its own: the stock saver's lock (needed
        # for a single shared connection) would only serialise unrelated threads.
        if not isinstance(self.conn, AsyncConnectionPool) or self.pipe is not None:
            async with super()._cursor(pipeline=pipeline) as cur:
                previous = _CONNECTION.get()
                _CONNECTION.set(cur.connection)
                try:
                    yield cur
                finally:
                    # set, not reset: an async generator (alist) can be closed in another context
                    _CONNECTION.set(previous)
            return
        async with self.conn.connection() as conn:
            previous = _CONNECTION.get()
            _CONNECTION.set(conn)
            try:
                async with self._pool_cursor(conn, pipeline) as cur:
                    yield cur
            finally:
                # set, not reset: an async generator (alist) can be closed in another context
                _CONNECTION.set(previous)

    @asynccontextmanager
    async def _pool_cursor(
        self, conn: AsyncConnection[DictRow], pipeline: bool
    ) -> AsyncIterator[AsyncCursor[DictRow]]:
        if pipeline and self.supports_pipeline:
            async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                yield cur
        elif pipeline:
            async with conn.transaction(), conn.cursor(binary=True, row_factory=dict_row) as cur:
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
