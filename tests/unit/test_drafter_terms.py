"""The offline term extractor: durations, jurisdictions, parties, kinds, dates, and merging."""

from __future__ import annotations

import pytest

from graphs.drafter.jurisdictions import JURISDICTIONS, find_jurisdiction, resolve_jurisdiction
from graphs.drafter.terms import (
    extract_terms,
    find_effective_date,
    find_kind,
    find_term_months,
    merge_terms,
    other_document,
    read_update,
)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Add a 2-year term", 24),
        ("two years", 24),
        ("2 yrs", 24),
        ("2yr", 24),
        ("24 months", 24),
        ("eighteen months", 18),
        ("a one-year term", 12),
        ("1.5 years", 18),
        ("3-year term", 36),
        ("term of 5 years", 60),
        ("six month", 6),
        ("twenty-four months", 24),
        ("twenty four months", 24),
        ("TWO YEARS", 24),
        ("one and a half years", 18),
        ("a year and a half", 18),
        ("two and a half years", 30),
        ("half a year", 6),
        ("a year", 12),
        ("36-mo term", 36),
        ("we meet once a year; make it a 3 year term", 36),
        ("term of 5 years; obligations survive 2 years", 60),
        ("3 years, no wait, 4 years", 48),
    ],
)
def test_term_wordings(text, months):
    assert find_term_months(text) == months


@pytest.mark.parametrize(
    "text", ["", "no term yet", "0 months", "founded 5 years ago", "5000 years"]
)
def test_no_term(text):
    assert find_term_months(text) is None


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS, ids=lambda j: j.code)
def test_every_jurisdiction_by_its_full_name(jurisdiction):
    name = jurisdiction.name
    assert find_jurisdiction(f"Make it for {name} jurisdiction") == jurisdiction.code
    assert find_jurisdiction(f"governed by {name.upper()} law") == jurisdiction.code
    assert find_jurisdiction(f"under {name.lower()} law") == jurisdiction.code
    assert resolve_jurisdiction(jurisdiction.code.lower()) == jurisdiction.code
    assert resolve_jurisdiction(name) == jurisdiction.code


def test_there_are_fifty_states_and_dc():
    codes = [j.code for j in JURISDICTIONS]
    assert len(codes) == len(set(codes)) == 51
    assert "DC" in codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("West Virginia law", "WV"),
        ("Virginia law", "VA"),
        ("West Virginia, not Virginia", "WV"),
        ("Arkansas", "AR"),
        ("Kansas", "KS"),
        ("Arkansas law", "AR"),
        ("Washington", "WA"),
        ("under the laws of Washington State", "WA"),
        ("Washington DC", "DC"),
        ("Washington, D.C.", "DC"),
        ("washington dc", "DC"),
        ("District of Columbia", "DC"),
        ("the District of Columbia", "DC"),
        ("D.C. law", "DC"),
        ("change jurisdiction to DC", "DC"),
        ("New York", "NY"),
        ("governed by NY law", "NY"),
        ("N.Y. law", "NY"),
        ("Calif.", "CA"),
        ("governed by TX law", "TX"),
        ("make it Delaware", "DE"),
        ("New Mexico", "NM"),
        ("North Carolina", "NC"),
        ("Kansas, no, make it Missouri", "MO"),
        ("change it from California to Texas", "TX"),
        ("Texas instead of California", "TX"),
        ("under the laws of OR", "OR"),
        ("OR law", "OR"),
        ("jurisdiction: PA", "PA"),
        ("Acme, a Delaware corporation, under Texas law", "TX"),
        ("Hawai'i", "HI"),
    ],
)
def test_jurisdiction_disambiguation(text, code):
    assert find_jurisdiction(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "I OR you",
        "OK, sounds good",
        "IN a minute",
        "tell ME more",
        "HI there",
        "Acme CO",
        "PA system",
        "in or out, ok?",
        "draft it in English",
        "Acme, a Delaware corporation",
    ],
)
def test_words_that_are_not_jurisdictions(text):
    assert find_jurisdiction(text) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ca", "CA"),
        (" NY ", "NY"),
        ("Washington, D.C.", "DC"),
        ("Atlantis", None),
        ("", None),
        (None, None),
    ],
)
def test_resolve_jurisdiction(value, code):
    assert resolve_jurisdiction(value) == code


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mutual NDA", "mutual"),
        ("make it two-way", "mutual"),
        ("bilateral", "mutual"),
        ("one-way please", "one_way"),
        ("unilateral", "one_way"),
        ("make it one way", "one_way"),
        ("non-mutual", "one_way"),
        ("not mutual", "one_way"),
        ("change it from one-way to mutual", "mutual"),
        ("mutual instead of one-way", "mutual"),
        ("one way or another", None),
        ("an NDA", None),
    ],
)
def test_kinds(text, kind):
    assert find_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between Acme Corp and Beta LLC", {"parties": ["Acme Corp", "Beta LLC"]}),
        (
            "NDA between Acme Corp. and Beta, Inc. for 2 years",
            {"parties": ["Acme Corp.", "Beta, Inc."]},
        ),
        (
            "between Acme Corp, a Delaware corporation, and Beta LLC",
            {"parties": ["Acme Corp", "Beta LLC"]},
        ),
        (
            "the parties are Foo Ltd and Bank of America.",
            {"parties": ["Foo Ltd", "Bank of America"]},
        ),
        ("the disclosing party is Acme Corp", {"disclosing_party": "Acme Corp"}),
        ("Receiving party: Beta LLC", {"receiving_party": "Beta LLC"}),
        ("Acme is disclosing to Beta", {"disclosing_party": "Acme", "receiving_party": "Beta"}),
        (
            "So Acme discloses confidential information to Beta Labs under Texas law",
            {"disclosing_party": "Acme", "receiving_party": "Beta Labs"},
        ),
        (
            "Beta LLC is the receiving party and Acme is the disclosing party",
            {"disclosing_party": "Acme", "receiving_party": "Beta LLC"},
        ),
        ("between us and them", {}),
    ],
)
def test_parties(text, expected):
    update = read_update(text)
    assert {k: v for k, v in update.items() if "part" in k} == expected


