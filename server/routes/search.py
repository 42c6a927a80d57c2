"""Full-text search over the caller's messages (PostgreSQL ``tsvector``, GIN-indexed)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from server.routes.deps import Conn, CurrentUser, SafeStr
from store.models.message import SEARCH_TEXT_LIMIT

router = APIRouter(prefix="/api/v1", tags=["search"])

# websearch_to_tsquery accepts any text (quotes for phrases, OR, -word) and never raises a
# syntax error, so user input goes in as is. Snippets are built from HTML-escaped text, so the
# only markup in them is the <mark> around matches.
SEARCH_SQL = f"""
WITH q AS (SELECT websearch_to_tsquery('english', %(q)s) AS query),
hits AS (
    SELECT m.id, c.thread_id, c.title, m.message_id, m.role, m.is_current, m.created_at,
           m.content, ts_rank_cd(m.search_vector, q.query, 32) AS rank, q.query
    FROM q, messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.owner_id = %(owner)s AND m.search_vector @@ q.query
      AND (%(thread)s::text IS NULL OR c.thread_id = %(thread)s)
      AND (%(role)s::text IS NULL OR m.role = %(role)s)
      AND (NOT %(current_only)s OR m.is_current)
    ORDER BY rank DESC, m.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT thread_id, title, message_id, role, is_current, created_at, rank,
       ts_headline('english',
                   replace(replace(replace(left(content, {SEARCH_TEXT_LIMIT}),
                       '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                   query,
                   'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2')
           AS snippet
FROM hits ORDER BY rank DESC, id DESC
"""


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
    cur = await conn.execute(
        SEARCH_SQL,
        {
            "q": q,
            "owner": caller.user_id,
            "thread": str(thread_id) if thread_id else None,
            "role": role,
            "current_only": branches == "current",
            "limit": limit,
            "offset": offset,
        },
    )
    return [SearchHit(**r) for r in await cur.fetchall()]
