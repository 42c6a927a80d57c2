"""Logging in, and the caller's own password, login sessions and API keys."""

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, NoReturn
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from server import metrics
from server.auth import bearer_token
from server.gate import PRINCIPAL_KEY
from server.routes.deps import Conn, CurrentUser, SafeStr
from server.settings import get_settings
from server.shared import get_pool
from store import accounts
from store.db import DictConnection
from store.repositories import audit, login_throttle

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    """E-mail and password of an existing, active user."""

    model_config = {"extra": "forbid"}
    email: Annotated[SafeStr, Field(min_length=3, max_length=320)]
    password: Annotated[SafeStr, Field(min_length=1, max_length=accounts.MAX_PASSWORD_LENGTH)]


class LoginResponse(BaseModel):
    """A bearer token for ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_at: datetime | None
    user_id: str


class Me(BaseModel):
    """The caller."""

    user_id: str
    email: str
    is_admin: bool


class ApiKeyRequest(BaseModel):
    """A name to tell the key apart, and optionally a lifetime."""

    model_config = {"extra": "forbid"}
    name: Annotated[SafeStr, Field(min_length=1, max_length=200)]
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class ApiKey(BaseModel):
    """An API key as listed (the key itself is shown once, when created)."""

    id: UUID
    name: str | None
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = None


class NewApiKey(ApiKey):
    """A new API key: ``key`` is shown now and never again."""

    key: str


def _wait(seconds: int) -> str:
    """``seconds`` for a person: "40 seconds", "14 minutes"."""
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


def _dedupe(action: str, hit: login_throttle.Attempts, *extra: object) -> str:
    """An audit dedupe key for ``action`` on ``hit``'s key in its current window (the key is
    digested: an e-mail can be longer than the column)."""
    stamp = hit.window_start.isoformat()
    return ":".join([action, accounts.token_digest(hit.key)[:32], stamp, *map(str, extra)])


async def _refuse(
    conn: DictConnection, hit: login_throttle.Attempts, target: str, why: str
) -> NoReturn:
    """Answer 429 for a throttled key, audited once per key and window (a flood of refused
    logins adds one audit entry, not one per request)."""
    metrics.login_throttled(hit.key)
    await audit.record(
        conn,
        None,
        "auth.login_throttled",
        target[:255],
        dedupe_key=_dedupe("auth.login_throttled", hit),
        key=hit.key.split(":", 1)[0],
        attempts=hit.attempts,
    )
    raise HTTPException(
        429,
        f"{why}: try again in {_wait(hit.retry_after)}",
        headers={"Retry-After": str(hit.retry_after)},
    )


@router.post(
    "/login",
    response_model=LoginResponse,
    responses={
        401: {"description": "Wrong e-mail or password, or the user is disabled."},
        429: {
            "description": "Too many logins for this e-mail or from this address; see "
            "the Retry-After header."
        },
    },
)
async def login(body: LoginRequest, request: Request) -> LoginResponse:
    """Exchange e-mail and password for an access token (audited, failures too).

    Every attempt counts, before the password is checked, against the e-mail
    (``LOGIN_MAX_FAILURES``) and the client address (``LOGIN_MAX_ATTEMPTS_PER_CLIENT``) within
    ``LOGIN_WINDOW_MINUTES``; beyond either, 429 with ``Retry-After`` until the window ends. A
    successful login clears the e-mail's count. No connection is held while argon2 works: a
    burst of logins must not starve the pool the rest of the API needs."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    try:
        address = accounts.normalize_email(body.email)
    except accounts.AccountError:
        # still counted (guessing costs the same); lower() can lengthen some characters
        address = body.email.strip().lower()[:320]
    client = request.client.host if request.client else "unknown"
    pool = get_pool()
    async with pool.connection() as conn:
        # the address first: once it is over its limit, its attempts add no rows for e-mails
        by_client = await login_throttle.count_attempt(conn, f"client:{client}", window)
        if by_client.attempts > settings.login_max_attempts_per_client:
            await _refuse(conn, by_client, f"client:{client}", "too many logins from this address")
        by_email = await login_throttle.count_attempt(
            conn, accounts.email_throttle_key(address), window
        )
        if by_email.attempts > settings.login_max_failures:
            await _refuse(conn, by_email, address, "too many failed logins for this e-mail")
        user = await accounts.find_login(conn, body.email)
    check = await asyncio.to_thread(accounts.verify_password, user, body.password)
    if not check.ok or user is None:  # (no user is never ok)
        async with pool.connection() as conn:
            await audit.record(
                conn,
                None,
                "auth.login_failed",
                address[:255],
                dedupe_key=_dedupe("auth.login_failed", by_email, by_email.attempts),
                reason="bad e-mail or password",
            )
        raise HTTPException(401, "wrong e-mail or password, or the user is disabled")
    user_id = str(user["id"])
    async with pool.connection() as conn, conn.transaction():
        if check.rehash:
            await accounts.set_password_hash(conn, user_id, check.rehash)
        await login_throttle.reset(conn, by_email.key)
        token, row = await accounts.issue_credential(
            conn, user_id, kind="session", ttl=timedelta(hours=settings.auth_session_hours)
        )
        await audit.record(conn, user_id, "auth.login", user_id)
    return LoginResponse(access_token=token, expires_at=row["expires_at"], user_id=user_id)


