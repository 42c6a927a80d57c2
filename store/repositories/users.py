"""Every statement on ``users``. Policy (e-mail rules, password hashing) is store/accounts.py's."""

from __future__ import annotations

import uuid
from typing import Any

from store.db import DictConnection, one

_COLUMNS = "id, email, display_name, is_admin, is_active, created_at"


async def insert(
    conn: DictConnection,
    email: str,
    password_hash: str | None,
    *,
    is_admin: bool = False,
    display_name: str | None = None,
) -> dict[str, Any]:
    """A new user (``psycopg.errors.UniqueViolation`` when the e-mail is taken)."""
    cur = await conn.execute(
        "INSERT INTO users (id, email, display_name, password_hash, is_admin) "
        f"VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
        (uuid.uuid4(), email, display_name, password_hash, is_admin),
    )
    return await one(cur)


async def ensure_service(conn: DictConnection, email: str) -> dict[str, Any]:
    """A user without a password (nobody logs in as it), created the first time."""
    cur = await conn.execute(
        "INSERT INTO users (id, email, display_name) VALUES (%s, %s, %s) "
        "ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at "
        "RETURNING id, email, is_admin",
        (uuid.uuid4(), email, email),
    )
    return await one(cur)


async def list_all(conn: DictConnection) -> list[dict[str, Any]]:
    """Every user, oldest first, without credentials."""
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY created_at, email")
    return await cur.fetchall()


async def count_active(conn: DictConnection) -> int:
    row = await one(await conn.execute("SELECT count(*) AS n FROM users WHERE is_active"))
    return row["n"]


async def id_by_email(conn: DictConnection, email: str) -> str | None:
    row = await (await conn.execute("SELECT id FROM users WHERE email = %s", (email,))).fetchone()
    return str(row["id"]) if row else None


async def by_id(conn: DictConnection, user_id: uuid.UUID | str) -> dict[str, Any] | None:
    """The user with this id, without credentials."""
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM users WHERE id = %s", (user_id,))
    return await cur.fetchone()


async def by_email(conn: DictConnection, email: str) -> dict[str, Any] | None:
    """The user with this (normalised) e-mail, without credentials."""
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM users WHERE email = %s", (email,))
    return await cur.fetchone()


async def for_login(conn: DictConnection, email: str) -> dict[str, Any] | None:
    """The row a login checks against, with its password hash."""
    cur = await conn.execute(
        "SELECT id, email, password_hash, is_admin, is_active FROM users WHERE email = %s",
        (email,),
    )
    return await cur.fetchone()


async def set_active(conn: DictConnection, email: str, active: bool) -> bool:
    cur = await conn.execute(
        "UPDATE users SET is_active = %s, updated_at = now() WHERE email = %s", (active, email)
    )
    return cur.rowcount == 1


async def set_password_hash(conn: DictConnection, user_id: uuid.UUID | str, digest: str) -> None:
    await conn.execute(
        "UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s", (digest, user_id)
    )


async def delete(conn: DictConnection, user_id: uuid.UUID | str) -> bool:
    """Delete a user (an erasure): their credentials go with them (ON DELETE CASCADE), the ids
    they owned stay reserved for nobody (``resource_owners.owner_id`` becomes NULL)."""
    cur = await conn.execute("DELETE FROM users WHERE id = %s", (user_id,))
    return cur.rowcount == 1
