"""The clause library's services and consulting agreements, and what every type shares: complete
terms leave no placeholder under any of the 51 laws, every jurisdiction-specific clause cites its
authority, lookups read realistic phrases, and errors say what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphs.drafter import library
from graphs.drafter.jurisdictions import BY_CODE
from graphs.drafter.library import states

PLACEHOLDER = re.compile(r"\[[^\]]*\]")
TYPES = ["nda", "services", "consulting", "offer_letter"]
#: A jurisdiction with no law of its own in the library: the baseline the others are compared to.
BASELINE = "KY"


def complete(doc_type: str, code: str | None = "CA", **more) -> dict:
    """Terms with every value a document of the type reads."""
    return {
        "doc_type": doc_type,
        "nda_kind": "mutual",
        "parties": ["Acme Inc.", "Jane Doe"],
        "party_kinds": {"Jane Doe": "individual"},
        "governing_law": code,
        "term_months": 12,
        "effective_date": "2026-01-31",
        "purpose": "evaluating a joint venture",
        "services": "advising on the Company's go-to-market strategy",
        "deliverables": "a written market analysis and a launch plan",
        "fees": "USD 12,000 per month",
        "compensation": "USD 200 per hour",
        "position": "Senior Product Manager",
        "manager": "the Chief Executive Officer",
        "start_date": "2026-03-02",
        "salary": "USD 150,000 per year",
        "work_location": "the Company's principal office",
        "offer_expires": "2026-02-15",
        "addresses": {
            "Acme Inc.": "1 Main Street, San Francisco, CA 94105",
            "Jane Doe": "2 Oak Avenue, Oakland, CA 94607",
        },
        **more,
    }


def everything(terms: dict) -> list[library.LibraryClause]:
    """The default clauses plus every optional one the terms allow."""
    clauses = library.default_clauses(terms)
    present = {c["id"] for c in clauses}
    for clause_id in library.DOC_TYPES[terms["doc_type"]].optional_clauses:
        if clause_id not in present:
            clauses.append(library.clause(terms, clause_id, _params(clause_id)))
    return clauses


def _params(clause_id: str) -> dict:
    return {"months": 12, "scope": "employees"} if clause_id == "non_solicitation" else {}


@pytest.mark.parametrize("code", sorted(BY_CODE))
@pytest.mark.parametrize("doc_type", TYPES)
def test_complete_terms_leave_no_placeholder(doc_type, code):
    terms = complete(doc_type, code)
    first, second = library.party_names(terms)
    assert first and second
    texts = [library.title_for(terms), library.preamble(terms, first, second)]
    texts += [c["text"] for c in everything(terms)] + [c["heading"] for c in everything(terms)]
    for text in texts:
        assert not PLACEHOLDER.search(text), (code, PLACEHOLDER.findall(text), text[:80])


@pytest.mark.parametrize(
    ("doc_type", "expected"),
    [
        ("nda", {"[term]", "[governing law]", "[Effective Date]"}),
        ("services", {"[services]", "[deliverables]", "[fees]", "[term]", "[governing law]"}),
        ("consulting", {"[services]", "[compensation]", "[term]", "[governing law]"}),
        (
            "offer_letter",
            {"[position]", "[manager]", "[start date]", "[salary]", "[work location]"},
        ),
    ],
)
def test_missing_terms_become_placeholders(doc_type, expected):
    terms = {"doc_type": doc_type}
    first, second = library.placeholders(terms)
    text = library.preamble(terms, first, second) + " ".join(
        c["text"] for c in library.default_clauses(terms)
    )
    assert expected <= set(PLACEHOLDER.findall(text))


def _normal(text: str, code: str) -> str:
    found = BY_CODE[code]
    return text.replace(found.formal_name, "<law>").replace(found.name, "<state>")


@pytest.mark.parametrize("code", sorted(set(BY_CODE) - {BASELINE}))
@pytest.mark.parametrize("doc_type", TYPES)
def test_every_jurisdiction_specific_clause_cites_its_authority(doc_type, code):
    """A clause whose wording differs from the baseline's (beyond the state's name), or that
    exists only under this law, cites an authority the baseline's does not."""
    base = {c["id"]: c for c in everything(complete(doc_type, BASELINE))}
    kind = library.KINDS[doc_type]
    for clause in everything(complete(doc_type, code)):
        before = base.get(clause["id"])
        cited = {(c["authority"], c["citation"]) for c in clause["citations"]}
        if before is None:
            assert clause["id"] in kind.jurisdictional, clause["id"]
        elif _normal(clause["text"], code) == _normal(before["text"], BASELINE):
            continue
        else:
            cited -= {(c["authority"], c["citation"]) for c in before["citations"]}
        assert cited, f"{doc_type} {code} {clause['id']} differs but cites nothing of its own"
        for citation in clause["citations"]:
            assert citation["authority"] and citation["citation"] and citation["reason"]


