"""Every statement on ``api_keys``: API keys and login sessions, stored as digests only."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from store.db import DictConnection, one


async def insert(
    conn: DictConnection,
    user_id: uuid.UUID | str,
    *,
    kind: str,
    name: str | None,
    prefix: str,
    digest: str,
    ttl: timedelta | None,
) -> dict[str, Any]:
    cur = await conn.execute(
        "INSERT INTO api_keys (id, user_id, kind, name, prefix, key_hash, expires_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, now() + %s::interval) "
        "RETURNING id, kind, name, prefix, created_at, expires_at",
        (uuid.uuid4(), user_id, kind, name, prefix, digest, ttl),
    )
    return await one(cur)


async def live_by_digest(conn: DictConnection, digest: str) -> dict[str, Any] | None:
    """The live credential with this digest and its active user (key_id, last_used_at, id,
    email, is_admin), or None."""
    cur = await conn.execute(
        "SELECT k.id AS key_id, k.last_used_at, u.id, u.email, u.is_admin FROM api_keys k "
        "JOIN users u ON u.id = k.user_id "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL "
        "AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.is_active",
        (digest,),
    )
    return await cur.fetchone()


async def touch(conn: DictConnection, key_id: uuid.UUID | str) -> None:
    await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s", (key_id,))


async def list_api_keys(conn: DictConnection, user_id: str) -> list[dict[str, Any]]:
    """A user's live API keys (not sessions), newest first."""
    cur = await conn.execute(
        "SELECT id, name, prefix, created_at, expires_at, last_used_at FROM api_keys "
        "WHERE user_id = %s AND kind = 'api_key' AND revoked_at IS NULL ORDER BY created_at DESC",
        (user_id,),
    )
    return await cur.fetchall()


async def revoke(conn: DictConnection, user_id: str, key_id: uuid.UUID | str) -> str | None:
    """Revoke one live credential of the user's; its kind (``api_key``, ``session``), or None."""
    cur = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND user_id = %s "
        "AND revoked_at IS NULL RETURNING kind",
        (key_id, user_id),
    )
    row = await cur.fetchone()
    return str(row["kind"]) if row else None


async def list_live(conn: DictConnection, user_id: uuid.UUID | str) -> list[dict[str, Any]]:
    """A user's live credentials, login sessions and API keys alike, newest first."""
    cur = await conn.execute(
        "SELECT id, kind, name, prefix, created_at, expires_at, last_used_at FROM api_keys "
        "WHERE user_id = %s AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC",
        (user_id,),
    )
    return await cur.fetchall()


async def list_sessions(conn: DictConnection, user_id: uuid.UUID | str) -> list[dict[str, Any]]:
    """A user's live login sessions, newest first."""
    cur = await conn.execute(
        "SELECT id, prefix, created_at, expires_at, last_used_at FROM api_keys "
        "WHERE user_id = %s AND kind = 'session' AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC",
        (user_id,),
    )
    return await cur.fetchall()


async def revoke_session(
    conn: DictConnection, user_id: uuid.UUID | str, key_id: uuid.UUID | str
) -> bool:
    """Revoke one live login session of the user's; False if there is none with this id."""
    cur = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND user_id = %s "
        "AND kind = 'session' AND revoked_at IS NULL",
        (key_id, user_id),
    )
    return cur.rowcount == 1


async def revoke_all(
    conn: DictConnection,
    user_id: uuid.UUID | str,
    *,
    kinds: tuple[str, ...] = ("session",),
    keep: uuid.UUID | str | None = None,
) -> int:
    """Revoke every live credential of these ``kinds`` of the user's but ``keep``; how many."""
    cur = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE user_id = %s AND kind = ANY(%s) "
        "AND revoked_at IS NULL AND (%s::uuid IS NULL OR id <> %s::uuid)",
        (user_id, list(kinds), keep, keep),
    )
    return cur.rowcount


async def owner_of(conn: DictConnection, key_id: uuid.UUID | str) -> str | None:
    """The user id a credential belongs to, or None when there is no such credential."""
    row = await (
        await conn.execute("SELECT user_id FROM api_keys WHERE id = %s", (key_id,))
    ).fetchone()
    return str(row["user_id"]) if row else None


#: Login sessions that expired or were revoked before the cut-off (they let nobody in any more;
#: kept a while for `adlaan users sessions` and investigations). API keys are never swept.
PURGE_ENDED_SESSIONS_SQL = """
DELETE FROM api_keys WHERE id IN (
    SELECT id FROM api_keys
    WHERE kind = 'session' AND (expires_at < %(cutoff)s OR revoked_at < %(cutoff)s)
    ORDER BY id LIMIT %(limit)s
)
"""


async def purge_ended_sessions(conn: DictConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` sessions that ended (expired or revoked) before ``cutoff``."""
    params = {"cutoff": cutoff, "limit": limit}
    return (await conn.execute(PURGE_ENDED_SESSIONS_SQL, params)).rowcount
