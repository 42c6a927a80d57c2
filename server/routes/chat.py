"""The seed's chat endpoint: one message in, the agent's reply and the thread id out, as one JSON
object or, with ``Accept: text/event-stream``, as server-sent events while the run goes on.

When the agent asks a question (its run stopped on an ``interrupt``), the reply carries it in
``question``, and the next message on that thread answers it: the run resumes with the message
(``Command(resume=message)``) instead of starting a new turn.

The stream (docs/api.md, "Chat"): ``run`` (thread and run ids, as soon as the run exists), a
``token`` per chunk of AI text (from the run's ``messages`` stream; tool calls and tool results
are not reply text), ``question`` when the run stops on an ``interrupt``, then ``done`` with what
the JSON reply holds, or ``error`` instead. A client that disconnects does not stop the turn: the
run is created before the response starts and goes on to the end (``on_disconnect="continue"``),
so its draft is saved and the next message continues from it.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from server.routes.deps import CurrentUser, SafeStr, require_owner
from server.shared import get_pool
from store.repositories import owners

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["chat"])

GRAPH = "drafter"
EVENT_STREAM = "text/event-stream"
#: What the stream reads from the run: AI text as it is generated, and the state after each step.
STREAM_MODES = ["messages-tuple", "values"]
#: A comment line this often while the run is silent, so proxies keep the connection open.
KEEPALIVE_SECONDS = 15.0


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
    document: dict[str, Any] | None = Field(
        default=None,
        description="The draft after this turn: its key (the document's id), version, title and "
        "jurisdiction; null while there is no draft.",
    )
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
    if isinstance(content, list):  # content blocks: only text blocks are text
        return "".join(
            (b.get("text", "") if b.get("type", "text") == "text" else "")
            if isinstance(b, dict)
            else str(b)
            for b in content
        )
    return str(content)


def _response(thread_id: str, values: dict[str, Any]) -> ChatResponse:
    """What a turn's final state (with the interrupt it stopped on, if any) tells the caller."""
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
    return ChatResponse(thread_id=thread_id, reply=reply, document=document, question=question)


async def _turn(body: ChatRequest, caller: Any) -> tuple[Any, str, dict[str, Any]]:
    """The in-process LangGraph client, the caller's thread (claimed when new, else checked to be
    theirs: 404 otherwise) and the run's input: the message, or the answer to the question the
    thread waits on. Holds no database connection afterwards (the run has its own)."""
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
    return client, thread_id, turn


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {
            "content": {
                EVENT_STREAM: {
                    "schema": {"type": "string"},
                    "example": 'event: token\ndata: {"text": "Drafted"}\n\n',
                }
            },
            "description": "The reply as JSON, or, with 'Accept: text/event-stream', the run as "
            "server-sent events: run, token..., question?, then done (a ChatResponse with "
            "run_id) or error.",
        }
    },
)
async def chat(body: ChatRequest, caller: CurrentUser, request: Request) -> Any:
    """Run the drafter on the message (continuing ``thread_id``): wait for its reply, or stream
    it when the request accepts ``text/event-stream``."""
    # The Accept header is read here rather than declared as a parameter: the OpenAPI document
    # describes the two answers under 200 instead (and fuzzers do not invent Accept values).
    client, thread_id, turn = await _turn(body, caller)
    metadata = {"owner": caller.user_id}
    if EVENT_STREAM in request.headers.get("accept", "").lower():
        return await _event_stream(client, thread_id, turn, metadata)
    values = await client.runs.wait(
        thread_id, GRAPH, **turn, metadata=metadata, multitask_strategy="enqueue"
    )
    if not isinstance(values, dict) or "__error__" in values:
        error = values.get("__error__") if isinstance(values, dict) else values
        raise HTTPException(502, f"the agent failed on this message: {error!r}")
    return _response(thread_id, values)


