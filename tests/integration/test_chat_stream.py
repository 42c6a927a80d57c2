"""The chat endpoint as server-sent events (``Accept: text/event-stream``), and token streaming
over the SDK, on the real `langgraph dev` serving the drafter."""

from __future__ import annotations

import json
import os

import httpx
import pytest

from server.routes.chat import _failure, _text, _token
from tests.accounts import make_user
from tests.conftest import _database
from tests.serve import ServeServer, redis_url, skip_reason

pytestmark = pytest.mark.integration

SSE = {"Accept": "text/event-stream"}
FIRST = "Draft a mutual NDA between Acme Inc. and Jane Doe (an individual)"
TWO_LAWS = (
    "Draft an NDA between Acme Inc. and Jane Doe (an individual) under California or Delaware law"
)


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


async def read_events(response: httpx.Response) -> list[tuple[str, dict]]:
    """The ``(event, data)`` pairs of a server-sent event stream, in order (comments skipped)."""
    events, name, data = [], None, []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and name:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


async def chat(http: httpx.AsyncClient, message: str, thread_id: str | None = None):
    """Send ``message`` as a streamed chat turn: the events, after checking the response."""
    body = {"message": message, **({"thread_id": thread_id} if thread_id else {})}
    async with http.stream("POST", "/api/v1/chat", json=body, headers=SSE) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        return await read_events(response)


def named(events, name):
    return [data for event, data in events if event == name]


@pytest.fixture
async def account(server, database_url):
    return make_user(database_url)


@pytest.fixture
async def http(server, account):
    async with httpx.AsyncClient(base_url=server.url, headers=account.headers, timeout=60) as http:
        yield http


async def test_tokens_arrive_before_done_which_carries_the_document(server, account, http):
    events = await chat(http, FIRST)
    kinds = [event for event, _ in events]
    assert kinds[0] == "run" and kinds[-1] == "done", kinds
    assert "error" not in kinds and "question" not in kinds
    tokens = named(events, "token")
    assert len(tokens) > 1, f"one reply should stream as several tokens: {tokens}"
    assert kinds.index("token") < kinds.index("done")
    done = named(events, "done")[0]
    run = named(events, "run")[0]
    assert done["thread_id"] == run["thread_id"] and done["run_id"] == run["run_id"]
    assert done["question"] is None
    # the reply is the last AI message, streamed token by token
    last = tokens[-1]["message_id"]
    assert "".join(t["text"] for t in tokens if t["message_id"] == last) == done["reply"]
    state = await server.client(account).threads.get_state(done["thread_id"])
    document = state["values"]["document"]
    assert done["document"] == {
        "key": document["key"],
        "version": document["version"],
        "title": document["title"],
        "jurisdiction": document["jurisdiction"],
    }
    assert done["document"]["version"] == 1 and done["document"]["key"]

    # the next turn on the thread: a new version of the same document
    again = await chat(http, "Make it governed by California law", done["thread_id"])
    after = named(again, "done")[0]
    assert after["thread_id"] == done["thread_id"]
    assert after["document"]["key"] == done["document"]["key"]
    assert after["document"]["version"] == 2 and after["document"]["jurisdiction"] == "CA"


async def test_tool_calls_and_tool_results_are_not_streamed_as_reply_text(server, account, http):
    """The turn calls tools; the tokens, grouped by message, rebuild exactly the AI messages
    that have text, and nothing else (no tool-call arguments, no tool results)."""
    events = await chat(http, f"{FIRST} under California law")
    done = named(events, "done")[0]
    state = await server.client(account).threads.get_state(done["thread_id"])
    messages = state["values"]["messages"]
    assert any(m["type"] == "tool" for m in messages)
    assert any(m.get("tool_calls") for m in messages if m["type"] == "ai")
    streamed: dict[str, str] = {}
    for token in named(events, "token"):
        streamed[token["message_id"]] = streamed.get(token["message_id"], "") + token["text"]
    ai_text = {m["id"]: _text(m["content"]) for m in messages if m["type"] == "ai"}
    assert streamed and set(streamed) <= set(ai_text)
    for message_id, text in streamed.items():
        assert text == ai_text[message_id]
    assert done["reply"] in streamed.values()


async def test_a_question_then_the_next_message_answers_it(http):
    events = await chat(http, TWO_LAWS)
    kinds = [event for event, _ in events]
    assert kinds[-2:] == ["question", "done"], kinds
    question = named(events, "question")[0]
    assert question["field"] == "governing_law"
    assert set(question["options"]) >= {"California", "Delaware"}
    done = named(events, "done")[0]
    assert done["question"] == question and done["reply"] == question["question"]
    assert done["document"] is None

    answered = await chat(http, "California", done["thread_id"])
    assert "question" not in [event for event, _ in answered]
    final = named(answered, "done")[0]
    assert final["question"] is None
    assert final["document"]["jurisdiction"] == "CA" and final["document"]["version"] == 1


