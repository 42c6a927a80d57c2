"""Every statement on ``resource_owners``: who owns each thread, assistant and cron, durably.

The development server keeps its objects in memory; this table is where ownership is decided.
A claim for an id already owned by someone else (or by an erased user) is refused, and deleting
a resource keeps its row (``deleted_at``), so an id once owned by one user can never be claimed
by another.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from store.db import DictConnection
from store.repositories import checkpoints

Kind = Literal["thread", "assistant", "cron"]

#: ``owner_of`` when no row exists: the id was never claimed.
UNCLAIMED = object()

_SELECT_SQL = (
    "SELECT owner_id::text AS owner FROM resource_owners WHERE kind = %s AND resource_id = %s"
)
_CLAIM_SQL = """
INSERT INTO resource_owners (kind, resource_id, owner_id) VALUES (%(kind)s, %(id)s, %(owner)s)
ON CONFLICT (kind, resource_id) DO UPDATE SET deleted_at = NULL
    WHERE resource_owners.owner_id IS NOT DISTINCT FROM EXCLUDED.owner_id
RETURNING owner_id
"""
_DELETED_SQL = (
    "UPDATE resource_owners SET deleted_at = now() "
    "WHERE kind = %s AND resource_id = ANY(%s) AND owner_id = %s"
)
_BACKFILL_SQL = """
INSERT INTO resource_owners (kind, resource_id, owner_id)
SELECT %s, r, u.id FROM unnest(%s::text[], %s::text[]) AS t(r, o) JOIN users u ON u.id::text = t.o
ON CONFLICT (kind, resource_id) DO NOTHING
"""


async def owner_of(conn: DictConnection, kind: Kind, resource_id: str) -> str | object | None:
    """The owner's user id; None when the owner was erased; ``UNCLAIMED`` when no row exists."""
    row = await (await conn.execute(_SELECT_SQL, (kind, str(resource_id)))).fetchone()
    if row is None:
        return UNCLAIMED
    return row["owner"]


async def claim(conn: DictConnection, kind: Kind, resource_id: str, owner: str) -> bool:
    """Record ``owner`` as the owner of a new resource; True when it is (now or already) theirs,
    False when the id belongs to someone else or to history nobody owns."""
    resource_id = str(resource_id)
    # A thread id that already has checkpoints but no owner (written outside the API, e.g. by
    # the Python ``Agent``) is not free to claim: its history would become the claimant's.
    if (
        kind == "thread"
        and await owner_of(conn, kind, resource_id) is UNCLAIMED
        and await checkpoints.has_history(conn, resource_id)
    ):
        return False
    row = await (
        await conn.execute(_CLAIM_SQL, {"kind": kind, "id": resource_id, "owner": owner})
    ).fetchone()
    return row is not None


async def mark_deleted(
    conn: DictConnection, kind: Kind, resource_ids: Iterable[str], owner: str
) -> None:
    """The owner deleted these resources; their ids stay reserved for them."""
    await conn.execute(_DELETED_SQL, (kind, [str(r) for r in resource_ids], owner))


async def backfill(conn: DictConnection, kind: Kind, pairs: Iterable[tuple[str, str]]) -> None:
    """Record ``(resource_id, owner)`` pairs that have no row yet (resources the server held
    before ownership was durable); pairs whose owner is not a user are skipped."""
    pairs = list(pairs)
    if pairs:
        await conn.execute(
            _BACKFILL_SQL, (kind, [str(r) for r, _ in pairs], [str(o) for _, o in pairs])
        )


async def owned(
    conn: DictConnection, kind: Kind, resource_ids: Iterable[str], owner: str
) -> list[str]:
    """Those of ``resource_ids`` that ``owner`` owns."""
    cur = await conn.execute(
        "SELECT resource_id FROM resource_owners "
        "WHERE kind = %s AND resource_id = ANY(%s) AND owner_id::text = %s",
        (kind, [str(r) for r in resource_ids], owner),
    )
    return [row["resource_id"] for row in await cur.fetchall()]


async def assign(conn: DictConnection, kind: Kind, resource_ids: Iterable[str], owner: str) -> None:
    """An administrator gives these resources to ``owner`` (threads from before authentication,
    or a hand-over): the one statement that changes an existing owner."""
    await conn.execute(
        "INSERT INTO resource_owners (kind, resource_id, owner_id) "
        "SELECT DISTINCT %s, r, %s::uuid FROM unnest(%s::text[]) AS r "
        "ON CONFLICT (kind, resource_id) DO UPDATE SET owner_id = EXCLUDED.owner_id",
        (kind, owner, [str(r) for r in resource_ids]),
    )


async def of_owner(conn: DictConnection, owner: str) -> list[dict[str, str]]:
    """Every resource ``owner`` owns or owned (``kind``, ``resource_id``), deleted ones too."""
    cur = await conn.execute(
        "SELECT kind, resource_id FROM resource_owners WHERE owner_id::text = %s "
        "ORDER BY kind, resource_id",
        (owner,),
    )
    return await cur.fetchall()
