"""Operators' routes: the audit log and monitoring statistics (administrators only)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from server.routes.deps import AdminUser, Conn, SafeStr, decode_cursor, encode_cursor
from store.repositories import audit
from store.repositories import stats as stats_repo

router = APIRouter(tags=["admin"])


class AuditEntry(BaseModel):
    """One audit entry."""

    id: int
    actor: str | None
    action: str
    target: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    """Audit entries, newest first; pass ``next_cursor`` back for older ones."""

    items: list[AuditEntry]
    next_cursor: str | None


@router.get("/api/v1/audit", response_model=AuditPage)
async def query_audit(
    caller: AdminUser,
    conn: Conn,
    actor: SafeStr | None = Query(None, max_length=255, description="A user id, or 'retention'…"),
    action: SafeStr | None = Query(
        None, max_length=64, description="Exact action, or a family like 'auth.*'."
    ),
    target: SafeStr | None = Query(None, max_length=255, description="A thread id, a path…"),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200),
) -> AuditPage:
    """Who did what to which target, when: filter by actor, action, target and time."""
    seek = decode_cursor(cursor, 1, (int,))
    before = seek[0] if seek else None
    rows = await audit.query(
        conn,
        actor=actor,
        action=action,
        target=target,
        since=since,
        until=until,
        before_id=before,
        limit=limit + 1,
    )
    items = [AuditEntry(**r) for r in rows[:limit]]
    return AuditPage(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


@router.get("/stats")
async def stats(
    caller: AdminUser,
    conn: Conn,
    top: int = Query(10, ge=1, le=100, description="How many of the largest threads to list."),
) -> dict[str, Any]:
    """Monitoring: row counts, table sizes, the threads taking the most checkpoint storage,
    how far each hook plugin lags behind, and hook failures."""
    found = await stats_repo.collect(conn, top)
    counts, sizes, storage = found["counts"], found["sizes"], found["storage"]
    lag, dead = found["lag"], found["dead"]
    return {
        "counts": counts,
        "table_bytes": {r["table"]: r["bytes"] for r in sizes},
        "checkpoint_storage_top_threads": storage,
        "mirror_lag": [
            {
                "plugin": r["plugin"],
                "events_behind": r["events_behind"],
                "oldest_pending_seconds": float(r["oldest_pending_seconds"] or 0.0),
            }
            for r in lag
        ],
        "hook_failures": {
            "retrying": [
                {"plugin": r["plugin"], "attempts": r["attempts"], "last_error": r["last_error"]}
                for r in lag
                if r["attempts"]
            ],
            "dead_letters": {r["plugin"]: r["dead_letters"] for r in dead},
        },
    }