async def test_refusals_come_before_the_stream_and_start_no_run(server, account, http):
    thread_id = named(await chat(http, FIRST), "done")[0]["thread_id"]
    client = server.client(account)
    runs = len(await client.runs.list(thread_id))

    # another user's thread: 404, as a missing one
    other = make_user(server.database_url)
    async with httpx.AsyncClient(base_url=server.url, headers=other.headers, timeout=30) as them:
        body = {"message": "Make it 3 years", "thread_id": thread_id}
        refused = await them.post("/api/v1/chat", json=body, headers=SSE)
        assert refused.status_code == 404, refused.text
        assert refused.headers["content-type"].startswith("application/json")
    # no credentials: 401
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as anonymous:
        body = {"message": "Draft an NDA"}
        assert (await anonymous.post("/api/v1/chat", json=body, headers=SSE)).status_code == 401
    # bad bodies: 422
    for bad in (
        {"message": "Make it 3 years", "thread_id": thread_id, "stream": True},
        {"message": "   ", "thread_id": thread_id},
        {"message": "", "thread_id": thread_id},
        {"thread_id": thread_id},
        {"message": "Make it 3 years", "thread_id": "not-a-uuid"},
    ):
        response = await http.post("/api/v1/chat", json=bad, headers=SSE)
        assert response.status_code == 422, (bad, response.text)
    assert len(await client.runs.list(thread_id)) == runs


async def test_a_client_that_disconnects_does_not_stop_the_turn(server, account, http):
    """The run is queued behind a slow one on the same thread; the client reads the ``run``
    event and goes away long before the drafter starts; the turn still happens, and the next
    message continues from it."""
    thread_id = named(await chat(http, FIRST), "done")[0]["thread_id"]
    client = server.client(account)
    await client.runs.create(thread_id, "slow", input=user("take a while"))
    body = {"message": "Make it governed by California law", "thread_id": thread_id}
    async with http.stream("POST", "/api/v1/chat", json=body, headers=SSE) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        assert await anext(lines) == "event: run"
        run_id = json.loads((await anext(lines))[5:])["run_id"]
    # disconnected while the drafter's run waits behind the slow one (or, on a slow machine,
    # has just started): either way it must not be cancelled
    assert (await client.runs.get(thread_id, run_id))["status"] in ("pending", "running")
    await client.runs.join(thread_id, run_id)
    assert (await client.runs.get(thread_id, run_id))["status"] == "success"
    values = (await client.threads.get_state(thread_id))["values"]
    assert values["document"]["version"] == 2 and values["document"]["jurisdiction"] == "CA"
    after = named(await chat(http, "Make it a 3-year term", thread_id), "done")[0]
    assert after["document"]["version"] == 3


async def test_the_json_reply_is_unchanged_for_a_plain_request(http):
    plain = await http.post("/api/v1/chat", json={"message": FIRST})
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    body = plain.json()
    assert set(body) == {"thread_id", "reply", "document", "question"}
    assert body["document"]["version"] == 1


async def test_the_sdk_streams_one_reply_as_several_ai_chunks(server, account):
    client = server.client(account)
    thread = await client.threads.create()
    chunks: dict[str, list[str]] = {}
    async for part in client.runs.stream(
        thread["thread_id"], "drafter", input=user(FIRST), stream_mode="messages-tuple"
    ):
        if part.event == "messages" and (token := _token(part.data)):
            chunks.setdefault(token["message_id"], []).append(token["text"])
    assert chunks and max(len(texts) for texts in chunks.values()) > 1, chunks


@pytest.fixture(scope="module")
def served(admin_url, template_database, tmp_path_factory):
    """`adlaan serve` (the production runtime: runs on PostgreSQL, streams through Redis) on a
    database of its own."""
    redis = redis_url(int(os.environ.get("TEST_REDIS_DB", "9")))
    if reason := skip_reason(redis):
        pytest.skip(reason)
    with _database(admin_url, "adlaan_serve_sse", template_database) as url:
        env = {"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000"}
        srv = ServeServer(url, tmp_path_factory.mktemp("serve"), redis, env)
        srv.start()
        srv.user = make_user(url)
        try:
            yield srv
        finally:
            srv.stop()


async def test_adlaan_serve_streams_the_turn_too(served):
    async with httpx.AsyncClient(base_url=served.url, headers=served.headers, timeout=60) as http:
        events = await chat(http, FIRST)
        kinds = [event for event, _ in events]
        assert kinds[0] == "run" and kinds[-1] == "done" and kinds.count("token") > 1, kinds
        done = named(events, "done")[0]
        assert done["document"]["version"] == 1
        again = await chat(http, "Make it governed by California law", done["thread_id"])
        assert named(again, "done")[0]["document"]["version"] == 2


def test_tokens_are_ai_text_only():
    meta = {"langgraph_node": "agent"}
    assert _token([{"type": "AIMessageChunk", "content": "Draf", "id": "m1"}, meta]) == {
        "text": "Draf",
        "message_id": "m1",
    }
    blocks = [{"type": "text", "text": "ok"}, {"type": "tool_use", "input": {"a": 1}}]
    assert _token([{"type": "AIMessageChunk", "content": blocks, "id": "m1"}, meta])["text"] == "ok"
    call = {"type": "AIMessageChunk", "content": "", "tool_call_chunks": [{"args": "{}"}]}
    assert _token([call, meta]) is None
    assert _token([{"type": "tool", "content": "Set governing law", "id": "t"}, meta]) is None
    assert _token([{"type": "human", "content": "California", "id": "h"}, meta]) is None
    assert _token("not a tuple") is None


def test_errors_read_as_one_sentence_without_a_traceback():
    text = _failure({"error": "ValueError", "message": "bad term\nTraceback (most recent..."})
    assert text == "the agent failed on this message (ValueError: bad term)"
    assert _failure("boom") == "the agent failed on this message (Error: boom)"
