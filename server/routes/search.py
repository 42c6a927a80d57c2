"""Full-text search over the caller's messages and document versions (PostgreSQL ``tsvector``,
GIN-indexed; ``store/repositories/fulltext.py`` says how a page is found)."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from server.routes.deps import Conn, CurrentUser, SafeStr
from server.routes.documents import DocumentVersion
from store import crypto
from store.repositories import documents as document_text
from store.repositories import messages as full_text

router = APIRouter(prefix="/api/v1", tags=["search"])

Words = Annotated[
    SafeStr,
    Query(
        min_length=1,
        max_length=500,
        description='Words to find; "quoted phrase", OR and -excluded work as on the web.',
    ),
]
ThreadFilter = Annotated[UUID | None, Query(description="Only this conversation.")]
StatusFilter = Annotated[
    Literal["active", "archived", "all"],
    Query(description="Only active or only archived conversations ('all': both)."),
]
After = Annotated[
    datetime | None, Query(description="Only what was written at or after this time.")
]
Before = Annotated[datetime | None, Query(description="Only what was written before this.")]
SortOrder = Annotated[
    Literal["relevance", "recent"],
    Query(
        description="Each page holds the next newest matches; 'relevance' shows them best "
        "first, 'recent' newest first."
    ),
]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=10_000)]


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


class DocumentHit(DocumentVersion):
    """A document version whose title or text matches, with a highlighted snippet."""

    rank: float
    snippet: str
    """HTML-escaped text around the matches, each match wrapped in ``<mark>…</mark>``."""


def _period(
    after: datetime | None, before: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """``[after, before)``, a time without an offset taken as UTC; 422 when it is empty."""
    after, before = (
        t.replace(tzinfo=UTC) if t and t.tzinfo is None else t for t in (after, before)
    )
    if after is not None and before is not None and after >= before:
        raise HTTPException(422, "'after' must be earlier than 'before'")
    return after, before


class Search:
    """What both searches take: the words, the filters, the order and the page."""

    def __init__(
        self,
        q: Words,
        thread_id: ThreadFilter = None,
        status: StatusFilter = "all",
        after: After = None,
        before: Before = None,
        sort: SortOrder = "relevance",
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> None:
        after, before = _period(after, before)
        self.arguments: dict[str, Any] = {
            "q": q,
            "thread_id": str(thread_id) if thread_id else None,
            "status": None if status == "all" else status,
            "after": after,
            "before": before,
            "sort": sort,
            "limit": limit,
            "offset": offset,
        }


SEARCH_OFF = (
    "search is off while ADLAAN_ENCRYPTION_KEY is set: the text is stored encrypted, and a "
    "full-text index would hold it in the clear (docs/security.md, Encryption at rest)"
)


def _searchable() -> None:
    """Refuse a search with a key set, rather than answer an empty page that looks like no match."""
    if crypto.keyring() is not None:
        raise HTTPException(409, SEARCH_OFF)


@router.get(
    "/search",
    response_model=list[SearchHit],
    dependencies=[Depends(_searchable)],
    responses={409: {"description": "Search is off while encryption at rest is on."}},
)
async def search_messages(
    caller: CurrentUser,
    conn: Conn,
    search: Annotated[Search, Depends()],
    role: Literal["user", "assistant", "system", "tool"] | None = Query(
        None, description="Only messages of this role ('user': what you said)."
    ),
    branches: Literal["current", "all"] = Query(
        "all", description="'current': only messages in the threads' current state."
    ),
) -> list[SearchHit]:
    """Search everything in the caller's conversations: the newest matches, best first."""
    rows = await full_text.search_messages(
        conn,
        owner=caller.user_id,
        role=role,
        current_only=branches == "current",
        **search.arguments,
    )
    return [SearchHit(**r) for r in rows]


@router.get(
    "/search/documents",
    response_model=list[DocumentHit],
    dependencies=[Depends(_searchable)],
    responses={409: {"description": "Search is off while encryption at rest is on."}},
)
async def search_documents(
    caller: CurrentUser, conn: Conn, search: Annotated[Search, Depends()]
) -> list[DocumentHit]:
    """Search the text of every version of every document of the caller's conversations."""
    rows = await document_text.search_documents(conn, owner=caller.user_id, **search.arguments)
    return [DocumentHit(**r) for r in rows]
