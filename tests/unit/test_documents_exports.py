"""The exports a lawyer sends, opened and checked: the agreement as Word (Word numbering defined
in numbering.xml and referenced from the clauses, named styles, DRAFT until final, signature
blocks per kind of party, no citations), the citations memo, the redline's tracked changes, and
the PDFs."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from io import BytesIO

import docx
import pytest
from docx.oxml.ns import qn

from documents.docx import to_docx, to_memo_docx
from documents.markdown import signature_block, write
from documents.model import Clause, party_kind
from documents.outline import outline
from documents.pdf import PdfUnavailable, to_memo_pdf, to_pdf
from documents.redline import to_redline_docx, word_diff
from graphs.drafter.document import render
from tests.documents import drafted_rows, pdf_text

SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]
FINAL = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def versions() -> list[dict]:
    """The three versions of the seed conversation, as the documents table would store them."""
    return drafted_rows(SEED, first_id=201)


def _open(data: bytes):
    return docx.Document(BytesIO(data))


def _numbering(document) -> tuple[dict[int, int], dict[int, list[tuple[str, str]]]]:
    """numId -> abstractNumId, and abstractNumId -> its levels' (numFmt, lvlText)."""
    root = document.part.numbering_part.element
    nums = {
        int(num.get(qn("w:numId"))): int(num.find(qn("w:abstractNumId")).get(qn("w:val")))
        for num in root.findall(qn("w:num"))
    }
    abstracts = {
        int(a.get(qn("w:abstractNumId"))): [
            (
                lvl.find(qn("w:numFmt")).get(qn("w:val")),
                lvl.find(qn("w:lvlText")).get(qn("w:val")),
            )
            for lvl in a.findall(qn("w:lvl"))
        ]
        for a in root.findall(qn("w:abstractNum"))
    }
    return nums, abstracts


def _num(paragraph) -> tuple[int, int] | None:
    """The (numId, ilvl) a paragraph references, if any."""
    pPr = paragraph._p.pPr
    if pPr is None or pPr.numPr is None:
        return None
    return pPr.numPr.numId.val, pPr.numPr.ilvl.val


def _header_xml(document) -> str:
    return document.sections[0].header._element.xml


# --- The agreement in Word ---------------------------------------------------------------------


def test_clauses_are_word_numbered_headings_in_named_styles(versions):
    row = versions[2]
    document = _open(to_docx(row))
    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == row["title"]
    typed = re.findall(r"^## \d+\. (.+)$", row["body"], re.MULTILINE)
    assert typed[-1] == "Signatures"
    headings = [p for p in paragraphs if p.style.name == "Heading 1"]
    # the number is Word's, not typed text; the signature section is no clause
    assert [p.text for p in headings] == typed[:-1]
    assert not any(re.match(r"\d", p.text) for p in headings)

    nums, abstracts = _numbering(document)
    references = {_num(p) for p in headings}
    assert len(references) == 1
    (num_id, level) = references.pop()
    assert level == 0 and num_id in nums
    levels = abstracts[nums[num_id]]
    assert levels[0] == ("decimal", "%1.") and levels[1] == ("decimal", "%1.%2")
    assert levels[2] == ("lowerLetter", "(%3)")

    term = next(p for p in paragraphs if p.text.startswith("This Agreement begins"))
    assert term.style.name == "Body Text"
    assert "two (2) years (24 months)" in term.text
    assert {s.name for s in document.styles} >= {"Title", "Heading 1", "Heading 2", "Body Text"}
    assert document.styles["Heading 1"].font.color.rgb == docx.shared.RGBColor(0, 0, 0)
    assert "**" not in "".join(p.text for p in paragraphs)


def test_the_agreement_ends_with_the_signature_blocks_and_cites_nothing(versions):
    row = versions[2]
    texts = [p.text for p in _open(to_docx(row)).paragraphs]
    witness = next(i for i, t in enumerate(texts) if t.startswith("IN WITNESS WHEREOF"))
    assert texts[witness + 1 :] == [
        "[Party A]",
        "",
        "By: ______________________________",
        "Name: ______________________________",
        "Title: ______________________________",
        "Date: ______________________________",
        "[Party B]",
        "",
        "By: ______________________________",
        "Name: ______________________________",
        "Title: ______________________________",
        "Date: ______________________________",
    ]
    full = "\n".join(texts)
    assert "Citations" not in texts
    for citation in row["citations"]:
        assert citation["reason"] not in full