@router.post("/logout", status_code=204)
async def logout(request: Request, caller: CurrentUser, conn: Conn) -> Response:
    """Revoke the credential this request was made with."""
    token = bearer_token({k: v for k, v in request.scope["headers"]})
    principal = await accounts.resolve_credential(conn, token or "")
    if principal is not None and principal.credential_id:
        await accounts.revoke_credential(conn, caller.user_id, principal.credential_id)
        await audit.record(conn, caller.user_id, "auth.logout", caller.user_id)
    return Response(status_code=204)


@router.get("/me", response_model=Me)
async def me(caller: CurrentUser) -> Me:
    """Who the credential belongs to."""
    return Me(user_id=caller.user_id, email=caller.email, is_admin=caller.is_admin)


@router.get("/api-keys", response_model=list[ApiKey])
async def list_api_keys(caller: CurrentUser, conn: Conn) -> list[dict]:
    """The caller's live API keys."""
    return await accounts.list_credentials(conn, caller.user_id)


@router.post("/api-keys", response_model=NewApiKey, status_code=201)
async def create_api_key(body: ApiKeyRequest, caller: CurrentUser, conn: Conn) -> NewApiKey:
    """A new API key for the caller (for scripts and the SDK)."""
    ttl = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    async with conn.transaction():
        key, row = await accounts.issue_credential(
            conn, caller.user_id, kind="api_key", name=body.name, ttl=ttl
        )
        await audit.record(conn, caller.user_id, "auth.api_key_created", str(row["id"]))
    return NewApiKey(key=key, **row)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: UUID, caller: CurrentUser, conn: Conn) -> Response:
    """Revoke one of the caller's API keys."""
    if not await accounts.revoke_credential(conn, caller.user_id, key_id):
        raise HTTPException(404, f"API key {key_id} not found")
    await audit.record(conn, caller.user_id, "auth.api_key_revoked", str(key_id))
    return Response(status_code=204)


class PasswordChange(BaseModel):
    """The caller's current password and the new one."""

    model_config = {"extra": "forbid"}
    current_password: Annotated[
        SafeStr, Field(min_length=1, max_length=accounts.MAX_PASSWORD_LENGTH)
    ]
    new_password: Annotated[SafeStr, Field(max_length=accounts.MAX_PASSWORD_LENGTH)]
    revoke_api_keys: bool = Field(
        False, description="Also revoke every API key (but the one this request was made with)."
    )


class PasswordChanged(BaseModel):
    """What changing the password revoked, and the credential that stays valid."""

    revoked: int
    kept_credential_id: UUID | None