def _sse(event: str, data: Any) -> str:
    """One server-sent event: its name and its data as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _token(part_data: Any) -> dict[str, str] | None:
    """The reply text in a ``messages-tuple`` part (``[message, metadata]``): AI text only, so
    tool-call chunks (their arguments are not content), tool results and the user's own
    messages are never streamed as the reply."""
    if not isinstance(part_data, list | tuple) or not part_data:
        return None
    message = part_data[0]
    if not isinstance(message, dict) or message.get("type") not in ("ai", "AIMessageChunk"):
        return None
    text = _text(message.get("content"))
    return {"text": text, "message_id": str(message.get("id") or "")} if text else None


def _failure(data: Any) -> str:
    """A run's ``error`` event as a sentence for the client: the error's type and message, never
    a traceback."""
    if isinstance(data, dict):
        kind, message = data.get("error") or "Error", str(data.get("message") or "")
    else:
        kind, message = "Error", str(data)
    message = message.strip().splitlines()[0][:300] if message.strip() else ""
    return f"the agent failed on this message ({kind}{': ' + message if message else ''})"


async def _event_stream(
    client: Any, thread_id: str, turn: dict[str, Any], metadata: dict[str, str]
) -> StreamingResponse:
    """Start the run and answer with its events.

    The run's stream is read by a task of its own; the response starts once the run exists (so
    an error creating it is a plain HTTP error), and a client that goes away only stops the
    reading: the run was created with ``on_disconnect="continue"`` and ends as it would have."""
    created: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    parts: asyncio.Queue[Any] = asyncio.Queue()
    end = object()

    def on_created(run: Any) -> None:
        if not created.done():
            created.set_result(str(run["run_id"]))

    async def read() -> None:
        try:
            async for part in client.runs.stream(
                thread_id,
                GRAPH,
                **turn,
                stream_mode=STREAM_MODES,
                metadata=metadata,
                multitask_strategy="enqueue",
                on_disconnect="continue",
                on_run_created=on_created,
            ):
                parts.put_nowait(part)
        except Exception as error:  # reported to the client as an error event, not raised
            if not created.done():
                created.set_exception(error)
            parts.put_nowait(error)
        finally:
            parts.put_nowait(end)

    reader = asyncio.create_task(read())
    waited: set[asyncio.Future[Any]] = {created, reader}
    await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
    if not created.done():  # the stream ended without a run: nothing to stream
        created.set_exception(RuntimeError("no run was created"))
    try:
        run_id = created.result()
    except httpx.HTTPStatusError as refused:
        status = refused.response.status_code
        if status == 404:
            raise HTTPException(404, f"thread {thread_id} not found") from None
        if status in (409, 422):
            raise HTTPException(status, "the agent refused this message") from None
        raise HTTPException(502, "the agent could not start on this message") from None
    except Exception as error:
        logger.warning("chat stream did not start a run: %s", type(error).__name__)
        raise HTTPException(502, "the agent could not start on this message") from None

    async def events() -> AsyncIterator[str]:
        values: dict[str, Any] = {}
        interrupts: list[Any] = []
        try:
            yield _sse("run", {"thread_id": thread_id, "run_id": run_id})
            while True:
                try:
                    part = await asyncio.wait_for(parts.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if part is end:
                    break
                if isinstance(part, BaseException):
                    logger.warning("chat stream broke off: %s", type(part).__name__)
                    yield _sse(
                        "error",
                        {
                            "message": "the agent's stream broke off; the turn "
                            "goes on: read the conversation for its result"
                        },
                    )
                    return
                if part.event == "messages":
                    if token := _token(part.data):
                        yield _sse("token", token)
                elif part.event == "values" and isinstance(part.data, dict):
                    if "__interrupt__" in part.data:
                        interrupts = part.data["__interrupt__"] or []
                        rest = {k: v for k, v in part.data.items() if k != "__interrupt__"}
                        values = rest or values
                    else:
                        values = part.data
                elif part.event == "error":
                    yield _sse("error", {"message": _failure(part.data)})
                    return
            reply = _response(thread_id, {**values, "__interrupt__": interrupts})
            if reply.question is not None:
                yield _sse("question", reply.question.model_dump())
            yield _sse("done", {**reply.model_dump(), "run_id": run_id})
        finally:
            if not reader.done():  # the client went away: stop reading; the run goes on
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader

    return StreamingResponse(
        events(),
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
