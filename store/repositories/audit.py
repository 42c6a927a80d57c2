"""Writing and reading the audit log (``audit_logs``): who did what to which target, and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from psycopg.types.json import Jsonb

from store.db import DictConnection

#: (actor, action, target, details, dedupe_key): writers that may replay (the mirror) or repeat
#: (refused requests) set ``dedupe_key``, and a second entry with the same key is a no-op.
INSERT_SQL = """
INSERT INTO audit_logs (actor, action, target, details, dedupe_key) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (dedupe_key) DO NOTHING
"""

#: Several entries in one statement, in their order (``Entry``). An entry without an actor
#: names its thread's durable owner (None when erased or unclaimed); one with a ``fork``
#: becomes ``fork.action`` (keyed ``fork.key``) when a root checkpoint of the thread lies
#: strictly between its parent and its checkpoint: the checkpoint branches off an earlier one.
INSERT_MANY_SQL = """
INSERT INTO audit_logs (actor, action, target, details, dedupe_key)
SELECT COALESCE(v.actor, (SELECT o.owner_id::text FROM resource_owners o
                          WHERE o.kind = 'thread' AND o.resource_id = v.target)),
       CASE WHEN f.forked THEN v.fork_action ELSE v.action END,
       v.target, v.details,
       CASE WHEN f.forked THEN v.fork_key ELSE v.dedupe_key END
FROM unnest(%(actors)s::text[], %(actions)s::text[], %(targets)s::text[], %(details)s::jsonb[],
            %(keys)s::text[], %(fork_actions)s::text[], %(fork_keys)s::text[],
            %(parents)s::text[], %(checkpoints)s::text[])
     WITH ORDINALITY AS v(actor, action, target, details, dedupe_key, fork_action, fork_key,
                          parent, checkpoint, n)
CROSS JOIN LATERAL (
    SELECT v.fork_action IS NOT NULL AND EXISTS (
        SELECT 1 FROM checkpoints k
        WHERE k.thread_id = v.target AND k.checkpoint_ns = ''
          AND k.checkpoint_id > v.parent AND k.checkpoint_id < v.checkpoint
    ) AS forked
) f
ORDER BY v.n
ON CONFLICT (dedupe_key) DO NOTHING
"""


class Fork(NamedTuple):
    """What an entry becomes when its checkpoint turns out to fork (``INSERT_MANY_SQL``)."""

    action: str
    key: str
    parent_checkpoint_id: str
    checkpoint_id: str


class Entry(NamedTuple):
    """One entry for ``record_entries``: ``actor`` None takes the target thread's owner."""

    actor: str | None
    action: str
    target: str
    details: dict[str, Any]
    dedupe_key: str
    fork: Fork | None = None


async def record_entries(conn: DictConnection, entries: Sequence[Entry]) -> None:
    """Append ``entries`` in order, in one statement (``INSERT_MANY_SQL``); none of their
    results is read, so in a pipeline it waits for nothing."""
    if not entries:
        return
    forks = [entry.fork for entry in entries]
    await conn.execute(
        INSERT_MANY_SQL,
        {
            "actors": [entry.actor for entry in entries],
            "actions": [entry.action for entry in entries],
            "targets": [entry.target for entry in entries],
            "details": [Jsonb(entry.details) for entry in entries],
            "keys": [entry.dedupe_key for entry in entries],
            "fork_actions": [fork.action if fork else None for fork in forks],
            "fork_keys": [fork.key if fork else None for fork in forks],
            "parents": [fork.parent_checkpoint_id if fork else None for fork in forks],
            "checkpoints": [fork.checkpoint_id if fork else None for fork in forks],
        },
    )


async def record(
    conn: DictConnection,
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    dedupe_key: str | None = None,
    **details: Any,
) -> None:
    """Append one entry (never message contents: ids, counts and reasons only)."""
    await conn.execute(INSERT_SQL, (actor, action, target, Jsonb(details), dedupe_key))


