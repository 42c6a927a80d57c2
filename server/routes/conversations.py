"""Conversations (the caller's LangGraph threads, as the mirror sees them) and their messages."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from server.retention import forget_threads
from server.routes.deps import (
    Conn,
    CurrentUser,
    SafeStr,
    decode_cursor,
    encode_cursor,
    owned_conversation,
)
from store.repositories import audit, conversations, messages
from store.retention import IdleThread, aapply_policy

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


class Conversation(BaseModel):
    """A conversation: one LangGraph thread of the caller's."""

    thread_id: str
    title: str | None
    status: Literal["active", "archived"]
    graph_id: str | None = None
    message_count: int = 0
    created_at: datetime
    last_activity_at: datetime


class ConversationPage(BaseModel):
    """One page of conversations; pass ``next_cursor`` back for the next one."""

    items: list[Conversation]
    next_cursor: str | None


class ConversationPatch(BaseModel):
    """What a conversation can change: its title, its status."""

    model_config = {"extra": "forbid"}
    title: Annotated[SafeStr, Field(min_length=1, max_length=500)] | None = None
    status: Literal["active", "archived"] | None = None


class Message(BaseModel):
    """One message of a conversation."""

    message_id: str
    role: str
    type: str
    content: str
    tool_calls: list[dict[str, Any]] | None = None
    position: int | None
    is_current: bool
    checkpoint_id: str | None
    created_at: datetime


@router.get("", response_model=ConversationPage)
async def list_conversations(
    caller: CurrentUser,
    conn: Conn,
    status: Literal["active", "archived", "all"] = "active",
    active_after: datetime | None = Query(None, description="Last activity at or after this."),
    active_before: datetime | None = Query(None, description="Last activity before this."),
    order: Literal["desc", "asc"] = Query("desc", description="By last activity."),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=500),
) -> ConversationPage:
    """The caller's conversations, most recently active first (cursor pagination)."""
    seek = decode_cursor(cursor, 2)
    try:
        cursor_at = datetime.fromisoformat(seek[0]) if seek else None
    except (TypeError, ValueError):
        raise HTTPException(
            422, "cursor is not valid: pass the next_cursor of a previous page"
        ) from None
    rows = await conversations.page(
        conn,
        caller.user_id,
        status=None if status == "all" else status,
        after=active_after,
        before=active_before,
        order=order,
        cursor_at=cursor_at,
        cursor_id=str(seek[1]) if seek else None,
        limit=limit + 1,
    )
    items = [Conversation(**r) for r in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1].last_activity_at, items[-1].thread_id)
        if len(rows) > limit
        else None
    )
    return ConversationPage(items=items, next_cursor=next_cursor)


async def _conversation_out(conn, row: dict) -> Conversation:
    return Conversation(**await conversations.shown(conn, row["id"]))


@router.get("/{thread_id}", response_model=Conversation)
async def get_conversation(thread_id: UUID, caller: CurrentUser, conn: Conn) -> Conversation:
    """One of the caller's conversations."""
    return await _conversation_out(conn, await owned_conversation(conn, caller, thread_id))


async def _update(conn, caller, thread_id: UUID, title: str | None, status: str | None) -> dict:
    row = await owned_conversation(conn, caller, thread_id)
    async with conn.transaction():
        updated = await conversations.update(conn, row["id"], title, status)
        if title is not None and title != row["title"]:
            await audit.record(conn, caller.user_id, "conversation.renamed", str(thread_id))
        if status is not None and status != row["status"]:
            action = "conversation.archived" if status == "archived" else "conversation.unarchived"
            await audit.record(conn, caller.user_id, action, str(thread_id))
    return updated


@router.patch("/{thread_id}", response_model=Conversation)
async def update_conversation(
    thread_id: UUID, body: ConversationPatch, caller: CurrentUser, conn: Conn
) -> Conversation:
    """Rename a conversation and/or archive or unarchive it."""
    if body.title is None and body.status is None:
        raise HTTPException(422, "nothing to change: give a 'title' and/or a 'status'")
    return await _conversation_out(
        conn, await _update(conn, caller, thread_id, body.title, body.status)
    )


@router.post("/{thread_id}/archive", response_model=Conversation)
async def archive_conversation(thread_id: UUID, caller: CurrentUser, conn: Conn) -> Conversation:
    """Hide a conversation from the default listing (its thread stays usable)."""
    return await _conversation_out(conn, await _update(conn, caller, thread_id, None, "archived"))


@router.post("/{thread_id}/unarchive", response_model=Conversation)
async def unarchive_conversation(thread_id: UUID, caller: CurrentUser, conn: Conn) -> Conversation:
    """Bring an archived conversation back to the default listing."""
    return await _conversation_out(conn, await _update(conn, caller, thread_id, None, "active"))


@router.delete("/{thread_id}", status_code=204)
async def delete_conversation(thread_id: UUID, caller: CurrentUser, conn: Conn) -> Response:
    """Delete a conversation for good: its thread, every checkpoint, its messages and documents.
    One ``thread.deleted`` audit entry records who did it."""
    row = await owned_conversation(conn, caller, thread_id)
    await forget_threads([str(thread_id)])  # out of the API's registry (audited below, once)
    await aapply_policy(
        conn,
        [IdleThread(str(thread_id), row["last_activity_at"])],
        "delete",
        actor=caller.user_id,
        reason="deleted by its owner",
    )
    return Response(status_code=204)


@router.get("/{thread_id}/messages", response_model=list[Message])
async def list_messages(
    thread_id: UUID,
    caller: CurrentUser,
    conn: Conn,
    branches: Literal["current", "all"] = Query(
        "current",
        description="'current': the thread's current state, in order; 'all': every message "
        "ever on any branch, in the order first seen.",
    ),
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> list[Message]:
    """The messages of a conversation."""
    row = await owned_conversation(conn, caller, thread_id)
    rows = await messages.of_conversation(
        conn, row["id"], current_only=branches == "current", limit=limit, offset=offset
    )
    return [Message(**r) for r in rows]