@pytest.mark.parametrize("doc_type", TYPES)
def test_the_eight_states_have_their_own_clauses(doc_type):
    """CA, NY, DE, TX, IL, WA, MA and FL each change at least one clause of each type (with the
    non-solicitation covenant added, where FL, TX, MA and WA law speak). Delaware has no statute
    an NDA must answer to (its choice-of-law statute, § 2708, serves the services agreement)."""
    for code in ("CA", "NY", "DE", "TX", "IL", "WA", "MA", "FL"):
        if (doc_type, code) == ("nda", "DE"):
            continue
        cited = {
            c["citation"]
            for clause in everything(complete(doc_type, code))
            for c in clause["citations"]
        }
        base = {
            c["citation"]
            for clause in everything(complete(doc_type, BASELINE))
            for c in clause["citations"]
        }
        trade_secret = BY_CODE[code].trade_secret.citation
        assert cited - base - {trade_secret}, (doc_type, code)


def test_consulting_in_california():
    terms = complete("consulting", "CA")
    ids = [c["id"] for c in library.default_clauses(terms)]
    assert ids == [
        "services",
        "compensation",
        "expenses",
        "freelance_protections",
        "independent_contractor",
        "work_product",
        "invention_notice",
        "confidentiality",
        "term",
        "governing_law",
        "dtsa_notice",
        "state_law",
        "general",
    ]
    work = library.clause(terms, "work_product")
    assert "work made for hire" not in work["text"]
    assert "Cal. Lab. Code § 3351.5(c); Cal. Unemp. Ins. Code § 686" in [
        c["citation"] for c in work["citations"]
    ]
    notice = library.clause(terms, "invention_notice")
    assert notice["heading"] == "Notice of Employee Invention Rights Under California Law"
    assert "written notification that California Labor Code section 2872 requires" in notice["text"]
    assert "own time" in notice["text"]
    contractor = library.clause(terms, "independent_contractor")
    assert "California Labor Code section 2775" in contractor["text"]
    assert (
        "(B) the Services are outside the usual course of the Company's business"
        in (contractor["text"])
    )
    freelance = library.clause(terms, "freelance_protections")
    assert "1 Main Street, San Francisco, CA 94105" in freelance["text"]
    assert "grant more intellectual property rights" in freelance["text"]


