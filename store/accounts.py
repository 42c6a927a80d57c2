"""Users and their credentials: argon2 password hashes, hashed API keys and session tokens.

Functions take an open psycopg connection (``dict_row``) and run one statement or one short
transaction each; the caller decides what else goes into its transaction. Hashing is slow on
purpose (argon2), so ``hash_password`` and ``verify_password`` take no connection: callers run
them in a thread before taking one, or after giving it back.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection, errors

API_KEY_PREFIX = "adlk_"
SESSION_PREFIX = "adls_"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
#: ``last_used_at`` is refreshed at most this often, so authenticating is a read, not a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_EMAIL = re.compile(r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a failed login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """Input that cannot become an account (bad e-mail, weak password, duplicate...)."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a user, resolved from a credential."""

    user_id: str
    email: str
    is_admin: bool
    credential_id: str | None = None


def normalize_email(email: str) -> str:
    """The canonical form of an e-mail address (trimmed, lower case), or ``AccountError``."""
    value = (email or "").strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise AccountError(f"not an e-mail address: {email[:80]!r}")
    return value


def check_password(password: str) -> None:
    """Refuse passwords too short or too long to be hashed sensibly."""
    if not MIN_PASSWORD_LENGTH <= len(password or "") <= MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    if "\x00" in password:
        raise AccountError("a password cannot contain NUL characters")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (with its own salt and parameters)."""
    check_password(password)
    return _hasher.hash(password)


def token_digest(token: str) -> str:
    """The SHA-256 digest under which a credential is stored (tokens are random: no salt)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def create_user(
    conn: AsyncConnection,
    email: str,
    password: str | None = None,
    *,
    password_hash: str | None = None,
    is_admin: bool = False,
    display_name: str | None = None,
) -> dict[str, Any]:
    """Create a user; ``AccountError`` if the e-mail is taken or the input is unusable.

    Pass ``password_hash`` (from ``hash_password``, run before taking a connection) so that no
    connection is held while argon2 works; a plain ``password`` is hashed here, in a thread,
    before the first statement."""
    address = normalize_email(email)
    if password_hash is None:
        if password is None:
            raise AccountError("a new user needs a password")
        password_hash = await asyncio.to_thread(hash_password, password)
    try:
        cur = await conn.execute(
            "INSERT INTO users (id, email, display_name, password_hash, is_admin) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id, email, display_name, is_admin, is_active, created_at",
            (uuid.uuid4(), address, display_name, password_hash, is_admin),
        )
    except errors.UniqueViolation:
        raise AccountError(f"a user with e-mail {address} already exists") from None
    return await cur.fetchone()


async def list_users(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every user, oldest first, without credentials."""
    cur = await conn.execute(
        "SELECT id, email, display_name, is_admin, is_active, created_at FROM users "
        "ORDER BY created_at, email"
    )
    return await cur.fetchall()


async def set_active(conn: AsyncConnection, email: str, active: bool) -> bool:
    """Enable or disable a user (a disabled user's credentials stop working at once)."""
    cur = await conn.execute(
        "UPDATE users SET is_active = %s, updated_at = now() WHERE email = %s",
        (active, normalize_email(email)),
    )
    return cur.rowcount == 1


async def find_login(conn: AsyncConnection, email: str) -> dict[str, Any] | None:
    """The user row a login for ``email`` checks against (with its password hash), or None
    for an unknown or malformed e-mail. One short read: verify with ``verify_password`` after
    giving the connection back."""
    try:
        address = normalize_email(email)
    except AccountError:
        return None
    cur = await conn.execute(
        "SELECT id, email, password_hash, is_admin, is_active FROM users WHERE email = %s",
        (address,),
    )
    return await cur.fetchone()


@dataclass(frozen=True)
class LoginCheck:
    """The outcome of ``verify_password``."""

    ok: bool
    #: a new hash of the password when the stored one has outdated parameters (store it)
    rehash: str | None = None


def verify_password(user: dict[str, Any] | None, password: str) -> LoginCheck:
    """Whether ``password`` logs ``user`` (a ``find_login`` row) in: active, with this password.

    Blocking (argon2, about 0.1 s): run it in a thread, holding no connection. An unknown user
    is verified against a dummy hash, so a failed login takes as long either way."""
    stored = user["password_hash"] if user and user["password_hash"] else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user["is_active"] or stored is _DUMMY_HASH:
        return LoginCheck(False)
    return LoginCheck(True, _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)


async def set_password_hash(conn: AsyncConnection, user_id: uuid.UUID | str, digest: str) -> None:
    """Store a new password hash for ``user_id`` (a rehash from ``verify_password``)."""
    await conn.execute(
        "UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s", (digest, user_id)
    )


async def issue_credential(
    conn: AsyncConnection,
    user_id: uuid.UUID | str,
    *,
    kind: str = "api_key",
    name: str | None = None,
    ttl: timedelta | None = None,
) -> tuple[str, dict[str, Any]]:
    """A new credential for ``user_id``: the token (shown once, never stored) and its row."""
    token = (API_KEY_PREFIX if kind == "api_key" else SESSION_PREFIX) + secrets.token_urlsafe(32)
    cur = await conn.execute(
        "INSERT INTO api_keys (id, user_id, kind, name, prefix, key_hash, expires_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, now() + %s::interval) "
        "RETURNING id, kind, name, prefix, created_at, expires_at",
        (uuid.uuid4(), user_id, kind, name, token[:12], token_digest(token), ttl),
    )
    return token, await cur.fetchone()


async def resolve_credential(conn: AsyncConnection, token: str) -> Principal | None:
    """The user a live credential belongs to, or None (unknown, revoked, expired, disabled)."""
    if not token.startswith((API_KEY_PREFIX, SESSION_PREFIX)) or len(token) > 200:
        return None
    cur = await conn.execute(
        "SELECT k.id AS key_id, k.last_used_at, u.id, u.email, u.is_admin FROM api_keys k "
        "JOIN users u ON u.id = k.user_id "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL "
        "AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.is_active",
        (token_digest(token),),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    last = row["last_used_at"]
    if last is None or datetime.now(last.tzinfo) - last > LAST_USED_RESOLUTION:
        await conn.execute(
            "UPDATE api_keys SET last_used_at = now() WHERE id = %s", (row["key_id"],)
        )
    return Principal(str(row["id"]), row["email"], row["is_admin"], str(row["key_id"]))


async def list_credentials(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """A user's live API keys (sessions are not listed), newest first."""
    cur = await conn.execute(
        "SELECT id, name, prefix, created_at, expires_at, last_used_at FROM api_keys "
        "WHERE user_id = %s AND kind = 'api_key' AND revoked_at IS NULL ORDER BY created_at DESC",
        (user_id,),
    )
    return await cur.fetchall()


async def revoke_credential(conn: AsyncConnection, user_id: str, key_id: uuid.UUID | str) -> bool:
    """Revoke one of the user's credentials; False if it is not theirs or already revoked."""
    cur = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND user_id = %s "
        "AND revoked_at IS NULL",
        (key_id, user_id),
    )
    return cur.rowcount == 1


async def service_principal(conn: AsyncConnection, email: str) -> Principal:
    """The principal of a service user (no password, so nobody logs in as it), created once."""
    address = normalize_email(email)
    cur = await conn.execute(
        "INSERT INTO users (id, email, display_name) VALUES (%s, %s, %s) "
        "ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at "
        "RETURNING id, email, is_admin",
        (uuid.uuid4(), address, address),
    )
    row = await cur.fetchone()
    return Principal(str(row["id"]), row["email"], row["is_admin"])
