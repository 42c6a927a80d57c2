"""Drafts written before documents kept their clauses (no ``clauses`` in the document): the next
turn treats them as the rendering they are, not as hand edits, and adds no clause unasked."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver

from graphs.drafter import builder
from graphs.drafter.document import default_clauses, render
from graphs.drafter.tools import NEWER_DEFAULTS

TERMS = {
    "doc_type": "nda",
    "nda_kind": "mutual",
    "parties": ["Acme Corp", "Globex Inc"],
    "governing_law": "CA",
    "term_months": 24,
}


def _flat(body: str) -> dict:
    """A published document as the drafter wrote it before it kept clauses."""
    document = render(TERMS, default_clauses(TERMS))
    for key in ("clauses", "source"):
        document.pop(key, None)  # type: ignore[misc]
    return {**document, "body": body, "version": 3, "terms": dict(TERMS)}


def _turn(document: dict, text: str) -> dict:
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "flat"}}
    graph.update_state(config, {"terms": dict(TERMS), "document": document}, as_node="publish")
    return graph.invoke({"messages": [{"role": "user", "content": text}]}, config)


def test_an_older_rendering_is_not_a_hand_edit_and_gains_no_clause():
    older = [c for c in default_clauses(TERMS) if c["id"] not in NEWER_DEFAULTS]
    assert len(older) < len(default_clauses(TERMS))  # the mutual NDA has a newer default
    values = _turn(_flat(render(TERMS, older)["body"]), "Make it for New York jurisdiction")
    assert "__interrupt__" not in values
    document = values["document"]
    assert document["version"] == 4 and document["jurisdiction"] == "NY"
    assert [c["id"] for c in document["clauses"]] == [c["id"] for c in older]
    assert "Residuals" not in document["body"] and "State of New York" in document["body"]


def test_a_flat_draft_edited_by_hand_still_counts_as_edited():
    older = [c for c in default_clauses(TERMS) if c["id"] not in NEWER_DEFAULTS]
    body = render(TERMS, older)["body"].replace("Return of Materials", "Return of Documents")
    values = _turn(_flat(body), "Make it a 3-year term")
    assert "Return of Documents" in values["document"]["body"]