def test_consulting_elsewhere():
    texas = complete("consulting", "TX")
    ids = [c["id"] for c in library.default_clauses(texas)]
    assert "invention_notice" not in ids and "freelance_protections" not in ids
    assert (
        '"work made for hire" as defined in 17 U.S.C. § 101'
        in library.clause(texas, "work_product")["text"]
    )
    with pytest.raises(ValueError, match=r"does not apply to these terms \(Texas law\)"):
        library.clause(texas, "invention_notice")
    assert "ABC" not in library.clause(texas, "independent_contractor")["text"]
    for code, test in (("MA", "chapter 149, section 148B"), ("NJ", "43:21-19(i)(6)")):
        text = library.clause(complete("consulting", code), "independent_contractor")["text"]
        assert test in text
    new_york = complete("consulting", "NY", addresses={})
    freelance = library.clause(new_york, "freelance_protections")["text"]
    assert "Article 44-A of the New York General Business Law" in freelance
    assert "[Company's mailing address]" in freelance
    assert "[Consultant's mailing address]" in freelance
    notice = library.clause(new_york, "invention_notice")
    assert "written notification" not in notice["text"]  # § 203-f requires none
    assert notice["citations"][0]["citation"] == "N.Y. Lab. Law § 203-f"
    washington = library.clause(complete("consulting", "WA"), "invention_notice")
    assert "written notification that RCW 49.44.140 requires" in washington["text"]


def test_services_freelance_clause_only_for_an_individual_provider():
    individual = complete("services", "IL")
    assert "freelance_protections" in [c["id"] for c in library.default_clauses(individual)]
    text = library.clause(individual, "freelance_protections")["text"]
    assert "820 ILCS 193" in text and "Client's mailing address is 1 Main Street" in text
    company = complete("services", "IL", parties=["Acme Inc.", "Beta LLC"], party_kinds={})
    assert "freelance_protections" not in [c["id"] for c in library.default_clauses(company)]


def test_services_state_rules():
    new_york = complete("services", "NY")
    assert library.clause(new_york, "governing_law")["citations"][0]["citation"] == (
        "N.Y. Gen. Oblig. Law § 5-1401"
    )
    assert library.clause(complete("consulting", "NY"), "governing_law")["citations"] == []
    assert library.clause(complete("services", "DE"), "governing_law")["citations"][0][
        "citation"
    ] == ("Del. Code Ann. tit. 6, § 2708")
    texas = library.clause(complete("services", "TX"), "indemnification")
    assert "FOR THE OTHER'S OWN NEGLIGENCE" in texas["text"]
    california = library.clause(complete("services", "CA"), "limitation_of_liability")
    assert california["citations"][0]["citation"] == "Cal. Civ. Code § 1668"
    assert "fraud or willful misconduct" in california["text"]
    # The NDA's "non-disclosure agreement only" carve-out is reworded for a services agreement.
    state = library.clause(complete("services", "TX"), "state_law")["text"]
    assert state.startswith("This Agreement contains no covenant not to compete")


@pytest.mark.parametrize("doc_type", ["services", "consulting"])
def test_term_fields_drive_the_text(doc_type):
    terms = complete(
        doc_type,
        "DE",
        payment_days=45,
        acceptance_days=5,
        notice_days=60,
        survival_months=60,
        liability_cap="USD 500,000",
    )
    text = " ".join(c["text"] for c in library.default_clauses(terms))
    assert "within forty-five (45) days after receiving it" in text
    assert "given at least sixty (60) days in advance" in text
    assert "for five (5) years (60 months) after it ends" in text
    if doc_type == "services":
        assert "Within five (5) days after delivery" in text
        assert "LIMITED TO USD 500,000." in text
    for key in ("payment_days", "notice_days", "survival_months"):
        assert key in library.DOC_TYPES[doc_type].term_fields


@pytest.mark.parametrize("doc_type", TYPES)
def test_every_clause_explains_itself(doc_type):
    terms = complete(doc_type, "CA")
    for clause_id in library.clause_ids(doc_type):
        text = library.explain(terms, clause_id)
        assert len(text) > 60, clause_id
    assert "Authority under California law" in library.explain(terms, "non_solicitation")


@pytest.mark.parametrize("doc_type", TYPES)
def test_clause_ids_and_defaults_are_consistent(doc_type):
    doc = library.DOC_TYPES[doc_type]
    every = library.clause_ids(doc_type)
    assert len(every) == len(set(every))
    assert set(doc.default_clauses) <= set(every)
    assert set(doc.optional_clauses) <= set(every)
    # Defaults keep the canonical order.
    assert [i for i in every if i in doc.default_clauses] == list(doc.default_clauses)
    assert all(library.find_clause_id(doc_type, i) == i for i in every)


