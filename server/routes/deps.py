"""What every route needs: the caller, the database, refusals with a clear message."""

import base64
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from pydantic import AfterValidator

from server.auth import ADMIN, ANONYMOUS
from server.shared import get_pool
from store.db import DictConnection
from store.repositories import audit, conversations


@dataclass(frozen=True)
class Caller:
    """The authenticated user a request acts for."""

    user_id: str
    email: str
    is_admin: bool


def current_user(request: Request) -> Caller:
    """The caller, as the auth handler resolved them; 401 for anonymous requests."""
    user = request.scope.get("user")
    identity = getattr(user, "identity", None) if user is not None else None
    if not identity or identity == ANONYMOUS or not getattr(user, "is_authenticated", False):
        raise HTTPException(401, "authentication required: send 'Authorization: Bearer <token>'")
    scopes = getattr(request.scope.get("auth"), "scopes", None) or []
    return Caller(identity, getattr(user, "display_name", "") or "", ADMIN in scopes)


async def connection() -> AsyncIterator[DictConnection]:
    """A pooled autocommit connection for the request."""
    async with get_pool().connection() as conn:
        yield conn


async def admin_user(request: Request, caller: Annotated[Caller, Depends(current_user)]) -> Caller:
    """The caller, who must be an administrator (403 otherwise, audited)."""
    if not caller.is_admin:
        async with get_pool().connection() as conn:
            await audit.record(
                conn, caller.user_id, "access.denied", request.url.path[:255], reason="not an admin"
            )
        raise HTTPException(403, "this route is for administrators")
    return caller


CurrentUser = Annotated[Caller, Depends(current_user)]
AdminUser = Annotated[Caller, Depends(admin_user)]
Conn = Annotated[DictConnection, Depends(connection)]


def _storable(value: str) -> str:
    """Text PostgreSQL can store: no NUL characters, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("text cannot contain NUL (\\u0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains an unpaired UTF-16 surrogate") from None
    return value


#: A string any route can pass to PostgreSQL safely.
SafeStr = Annotated[str, AfterValidator(_storable)]


def encode_cursor(*values: Any) -> str:
    """An opaque pagination cursor holding ``values``."""
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_CURSOR_INVALID = "cursor is not valid: pass the next_cursor of a previous page"
_BIGINT = range(-(2**63), 2**63)


def _cursor_value(value: Any, kind: type) -> Any:
    """``value`` as a ``kind`` (int within bigint, str PostgreSQL can store, aware datetime);
    ValueError otherwise. A JSON ``true`` is not an integer, whatever Python thinks."""
    if kind is int and type(value) is int and value in _BIGINT:
        return value
    if kind is str and type(value) is str:
        return _storable(value)
    if kind is datetime and type(value) is str:
        at = datetime.fromisoformat(value)
        if at.tzinfo is not None:
            return at
    raise ValueError(f"expected {kind.__name__}, got {value!r}")


def decode_cursor(
    cursor: str | None, arity: int, types: Sequence[type] | None = None
) -> list[Any] | None:
    """The values of a cursor from ``encode_cursor``; 422 when it was not made by it.

    With ``types`` (``int``, ``str`` or ``datetime`` per value) each value is checked and
    converted, so a forged cursor whose values have the wrong types is a 422 as well, never a
    database error."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != arity:
        raise HTTPException(422, _CURSOR_INVALID)
    if types is not None:
        try:
            values = [_cursor_value(v, kind) for v, kind in zip(values, types, strict=True)]
        except ValueError:
            raise HTTPException(422, _CURSOR_INVALID) from None
    return values


async def require_owner(
    conn: DictConnection, caller: Caller, owner: Any, target: str, missing: str
) -> None:
    """The one ownership step of the routes: a thing that is not the caller's answers exactly
    like a missing one (404 ``missing``), and someone else's leaves an ``access.denied`` audit
    entry. ``owner`` is the thing's owner id, or None when there is no such thing."""
    if owner is not None and str(owner) == caller.user_id:
        return
    if owner is not None:
        await audit.record(conn, caller.user_id, "access.denied", target, reason="not the owner")
    raise HTTPException(404, missing)


async def owned_row(
    conn: DictConnection, caller: Caller, row: dict[str, Any] | None, target: str, missing: str
) -> dict[str, Any]:
    """``row`` (which has an ``owner_id``) when it is the caller's; else as ``require_owner``."""
    if row is None:
        raise HTTPException(404, missing)
    await require_owner(conn, caller, row["owner_id"], target, missing)
    return row


async def owned_conversation(
    conn: DictConnection, caller: Caller, thread_id: UUID | str
) -> dict[str, Any]:
    """The caller's conversation of ``thread_id`` (``require_owner``)."""
    row = await conversations.by_thread(conn, str(thread_id))
    return await owned_row(conn, caller, row, str(thread_id), f"conversation {thread_id} not found")
