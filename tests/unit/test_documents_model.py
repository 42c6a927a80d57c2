"""The document model in one place: one ``Citation``, a Markdown writer the reader understands,
and a graph that drafts without loading the Word renderer."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args, get_type_hints

import documents
from documents.markdown import Block, plain, read, runs, write
from documents.model import Citation, Clause, Document, citations_of
from graphs.drafter import jurisdictions, state
from graphs.drafter.document import render
from server.routes import documents as routes


def test_citation_is_declared_once():
    assert jurisdictions.Citation is Citation
    assert not hasattr(state, "Citation")
    assert get_type_hints(state.Document)["citations"] == list[Citation]
    assert get_args(get_type_hints(Document)["citations"]) == (Citation,)
    # The API's model is derived: the same fields, each optional, with their descriptions.
    fields = routes.Citation.model_fields
    assert list(fields) == list(get_type_hints(Citation)) == ["authority", "citation", "reason"]
    assert all(not field.is_required() and field.description for field in fields.values())
    assert routes.Citation.model_validate({"authority": "A"}).model_dump() == {
        "authority": "A",
        "citation": None,
        "reason": None,
    }


def test_graph_document_extends_the_model():
    model_fields = list(get_type_hints(Document))
    assert list(get_type_hints(state.Document)) == [*model_fields, "terms", "clauses", "source"]
    assert documents.Document is Document


def test_writer_output_reads_back_as_title_preamble_and_numbered_clauses():
    body = write(
        "Mutual NDA", "Between **A** and *B*.", [Clause("Term", "Two years."), ("Law", "X")]
    )
    assert body.endswith("\n") and not body.endswith("\n\n")
    assert read(body) == [
        Block("heading", "Mutual NDA", 1),
        Block("paragraph", "Between **A** and *B*.", 1),
        Block("heading", "1. Term", 2),
        Block("paragraph", "Two years.", 1),
        Block("heading", "2. Law", 2),
        Block("paragraph", "X", 1),
    ]
    assert plain("Between **A** and *B*.") == "Between A and B."
    assert [(r.text, r.bold, r.italic) for r in runs("**A** \\*x\\*")] == [
        ("A", True, False),
        (" *x*", False, False),
    ]


def test_reader_keeps_hard_breaks_rules_quotes_and_list_depths():
    body = "**Acme**  \nBy: ____\n\n---\n\n> quoted\ncontinued\n\n- a\n    - b\n1.2.3 deep\n"
    assert read(body) == [
        Block("paragraph", "**Acme**\nBy: ____", 1),
        Block("rule", "", 1),
        Block("quote", "quoted continued", 1),
        Block("bullet", "a", 1),
        Block("bullet", "b", 3),
        Block("numbered", "1.2.3 deep", 3),
    ]


def test_the_drafters_body_is_the_writers():
    document = render({"nda_kind": "mutual", "governing_law": "CA", "term_months": 24})
    blocks = read(document["body"])
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert headings[0] == document["title"]
    assert headings[1:] == [f"{n}. {h}" for n, h in enumerate(_headings(blocks), 1)]
    assert citations_of(document) == document["citations"]


def _headings(blocks: list[Block]) -> list[str]:
    return [b.text.split(". ", 1)[1] for b in blocks if b.kind == "heading" and b.level == 2]


def test_citations_of_tolerates_odd_entries():
    odd = {"citations": [{"authority": " A ", "reason": None}, "1 U.S.C. § 1", {}, None]}
    assert citations_of(odd) == [
        {"authority": "A", "citation": "", "reason": ""},
        {"authority": "", "citation": "1 U.S.C. § 1", "reason": ""},
    ]
    assert citations_of({"citations": None}) == citations_of({}) == []


def test_the_served_graph_does_not_load_python_docx():
    code = "import sys, graphs.drafter.graph; sys.exit('docx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