@pytest.mark.parametrize("doc_type", ["services", "consulting"])
def test_non_solicitation_and_non_compete_in_the_other_types(doc_type):
    terms = complete(doc_type, "FL")
    clause = library.clause(terms, "non_solicitation", {"months": 18, "scope": "both"})
    assert "eighteen (18) months" in clause["text"]
    assert "section 542.335(1)(b)" in clause["text"]
    with pytest.raises(ValueError, match="void under California law"):
        library.clause(complete(doc_type, "CA"), "non_solicitation", {"scope": "customers"})
    with pytest.raises(ValueError, match="§ 16600"):
        library.clause(complete(doc_type, "CA"), "non_compete")


@pytest.mark.parametrize(
    ("doc_type", "words", "expected"),
    [
        ("services", "the limitation of liability", "limitation_of_liability"),
        ("services", "raise the liability cap to $1M", "limitation_of_liability"),
        ("services", "the indemnity", "indemnification"),
        ("services", "IP ownership", "intellectual_property"),
        ("services", "payment terms", "payment"),
        ("services", "acceptance testing", "acceptance"),
        ("services", "the warranty disclaimer", "warranties"),
        ("services", "a no-poach clause", "non_solicitation"),
        ("services", "make confidentiality survive 5 years", "confidentiality"),
        ("consulting", "the invention assignment", "work_product"),
        ("consulting", "the Section 2870 notice", "invention_notice"),
        ("consulting", "expense reimbursement", "expenses"),
        ("consulting", "the consultant's rate", "compensation"),
        ("consulting", "independent contractor status", "independent_contractor"),
        ("consulting", "the Freelance Isn't Free clause", "freelance_protections"),
        ("consulting", "a non-compete", "non_compete"),
        ("consulting", "the weather", None),
    ],
)
def test_find_clause_id(doc_type, words, expected):
    assert library.find_clause_id(doc_type, words) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("draft a services agreement between Acme and Beta", "services"),
        ("we need an MSA with our vendor", "services"),
        ("a master services agreement", "services"),
        ("a consulting agreement for Jane Doe", "consulting"),
        ("consulting services agreement", "consulting"),
        ("an independent contractor agreement", "consulting"),
        ("draft a mutual NDA between Acme Inc. and Jane Doe", "nda"),
        ("a confidentiality agreement", "nda"),
        ("what is the weather", None),
    ],
)
def test_find_doc_type(text, expected):
    assert library.find_doc_type(text) == expected


def test_titles_roles_and_parties():
    assert library.title_for({"doc_type": "services"}) == "Services Agreement"
    assert library.title_for({"doc_type": "consulting"}) == "Consulting Agreement"
    assert library.roles({"doc_type": "services"}) == ("Client", "Provider")
    assert library.roles({"doc_type": "consulting"}) == ("Company", "Consultant")
    assert library.party_names({"doc_type": "consulting", "parties": ["Acme Inc."]}) == (
        "Acme Inc.",
        None,
    )
    preamble = library.preamble(complete("consulting"), "Acme Inc.", "Jane Doe")
    assert '**Jane Doe** (an individual) (the "Consultant")' in preamble


def test_washington_customer_covenant_stays_a_non_solicitation_agreement():
    text = library.clause(
        complete("consulting", "WA"), "non_solicitation", {"months": 12, "scope": "customers"}
    )["text"]
    assert "solicit any person who is a current customer of the Company" in text
    assert "does not restrict accepting or transacting business" in text


