"""Administrators' account chores: reset a user's password, unlock a throttled login."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from server.routes.deps import AdminUser, SafeStr
from server.shared import get_pool
from store import accounts
from store.db import DictConnection

router = APIRouter(prefix="/api/v1/admin/users", tags=["admin"])

#: A user's id or e-mail address in a path.
UserRef = Annotated[SafeStr, Path(min_length=1, max_length=320, description="Id or e-mail.")]


class PasswordReset(BaseModel):
    """The user's new password, chosen by the administrator and handed over out of band."""

    model_config = {"extra": "forbid"}
    new_password: Annotated[SafeStr, Field(max_length=accounts.MAX_PASSWORD_LENGTH)]
    revoke_api_keys: bool = Field(False, description="Also revoke every API key of the user's.")


class PasswordWasReset(BaseModel):
    """Whose password was reset, and how many of their credentials were revoked."""

    user_id: str
    email: str
    revoked: int


class Unlocked(BaseModel):
    """Whose login throttle was cleared; ``cleared`` is false when nothing was counted."""

    user_id: str
    email: str
    cleared: bool


async def _user(conn: DictConnection, ref: str) -> dict:
    """The user ``ref`` names (id or e-mail); 404 when there is none."""
    user = await accounts.find_user(conn, ref)
    if user is None:
        raise HTTPException(404, f"no user {ref[:80]!r}")
    return user


@router.post("/{user}/password", response_model=PasswordWasReset)
async def reset_password(user: UserRef, body: PasswordReset, caller: AdminUser) -> PasswordWasReset:
    """Set a user's password: every login session of theirs is revoked (their API keys too with
    ``revoke_api_keys``) and their e-mail's login throttle cleared. Audited
    (``user.password_reset``, by the administrator)."""
    try:
        accounts.check_password(body.new_password)
    except accounts.AccountError as error:
        raise HTTPException(422, str(error)) from None
    pool = get_pool()
    async with pool.connection() as conn:
        found = await _user(conn, user)
    digest = await asyncio.to_thread(accounts.hash_password, body.new_password)  # no connection
    async with pool.connection() as conn, conn.transaction():
        revoked = await accounts.set_password(
            conn,
            found,
            digest,
            actor=caller.user_id,
            action="user.password_reset",
            revoke_api_keys=body.revoke_api_keys,
        )
    return PasswordWasReset(user_id=str(found["id"]), email=found["email"], revoked=revoked)


@router.post("/{user}/unlock", response_model=Unlocked)
async def unlock(user: UserRef, caller: AdminUser) -> Unlocked:
    """Let a user whose e-mail is throttled (429 on login) log in again now: clears the
    e-mail's failed-login count. Audited (``user.unlocked``)."""
    async with get_pool().connection() as conn, conn.transaction():
        found = await _user(conn, user)
        cleared = await accounts.unlock(conn, found, actor=caller.user_id)
    return Unlocked(user_id=str(found["id"]), email=found["email"], cleared=cleared)
