"""Rendering terms as a Markdown NDA, and the authorities each jurisdiction cites."""

from __future__ import annotations

import re

import pytest

from graphs.drafter.document import (
    DTSA_NOTICE,
    describe_term,
    fingerprint,
    realign,
    render,
    short_term,
)
from graphs.drafter.jurisdictions import BY_CODE, JURISDICTIONS
from graphs.drafter.numbers import WORD_NUMBERS, number_words

HEADINGS = [
    "Definitions",
    "Obligations of the Receiving Party",
    "Exclusions",
    "Residuals",
    "Permitted Disclosures",
    "Term and Termination",
    "Return of Materials",
    "No License; No Warranty",
    "Governing Law",
    "Notice of Immunity Under the Defend Trade Secrets Act",
    "Remedies",
    "General",
    "Signatures",
]


def headings(body):
    return re.findall(r"^## (\d+)\. (.+)$", body, flags=re.MULTILINE)


def test_a_bare_nda_has_every_clause_numbered_and_placeholders():
    document = render({"doc_type": "nda", "nda_kind": "mutual"})
    body = document["body"]
    assert body.startswith("# Mutual Non-Disclosure Agreement\n")
    found = headings(body)
    assert [title for _, title in found] == HEADINGS
    assert [int(n) for n, _ in found] == list(range(1, len(HEADINGS) + 1))
    for placeholder in ("[Party A]", "[Party B]", "[Effective Date]", "[term]", "[governing law]"):
        assert placeholder in body
    assert DTSA_NOTICE in body
    assert document["jurisdiction"] is None
    assert [c["citation"] for c in document["citations"]] == [
        "18 U.S.C. § 1833(b)",
        "18 U.S.C. § 1836",
        "42 U.S.C. §§ 19401–19404",
        "17 C.F.R. § 240.21F-17",
    ]
    assert "version" not in document


def test_a_complete_one_way_nda():
    terms = {
        "doc_type": "nda",
        "nda_kind": "one_way",
        "disclosing_party": "Acme Corp",
        "receiving_party": "Beta LLC",
        "governing_law": "MA",
        "term_months": 18,
        "effective_date": "2026-01-31",
        "purpose": "evaluating a possible acquisition of Beta LLC",
    }
    document = render(terms)
    body = document["body"]
    assert document["title"] == "One-Way Non-Disclosure Agreement"
    assert "as of January 31, 2026" in body
    assert '**Acme Corp** (the "Disclosing Party") and **Beta LLC** (the "Receiving Party")' in body
    assert "continues for eighteen (18) months" in body
    assert "the laws of the Commonwealth of Massachusetts" in body
    assert 'The "Purpose" is evaluating a possible acquisition of Beta LLC.' in body
    assert "## 10. Massachusetts Law Requirements" in body
    assert not re.search(r"\[[A-Z][a-z]+(?: [A-Za-z]+)*\]", body), "no placeholders left"
    assert document["terms"] == terms and document["terms"] is not terms
    assert any(c["citation"] == "Mass. Gen. Laws ch. 93, §§ 42–42G" for c in document["citations"])


def test_rendering_is_deterministic():
    terms = {"doc_type": "nda", "nda_kind": "mutual", "governing_law": "CA", "term_months": 24}
    assert render(terms) == render(dict(terms))


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS, ids=lambda j: j.code)
def test_every_jurisdiction_renders_with_reasoned_citations(jurisdiction):
    document = render({"doc_type": "nda", "nda_kind": "mutual", "governing_law": jurisdiction.code})
    assert document["jurisdiction"] == jurisdiction.code
    assert f"governed by the laws of {jurisdiction.formal_name}," in document["body"]
    citations = document["citations"]
    assert citations[0]["citation"] == "18 U.S.C. § 1833(b)"
    assert citations[4]["authority"] == jurisdiction.trade_secret.authority
    assert all(c["authority"] and c["citation"] and c["reason"] for c in citations)
    assert len({c["citation"] for c in citations}) == len(citations)