def test_draft_header_and_watermark_until_the_version_is_final(versions):
    draft = _open(to_docx(versions[2]))
    header = draft.sections[0].header.paragraphs[0].text
    assert header == "DRAFT — version 3 — not for signature"
    xml = _header_xml(draft)
    assert 'string="DRAFT"' in xml and "v:textpath" in xml and "rotation:315" in xml
    assert draft.core_properties.category == "DRAFT"

    final = _open(to_docx({**versions[2], "final_at": FINAL}))
    assert "DRAFT" not in _header_xml(final)
    assert all("DRAFT" not in p.text for p in final.paragraphs)
    assert final.core_properties.category == ""
    # page numbers either way
    assert 'w:instr=" PAGE "' in final.sections[0].footer._element.xml


def _signed(*blocks: str, parties=None) -> dict:
    body = write(
        "Consulting Agreement",
        "Between the parties below.",
        [Clause("Services", "Advice."), Clause("Signatures", "\n\n".join(blocks))],
    )
    row = {"title": "Consulting Agreement", "body": body, "version": 1}
    if parties is not None:
        row["parties"] = parties
    return row


def _block_after(texts: list[str], name: str) -> list[str]:
    start = texts.index(name)
    end = next((i for i in range(start + 1, len(texts)) if texts[i].startswith("Date:")), None)
    return texts[start : end + 1]


def test_signature_blocks_for_an_individual_and_a_company():
    row = _signed(
        signature_block("Acme Inc.", "company"),
        signature_block("Jane Doe (an individual)", "individual"),
    )
    assert [(s.name, s.kind) for s in outline(row).signatories] == [
        ("Acme Inc.", "company"),
        ("Jane Doe (an individual)", "individual"),
    ]
    texts = [p.text for p in _open(to_docx(row)).paragraphs]
    assert _block_after(texts, "Acme Inc.") == [
        "Acme Inc.",
        "",
        "By: ______________________________",
        "Name: ______________________________",
        "Title: ______________________________",
        "Date: ______________________________",
    ]
    # she signs herself: a line over her name, no By or Title
    assert _block_after(texts, "Jane Doe (an individual)") == [
        "Jane Doe (an individual)",
        "",
        "______________________________",
        "Jane Doe",
        "Date: ______________________________",
    ]
    assert texts.index("Services") < texts.index("Acme Inc.")
    pdf = pdf_text(to_pdf(row))
    assert "By: ____" in pdf and "(Jane Doe)" in pdf


def test_older_drafts_blocks_say_company_unless_the_name_says_otherwise():
    legacy = "**{}**  \nBy: ______  \nName: ______  \nTitle: ______  \nDate: ______"
    row = _signed(
        legacy.format("Jane Doe (an individual)"),
        legacy.format("Beta GmbH"),
        legacy.format("[Party B]"),
    )
    kinds = [(s.name, s.kind) for s in outline(row).signatories]
    assert kinds == [
        ("Jane Doe (an individual)", "individual"),
        ("Beta GmbH", "company"),
        ("[Party B]", "company"),
    ]
    declared = _signed(
        legacy.format("Jane Doe"), parties=[{"name": "Jane Doe", "kind": "individual"}]
    )
    assert [s.kind for s in outline(declared).signatories] == ["individual"]
    texts = [p.text for p in _open(to_docx(declared)).paragraphs]
    assert not any(t.startswith(("By:", "Title:")) for t in texts)


def test_the_drafters_blocks_read_back_with_their_kind():
    document = render({"nda_kind": "mutual", "parties": ["Acme Inc.", "Jane Doe (an individual)"]})
    assert [(s.name, s.kind) for s in outline(document).signatories] == [
        ("Acme Inc.", "company"),
        ("Jane Doe (an individual)", "individual"),
    ]
    # a company's block is the one every earlier draft had, so their bodies do not change
    assert "**Acme Inc.**  \nBy: ______________________  \nName: " in document["body"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Acme Inc.", "company"),
        ("Acme, Inc.", "company"),
        ("Initech LLC", "company"),
        ("Globex Ltd.", "company"),
        ("Beta GmbH", "company"),
        ("Delta Corp.", "company"),
        ("Stark Industries Corporation", "company"),
        ("Jane Doe (an individual)", "individual"),
        ("John Roe, an individual", "individual"),
        ("Jane Doe", None),
        ("[Party A]", None),
    ],
)
def test_party_kind_from_the_name(name, kind):
    assert party_kind(name) == kind