async def query(
    conn: DictConnection,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Entries matching every given filter, newest first; ``before_id`` pages backwards.

    ``action`` ending in ``.*`` matches a family (``auth.*``)."""
    action_prefix = action[:-1] if action and action.endswith(".*") else None
    cur = await conn.execute(
        "SELECT id, actor, action, target, details, created_at FROM audit_logs WHERE "
        "(%(actor)s::text IS NULL OR actor = %(actor)s) "
        "AND (%(action)s::text IS NULL OR action = %(action)s) "
        "AND (%(prefix)s::text IS NULL OR starts_with(action, %(prefix)s)) "
        "AND (%(target)s::text IS NULL OR target = %(target)s) "
        "AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s) "
        "AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s) "
        "AND (%(before)s::bigint IS NULL OR id < %(before)s) "
        "ORDER BY id DESC LIMIT %(limit)s",
        {
            "actor": actor,
            "action": None if action_prefix else action,
            "prefix": action_prefix,
            "target": target,
            "since": since,
            "until": until,
            "before": before_id,
            "limit": limit,
        },
        prepare=False,  # a custom plan sees which filters are absent (NULL) and drops them
    )
    return await cur.fetchall()


async def record_many(
    conn: DictConnection, actor: str | None, action: str, targets: list[str], **details: Any
) -> None:
    """One entry per target, in one statement."""
    await conn.execute(
        "INSERT INTO audit_logs (actor, action, target, details) "
        "SELECT %s, %s, t, %s FROM unnest(%s::text[]) AS t",
        (actor, action, Jsonb(details), list(targets)),
    )


#: One entry per thread of a retention sweep, with the thread's last activity.
THREADS_SQL = """
INSERT INTO audit_logs (actor, action, target, details)
SELECT %(actor)s, %(action)s, t.thread_id, %(details)s || jsonb_build_object('last_activity', t.last)
FROM unnest(%(ids)s::text[], %(lasts)s::timestamptz[]) AS t(thread_id, last)
"""
#: Security events: logins and refusals, changes to accounts and keys, and to the log itself.
#: Kept for AUDIT_SECURITY_RETENTION; every other entry for AUDIT_RETENTION.
SECURITY_ACTIONS = ("auth.%", "user.%", "access.%", "audit.%")
# A batch at a time, oldest first: one statement never holds locks on the whole table. One class
# at a time (``security``: whether the action is a security event).
PURGE_BATCH_SQL = """
DELETE FROM audit_logs WHERE id IN (
    SELECT id FROM audit_logs
    WHERE created_at < %(cutoff)s AND (action LIKE ANY(%(security_actions)s)) = %(security)s
    ORDER BY created_at, id LIMIT %(limit)s
)
"""
#: The purge itself is audited (by count and cut-off), so a gap in the log is explained.
PURGED_SQL = "INSERT INTO audit_logs (actor, action, details) VALUES (%s, 'audit.purged', %s)"


#: Entries about someone: acted by, aimed at, or naming (in their target, details or dedupe key)
#: one of the ``markers`` (a user's id and e-mail address), oldest first.
ABOUT_SQL = """
SELECT id, actor, action, target, details, created_at FROM audit_logs
WHERE id > %(after)s AND (actor = ANY(%(markers)s) OR target = ANY(%(markers)s)
 OR EXISTS (SELECT 1 FROM unnest(%(markers)s::text[]) AS m
            WHERE strpos(coalesce(target, ''), m) > 0 OR strpos(details::text, m) > 0
               OR strpos(coalesce(dedupe_key, ''), m) > 0))
ORDER BY id LIMIT %(limit)s
"""
#: The same entries, anonymised: see ``anonymise``.
ANONYMISE_SQL = """
UPDATE audit_logs SET
    actor = CASE WHEN actor = ANY(%(markers)s) THEN %(pseudonym)s ELSE actor END,
    target = CASE WHEN EXISTS (SELECT 1 FROM unnest(%(markers)s::text[]) AS m
                               WHERE strpos(coalesce(target, ''), m) > 0)
             THEN %(pseudonym)s ELSE target END,
    details = CASE WHEN EXISTS (SELECT 1 FROM unnest(%(markers)s::text[]) AS m
                                WHERE strpos(details::text, m) > 0)
              THEN '{"erased": true}'::jsonb ELSE details END,
    dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM unnest(%(markers)s::text[]) AS m
                                   WHERE strpos(coalesce(dedupe_key, ''), m) > 0)
                 THEN NULL ELSE dedupe_key END
WHERE (actor = ANY(%(markers)s) OR target = ANY(%(markers)s)
 OR EXISTS (SELECT 1 FROM unnest(%(markers)s::text[]) AS m
            WHERE strpos(coalesce(target, ''), m) > 0 OR strpos(details::text, m) > 0
               OR strpos(coalesce(dedupe_key, ''), m) > 0))
"""


async def about(
    conn: DictConnection, markers: list[str], *, after_id: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    """Entries about someone (``ABOUT_SQL``), oldest first, ``limit`` after ``after_id``."""
    params = {"markers": markers, "after": after_id, "limit": limit}
    return await (await conn.execute(ABOUT_SQL, params)).fetchall()


async def anonymise(conn: DictConnection, markers: list[str], pseudonym: str) -> int:
    """Erasure of a person from the log: in every entry about them the actor or target that is
    them becomes ``pseudonym``, details naming them are reduced to ``{"erased": true}`` and a
    dedupe key naming them is dropped; what was done (the action) and when stay. How many
    entries changed."""
    params = {"markers": markers, "pseudonym": pseudonym}
    return (await conn.execute(ANONYMISE_SQL, params)).rowcount