@pytest.mark.parametrize(
    ("code", "authority", "citation"),
    [
        ("CA", "California Uniform Trade Secrets Act", "Cal. Civ. Code §§ 3426–3426.11"),
        (
            "NC",
            "North Carolina Trade Secrets Protection Act",
            "N.C. Gen. Stat. §§ 66-152 to 66-162",
        ),
        ("MA", "Massachusetts Uniform Trade Secrets Act", "Mass. Gen. Laws ch. 93, §§ 42–42G"),
        ("TX", "Texas Uniform Trade Secrets Act", "Tex. Civ. Prac. & Rem. Code ch. 134A"),
        ("DC", "District of Columbia Uniform Trade Secrets Act", "D.C. Code §§ 36-401 to 36-410"),
    ],
)
def test_trade_secret_acts(code, authority, citation):
    act = BY_CODE[code].trade_secret
    assert (act.authority, act.citation) == (authority, citation)


def test_new_york_has_no_uniform_act():
    act = BY_CODE["NY"].trade_secret
    assert "Uniform" not in act.authority
    assert "has not adopted the Uniform Trade Secrets Act" in act.reason


@pytest.mark.parametrize(
    ("code", "citation"),
    [
        ("CA", "Cal. Bus. & Prof. Code § 16600"),
        ("CA", "Cal. Gov. Code § 12964.5"),
        ("CA", "Cal. Code Civ. Proc. § 1001"),
        ("WA", "Wash. Rev. Code § 49.44.210"),
        ("WA", "Wash. Rev. Code § 49.44.211"),
        ("NY", "N.Y. Gen. Oblig. Law § 5-336"),
    ],
)
def test_state_extras(code, citation):
    document = render({"doc_type": "nda", "nda_kind": "mutual", "governing_law": code})
    assert citation in [c["citation"] for c in document["citations"]]


def test_california_draft_carries_its_carve_outs():
    body = render({"doc_type": "nda", "governing_law": "CA"})["body"]
    assert "## 11. California Law Requirements" in body
    assert "information about unlawful acts in the workplace" in body
    assert "lawful profession, trade or business" in body


@pytest.mark.parametrize(
    ("months", "long", "short"),
    [
        (1, "one (1) month", "1 month"),
        (6, "six (6) months", "6 months"),
        (12, "one (1) year (12 months)", "1 year (12 months)"),
        (18, "eighteen (18) months", "18 months"),
        (24, "two (2) years (24 months)", "2 years (24 months)"),
        (60, "five (5) years (60 months)", "5 years (60 months)"),
        (30, "thirty (30) months", "30 months"),
    ],
)
def test_term_wording(months, long, short):
    assert describe_term(months) == long
    assert short_term(months) == short


def test_number_words_round_trip():
    assert number_words(24) == "twenty-four"
    assert number_words(120) == "one hundred twenty"
    assert all(WORD_NUMBERS[number_words(n)] == n for n in range(100))


def test_the_document_is_structured_and_its_body_is_rendered_from_its_clauses():
    document = render({"doc_type": "nda", "nda_kind": "mutual", "governing_law": "CA"})
    ids = [c["id"] for c in document["clauses"]]
    assert ids[:4] == ["definitions", "confidentiality", "exclusions", "residuals"]
    assert [c["heading"] for c in document["clauses"]] == [
        title for _, title in headings(document["body"])
    ][:-1], "every clause but the signatures, in order"
    for clause in document["clauses"]:
        assert clause["text"] in document["body"] and clause["custom"] is False
    assert document["source"] == fingerprint(document["clauses"])


def test_a_custom_clause_keeps_its_text_when_the_terms_change_and_others_follow():
    terms = {"doc_type": "nda", "nda_kind": "mutual", "governing_law": "CA", "term_months": 24}
    clauses = render(terms)["clauses"]
    clauses[0] = {**clauses[0], "text": "Our own definitions.", "custom": True}
    after = {**terms, "governing_law": "NY", "term_months": 36}
    moved = realign(terms, after, clauses)
    body = render(after, moved)["body"]
    assert "Our own definitions." in body
    assert "three (3) years (36 months)" in body and "State of New York" in body
    assert "California Law Requirements" not in body, "the state's own clause follows the law"
    assert render(after, moved)["body"] == render(after, render(after, moved)["clauses"])["body"]