def test_a_party_named_after_a_state_is_not_the_governing_law():
    update = read_update("NDA between Texas Instruments and Beta LLC")
    assert update["parties"] == ["Texas Instruments", "Beta LLC"]
    assert "governing_law" not in update


def test_roles_make_the_nda_one_way():
    terms = extract_terms("the disclosing party is Acme", {"doc_type": "nda", "nda_kind": "mutual"})
    assert terms == {"doc_type": "nda", "nda_kind": "one_way", "disclosing_party": "Acme"}


def test_roles_order_a_named_pair():
    terms = extract_terms("one-way NDA between Acme and Beta; Beta is the disclosing party", {})
    assert (terms["disclosing_party"], terms["receiving_party"]) == ("Beta", "Acme")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("effective January 31, 2026", "2026-01-31"),
        ("effective date is 2026-03-01", "2026-03-01"),
        ("starting 3/1/2026", "2026-03-01"),
        ("effective as of 1st of Feb 2027", "2027-02-01"),
        ("effective February 30, 2026", None),
        ("effective soon", None),
    ],
)
def test_effective_dates(text, iso):
    assert find_effective_date(text) == iso


def test_purpose():
    update = read_update("for the purpose of expanding into Ohio, under Texas law")
    assert update["purpose"] == "expanding into Ohio"
    assert update["governing_law"] == "TX"


@pytest.mark.parametrize(
    ("text", "document"),
    [
        ("draft me a lease", "lease"),
        ("I need an employment agreement", "employment agreement"),
        ("a non-compete please", None),  # a clause request, answered with why (not a document)
        ("an NDA, not a lease", None),
        ("Add a 2-year term", None),
    ],
)
def test_other_documents(text, document):
    assert other_document(text) == document


def test_later_messages_override_earlier_terms():
    terms = extract_terms("mutual NDA between Acme and Beta for Texas, 3 years", {})
    terms = extract_terms("actually make it one-way under Delaware law for 18 months", terms)
    assert terms == {
        "doc_type": "nda",
        "nda_kind": "one_way",
        "disclosing_party": "Acme",
        "receiving_party": "Beta",
        "governing_law": "DE",
        "term_months": 18,
    }


def test_extract_terms_is_pure():
    current = {"doc_type": "nda", "nda_kind": "mutual", "parties": ["Acme", "Beta"]}
    snapshot = {**current, "parties": list(current["parties"])}
    extract_terms("make it one-way", current)
    assert current == snapshot


def test_a_message_that_sets_nothing_starts_nothing():
    assert extract_terms("hello there", {}) == {}


def test_any_term_starts_a_mutual_nda():
    assert extract_terms("under Ohio law", {}) == {
        "doc_type": "nda",
        "nda_kind": "mutual",
        "governing_law": "OH",
    }


@pytest.mark.parametrize(
    "update",
    [
        {"governing_law": "Atlantis"},
        {"term_months": 0},
        {"term_months": -3},
        {"term_months": True},
        {"term_months": "24"},
        {"effective_date": "31/01/2026"},
        {"parties": ["Only One"]},
        {"parties": ["", "Beta"]},
        {"nda_kind": "three_way"},
        {"purpose": "   "},
        {"doc_type": "lease"},
        {},
    ],
)
def test_merge_ignores_invalid_values(update):
    current = {"doc_type": "nda", "nda_kind": "mutual", "term_months": 12}
    assert merge_terms(current, update) == current
