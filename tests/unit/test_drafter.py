"""The drafter graph, offline, on an in-memory checkpointer (no database needed)."""

from __future__ import annotations

import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graphs.drafter import Context, builder
from graphs.drafter.document import describe_term
from graphs.drafter.jurisdictions import JURISDICTIONS
from graphs.drafter.terms import extract_terms, find_jurisdiction, find_term_months

SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]


@pytest.fixture
def chat():
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}

    def send(content, context=None):
        return graph.invoke(
            {"messages": [{"role": "user", "content": content}]}, config, context=context
        )

    return send


def test_the_seed_conversation(chat):
    first = chat(SEED[0])
    assert first["document"]["version"] == 1
    assert first["document"]["terms"]["nda_kind"] == "mutual"
    assert any("1833(b)" in c["citation"] for c in first["document"]["citations"])
    assert "Drafted a mutual NDA" in first["messages"][-1].content

    second = chat(SEED[1])
    assert second["document"]["version"] == 2
    assert second["document"]["jurisdiction"] == "CA"
    assert "laws of the State of California" in second["document"]["body"]
    assert any("3426" in c["citation"] for c in second["document"]["citations"])
    assert "Governing law is now California" in second["messages"][-1].content

    third = chat(SEED[2])
    assert third["document"]["version"] == 3
    assert third["terms"]["term_months"] == 24
    assert "two (2) years (24 months)" in third["document"]["body"]
    assert "Term set to two (2) years" in third["messages"][-1].content
    assert [m.type for m in third["messages"]] == ["human", "ai"] * 3


def test_every_citation_has_a_reason(chat):
    document = chat("Draft an NDA under New York law")["document"]
    assert document["citations"]
    assert all(c["authority"] and c["citation"] and c["reason"] for c in document["citations"])


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Add a 2-year term", 24),
        ("two years", 24),
        ("2 yrs", 24),
        ("24 months", 24),
        ("eighteen months", 18),
        ("a one-year term", 12),
        ("1.5 years", 18),
        ("3-year term", 36),
        ("term of 5 years", 60),
        ("six month", 6),
        ("twenty-four months", 24),
    ],
)
def test_term_wordings(text, months):
    assert find_term_months(text) == months


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS, ids=lambda j: j.code)
def test_every_jurisdiction_by_its_name(jurisdiction):
    assert find_jurisdiction(f"Make it for {jurisdiction.name} jurisdiction") == jurisdiction.code
    assert find_jurisdiction(f"governed by {jurisdiction.name.upper()} law") == jurisdiction.code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("West Virginia law", "WV"),
        ("Virginia law", "VA"),
        ("Arkansas", "AR"),
        ("Kansas", "KS"),
        ("Washington, D.C.", "DC"),
        ("District of Columbia", "DC"),
        ("Washington DC", "DC"),
        ("under the laws of Washington", "WA"),
        ("governed by TX law", "TX"),
        ("change it from California to Texas", "TX"),
        ("I OR you", None),
        ("draft it in English", None),
    ],
)
def test_jurisdiction_disambiguation(text, code):
    assert find_jurisdiction(text) == code


def test_one_way_with_parties(chat):
    state = chat("Draft a one-way NDA between Acme Corp and Beta LLC")
    assert state["terms"]["nda_kind"] == "one_way"
    assert state["terms"]["parties"] == ["Acme Corp", "Beta LLC"]
    assert '**Acme Corp** (the "Disclosing Party")' in state["document"]["body"]
    assert state["document"]["title"] == "Non-Disclosure Agreement (One-Way)"


def test_a_message_that_changes_nothing_keeps_the_version(chat):
    chat(SEED[0])
    state = chat("thanks, looks good")
    assert state["document"]["version"] == 1
    assert "Nothing in the draft changed" in state["messages"][-1].content


@pytest.mark.parametrize("content", ["", "   ", [{"type": "image_url", "image_url": {"url": "x"}}]])
def test_odd_input_never_raises(chat, content):
    state = chat(content)
    assert "document" not in state
    assert "I draft non-disclosure agreements" in state["messages"][-1].content


def test_default_jurisdiction_comes_from_the_context(chat):
    state = chat(SEED[0], context=Context(default_jurisdiction="TX"))
    assert state["document"]["jurisdiction"] == "TX"


def test_later_messages_override_earlier_terms():
    terms = extract_terms("mutual NDA for Texas, 3 years", {})
    terms = extract_terms("actually make it one-way under Delaware law for 18 months", terms)
    assert terms == {
        "doc_type": "nda",
        "nda_kind": "one_way",
        "governing_law": "DE",
        "term_months": 18,
    }


def test_describe_term():
    assert describe_term(12) == "one (1) year (12 months)"
    assert describe_term(18) == "eighteen (18) months"
