"""The drafter's tool loop with scripted chat models (LangChain's fakes, through the
``package.module:factory`` model spec), the offline model's streaming, hanging and failing
models, and clause edits, offline on an in-memory checkpointer."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graphs.drafter import Context, builder
from graphs.drafter.offline import OfflineChatModel
from graphs.drafter.tools import TOOLS, Draft, run_tool, schemas

START = "Draft a mutual NDA between Acme Inc. and Jane Doe (an individual) with a 2-year term"


class Scripted(FakeMessagesListChatModel):
    """A fake chat model answering with the given messages in order, that accepts tools."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Scripted:  # type: ignore[override]
        self.__dict__.setdefault("bound", []).append(tools)
        return self


class Hanging(FakeMessagesListChatModel):
    """A chat model that never answers."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Hanging:  # type: ignore[override]
        return self

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)


class Failing(Scripted):
    """A chat model whose provider fails."""

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("provider down: secret message text")


SCRIPT: dict[str, Any] = {}


def scripted(*, timeout: float, max_retries: int) -> Any:
    """The factory the tests name as ``tests.unit.test_drafter_agent:scripted``."""
    SCRIPT["settings"] = (timeout, max_retries)
    return SCRIPT["model"]


def hanging(*, timeout: float, max_retries: int) -> Hanging:
    return Hanging(responses=[AIMessage("never")])


def failing(*, timeout: float, max_retries: int) -> Failing:
    return Failing(responses=[AIMessage("never")])


def call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}


@pytest.fixture
def thread():
    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}

    class Thread:
        graph = compiled
        config_ = config

        def send(self, content, context=None):
            message = {"messages": [{"role": "user", "content": content}]}
            return compiled.invoke(message, config, context=context)

        def resume(self, answer, context=None):
            return compiled.invoke(Command(resume=answer), config, context=context)

    return Thread()


MODEL = Context(llm_model="tests.unit.test_drafter_agent:scripted", llm_timeout=5)


def script(*messages: AIMessage) -> Scripted:
    SCRIPT["model"] = Scripted(responses=list(messages))
    return SCRIPT["model"]


def test_a_scripted_model_drives_the_tools_and_bad_values_come_back_as_errors(thread):
    script(
        AIMessage(
            "",
            tool_calls=[
                call("create_document", doc_type="nda", nda_kind="one_way"),
                call(
                    "set_parties",
                    first={"name": "Acme Corp"},
                    second={"name": "Jane Doe", "kind": "individual"},
                ),
                call("set_terms", governing_law="Atlantis", term_months=18),
                call("set_terms", term_months=18),
                call("set_terms", term_months="eighteen"),
                call("rewrite_everything"),
            ],
        ),
        AIMessage("Done: a one-way NDA for 18 months."),
    )
    values = thread.send("anything", context=MODEL)
    assert SCRIPT["settings"] == (5, 2)
    assert values["terms"] == {
        "doc_type": "nda",
        "nda_kind": "one_way",
        "disclosing_party": "Acme Corp",
        "receiving_party": "Jane Doe",
        "party_kinds": {"Jane Doe": "individual"},
        "term_months": 18,
    }
    results = [m for m in values["messages"] if isinstance(m, ToolMessage)]
    assert [m.status for m in results] == [*["success"] * 2, "error", "success", "error", "error"]
    assert "'Atlantis' is not a US state" in results[2].content
    assert results[4].content.startswith("Bad arguments for set_terms: term_months")
    assert "There is no tool 'rewrite_everything'" in results[5].content
    assert values["messages"][-1].content == "Done: a one-way NDA for 18 months."
    assert values["document"]["version"] == 1, "one version for the whole run"
    bound = SCRIPT["model"].__dict__["bound"][0]
    assert [t["function"]["name"] for t in bound] == list(TOOLS)


def test_a_model_s_misreadings_are_refused_by_the_tools(thread):
    thread.send(START)
    script(
        AIMessage(
            "",
            tool_calls=[
                call("set_terms", term_months=-3),
                call("set_terms", survival_months=0),
                call("remove_clause", clause_id="arbitration"),
                call("add_clause", clause_id="non_compete"),
                call("add_clause", clause_id="non_solicitation", params={"months": "soon"}),
            ],
        ),
        AIMessage("I could not make those changes."),
    )
    values = thread.send("whatever", context=MODEL)
    results = [m for m in values["messages"][-6:] if isinstance(m, ToolMessage)]
    assert all(m.status == "error" for m in results)
    assert "ask the user" in results[0].content
    assert "no clause 'arbitration'" in results[2].content
    assert "non-compete is not included" in results[3].content
    assert values["terms"]["term_months"] == 24
    assert values["document"]["version"] == 1


def test_a_model_asks_and_the_answer_comes_back_as_the_tool_result(thread):
    thread.send(START)
    script(
        AIMessage(
            "",
            tool_calls=[
                call(
                    "ask_user",
                    field="governing_law",
                    question="Which law?",
                    options=["California", "Delaware"],
                )
            ],
        ),
        AIMessage("", tool_calls=[call("set_terms", governing_law="DE")]),
        AIMessage("Delaware law now governs."),
    )
    values = thread.send("California or Delaware?", context=MODEL)
    assert values["__interrupt__"][0].value == {
        "field": "governing_law",
        "question": "Which law?",
        "options": ["California", "Delaware"],
    }
    values = thread.resume({"governing_law": "Delaware"}, context=MODEL)
    answer = next(m for m in values["messages"] if m.type == "tool" and m.name == "ask_user")
    assert answer.content == '{"governing_law": "Delaware"}'
    assert values["terms"]["governing_law"] == "DE"
    assert values["document"]["version"] == 2


def test_a_failing_model_hands_the_run_to_the_offline_model_and_logs_no_text(thread, caplog):
    context = Context(llm_model="tests.unit.test_drafter_agent:failing")
    values = thread.send(START, context=context)
    reply = values["messages"][-1].content
    assert reply.startswith("Drafted a mutual NDA (version 1).")
    assert "could not be used (ConnectionError)" in reply
    assert "secret message text" not in caplog.text and "Acme" not in caplog.text
    assert any(r.levelname == "WARNING" for r in caplog.records)


async def test_a_hanging_model_times_out_and_the_offline_model_answers():
    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "hang"}}
    context = Context(
        llm_model="tests.unit.test_drafter_agent:hanging", llm_timeout=0.3, llm_max_retries=0
    )
    started = time.monotonic()
    message = {"messages": [{"role": "user", "content": START}]}
    values = await compiled.ainvoke(message, config, context=context)
    assert time.monotonic() - started < 3
    assert "could not be used (TimeoutError)" in values["messages"][-1].content
    assert values["document"]["version"] == 1
    tools_ran = [m for m in values["messages"] if m.type == "tool"]
    assert tools_ran, "the offline model drove the tools after the timeout"


async def test_cancelling_a_run_cancels_the_model_call():
    compiled = builder.compile(checkpointer=InMemorySaver())
    context = Context(llm_model="tests.unit.test_drafter_agent:hanging", llm_timeout=600)
    message = {"messages": [{"role": "user", "content": START}]}
    config = {"configurable": {"thread_id": "cancel"}}
    task = asyncio.create_task(compiled.ainvoke(message, config, context=context))
    await asyncio.sleep(0.3)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1


async def test_the_offline_model_streams_tokens():
    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "stream"}}
    chunks = [
        chunk
        async for chunk, meta in compiled.astream(
            {"messages": [{"role": "user", "content": START}]}, config, stream_mode="messages"
        )
        if isinstance(chunk, AIMessageChunk) and meta["langgraph_node"] == "agent"
    ]
    tokens = [c.content for c in chunks if c.content]
    assert len(tokens) > 10
    assert "".join(tokens).startswith("Drafted a mutual NDA (version 1).")
    assert any(c.tool_call_chunks for c in chunks), "the tool calls stream too"


def test_the_offline_model_is_a_chat_model_with_tools():
    model = OfflineChatModel()
    assert model.bind_tools(schemas()) is model
    message = model.invoke("Draft an NDA under Texas law")
    assert [c["name"] for c in message.tool_calls] == ["create_document", "set_terms"]
    assert message.tool_calls[1]["args"] == {"governing_law": "TX"}


def test_tools_never_raise_on_bad_calls():
    draft = Draft.of({"messages": []}, Context())
    for name in TOOLS:
        if name == "ask_user":
            continue
        for args in ({}, {"clause_id": 3}, {"first": "x"}, {"fields": {"x": 1}}, None):
            result = run_tool(draft, {"name": name, "args": args, "id": "1"})
            assert isinstance(result, ToolMessage) and result.content


def test_clauses_are_reworded_moved_and_explained_offline(thread):
    thread.send(START + " under California law")
    values = thread.send("Explain the residuals clause")
    assert values["document"]["version"] == 1
    assert "Residuals" in values["messages"][-1].content or "residual" in (
        values["messages"][-1].content.lower()
    )
    values = thread.send("Move the exclusions clause to the end")
    assert [c["id"] for c in values["document"]["clauses"]][-1] == "exclusions"
    values = thread.send('Reword the general clause to: "This is the whole agreement."')
    (general,) = [c for c in values["document"]["clauses"] if c["id"] == "general"]
    assert general["custom"] and general["text"] == "This is the whole agreement."
    values = thread.send("Change the governing law to New York")
    assert "This is the whole agreement." in values["document"]["body"], "a reworded clause stays"
    assert "State of New York" in values["document"]["body"]
    assert [c["id"] for c in values["document"]["clauses"]][-1] == "exclusions", "moves stay"


def test_a_clause_edited_by_hand_is_kept_as_custom(thread):
    document = thread.send(START + " under California law")["document"]
    clauses = [dict(c) for c in document["clauses"]]
    clauses[0]["text"] = "Our own definition of Confidential Information."
    thread.graph.update_state(thread.config_, {"document": {"clauses": clauses}})
    values = thread.send("Make it 3 years")
    body = values["document"]["body"]
    assert "Our own definition of Confidential Information." in body
    assert "three (3) years (36 months)" in body
    assert values["document"]["clauses"][0]["custom"] is True
    assert values["document"]["version"] == 2


def test_other_document_types_of_the_library(thread):
    values = thread.send(
        "Draft a consulting agreement between Acme Inc. and Jane Doe (an individual) "
        "under California law"
    )
    document = values["document"]
    assert document["type"] == "consulting" and document["title"] == "Consulting Agreement"
    assert '**Acme Inc.** (the "Company")' in document["body"]
    assert values["messages"][-1].content.startswith("Drafted a consulting agreement (version 1).")
    assert "invention_notice" in [c["id"] for c in document["clauses"]], "Cal. Lab. Code § 2870"
    values = thread.send("Now draft a lease")
    assert values["messages"][-1].content.startswith("I can't draft a lease yet, only ")
    assert "consulting agreements" in values["messages"][-1].content
    values = thread.send("Make it a services agreement instead")
    assert values["terms"]["doc_type"] == "services"
    assert values["terms"]["parties"] == ["Acme Inc.", "Jane Doe"], "the parties carry over"
    assert values["document"]["version"] == 2


def test_a_model_that_never_stops_calling_tools_is_stopped(thread):
    thread.send(START)
    script(
        *(
            AIMessage("", tool_calls=[call("explain_clause", clause_id="residuals")])
            for _ in range(20)
        )
    )
    values = thread.send("explain, forever", context=MODEL)
    last = values["messages"][-1]
    assert last.type == "ai" and not last.tool_calls and "Residuals" in last.content
    explained = [m for m in values["messages"] if m.type == "ai" and m.tool_calls]
    assert len([m for m in explained if m.tool_calls[0]["name"] == "explain_clause"]) == 8
    assert values["document"]["version"] == 1