def test_lists_and_emphasis_numbered_by_word_only_where_the_text_says_so():
    body = (
        "# Services Agreement\n\n"
        "Made by *Acme* and **Beta LLC**, with ***care***.\n\n"
        "## 1. Scope\n\n"
        "1.1 Deliverables\n"
        "(a) a report\n"
        "(b) a deck\n"
        "1.2 Timing\n\n"
        "## 2. Fees\n\n"
        "1. first instalment\n"
        "2. second instalment\n\n"
        "- first point\n"
        "  - nested point\n\n"
        "### Notes\n\n"
        "(c) out of order\n"
    )
    document = _open(to_docx({"title": "Services Agreement", "body": body, "type": "msa"}))
    nums, abstracts = _numbering(document)
    rows = [(p.style.name, p.text, _num(p)) for p in document.paragraphs]
    clauses = rows[2][2][0]
    fees_list = rows[8][2][0]
    assert rows == [
        ("Title", "Services Agreement", None),
        ("Body Text", "Made by Acme and Beta LLC, with care.", None),
        ("Heading 1", "Scope", (clauses, 0)),
        ("Body Text", "Deliverables", (clauses, 1)),
        ("Body Text", "a report", (clauses, 2)),
        ("Body Text", "a deck", (clauses, 2)),
        ("Body Text", "Timing", (clauses, 1)),
        ("Heading 1", "Fees", (clauses, 0)),
        ("Body Text", "first instalment", (fees_list, 0)),
        ("Body Text", "second instalment", (fees_list, 0)),
        ("List Bullet", "first point", None),
        ("List Bullet 2", "nested point", None),
        ("Heading 2", "Notes", None),
        ("List Continue", "(c) out of order", None),  # Word would say (a): kept typed
    ]
    assert fees_list != clauses and abstracts[nums[fees_list]][0] == ("decimal", "%1.")
    runs = [(r.text, bool(r.bold), bool(r.italic)) for r in document.paragraphs[1].runs]
    assert {("Acme", False, True), ("Beta LLC", True, False), ("care", True, True)} <= set(runs)


