"""Logging in, and the caller's own API keys."""

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from server.auth import bearer_token
from server.routes.deps import Conn, CurrentUser, SafeStr
from server.settings import get_settings
from store import accounts, audit

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    """E-mail and password of an existing, active user."""

    model_config = {"extra": "forbid"}
    email: Annotated[SafeStr, Field(min_length=3, max_length=320)]
    password: Annotated[SafeStr, Field(min_length=1, max_length=accounts.MAX_PASSWORD_LENGTH)]


class LoginResponse(BaseModel):
    """A bearer token for ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str = "bearer"
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


RECENT_FAILURES_SQL = """
SELECT count(*) AS n FROM audit_logs
WHERE action = 'auth.login_failed' AND target = %s AND created_at > now() - %s::interval
"""


@router.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, conn: Conn) -> LoginResponse:
    """Exchange e-mail and password for an access token (audited, failures too). After
    ``LOGIN_MAX_FAILURES`` failures for one e-mail within ``LOGIN_WINDOW_MINUTES``, logins for
    it are refused with 429 until the window has passed."""
    settings = get_settings()
    target = body.email.strip().lower()[:255]
    window = timedelta(minutes=settings.login_window_minutes)
    failures = (await (await conn.execute(RECENT_FAILURES_SQL, (target, window))).fetchone())["n"]
    if failures >= settings.login_max_failures:
        await audit.record(conn, None, "auth.login_throttled", target, failures=failures)
        raise HTTPException(
            429,
            f"too many failed logins for this e-mail: try again in "
            f"{settings.login_window_minutes:g} minutes",
            headers={"Retry-After": str(int(window.total_seconds()))},
        )
    user = await accounts.verify_login(conn, body.email, body.password)
    if user is None:
        await audit.record(conn, None, "auth.login_failed", target, reason="bad e-mail or password")
        raise HTTPException(401, "wrong e-mail or password, or the user is disabled")
    hours = settings.auth_session_hours
    async with conn.transaction():
        token, row = await accounts.issue_credential(
            conn, user["id"], kind="session", ttl=timedelta(hours=hours)
        )
        await audit.record(conn, str(user["id"]), "auth.login", str(user["id"]))
    return LoginResponse(access_token=token, expires_at=row["expires_at"], user_id=str(user["id"]))


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
