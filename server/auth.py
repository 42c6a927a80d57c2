"""Authentication and per-user authorization for the whole server (``langgraph.json`` → ``auth``).

Every request carries ``Authorization: Bearer <token>`` (an API key ``adlk_…`` or a session token
``adls_…`` from ``POST /auth/login``; ``X-Api-Key: <key>`` works too). The handlers below scope
every LangGraph API resource to its owner: what a user creates gets ``metadata.owner`` = their
user id, and every read, update, delete, search, run, copy and state call is filtered on it, so
another user's thread looks exactly like one that does not exist (404). The store is scoped by
namespace: its first element must be the caller's user id. Failed authentications are audited.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from langgraph_sdk import Auth

from server.registry import thread_owner
from server.shared import get_pool
from store import accounts, audit

logger = logging.getLogger("adlaan.auth")

auth = Auth()

#: Routes that answer without credentials (logging in, liveness).
PUBLIC_PATHS = frozenset({"/auth/login", "/adlaan/health"})
ANONYMOUS = "anonymous"
ADMIN = "admin"


def bearer_token(headers: dict[bytes, bytes]) -> str | None:
    """The credential of a request: ``Authorization: Bearer …`` or ``X-Api-Key: …``."""
    raw = headers.get(b"authorization") or b""
    value = raw.decode("latin-1").strip()
    if value:
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else value
    key = (headers.get(b"x-api-key") or b"").decode("latin-1").strip()
    return key or None


async def _deny(scope: dict[str, Any], reason: str) -> None:
    """Audit a request refused for its credentials: one entry per client address, reason and
    minute, so a flood of bad requests cannot grow the audit log without bound."""
    client = (scope.get("client") or ("unknown",))[0]
    path, method = scope.get("path", ""), scope.get("method", "GET")
    minute = int(time.time() // 60)
    try:
        async with get_pool().connection() as conn:
            await audit.record(
                conn,
                None,
                "auth.denied",
                path[:255],
                dedupe_key=f"auth.denied:{client}:{reason}:{minute}"[:300],
                method=method,
                reason=reason,
                client=client,
            )
    except Exception:  # auditing must not turn a 401 into a 500
        logger.exception("could not audit a denied request")


@auth.authenticate
async def authenticate(
    headers: dict[bytes, bytes], path: str, scope: dict[str, Any]
) -> dict[str, Any]:
    """Resolve the request's credential to a user (401 with the reason when it cannot; the
    public routes answer anonymous callers, and callers with a stale token, too)."""
    anonymous = {"identity": ANONYMOUS, "is_authenticated": False, "permissions": []}
    token = bearer_token(headers)
    if token is None:
        if path in PUBLIC_PATHS:
            return anonymous
        await _deny(scope, "no credentials")
        raise Auth.exceptions.HTTPException(
            401,
            "authentication required: send 'Authorization: Bearer <token>' with an API key "
            "or the access_token from POST /auth/login",
        )
    async with get_pool().connection() as conn:
        principal = await accounts.resolve_credential(conn, token)
    if principal is None:
        if path in PUBLIC_PATHS:
            return anonymous
        await _deny(scope, "invalid, expired or revoked credentials")
        raise Auth.exceptions.HTTPException(401, "invalid, expired or revoked credentials")
    return {
        "identity": principal.user_id,
        "display_name": principal.email,
        "is_authenticated": True,
        "permissions": ["user", ADMIN] if principal.is_admin else ["user"],
    }


def _owner(ctx: Auth.types.AuthContext) -> str:
    """Whose resources the request touches. `langgraph dev` lets Studio in without credentials
    as ``langgraph-studio-user`` (a ``StudioUser``): a principal of its own, which sees only what
    it created, never a user's threads (set ``disable_studio_auth`` to make Studio log in)."""
    if isinstance(ctx.user, Auth.types.StudioUser):
        return ctx.user.identity
    if not ctx.user.is_authenticated or ctx.user.identity == ANONYMOUS:
        raise Auth.exceptions.HTTPException(401, "authentication required")
    return ctx.user.identity


async def _audit_foreign_thread(ctx: Auth.types.AuthContext, owner: str, value: Any) -> None:
    """Leave an ``access.denied`` entry when the call names another user's thread (the filter
    then makes the API answer as if it did not exist)."""
    if ctx.resource not in ("threads", "crons") or not isinstance(value, dict):
        return
    thread_id = value.get("thread_id")
    if thread_id is None or ctx.action == "create":
        return
    found = thread_owner(thread_id)
    if found is not None and found != owner:
        try:
            async with get_pool().connection() as conn:
                await audit.record(
                    conn,
                    owner,
                    "access.denied",
                    str(thread_id),
                    resource=ctx.resource,
                    operation=ctx.action,
                    reason="not the owner",
                )
        except Exception:  # auditing must not change the answer
            logger.exception("could not audit a denied request")


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Threads, runs, crons, assistants by default: stamp the owner on what is written, and
    see only what one owns."""
    owner = _owner(ctx)
    if isinstance(value, dict) and "metadata" in value:
        if value["metadata"] is None:
            value["metadata"] = {}
        if isinstance(value["metadata"], dict):
            value["metadata"]["owner"] = owner  # cannot be set to someone else
    await _audit_foreign_thread(ctx, owner, value)
    return {"owner": owner}


@auth.on.assistants.read
@auth.on.assistants.search
async def assistants_visible(ctx: Auth.types.AuthContext, value: Any) -> dict[str, Any]:
    """One's own assistants, and the graphs' default assistants everybody runs."""
    return {"$or": [{"owner": _owner(ctx)}, {"created_by": "system"}]}


@auth.on.store
async def store_namespace(ctx: Auth.types.AuthContext, value: Any) -> None:
    """The store is partitioned by user: a namespace starts with the caller's user id."""
    owner = _owner(ctx)
    namespace = tuple(value.get("namespace") or ())
    if not namespace and ctx.action in ("search", "list_namespaces"):
        value["namespace"] = (owner,)
        return
    if not namespace or namespace[0] != owner:
        raise Auth.exceptions.HTTPException(
            403, 'store namespaces start with your user id: use ("<your user id>", ...)'
        )
