"""The drafter graph end to end, offline, on an in-memory checkpointer (no database needed)."""

from __future__ import annotations

import sys
import uuid
from typing import Annotated

import pytest
from langchain_core.messages import AnyMessage
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.message import _messages_delta_reducer
from typing_extensions import TypedDict

from graphs.drafter import Context, builder, graph
from graphs.drafter.graph import build
from graphs.drafter.model import chat_model
from graphs.drafter.state import Document, Terms, Turn, merge_document

SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]


@pytest.fixture
def chat():
    """Send one user message on a fresh thread (the same thread for the whole test)."""
    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}

    def send(content, context=None):
        return compiled.invoke(
            {"messages": [{"role": "user", "content": content}]}, config, context=context
        )

    return send


def test_the_seed_conversation(chat):
    first = chat(SEED[0])
    document = first["document"]
    assert document["version"] == 1
    assert document["key"] == "nda" and document["type"] == "nda"
    assert document["terms"]["nda_kind"] == "mutual"
    assert document["jurisdiction"] is None
    assert document["title"] == "Mutual Non-Disclosure Agreement"
    assert document["citations"][0]["citation"] == "18 U.S.C. § 1833(b)"
    assert "## 10. Notice of Immunity Under the Defend Trade Secrets Act" in document["body"]
    assert "## 4. Residuals" in document["body"]
    assert "[governing law]" in document["body"] and "[term]" in document["body"]
    reply = first["messages"][-1].content
    assert reply.startswith("Drafted a mutual NDA (version 1).")
    assert "the governing law, the term" in reply

    second = chat(SEED[1])
    document = second["document"]
    assert document["version"] == 2
    assert document["jurisdiction"] == "CA" == second["terms"]["governing_law"]
    assert "governed by the laws of the State of California" in document["body"]
    assert any(c["citation"] == "Cal. Civ. Code §§ 3426–3426.11" for c in document["citations"])
    assert any("16600" in c["citation"] for c in document["citations"])
    assert "Governing law is now California; added the California Uniform Trade Secrets Act " in (
        second["messages"][-1].content
    )
    assert "(Cal. Civ. Code §§ 3426–3426.11) to the citations" in second["messages"][-1].content

    third = chat(SEED[2])
    document = third["document"]
    assert document["version"] == 3
    assert third["terms"]["term_months"] == 24 == document["terms"]["term_months"]
    assert "continues for two (2) years (24 months)" in document["body"]
    assert "Term set to 2 years (24 months)." in third["messages"][-1].content
    assert document["terms"]["governing_law"] == "CA"
    assert [m.type for m in third["messages"]] == ["human", "ai", "tool", "ai"] * 3


def test_the_document_keeps_its_key_across_versions(chat):
    keys = {chat(text)["document"]["key"] for text in SEED}
    assert keys == {"nda"}


def test_one_way_with_parties(chat):
    state = chat("Draft a one-way NDA between Acme Corp and Beta LLC")
    assert state["terms"]["nda_kind"] == "one_way"
    assert state["terms"]["disclosing_party"] == "Acme Corp"
    assert state["terms"]["receiving_party"] == "Beta LLC"
    assert "parties" not in state["terms"]
    body = state["document"]["body"]
    assert state["document"]["title"] == "One-Way Non-Disclosure Agreement"
    assert '**Acme Corp** (the "Disclosing Party") and **Beta LLC** (the "Receiving Party")' in body
    assert (
        "Disclosing party: Acme Corp; receiving party: Beta LLC." in state["messages"][-1].content
    )


def test_switching_kind_keeps_the_parties(chat):
    chat("NDA between Acme Corp and Beta LLC")
    state = chat("Make it one-way")
    assert state["document"]["version"] == 2
    assert state["terms"]["disclosing_party"] == "Acme Corp"
    assert "It is now a one-way NDA." in state["messages"][-1].content
    state = chat("Actually make it mutual")
    assert state["terms"]["parties"] == ["Acme Corp", "Beta LLC"]
    assert state["document"]["version"] == 3


def test_changing_the_governing_law_replaces_its_citations(chat):
    chat("NDA under California law")
    state = chat("change jurisdiction to New York")
    citations = [c["citation"] for c in state["document"]["citations"]]
    assert not any("Cal." in c for c in citations)
    assert any("Ashland" in c for c in citations)
    reply = state["messages"][-1].content
    assert "Governing law is now New York (was California)" in reply
    assert "replacing the California authorities" in reply