class Session(BaseModel):
    """A live login session (its token was shown once, at login)."""

    id: UUID
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    current: bool


async def _current_credential(request: Request, conn: DictConnection) -> str | None:
    """The id of the credential this request was made with (None for Studio's local user)."""
    principal = request.scope.get(PRINCIPAL_KEY)
    if principal is not None and principal.credential_id:
        return str(principal.credential_id)
    token = bearer_token({k: v for k, v in request.scope["headers"]})
    resolved = await accounts.resolve_credential(conn, token or "")
    return resolved.credential_id if resolved is not None else None


@router.post(
    "/password",
    response_model=PasswordChanged,
    responses={
        403: {"description": "The current password is wrong."},
        429: {"description": "Too many failed logins for this e-mail; see Retry-After."},
    },
)
async def change_password(
    body: PasswordChange, request: Request, caller: CurrentUser
) -> PasswordChanged:
    """Change the caller's password. Every other login session of theirs is revoked; the
    credential this request was made with (session or API key) stays valid, and API keys too
    unless ``revoke_api_keys``. A wrong current password counts as a failed login for the
    e-mail (``LOGIN_MAX_FAILURES``), so a stolen session cannot guess it. Audited."""
    try:
        accounts.check_password(body.new_password)
    except accounts.AccountError as error:
        raise HTTPException(422, str(error)) from None
    if body.new_password == body.current_password:
        raise HTTPException(422, "the new password is the current one")
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    pool = get_pool()
    async with pool.connection() as conn:
        keep = await _current_credential(request, conn)
        user = await accounts.find_login(conn, caller.email)
        if user is None or str(user["id"]) != caller.user_id:
            raise HTTPException(403, "this user has no password to change")
        hit = await login_throttle.count_attempt(
            conn, accounts.email_throttle_key(user["email"]), window
        )
        if hit.attempts > settings.login_max_failures:
            await _refuse(conn, hit, user["email"], "too many failed logins for this e-mail")
    # argon2 twice, holding no connection (as the login does)
    check = await asyncio.to_thread(accounts.verify_password, user, body.current_password)
    if not check.ok:
        async with pool.connection() as conn:
            await audit.record(
                conn,
                caller.user_id,
                "auth.password_change_failed",
                caller.user_id,
                dedupe_key=_dedupe("auth.password_change_failed", hit, hit.attempts),
                reason="wrong current password",
            )
        raise HTTPException(403, "the current password is wrong")
    digest = await asyncio.to_thread(accounts.hash_password, body.new_password)
    async with pool.connection() as conn, conn.transaction():
        revoked = await accounts.set_password(
            conn,
            user,
            digest,
            actor=caller.user_id,
            action="user.password_changed",
            keep=keep,
            revoke_api_keys=body.revoke_api_keys,
        )
    return PasswordChanged(revoked=revoked, kept_credential_id=UUID(keep) if keep else None)


@router.get("/sessions", response_model=list[Session])
async def list_sessions(request: Request, caller: CurrentUser, conn: Conn) -> list[Session]:
    """The caller's live login sessions, newest first (``current``: this request's)."""
    current = await _current_credential(request, conn)
    rows = await accounts.list_sessions(conn, caller.user_id)
    return [Session(**row, current=str(row["id"]) == current) for row in rows]


@router.delete("/sessions/{session_id}", status_code=204)
async def revoke_session(session_id: UUID, caller: CurrentUser, conn: Conn) -> Response:
    """Revoke one of the caller's login sessions (this request's own too, like a logout).
    Another user's answers exactly like a missing one (404), with an ``access.denied`` entry."""
    missing = f"session {session_id} not found"
    if await accounts.revoke_session(conn, caller.user_id, session_id, actor=caller.user_id):
        return Response(status_code=204)
    owner = await accounts.credential_owner(conn, session_id)
    if owner is not None and owner != caller.user_id:
        await audit.record(
            conn, caller.user_id, "access.denied", str(session_id), reason="not the owner"
        )
    raise HTTPException(404, missing)
