"""Ask, don't guess; say what is left out; human edits win: the drafter graph offline, on an
in-memory checkpointer, one test per misreading of issue 17."""

from __future__ import annotations

import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graphs.drafter import builder
from graphs.drafter.document import render

START = "Draft a mutual NDA between Acme Inc. and Jane Doe (an individual) with a 2-year term"


@pytest.fixture
def thread():
    """A fresh thread on the graph: ``send`` a message, ``resume`` a question, ``state`` now."""
    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}

    class Thread:
        graph = compiled

        def send(self, content):
            return compiled.invoke({"messages": [{"role": "user", "content": content}]}, config)

        def resume(self, answer):
            return compiled.invoke(Command(resume=answer), config)

        def state(self):
            return compiled.get_state(config)

        config_ = config

    return Thread()


def reply(values):
    return values["messages"][-1].content


def question(values):
    (pending,) = values["__interrupt__"]
    return pending.value


def tool_calls(values):
    """The tool calls of this run's messages (since the last human message), by name."""
    messages = values["messages"]
    start = max(n for n, m in enumerate(messages) if m.type == "human")
    return [c["name"] for m in messages[start:] if m.type == "ai" for c in m.tool_calls]


def test_a_survival_period_is_not_the_term(thread):
    thread.send(START)
    values = thread.send("Make confidentiality survive 5 years")
    assert values["terms"]["term_months"] == 24
    assert values["terms"]["survival_months"] == 60
    assert "two (2) years (24 months)" in values["document"]["body"]
    assert "survive 5 years (60 months)" in reply(values)
    assert values["document"]["version"] == 2
    assert tool_calls(values) == ["set_terms"]


def test_a_non_solicitation_period_is_not_the_term_and_its_scope_is_asked(thread):
    values = thread.send(START + " under California law and non-solicitation for 12 months")
    asked = question(values)
    assert asked["field"] == "non_solicitation_scope"
    assert "16600" in asked["question"] and asked["options"] == ["employees", "customers", "both"]
    values = thread.resume("employees only")
    assert values["terms"]["term_months"] == 24
    (clause,) = [c for c in values["document"]["clauses"] if c["id"] == "non_solicitation"]
    assert clause["params"] == {"months": 12, "scope": "employees"}
    assert "Non-Solicitation" in values["document"]["body"]


def test_a_non_compete_is_not_dropped_silently(thread):
    thread.send(START + " under California law")
    values = thread.send("Add a non-compete for 2 years")
    text = reply(values)
    assert "non-compete is not included" in text and "16600" in text
    assert values["terms"]["term_months"] == 24
    assert values["document"]["version"] == 1
    assert tool_calls(values) == ["add_clause"]
    assert values["messages"][-2].status == "error"


def test_an_unknown_clause_is_named_and_the_rest_is_done(thread):
    thread.send(START)
    values = thread.send("Remove the residuals clause and add an arbitration clause")
    text = reply(values)
    assert 'Removed the "Residuals" clause.' in text
    assert "no 'arbitration' clause" in text
    assert "residuals" not in [c["id"] for c in values["document"]["clauses"]]
    assert values["document"]["version"] == 2


def test_a_negative_term_is_a_question_not_its_absolute_value(thread):
    values = thread.send("Draft an NDA with a -3 years term")
    asked = question(values)
    assert asked["field"] == "term_months"
    assert '"-3 years"' in asked["question"]
    assert "document" not in values
    values = thread.resume("2 years")
    assert values["terms"]["term_months"] == 24
    assert [m.type for m in values["messages"]] == [
        "human",
        "ai",
        "tool",
        "tool",
        "ai",
        "tool",
        "ai",
    ]
    ask = values["messages"][1].tool_calls[0]
    assert ask["name"] == "ask_user" and ask["args"]["question"] == asked["question"]
    assert values["messages"][2].content == "2 years"
    assert reply(values).startswith("Drafted a mutual NDA (version 1).")


def test_a_zero_term_is_a_question_and_an_unreadable_answer_changes_nothing(thread):
    thread.send(START)
    assert question(thread.send("Make the term 0 months"))["field"] == "term_months"
    values = thread.resume("whatever you think")
    assert values["terms"]["term_months"] == 24
    assert "could not read a valid term in your answer" in reply(values)
    assert values["document"]["version"] == 1


def test_two_governing_laws_are_a_question(thread):
    thread.send(START)
    values = thread.send("Use California or Delaware law")
    asked = question(values)
    assert asked == {
        "field": "governing_law",
        "question": "Which law should govern the agreement: California or Delaware?",
        "options": ["California", "Delaware"],
    }
    assert "governing_law" not in values["terms"]
    values = thread.resume({"governing_law": "Delaware"})
    assert values["terms"]["governing_law"] == "DE"
    assert values["document"]["version"] == 2
    assert "Governing law is now Delaware" in reply(values)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "NDA between Johnson & Johnson and The Regents of the University of California",
            ["Johnson & Johnson", "The Regents of the University of California"],
        ),
        (
            "NDA between Bank of America, N.A. and Smith & Sons",
            ["Bank of America, N.A.", "Smith & Sons"],
        ),
        ("NDA between Acme Holdings Inc. and Jane Doe", ["Acme Holdings Inc.", "Jane Doe"]),
    ],
)
def test_party_names_are_whole(thread, text, names):
    assert thread.send(text)["terms"]["parties"] == names


