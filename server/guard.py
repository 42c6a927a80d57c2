"""Request validation in front of the LangGraph API: bad input gets a clear 4xx and writes nothing.

langgraph-api accepts a run whose user message is empty, and a run or state update that names a
checkpoint the thread never had silently starts from an empty state. Some bodies its schemas let
through make it fail with a 500: a store search without ``namespace_prefix``, a cron without
``assistant_id``, a thread search by ``values`` (the in-memory runtime crashes on a thread that
has none). This ASGI middleware checks those requests before they reach the API, so nothing is
created for them.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from server.gate import read_body, replay
from store.db import DictPool
from store.repositories import checkpoints, owners

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HUMAN_ROLES = {"human", "user"}
KNOWN_ROLES = HUMAN_ROLES | {"ai", "assistant", "system", "developer", "tool", "function", "remove"}

_THREAD_RUN = re.compile(r"^/threads/(?P<thread>[^/]+)/runs(?:/stream|/wait)?/?$")
_STATELESS_RUN = re.compile(r"^/runs(?:/stream|/wait)?/?$")
_BATCH_RUN = re.compile(r"^/runs/batch/?$")
_UPDATE_STATE = re.compile(r"^/threads/(?P<thread>[^/]+)/state/?$")
_STATE_AT_POST = re.compile(r"^/threads/(?P<thread>[^/]+)/state/checkpoint/?$")
_STATE_AT_GET = re.compile(r"^/threads/(?P<thread>[^/]+)/state/(?P<checkpoint>[^/]+)/?$")
_STORE_SEARCH = re.compile(r"^/store/items/search/?$")
_THREAD_SEARCH = re.compile(r"^/threads/(?:search|count)/?$")
_CRON_CREATE = re.compile(r"^(?:/threads/[^/]+)?/runs/crons/?$")
_WATCHED_POSTS = (
    _THREAD_RUN,
    _STATELESS_RUN,
    _BATCH_RUN,
    _UPDATE_STATE,
    _STATE_AT_POST,
    _STORE_SEARCH,
    _THREAD_SEARCH,
    _CRON_CREATE,
)


#: The user the gate (server/gate.py) authenticated for the request being checked.
_caller: contextvars.ContextVar[str | None] = contextvars.ContextVar("guard_caller", default=None)


class BadRequest(Exception):
    """A request the guard refuses, with the HTTP status and the message the client sees."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _text_of(content: Any) -> str:
    """The text of a message's content (a string, or a list of content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    raise BadRequest(
        422,
        f"message content must be text or a list of content blocks, got {type(content).__name__}",
    )


def validate_messages(messages: Any, where: str = "input.messages") -> None:
    """Refuse messages a chat graph cannot use: unknown roles, user messages without text."""
    if messages is None:
        return
    items: Iterable[Any] = messages if isinstance(messages, list) else [messages]
    for index, message in enumerate(items):
        here = f"{where}[{index}]"
        role: Any  # checked below: only a known role (a str) gets past
        content: Any
        if isinstance(message, str):
            role, content = "human", message
        elif isinstance(message, list | tuple) and len(message) == 2:
            role, content = message
        elif isinstance(message, dict):
            role = message.get("role") or message.get("type")
            content = message.get("content")
            if role is None:
                raise BadRequest(422, f"{here} needs a 'role' (user, assistant, system or tool)")
        else:
            raise BadRequest(422, f"{here} must be an object with 'role' and 'content'")
        if not isinstance(role, str) or role not in KNOWN_ROLES:
            raise BadRequest(422, f"{here} has an unknown role {role!r}")
        if role in HUMAN_ROLES:
            if content is None:
                raise BadRequest(422, f"{here} has no 'content'")
            if not _text_of(content).strip():
                raise BadRequest(422, f"{here} is empty: a user message needs some text")


def validate_store_search(body: dict[str, Any]) -> None:
    """A store search names the namespace prefix it searches (the API fails without one)."""
    prefix = body.get("namespace_prefix")
    if prefix is None:
        raise BadRequest(
            422,
            "namespace_prefix is required: a list of namespace labels, e.g. "
            '["<your user id>", "notes"] ([] searches all of your namespaces)',
        )
    if not isinstance(prefix, list) or not all(isinstance(label, str) for label in prefix):
        raise BadRequest(422, "namespace_prefix must be a list of strings")


def validate_thread_search(body: dict[str, Any]) -> None:
    """Thread searches and counts cannot filter on state ``values`` on this server."""
    if body.get("values") not in (None, {}):
        raise BadRequest(
            422,
            "filtering threads by 'values' is not supported by this server (its in-memory "
            "runtime does not index thread state): filter by 'metadata' or 'status', or search "
            "conversations with GET /api/v1/search",
        )


def validate_cron(body: dict[str, Any]) -> None:
    """A cron names the assistant it runs and its schedule (the API fails without them)."""
    for field, example in (("assistant_id", '"drafter"'), ("schedule", '"0 9 * * 1"')):
        value = body.get(field)
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(422, f"a cron needs '{field}', a non-empty string such as {example}")


def _checkpoint_of(body: dict[str, Any]) -> tuple[str | None, str]:
    checkpoint = body.get("checkpoint")
    if not isinstance(checkpoint, dict):
        checkpoint = {}
    checkpoint_id = body.get("checkpoint_id") or checkpoint.get("checkpoint_id")
    if checkpoint_id is not None and not isinstance(checkpoint_id, str):
        raise BadRequest(422, "checkpoint_id must be a string")
    return checkpoint_id, str(checkpoint.get("checkpoint_ns") or "")


def _input_messages(payload: dict[str, Any]) -> Any:
    run_input = payload.get("input")
    if isinstance(run_input, dict):
        return run_input.get("messages")
    return None


class RequestGuard:
    """Pure ASGI middleware: validates run and state requests, passes everything else through."""

    def __init__(self, app: ASGIApp, pool_getter: Callable[[], DictPool | None]) -> None:
        self.app = app
        self.pool_getter = pool_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _caller.set(getattr(scope.get("adlaan.principal"), "user_id", None))
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        try:
            if method == "GET" and (match := _STATE_AT_GET.match(path)):
                await self._require_checkpoint(match["thread"], match["checkpoint"], "")
            elif method == "POST" and self._watched(path):
                body = await read_body(receive)
                receive = replay(body, receive)
                await self._check_post(path, body)
        except BadRequest as error:
            await reply(send, error.status, error.detail)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _watched(path: str) -> bool:
        return any(pattern.match(path) for pattern in _WATCHED_POSTS)

    async def _check_post(self, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest(400, f"request body is not valid JSON: {error}") from None
        if _BATCH_RUN.match(path):
            if not isinstance(body, list):
                raise BadRequest(422, "a batch of runs must be a JSON array")
            for index, payload in enumerate(body):
                if isinstance(payload, dict):
                    validate_messages(_input_messages(payload), f"[{index}].input.messages")
            return
        if not isinstance(body, dict):
            raise BadRequest(422, "request body must be a JSON object")
        if _STORE_SEARCH.match(path):
            validate_store_search(body)
            return
        if _THREAD_SEARCH.match(path):
            validate_thread_search(body)
            return
        if _CRON_CREATE.match(path):
            validate_cron(body)
            return
        if match := (
            _THREAD_RUN.match(path) or _UPDATE_STATE.match(path) or _STATE_AT_POST.match(path)
        ):
            checkpoint_id, ns = _checkpoint_of(body)
            if checkpoint_id is not None:
                await self._require_checkpoint(match["thread"], checkpoint_id, ns)
        if _UPDATE_STATE.match(path):
            values = body.get("values")
            if isinstance(values, dict):
                validate_messages(values.get("messages"), "values.messages")
            return
        if not _STATE_AT_POST.match(path):
            validate_messages(_input_messages(body))

    async def _require_checkpoint(self, thread_id: str, checkpoint_id: str, ns: str) -> None:
        pool = self.pool_getter()
        if pool is None:
            return
        async with pool.connection() as conn:
            mine = await owners.owner_of(conn, "thread", thread_id) == _caller.get()
            found = mine and await checkpoints.exists(conn, thread_id, ns, checkpoint_id)
        # Only the owner learns which checkpoints exist; anyone else gets the API's own answer
        # for a thread that does not exist, whether it does or not.
        if mine and not found:
            raise BadRequest(
                404,
                f"checkpoint {checkpoint_id!r} does not exist in thread {thread_id!r} "
                "(it never existed or was pruned); list valid ones with the thread's history",
            )


async def reply(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
