"""Rendering stored document versions for download, on documents the drafter graph really makes."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from io import BytesIO

import docx
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from documents.docx import to_docx
from documents.markdown import to_markdown
from documents.versions import diff, safe_filename
from graphs.drafter import builder

SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]
TERM_LINE = (
    "This Agreement begins on the Effective Date and continues for two (2) years (24 months)"
)


@pytest.fixture(scope="module")
def versions() -> list[dict]:
    """The three versions of the seed conversation, as the documents table would store them."""
    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    rows = []
    for index, text in enumerate(SEED, 1):
        state = compiled.invoke({"messages": [{"role": "user", "content": text}]}, config)
        document = state["document"]
        assert document["version"] == index
        rows.append(
            {
                "id": 100 + index,
                "document_key": document["key"],
                "version": document["version"],
                "type": document["type"],
                "jurisdiction": document["jurisdiction"],
                "title": document["title"],
                "body": document["body"],
                "citations": document["citations"],
                "created_at": datetime(2026, 1, index, 12, 0, tzinfo=UTC),
            }
        )
    return rows


def _open(data: bytes):
    return docx.Document(BytesIO(data))


def _clauses(body: str) -> list[str]:
    """The drafter's numbered clause headings ("5. Term and Termination")."""
    return re.findall(r"^## (\d+\. .+)$", body, re.MULTILINE)


# --- Word --------------------------------------------------------------------------------------


def test_docx_keeps_title_headings_clauses_and_citations(versions):
    row = versions[2]
    data = to_docx(row)
    assert data[:2] == b"PK"
    document = _open(data)
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    full = "\n".join(texts)

    assert document.core_properties.title == "Mutual Non-Disclosure Agreement"
    assert document.core_properties.subject == "nda v3"
    assert document.core_properties.created == datetime(2026, 1, 3, 12, 0, tzinfo=UTC)
    assert paragraphs[0].style.name == "Title" and texts[0] == row["title"]
    assert texts.count(row["title"]) == 1  # the body's "# title" is not repeated

    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    clauses = _clauses(row["body"])
    assert len(clauses) == 13 and clauses[4] == "5. Term and Termination"
    assert headings == [*clauses, "Citations"]
    assert all(
        p.style.name == "Heading 2"
        for p in paragraphs
        if p.text in clauses or p.text == "Citations"
    )

    assert any(t.startswith(TERM_LINE) for t in texts)
    assert "governed by the laws of the State of California" in full
    assert "**" not in full and "##" not in full

    party = next(p for p in paragraphs if p.text.startswith("[Party A]"))
    assert party.runs[0].text == "[Party A]" and party.runs[0].bold
    assert "\nBy: ______________________\nName:" in party.text  # hard breaks kept as line breaks

    start = texts.index("Citations")
    assert start > texts.index("13. Signatures")
    cited = paragraphs[start + 1 :]
    assert len(cited) == len(row["citations"]) == 8
    for paragraph, citation in zip(cited, row["citations"], strict=True):
        assert paragraph.runs[0].bold and paragraph.runs[0].text == citation["authority"]
        assert citation["citation"] in paragraph.text and citation["reason"] in paragraph.text
    assert any("3426" in p.text for p in cited)


def test_docx_renders_markdown_lists_and_emphasis():
    body = (
        "# Services Agreement\n\n"
        "Made by *Acme* and **Beta LLC**, with ***care***.\n\n"
        "1. Scope of **work**\n"
        "1.1 Deliverables\n"
        "   (a) a report\n"
        "2. Fees\n\n"
        "- first point\n"
        "  - nested point\n\n"
        "### Notes\n"
    )
    document = _open(to_docx({"title": "Services Agreement", "body": body, "type": "msa"}))
    rows = [(p.style.name, p.text) for p in document.paragraphs]
    assert rows == [
        ("Title", "Services Agreement"),
        ("Normal", "Made by Acme and Beta LLC, with care."),
        ("List Continue", "1. Scope of work"),
        ("List Continue 2", "1.1 Deliverables"),
        ("List Continue 2", "(a) a report"),
        ("List Continue", "2. Fees"),
        ("List Bullet", "first point"),
        ("List Bullet 2", "nested point"),
        ("Heading 3", "Notes"),
    ]
    runs = [(r.text, bool(r.bold), bool(r.italic)) for r in document.paragraphs[1].runs]
    assert ("Acme", False, True) in runs
    assert ("Beta LLC", True, False) in runs
    assert ("care", True, True) in runs
    assert document.core_properties.subject == "msa"


def test_docx_and_markdown_tolerate_odd_rows():
    row = {
        "title": None,
        "body": None,
        "citations": [{"authority": "Only Authority"}, {"citation": "1 U.S.C. § 1"}, {}, None],
        "version": None,
        "created_at": None,
    }
    document = _open(to_docx(row))
    texts = [p.text for p in document.paragraphs]
    assert texts == ["Citations", "Only Authority", "1 U.S.C. § 1"]
    assert to_markdown(row) == "## Citations\n\n- **Only Authority**\n- 1 U.S.C. § 1\n"
    assert to_markdown({"body": "# T\n\nText"}) == "# T\n\nText\n"


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_appends_every_citation_once(versions):
    row = versions[2]
    markdown = to_markdown(row)
    assert markdown.startswith(row["body"].rstrip("\n") + "\n\n## Citations\n\n")
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")
    assert markdown.count("## Citations") == 1
    lines = markdown.splitlines()
    for citation in row["citations"]:
        line = f"- **{citation['authority']}** — {citation['citation']}: {citation['reason']}"
        assert lines.count(line) == 1
    section = markdown.split("## Citations", 1)[1]
    assert sum(line.startswith("- **") for line in section.splitlines()) == 8
    assert "Cal. Civ. Code §§ 3426–3426.11" in section


