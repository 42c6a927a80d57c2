"""Full-text search over the caller's messages (PostgreSQL ``tsvector``, GIN-indexed)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from server.routes.deps import Conn, CurrentUser, SafeStr
from store.repositories import messages as full_text

router = APIRouter(prefix="/api/v1", tags=["search"])


class SearchHit(BaseModel):
    """A message that matches, with its conversation and a highlighted snippet."""

    thread_id: str
    title: str | None
    message_id: str
    role: str
    is_current: bool
    created_at: datetime
    rank: float
    snippet: str
    """HTML-escaped text around the matches, each match wrapped in ``<mark>…</mark>``."""


@router.get("/search", response_model=list[SearchHit])
async def search_messages(
    caller: CurrentUser,
    conn: Conn,
    q: Annotated[
        SafeStr,
        Query(
            min_length=1,
            max_length=500,
            description='Words to find; "quoted phrase", OR and -excluded work as on the web.',
        ),
    ],
    thread_id: UUID | None = Query(None, description="Only this conversation."),
    role: Literal["user", "assistant", "system", "tool"] | None = Query(
        None, description="Only messages of this role ('user': what you said)."
    ),
    branches: Literal["current", "all"] = Query(
        "all", description="'current': only messages in the threads' current state."
    ),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000),
) -> list[SearchHit]:
    """Search everything in the caller's conversations, best matches first."""
    rows = await full_text.search_messages(
        conn,
        q=q,
        owner=caller.user_id,
        thread_id=str(thread_id) if thread_id else None,
        role=role,
        current_only=branches == "current",
        limit=limit,
        offset=offset,
    )
    return [SearchHit(**r) for r in rows]