def test_offer_letter():
    california = complete("offer_letter", "CA")
    ids = [c["id"] for c in library.default_clauses(california)]
    assert ids == [
        "position",
        "compensation",
        "benefits",
        "at_will",
        "conditions",
        "confidentiality",
        "invention_notice",
        "pay_notice",
        "governing_law",
        "dtsa_notice",
        "state_law",
        "general",
    ]
    notice = library.clause(california, "invention_notice")["text"]
    assert notice.startswith("Any agreement requiring you to assign inventions to the Company")
    assert "written notification that California Labor Code section 2872 requires" in notice
    assert "2810.5" in library.clause(california, "pay_notice")["text"]
    assert "195(1)" in library.clause(complete("offer_letter", "NY"), "pay_notice")["text"]
    assert "pay_notice" not in [
        c["id"] for c in library.default_clauses(complete("offer_letter", "TX"))
    ]
    montana = library.clause(complete("offer_letter", "MT"), "at_will")
    assert montana["heading"] == "Probationary Period"
    assert montana["citations"][0]["citation"] == "Mont. Code Ann. §§ 39-2-901 to 39-2-915"
    assert library.clause(complete("offer_letter", "TX"), "at_will")["heading"] == (
        "At-Will Employment"
    )
    # Texas law for a California employee: California law and forum stay available (Lab. Code § 925).
    texas = library.clause(
        complete("offer_letter", "TX", work_location="San Francisco, California"), "governing_law"
    )
    assert "reside and work in California" in texas["text"]
    assert texas["citations"][0]["citation"] == "Cal. Lab. Code § 925"
    in_texas = complete("offer_letter", "TX", work_location="Austin, Texas")
    assert library.clause(in_texas, "governing_law")["citations"] == []
    illinois = library.clause(complete("offer_letter", "IL"), "non_solicitation", {"months": 12})
    assert "with whom you had contact" in illinois["text"]
    assert "fourteen (14) calendar days" in illinois["text"]
    assert library.find_doc_type("please draft an offer letter for Jane") == "offer_letter"
    assert library.find_clause_id("offer_letter", "the at-will clause") == "at_will"
    assert library.roles({"doc_type": "offer_letter"}) == ("Company", "Candidate")


def test_citations_federal_first_each_once():
    for doc_type in TYPES:
        cited = library.citations(complete(doc_type, "CA"))
        federal = [c for c in cited if "U.S.C." in c["citation"] or "C.F.R." in c["citation"]]
        assert cited[: len(federal)] == federal
        keys = [(c["authority"], c["citation"]) for c in cited]
        assert len(keys) == len(set(keys))


def test_freelance_statutes_are_cited_where_the_clause_names_them():
    for code in states.FREELANCE:
        clause = library.clause(complete("consulting", code), "freelance_protections")
        assert [a.citation for a in states.FREELANCE[code]] == [
            c["citation"] for c in clause["citations"]
        ]


def test_docs_list_every_clause_and_authority():
    """docs/clauses.md names every clause id and every authority a clause cites (other than the
    trade-secret acts, which jurisdictions.py lists)."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "clauses.md").read_text()
    for doc_type in TYPES:
        assert f"`{doc_type}`" in docs
        for clause_id in library.clause_ids(doc_type):
            assert f"| `{clause_id}` |" in docs, (doc_type, clause_id)
    missing = set()
    for code in BY_CODE:
        for doc_type in TYPES:
            for clause in everything(complete(doc_type, code)):
                missing |= {
                    c["citation"]
                    for c in clause["citations"]
                    if c["citation"] != BY_CODE[code].trade_secret.citation
                    and c["citation"] not in docs
                }
    assert not missing


@pytest.mark.parametrize("code", ["CA", "MT", "NY"])
@pytest.mark.parametrize("doc_type", TYPES)
def test_a_clause_is_found_by_its_heading(doc_type, code):
    for clause in everything(complete(doc_type, code)):
        assert library.find_clause_id(doc_type, clause["heading"]) == clause["id"]
        assert library.find_clause_id(doc_type, f"the {clause['heading']} clause") == clause["id"]
