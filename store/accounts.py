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
from psycopg import errors

from store.db import DictConnection
from store.repositories import api_keys, audit, login_throttle, users

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
    conn: DictConnection,
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
        return await users.insert(
            conn, address, password_hash, is_admin=is_admin, display_name=display_name
        )
    except errors.UniqueViolation:
        raise AccountError(f"a user with e-mail {address} already exists") from None


async def list_users(conn: DictConnection) -> list[dict[str, Any]]:
    """Every user, oldest first, without credentials."""
    return await users.list_all(conn)


async def set_active(conn: DictConnection, email: str, active: bool) -> bool:
    """Enable or disable a user (a disabled user's credentials stop working at once)."""
    return await users.set_active(conn, normalize_email(email), active)


async def find_login(conn: DictConnection, email: str) -> dict[str, Any] | None:
    """The user row a login for ``email`` checks against (with its password hash), or None
    for an unknown or malformed e-mail. One short read: verify with ``verify_password`` after
    giving the connection back."""
    try:
        address = normalize_email(email)
    except AccountError:
        return None
    return await users.for_login(conn, address)


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
        ok: bool = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user["is_active"] or stored is _DUMMY_HASH:
        return LoginCheck(False)
    return LoginCheck(True, _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)


async def set_password_hash(conn: DictConnection, user_id: uuid.UUID | str, digest: str) -> None:
    """Store a new password hash for ``user_id`` (a rehash from ``verify_password``)."""
    await users.set_password_hash(conn, user_id, digest)


async def issue_credential(
    conn: DictConnection,
    user_id: uuid.UUID | str,
    *,
    kind: str = "api_key",
    name: str | None = None,
    ttl: timedelta | None = None,
) -> tuple[str, dict[str, Any]]:
    """A new credential for ``user_id``: the token (shown once, never stored) and its row."""
    token = (API_KEY_PREFIX if kind == "api_key" else SESSION_PREFIX) + secrets.token_urlsafe(32)
    row = await api_keys.insert(
        conn, user_id, kind=kind, name=name, prefix=token[:12], digest=token_digest(token), ttl=ttl
    )
    return token, row


async def resolve_credential(conn: DictConnection, token: str) -> Principal | None:
    """The user a live credential belongs to, or None (unknown, revoked, expired, disabled)."""
    if not token.startswith((API_KEY_PREFIX, SESSION_PREFIX)) or len(token) > 200:
        return None
    row = await api_keys.live_by_digest(conn, token_digest(token))
    if row is None:
        return None
    last = row["last_used_at"]
    if last is None or datetime.now(last.tzinfo) - last > LAST_USED_RESOLUTION:
        await api_keys.touch(conn, row["key_id"])
    return Principal(str(row["id"]), row["email"], row["is_admin"], str(row["key_id"]))


async def list_credentials(conn: DictConnection, user_id: str) -> list[dict[str, Any]]:
    """A user's live API keys (sessions are not listed), newest first."""
    return await api_keys.list_api_keys(conn, user_id)


async def revoke_credential(
    conn: DictConnection, user_id: str, key_id: uuid.UUID | str
) -> str | None:
    """Revoke one of the user's credentials: its kind (``api_key`` or ``session``), or None if
    it is not theirs or already revoked."""
    return await api_keys.revoke(conn, user_id, key_id)


# --- passwords, sessions, locks: shared by the routes and the CLI, each change audited --------


def email_throttle_key(address: str) -> str:
    """The ``login_throttle`` key counting logins for a normalised e-mail address."""
    return f"email:{address}"


async def find_user(conn: DictConnection, ref: str) -> dict[str, Any] | None:
    """A user by id (a UUID) or by e-mail, without credentials; None if there is none."""
    try:
        return await users.by_id(conn, uuid.UUID(ref))
    except ValueError:
        pass
    try:
        return await users.by_email(conn, normalize_email(ref))
    except AccountError:
        return None


async def set_password(
    conn: DictConnection,
    user: dict[str, Any],
    password_hash: str,
    *,
    actor: str,
    action: str,
    keep: uuid.UUID | str | None = None,
    revoke_api_keys: bool = False,
) -> int:
    """Give ``user`` (a ``find_user`` row) a new password (``hash_password``, made before the
    connection was taken), revoke their login sessions but ``keep`` (and their API keys when
    asked), and clear their e-mail's login throttle; audited as ``action`` by ``actor``.

    Returns how many credentials were revoked. Run it in the caller's transaction."""
    user_id = str(user["id"])
    await users.set_password_hash(conn, user_id, password_hash)
    kinds = ("session", "api_key") if revoke_api_keys else ("session",)
    revoked = await api_keys.revoke_all(conn, user_id, kinds=kinds, keep=keep)
    await login_throttle.reset(conn, email_throttle_key(user["email"]))
    await audit.record(
        conn, actor, action, user_id, revoked=revoked, revoked_api_keys=revoke_api_keys
    )
    return revoked


async def unlock(conn: DictConnection, user: dict[str, Any], *, actor: str) -> bool:
    """Clear the login throttle of ``user``'s e-mail (``email:<address>``), so they can log in
    before the window ends; audited (``user.unlocked``). Whether they were throttled at all
    (any attempt counted); client-address counts are left alone."""
    cleared = await login_throttle.reset(conn, email_throttle_key(user["email"]))
    await audit.record(conn, actor, "user.unlocked", str(user["id"]), cleared=cleared)
    return cleared


async def list_sessions(conn: DictConnection, user_id: str) -> list[dict[str, Any]]:
    """A user's live login sessions, newest first."""
    return await api_keys.list_sessions(conn, user_id)


async def list_live_credentials(conn: DictConnection, user_id: str) -> list[dict[str, Any]]:
    """A user's live login sessions and API keys (``kind`` tells them apart), newest first."""
    return await api_keys.list_live(conn, user_id)


async def revoke_session(
    conn: DictConnection, user_id: str, key_id: uuid.UUID | str, *, actor: str
) -> bool:
    """Revoke one of ``user_id``'s live login sessions (``auth.session_revoked``, audited);
    False if they have no such session."""
    if not await api_keys.revoke_session(conn, user_id, key_id):
        return False
    await audit.record(conn, actor, "auth.session_revoked", str(key_id), user_id=user_id)
    return True


async def revoke_audited(
    conn: DictConnection, user_id: str, key_id: uuid.UUID | str, *, actor: str
) -> str | None:
    """Revoke one of ``user_id``'s live credentials, session or API key, audited
    (``auth.session_revoked`` or ``auth.api_key_revoked``); its kind, or None if none."""
    kind = await api_keys.revoke(conn, user_id, key_id)
    if kind is not None:
        action = "auth.session_revoked" if kind == "session" else "auth.api_key_revoked"
        await audit.record(conn, actor, action, str(key_id), user_id=user_id)
    return kind


async def credential_owner(conn: DictConnection, key_id: uuid.UUID | str) -> str | None:
    """The user id a credential (live or not) belongs to, or None."""
    return await api_keys.owner_of(conn, key_id)


async def service_principal(conn: DictConnection, email: str) -> Principal:
    """The principal of a service user (no password, so nobody logs in as it), created once."""
    row = await users.ensure_service(conn, normalize_email(email))
    return Principal(str(row["id"]), row["email"], row["is_admin"])