def test_a_message_that_changes_nothing_keeps_the_version(chat):
    chat(SEED[0])
    state = chat("thanks, looks good")
    assert state["document"]["version"] == 1
    assert state["messages"][-1].content.startswith(
        "Nothing in the draft changed (still version 1)"
    )
    chat(SEED[1])
    state = chat("Make it for California jurisdiction")
    assert state["document"]["version"] == 2


@pytest.mark.parametrize(
    "content",
    [
        "",
        "   ",
        "hello?",
        [{"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}],
        [],
    ],
)
def test_odd_input_gets_the_help_text_and_never_raises(chat, content):
    state = chat(content)
    assert "document" not in state
    assert state["messages"][-1].content.startswith("I draft non-disclosure agreements")


def test_odd_input_after_a_draft_changes_nothing(chat):
    chat(SEED[0])
    state = chat([{"type": "image_url", "image_url": {"url": "x"}}])
    assert state["document"]["version"] == 1
    assert "Nothing in the draft changed" in state["messages"][-1].content


def test_text_blocks_are_read(chat):
    state = chat(
        [{"type": "text", "text": "Draft an NDA"}, {"type": "text", "text": "under Texas law"}]
    )
    assert state["document"]["jurisdiction"] == "TX"


def test_other_documents_are_declined(chat):
    chat(SEED[0])
    state = chat("Now draft a lease in Texas")
    assert state["document"]["version"] == 1
    assert "governing_law" not in state["terms"]
    assert state["messages"][-1].content.startswith("I can't draft a lease yet")


def test_default_jurisdiction_comes_from_the_context(chat):
    state = chat(SEED[0], context=Context(default_jurisdiction="texas"))
    assert state["document"]["jurisdiction"] == "TX"
    assert "Governing law is now Texas (the assistant's default jurisdiction)" in (
        state["messages"][-1].content
    )
    state = chat("under Ohio law", context=Context(default_jurisdiction="TX"))
    assert state["document"]["jurisdiction"] == "OH"


def test_an_unknown_default_jurisdiction_is_ignored(chat):
    state = chat(SEED[0], context={"default_jurisdiction": "Atlantis"})
    assert state["document"]["jurisdiction"] is None


def test_context_reads_llm_model_from_the_environment_only_when_not_given(monkeypatch):
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    assert Context().llm_model == "openai:gpt-4o-mini"
    assert Context(llm_model="anthropic:claude").llm_model == "anthropic:claude"
    monkeypatch.delenv("LLM_MODEL")
    assert Context().llm_model is None


def test_a_failing_llm_falls_back_to_the_offline_model(chat, monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain", None)  # as if the "llm" extra were missing
    chat_model.cache_clear()
    state = chat(SEED[0], context=Context(llm_model="openai:gpt-4o-mini"))
    assert state["document"]["version"] == 1
    assert "could not be used (ModuleNotFoundError)" in state["messages"][-1].content
    chat_model.cache_clear()


def test_the_server_can_describe_the_graph():
    assert graph.name == "drafter"
    assert list(graph.get_input_jsonschema()["properties"]) == ["messages"]
    output = graph.get_output_jsonschema()
    assert {"messages", "terms", "document"} <= set(output["properties"])
    assert output["$defs"]["Terms"]["properties"]["term_months"]["description"]
    context = graph.get_context_jsonschema()
    assert context["properties"]["llm_model"]["description"]
    assert context["properties"]["llm_timeout"]["description"]
    assert context["properties"]["llm_max_retries"]["description"]
    assert set(graph.get_graph().nodes) == {"__start__", "agent", "tools", "publish", "__end__"}
    assert graph.checkpointer is None and graph.store is None


class DeltaState(TypedDict, total=False):
    """The drafter's keys with the messages in a DeltaChannel, as bench.storage measures."""

    messages: Annotated[list[AnyMessage], DeltaChannel(_messages_delta_reducer)]
    terms: Terms
    document: Annotated[Document | None, merge_document]
    turn: Turn | None


def test_the_nodes_build_over_another_state_with_the_same_keys():
    compiled = build(DeltaState, input_schema=None).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "delta"}}
    for text in SEED:
        values = compiled.invoke({"messages": [{"role": "user", "content": text}]}, config)
    assert values["document"]["version"] == 3 and values["terms"]["term_months"] == 24
