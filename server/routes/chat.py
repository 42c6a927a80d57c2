"""The seed's chat endpoint: one message in, the agent's reply and the thread id out.

When the agent asks a question (its run stopped on an ``interrupt``), the reply carries it in
``question``, and the next message on that thread answers it: the run resumes with the message
(``Command(resume=message)``) instead of starting a new turn."""

import uuid
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server.routes.deps import CurrentUser, SafeStr, require_owner
from server.shared import get_pool
from store.repositories import owners

router = APIRouter(prefix="/api/v1", tags=["chat"])

GRAPH = "drafter"


class ChatRequest(BaseModel):
    """A user message, and the conversation to continue (a new one when absent)."""

    model_config = {"extra": "forbid"}
    message: Annotated[SafeStr, Field(min_length=1, max_length=20_000)]
    thread_id: UUID | None = None


class Question(BaseModel):
    """A question the agent is waiting on: the next message on the thread answers it."""

    field: str = Field(description="What the answer decides (governing_law, term_months, ...).")
    question: str
    options: list[str] = Field(default_factory=list, description="Answers to choose from.")


class ChatResponse(BaseModel):
    """The agent's reply, the thread it is on, the current draft if there is one, and the
    question it waits on if it asked one (the reply is then that question)."""

    thread_id: str
    reply: str
    document: dict[str, Any] | None = None
    question: Question | None = None


def _question(values: dict[str, Any]) -> Question | None:
    """The question a run stopped on (its first ``interrupt``), or None when it finished."""
    for pending in values.get("__interrupt__") or []:
        value = pending.get("value") if isinstance(pending, dict) else None
        if isinstance(value, dict) and isinstance(value.get("question"), str):
            return Question(
                field=str(value.get("field") or "answer"),
                question=value["question"],
                options=[str(o) for o in value.get("options") or []],
            )
        if value is not None:
            return Question(field="answer", question=_text(value))
    return None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


@router.post("/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, caller: CurrentUser) -> ChatResponse:
    """Run the drafter on the message (continuing ``thread_id``) and wait for its reply.

    Holds no database connection while the run goes on (the run has its own)."""
    if not body.message.strip():
        raise HTTPException(422, "message is empty: say what to draft or change")
    from langgraph_sdk import get_client

    # In-process client: it skips authentication, so ownership is claimed and checked here, in
    # PostgreSQL, as the auth handler does on the LangGraph API.
    client = get_client()
    async with get_pool().connection() as conn:
        if body.thread_id is None:
            thread_id = str(uuid.uuid4())
            await owners.claim(conn, "thread", thread_id, caller.user_id)
        else:
            thread_id = str(body.thread_id)
            owner = await owners.owner_of(conn, "thread", thread_id)
            await require_owner(
                conn,
                caller,
                owner if isinstance(owner, str) else None,
                thread_id,
                f"thread {thread_id} not found",
            )
    waiting = False
    if body.thread_id is None:
        await client.threads.create(thread_id=thread_id, metadata={"owner": caller.user_id})
    else:
        try:
            thread = await client.threads.get(thread_id)
        except httpx.HTTPStatusError as missing:
            if missing.response.status_code == 404:
                raise HTTPException(404, f"thread {thread_id} not found") from None
            raise
        waiting = thread.get("status") == "interrupted" or any(
            (thread.get("interrupts") or {}).values()
        )
    turn: dict[str, Any] = (
        {"command": {"resume": body.message}}
        if waiting
        else {"input": {"messages": [{"role": "user", "content": body.message}]}}
    )
    values = await client.runs.wait(
        thread_id,
        GRAPH,
        **turn,
        metadata={"owner": caller.user_id},
        multitask_strategy="enqueue",
    )
    if not isinstance(values, dict) or "__error__" in values:
        error = values.get("__error__") if isinstance(values, dict) else values
        raise HTTPException(502, f"the agent failed on this message: {error!r}")
    messages = values.get("messages") or []
    question = _question(values)
    reply = (
        question.question
        if question
        else next(
            (_text(m.get("content")) for m in reversed(messages) if m.get("type") == "ai"), ""
        )
    )
    document = values.get("document") or None
    if document:
        document = {k: document.get(k) for k in ("key", "version", "title", "jurisdiction")}
    return ChatResponse(thread_id=str(thread_id), reply=reply, document=document, question=question)
