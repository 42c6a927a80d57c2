"""Authentication and per-user authorization for the whole server (``langgraph.json`` → ``auth``).

Every request carries ``Authorization: Bearer <token>`` (an API key ``adlk_…`` or a session token
``adls_…`` from ``POST /auth/login``; ``X-Api-Key: <key>`` works too). The handlers below scope
every LangGraph API resource to its owner: what a user creates gets ``metadata.owner`` = their
user id, and every read, update, delete, search, run, copy and state call is filtered on it, so
another user's thread looks exactly like one that does not exist (404). Ownership is kept and
checked in PostgreSQL (``resource_owners``), so it outlives the server's memory. The store is
scoped by namespace: its first element must be the caller's user id. Credentials are resolved,
and refusals audited, by the gate in front of every route (server/gate.py).
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph_sdk import Auth

from server.gate import PRINCIPAL_KEY, access_of, bearer_token
from server.shared import get_pool
from store import accounts
from store.repositories import audit, owners

logger = logging.getLogger("adlaan.auth")

auth = Auth()

__all__ = ["auth", "bearer_token"]

ANONYMOUS = "anonymous"
ADMIN = "admin"
#: A filter no resource matches: the runtime then answers exactly as for a missing one.
NOBODY = {"owner": "\x00nobody"}
_KINDS: dict[str, owners.Kind] = {"threads": "thread", "assistants": "assistant", "crons": "cron"}


@auth.authenticate
async def authenticate(scope: dict[str, Any], headers: dict[bytes, bytes]) -> dict[str, Any]:
    """The principal the gate (server/gate.py) resolved from the request's credential; public
    routes answer anonymous callers too. The gate has refused every other request without a
    live credential before this runs."""
    if PRINCIPAL_KEY in scope:
        principal = scope[PRINCIPAL_KEY]
    else:  # not through the gate (a mounted sub-application): resolve here
        token = bearer_token(headers)
        principal = None
        if token is not None:
            async with get_pool().connection() as conn:
                principal = await accounts.resolve_credential(conn, token)
    if principal is None:
        if access_of(scope.get("method", "GET"), scope.get("path", "")) == "public":
            return {"identity": ANONYMOUS, "is_authenticated": False, "permissions": []}
        raise Auth.exceptions.HTTPException(401, "authentication required")
    return {
        "identity": principal.user_id,
        "display_name": principal.email,
        "is_authenticated": True,
        "permissions": ["user", ADMIN] if principal.is_admin else ["user"],
    }


def _owner(ctx: Auth.types.AuthContext) -> str:
    """The user whose resources the request touches (a header alone never makes one)."""
    if not ctx.user.is_authenticated or ctx.user.identity == ANONYMOUS:
        raise Auth.exceptions.HTTPException(401, "authentication required")
    return ctx.user.identity


def _ids(kind: str, value: dict[str, Any]) -> list[str]:
    one = value.get(f"{kind}_id")
    many = value.get(f"{kind}_ids") or []
    return [str(i) for i in ([one] if one is not None else []) + list(many)]


async def _durable(ctx: Auth.types.AuthContext, owner: str, value: Any) -> dict | None:
    """Check ownership where it is kept, in PostgreSQL (``resource_owners``): claim what is
    created, refuse an id someone else owns, and answer for another user's resource exactly as
    for a missing one (``NOBODY``), leaving an ``access.denied`` audit entry."""
    if not isinstance(value, dict) or ctx.resource not in _KINDS:
        return None
    kind, action = _KINDS[ctx.resource], ctx.action
    async with get_pool().connection() as conn:
        if action == "create":
            for resource_id in _ids(kind, value):
                if not await owners.claim(conn, kind, resource_id, owner):
                    await _denied(conn, owner, kind, resource_id, action)
                    label = "Thread with ID" if kind == "thread" else kind.capitalize()
                    raise Auth.exceptions.HTTPException(
                        409, f"{label} {resource_id} already exists"
                    )
            # a cron on a thread runs on it: the thread must be the caller's too
            checks: list[tuple[owners.Kind, str]] = (
                [("thread", t) for t in _ids("thread", value)] if kind == "cron" else []
            )
        else:
            checks = [(kind, resource_id) for resource_id in _ids(kind, value)]
        for checked_kind, resource_id in checks:
            found = await owners.owner_of(conn, checked_kind, resource_id)
            if found is owners.UNCLAIMED:
                # A run with if_not_exists="create" makes the thread: it is claimed like one.
                if action != "create_run" or await owners.claim(
                    conn, checked_kind, resource_id, owner
                ):
                    continue
            elif found == owner:
                continue
            await _denied(conn, owner, checked_kind, resource_id, action)
            if action == "create_run":  # the runtime would create a missing thread: refuse here
                raise Auth.exceptions.HTTPException(404, "Thread or assistant not found.")
            return NOBODY
        if action == "delete" and checks:
            await owners.mark_deleted(conn, kind, [r for _, r in checks], owner)
    return None


async def _denied(conn, owner: str, kind: str, resource_id: str, action: str) -> None:
    try:
        await audit.record(
            conn,
            owner,
            "access.denied",
            resource_id,
            resource=kind,
            operation=action,
            reason="not the owner",
        )
    except Exception:  # auditing must not change the answer
        logger.exception("could not audit a denied request")


def _stamp(ctx: Auth.types.AuthContext, value: Any, owner: str) -> None:
    """What a user writes is theirs, whatever metadata they send: ``owner`` is the caller, and
    ``created_by`` (which marks the graphs' shared default assistants) cannot say "system"."""
    if isinstance(value, dict) and "metadata" in value:
        if value["metadata"] is None:
            value["metadata"] = {}
        if isinstance(value["metadata"], dict):
            value["metadata"]["owner"] = owner
            if ctx.resource == "assistants":
                value["metadata"]["created_by"] = owner


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Threads, runs, crons, assistants by default: stamp the owner on what is written, check
    ownership in PostgreSQL, and see only what one owns."""
    owner = _owner(ctx)
    _stamp(ctx, value, owner)
    return await _durable(ctx, owner, value) or {"owner": owner}


async def assistants_visible(ctx: Auth.types.AuthContext, value: Any) -> dict[str, Any]:
    """One's own assistants, and the graphs' default assistants everybody runs (no user can
    make one: ``created_by`` is overwritten on everything a user writes)."""
    owner = _owner(ctx)
    return await _durable(ctx, owner, value) or {
        "$or": [{"owner": owner}, {"created_by": "system"}]
    }


# Registered once per action: each decorator is typed for its own action's value.
auth.on.assistants.search(assistants_visible)
auth.on.assistants.read(assistants_visible)


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