def test_markdown_does_not_duplicate_an_existing_citations_section(versions):
    row = versions[2]
    markdown = to_markdown(row)
    assert to_markdown({**row, "body": markdown}) == markdown
    assert to_markdown({**row, "body": markdown.rstrip("\n") + "\n\n\n"}) == markdown
    numbered = row["body"] + "\n## 14. Citations\n\n- see schedule\n"
    assert to_markdown({**row, "body": numbered}) == numbered
    document = _open(to_docx({**row, "body": markdown}))
    texts = [p.text for p in document.paragraphs]
    assert texts.count("Citations") == 1
    assert sum("Cal. Civ. Code §§ 3426–3426.11" in t for t in texts) == 1
    assert "**" not in "".join(texts)


# --- Diff --------------------------------------------------------------------------------------


def test_diff_shows_the_term_added(versions):
    v2, v3 = versions[1], versions[2]
    result = diff(v2, v3)
    assert result["from"] == {"id": 102, "version": 2}
    assert result["to"] == {"id": 103, "version": 3}
    lines = result["unified"].splitlines()
    assert lines[:2] == ["--- v2", "+++ v3"]
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    assert any(line.startswith("+" + TERM_LINE) for line in added)
    assert any("continues for [term]" in line for line in removed)
    assert result["added"] == len(added) > 0
    assert result["removed"] == len(removed) > 0
    assert result["citations_added"] == result["citations_removed"] == []


def test_diff_reports_citation_changes(versions):
    v1, v2 = versions[0], versions[1]
    result = diff(v1, v2)
    added = [c["citation"] for c in result["citations_added"]]
    assert "Cal. Civ. Code §§ 3426–3426.11" in added
    assert "Cal. Bus. & Prof. Code § 16600" in added
    assert "18 U.S.C. § 1833(b)" not in added
    assert result["citations_removed"] == []
    assert "+## 10. California Law Requirements" in result["unified"].splitlines()

    back = diff(v2, v1)
    assert back["citations_removed"] == result["citations_added"]
    assert back["citations_added"] == []
    assert (back["added"], back["removed"]) == (result["removed"], result["added"])


def test_diff_compares_citations_by_authority_and_citation():
    old = {"body": "", "citations": [{"authority": "A", "citation": "1", "reason": "old why"}]}
    reworded = {"body": "", "citations": [{"authority": "A", "citation": "1", "reason": "new"}]}
    assert diff(old, reworded)["citations_added"] == diff(old, reworded)["citations_removed"] == []
    moved = {"body": "", "citations": [{"authority": "A", "citation": "2", "reason": "old why"}]}
    result = diff(old, moved)
    assert [c["citation"] for c in result["citations_added"]] == ["2"]
    assert [c["citation"] for c in result["citations_removed"]] == ["1"]
    odd = diff({"citations": [{"citation": "1"}, None]}, {"citations": [{"citation": "1"}]})
    assert odd["citations_added"] == odd["citations_removed"] == []
    assert odd["unified"] == "" and odd["from"] == {"id": None, "version": None}


def test_diff_of_identical_versions_is_empty(versions):
    result = diff(versions[2], dict(versions[2]))
    assert result["unified"] == ""
    assert (result["added"], result["removed"]) == (0, 0)


# --- File names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kind", "expected"),
    [
        ("nda", "nda", "nda-v3.docx"),
        ("../../etc/passwd", "nda", "etc-passwd-v3.docx"),
        ('a"b', "nda", "a-b-v3.docx"),
        ("..\\..\\Windows\\win.ini", "nda", "windows-win-ini-v3.docx"),
        ("Vertraulichkeit für Café", "nda", "vertraulichkeit-fur-cafe-v3.docx"),
        ("日本語の契約", "nda", "nda-v3.docx"),
        ("", "nda", "nda-v3.docx"),
        (None, None, "document-v3.docx"),
        ("...", "'\"", "document-v3.docx"),
        ("con", "nda", "con-document-v3.docx"),
    ],
)
def test_safe_filename(key, kind, expected):
    name = safe_filename({"document_key": key, "type": kind, "version": 3}, "docx")
    assert name == expected
    assert name.isascii() and re.fullmatch(r"[a-z0-9][a-z0-9-]*\.docx", name)


def test_safe_filename_cleans_the_extension_and_missing_version():
    assert safe_filename({"document_key": "nda", "version": 2}, ".MD") == "nda-v2.md"
    assert safe_filename({"document_key": "nda", "version": 2}, "../x/\"y'") == "nda-v2.xy"
    assert safe_filename({"document_key": "nda"}, "") == "nda"
    assert safe_filename({}, "docx") == "document.docx"
    assert len(safe_filename({"document_key": "x" * 500, "version": 1}, "docx")) <= 80