def test_clause_numbers_out_of_order_stay_typed():
    body = "# T\n\n## 3. Later\n\nText.\n\n## 1. Earlier\n\nText.\n"
    document = _open(to_docx({"body": body}))
    headings = [(p.text, _num(p)) for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [("3. Later", None), ("1. Earlier", None)]


def test_odd_rows_still_export():
    row = {"title": None, "body": None, "citations": [{"authority": "Only"}, None], "version": None}
    assert [p.text for p in _open(to_docx(row)).paragraphs] == []
    memo = [p.text for p in _open(to_memo_docx(row)).paragraphs]
    assert "Only" in memo
    assert pdf_text(to_pdf(row)).count("DRAFT") >= 1


# --- The citations memo ------------------------------------------------------------------------


def test_the_memo_lists_every_citation_as_a_numbered_list(versions):
    row = versions[2]
    document = _open(to_memo_docx(row))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Memorandum"
    assert "Re: Authorities cited in Mutual Non-Disclosure Agreement, version 3" in texts
    cited = [p for p in document.paragraphs if _num(p) is not None]
    assert len(cited) == len(row["citations"]) == 8
    nums, abstracts = _numbering(document)
    assert {abstracts[nums[_num(p)[0]]][0] for p in cited} == {("decimal", "%1.")}
    for paragraph, citation in zip(cited, row["citations"], strict=True):
        assert paragraph.runs[0].bold and paragraph.runs[0].text == citation["authority"]
        assert citation["citation"] in paragraph.text and citation["reason"] in paragraph.text
    assert not any(t.startswith("By:") for t in texts)


def test_a_citations_section_in_the_body_goes_to_the_memo(versions):
    row = versions[2]
    body = row["body"] + "\n## 14. Citations\n\n- see the schedule of authorities\n"
    agreement = [p.text for p in _open(to_docx({**row, "body": body})).paragraphs]
    assert not any("schedule of authorities" in t for t in agreement)
    assert agreement[-1].startswith("Date:")
    memo = [p.text for p in _open(to_memo_docx({**row, "body": body})).paragraphs]
    assert "see the schedule of authorities" in memo


# --- The redline -------------------------------------------------------------------------------


def _changes(document, tag: str) -> list[str]:
    body = document.element.body
    return [
        "".join(t.text or "" for t in change.iter(qn("w:t"), qn("w:delText")))
        for change in body.iter(qn(tag))
    ]


def _version(row: dict, version: int, body: str) -> dict:
    return {**row, "id": 300 + version, "version": version, "body": body}


def test_word_diff_marks_only_what_changed():
    assert [
        (op, "".join(t.text for t in group))
        for op, group in word_diff("survive **three** years", "survive **five** years")
    ] == [("equal", "survive "), ("delete", "three"), ("insert", "five"), ("equal", " years")]
    assert [op for op, _ in word_diff("same", "same")] == ["equal"]


def test_redline_tracks_each_change_as_word_insertions_and_deletions(versions):
    v1, v3 = versions[0], versions[2]
    body = v3["body"].replace(
        "## 7. Return of Materials",
        "## 7. Non-Solicitation\n\nNeither Party shall solicit the other's employees for "
        "twelve (12) months.\n\n## 8. Return of Materials",
    )
    assert "## 7. Non-Solicitation" in body, "the clause numbering moved: update the anchor"
    body = re.sub(r"## \d+\. Remedies\n\n[^\n]+\n\n", "", body)
    data = to_redline_docx(v1, _version(v3, 4, body))
    document = _open(data)
    inserted, deleted = _changes(document, "w:ins"), _changes(document, "w:del")
    assert "two (2) years (24 months)" in inserted and "[term]" in deleted
    assert "Non-Solicitation" in inserted
    assert any(text.startswith("Neither Party shall solicit") for text in inserted)
    assert "Remedies" in deleted
    assert any(text.startswith("Unauthorized use or disclosure") for text in deleted)
    assert "[governing law]" in deleted and "the State of California" in inserted
    # deleted text is w:delText inside w:del, never w:t; every change has an author and a date
    for change in document.element.body.iter(qn("w:del")):
        assert not list(change.iter(qn("w:t")))
    for change in document.element.body.iter(qn("w:ins"), qn("w:del")):
        assert change.get(qn("w:author")) == "Adlaan Agent"
        assert change.get(qn("w:date")) == "2026-01-03T12:00:00Z"
    ids = [c.get(qn("w:id")) for c in document.element.body.iter(qn("w:ins"), qn("w:del"))]
    assert len(ids) == len(set(ids))
    # a removed clause's paragraphs are deleted marks and all: accepting leaves no empty line
    removed = next(p for p in document.paragraphs if p.text == "" and "Remedies" in p._p.xml)
    assert removed._p.pPr.find(qn("w:rPr")).find(qn("w:del")) is not None
    assert "REDLINE — version 1 to version 4" in _header_xml(document)


def test_accepting_every_change_gives_the_new_text_and_rejecting_the_old(versions):
    old, new = versions[1], versions[2]
    document = _open(to_redline_docx(old, new))

    def text(keep: str, drop: str) -> list[str]:
        result = []
        for p in document.paragraphs:
            marks = p._p.pPr.find(qn("w:rPr")) if p._p.pPr is not None else None
            if marks is not None and marks.find(qn(drop)) is not None:
                continue
            pieces = []
            for node in p._p.iter(qn("w:t"), qn("w:delText")):
                inside = {a.tag for a in node.iterancestors()}
                if qn(drop) in inside:
                    continue
                pieces.append(node.text or "")
            result.append("".join(pieces))
        return result

    accepted, rejected = text("w:ins", "w:del"), text("w:del", "w:ins")
    term = "This Agreement begins on the Effective Date and continues for "
    assert any(t.startswith(term + "two (2) years") for t in accepted)
    assert not any(t.startswith(term + "[term]") for t in accepted)
    assert any(t.startswith(term + "[term]") for t in rejected)
    assert len(_changes(document, "w:ins")) == len(_changes(document, "w:del")) == 1


def test_redline_of_a_version_against_itself_has_no_changes(versions):
    document = _open(to_redline_docx(versions[2], dict(versions[2])))
    assert _changes(document, "w:ins") == _changes(document, "w:del") == []


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_of_the_agreement(versions):
    row = versions[2]
    data = to_pdf(row)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "(Mutual Non-Disclosure Agreement)" in text
    assert "DRAFT" in text
    assert "1. Definitions" in text and "Governing Law" in text
    assert "Cal. Civ. Code" not in text  # citations live in the memo
    final = pdf_text(to_pdf({**row, "final_at": FINAL}))
    assert "DRAFT" not in final and "(Mutual Non-Disclosure Agreement)" in final


def test_without_reportlab_a_pdf_is_refused_with_what_to_install(versions, monkeypatch):
    for name in [m for m in sys.modules if m == "reportlab" or m.startswith("reportlab.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "reportlab", None)  # what an import finds when it is absent
    with pytest.raises(PdfUnavailable, match=r"pip install 'reportlab==5\.1\.0'"):
        to_pdf(versions[2])
    assert _open(to_docx(versions[2])).paragraphs  # every other export still works


def test_pdf_of_the_memo(versions):
    text = pdf_text(to_memo_pdf(versions[2]))
    assert "(Memorandum)" in text and "California Uniform Trade Secrets Act" in text
