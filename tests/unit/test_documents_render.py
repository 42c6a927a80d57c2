"""Stored document versions as Markdown, compared and named, on documents the drafter graph
really makes (the Word and PDF exports: test_documents_exports.py)."""

from __future__ import annotations

import re

import pytest

from documents.markdown import to_markdown
from documents.versions import diff, safe_filename
from tests.documents import drafted_rows

SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]
TERM_LINE = (
    "This Agreement begins on the Effective Date and continues for two (2) years (24 months)"
)


@pytest.fixture(scope="module")
def versions() -> list[dict]:
    """The three versions of the seed conversation, as the documents table would store them."""
    return drafted_rows(SEED, first_id=101)


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


def test_markdown_tolerates_odd_rows():
    row = {"title": None, "body": None, "citations": [{"authority": "Only Authority"}, {}, None]}
    assert to_markdown(row) == "## Citations\n\n- **Only Authority**\n"
    assert to_markdown({"body": "# T\n\nText"}) == "# T\n\nText\n"


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
    assert "+## 11. California Law Requirements" in result["unified"].splitlines()

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