def test_an_individual_signs_as_an_individual(thread):
    values = thread.send(START)
    document = values["document"]
    assert values["terms"]["parties"] == ["Acme Inc.", "Jane Doe"]
    assert values["terms"]["party_kinds"] == {"Jane Doe": "individual"}
    assert document["parties"] == [
        {"name": "Acme Inc.", "kind": "company"},
        {"name": "Jane Doe", "kind": "individual"},
    ]
    assert "**Jane Doe** (an individual)" in document["body"]
    signatures = document["body"].split("Signatures", 1)[1]
    jane = signatures.split("**Jane Doe**", 1)[1]
    assert "Signature:" in jane and "Title:" not in jane
    assert "By:" in signatures.split("**Jane Doe**", 1)[0]


EDIT = ("Neither Party may assign it", "Neither Party may assign or transfer it")


def test_a_body_edit_survives_the_next_turn(thread):
    first = thread.send(START)["document"]
    edited = first["body"].replace(*EDIT)
    thread.graph.update_state(thread.config_, {"document": {"body": edited}})
    assert thread.state().values["document"]["version"] == 1, "a partial update keeps the rest"
    values = thread.send("Make it governed by Texas law and 3 years")
    body = values["document"]["body"]
    assert EDIT[1] in body
    assert "three (3) years (36 months)" in body and "laws of the State of Texas" in body
    assert values["document"]["version"] == 2
    assert "Your edits to the text were kept." in reply(values)
    fresh = render(values["terms"])["body"]
    assert body == fresh.replace(*EDIT), "only the requested changes were made"


def test_a_terms_edit_is_the_base_of_the_next_turn(thread):
    terms = thread.send(START)["terms"]
    thread.graph.update_state(thread.config_, {"terms": {**terms, "governing_law": "TX"}})
    values = thread.send("Effective January 1, 2027")
    assert values["terms"]["governing_law"] == "TX"
    assert values["terms"]["effective_date"] == "2027-01-01"
    assert "laws of the State of Texas" in values["document"]["body"]


def test_a_change_inside_edited_text_asks_before_overwriting(thread):
    first = thread.send(START)["document"]
    ours = "continues for twenty-four months"
    edited = first["body"].replace("continues for two (2) years (24 months)", ours)
    edited_at = thread.graph.update_state(thread.config_, {"document": {"body": edited}})
    values = thread.send("Make it 3 years")
    asked = question(values)
    assert asked["field"] == "edited_body" and asked["options"] == ["keep my edits", "overwrite"]

    kept = thread.resume("keep my edits")
    assert kept["document"]["body"] == edited and kept["terms"]["term_months"] == 24
    assert "Your edits were kept, so this change was not made." in reply(kept)

    # A fork from the checkpoint before the question, answered the other way.
    message = {"messages": [{"role": "user", "content": "Make it 3 years"}]}
    assert question(thread.graph.invoke(message, edited_at)) == asked
    overwritten = thread.resume("overwrite")
    assert "three (3) years (36 months)" in overwritten["document"]["body"]
    assert ours not in overwritten["document"]["body"]
    assert overwritten["document"]["version"] == 2


def test_the_issue_s_conversation_makes_exactly_those_changes(thread):
    first = thread.send("draft a mutual NDA between Acme Inc. and Jane Doe (an individual)")
    assert "Parties: Acme Inc. and Jane Doe (an individual)." in reply(first)
    assert thread.send("California law")["document"]["version"] == 2
    assert question(thread.send("add non-solicitation for 12 months"))["field"] == (
        "non_solicitation_scope"
    )
    values = thread.resume("employees")
    assert values["document"]["version"] == 3
    values = thread.send("remove the residuals clause")
    assert values["document"]["version"] == 4
    values = thread.send("make confidentiality survive 5 years")
    assert values["document"]["version"] == 5
    ids = [c["id"] for c in values["document"]["clauses"]]
    assert "residuals" not in ids and ids[-1] == "non_solicitation"
    assert "term_months" not in values["terms"] and values["terms"]["survival_months"] == 60
    assert values["terms"]["governing_law"] == "CA"


@pytest.mark.parametrize(
    "text",
    [
        "Jane Doe (an individual) is the disclosing party",
        "Jane Doe, an individual, will disclose information to Acme Inc.",
    ],
)
def test_an_individual_named_with_a_role(thread, text):
    values = thread.send("Draft a one-way NDA. " + text)
    assert values["terms"]["disclosing_party"] == "Jane Doe"
    assert values["document"]["parties"][0] == {"name": "Jane Doe", "kind": "individual"}


def test_a_term_and_a_survival_period_in_one_message_are_both_read(thread):
    values = thread.send(
        "Draft an NDA with a 2-year term, confidentiality surviving 3 years after it ends"
    )
    assert values["terms"]["term_months"] == 24 and values["terms"]["survival_months"] == 36


def test_a_survival_period_that_cannot_be_one_is_a_question(thread):
    thread.send(START)
    asked = question(thread.send("confidentiality survives -2 years"))
    assert asked["field"] == "survival_months" and '"-2 years"' in asked["question"]
    values = thread.resume("4 years")
    assert values["terms"]["survival_months"] == 48 and values["terms"]["term_months"] == 24
