"""The clause library's NDA: its default text is the drafter's NDA as rendered before the
library (golden bodies below, and hashes for both kinds under all 51 laws), plus the residuals,
non-solicitation and survival pieces; and the library's lookups and errors."""

from __future__ import annotations

import hashlib
import json

import pytest

from documents.markdown import signature_block, write
from documents.model import Clause, party_kind
from graphs.drafter import library
from graphs.drafter.jurisdictions import BY_CODE

MUTUAL_CA_TERMS = {
    "doc_type": "nda",
    "nda_kind": "mutual",
    "parties": ["Acme Inc.", "Jane Doe"],
    "party_kinds": {"Jane Doe": "individual"},
    "governing_law": "CA",
    "term_months": 24,
    "effective_date": "2026-01-31",
}
ONE_WAY_NY_TERMS = {
    "doc_type": "nda",
    "nda_kind": "one_way",
    "disclosing_party": "Acme Inc.",
    "receiving_party": "Beta LLC",
    "governing_law": "NY",
    "term_months": 18,
    "effective_date": "2026-03-01",
    "purpose": "evaluating a possible merger",
}


def body(terms, *, without=("residuals",)) -> str:
    """The whole body as the drafter writes it: title, preamble, the library's default clauses
    (less ``without``), signature blocks."""
    first, second = (
        name or role
        for name, role in zip(library.party_names(terms), library.placeholders(terms), strict=True)
    )
    kinds = terms.get("party_kinds", {})
    clauses = [
        Clause(c["heading"], c["text"])
        for c in library.default_clauses(terms)
        if c["id"] not in without
    ]
    signatures = "\n\n".join(
        signature_block(name, kinds.get(name) or party_kind(name) or "company")
        for name in (first, second)
    )
    clauses.append(Clause("Signatures", signatures))
    return write(library.title_for(terms), library.preamble(terms, first, second), clauses)


@pytest.mark.parametrize(
    ("terms", "expected"),
    [(MUTUAL_CA_TERMS, "MUTUAL_CA"), (ONE_WAY_NY_TERMS, "ONE_WAY_NY"), ({}, "EMPTY")],
    ids=["mutual-CA", "one-way-NY", "no-terms"],
)
def test_default_text_is_the_drafters_nda_plus_residuals(terms, expected):
    assert body(terms) == globals()[expected]


@pytest.mark.parametrize("kind", ["mutual", "one_way"])
@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_default_text_and_citations_unchanged_under_every_law(code, kind):
    terms = {
        "nda_kind": kind,
        "parties": ["Acme Inc.", "Jane Doe"],
        "disclosing_party": "Acme Inc.",
        "receiving_party": "Jane Doe",
        "party_kinds": {"Jane Doe": "individual"},
        "governing_law": code,
        "term_months": 30,
        "effective_date": "2026-02-01",
    }
    digest = hashlib.sha256(
        (body(terms) + json.dumps(library.citations(terms))).encode()
    ).hexdigest()[:16]
    assert digest == HASHES[f"{code}-{kind}"]


def ids(terms):
    return [c["id"] for c in library.default_clauses(terms)]


def test_residuals_is_a_default_of_the_mutual_nda_only():
    assert "residuals" in ids(MUTUAL_CA_TERMS)
    assert "residuals" not in ids(ONE_WAY_NY_TERMS)
    assert "residuals" in library.DOC_TYPES["nda"].optional_clauses
    residuals = library.clause(ONE_WAY_NY_TERMS, "residuals")
    assert residuals["heading"] == "Residuals"
    assert "unaided memory" in residuals["text"]
    # Right after the exclusions, where a reader looks for what the duties do not cover.
    assert ids(MUTUAL_CA_TERMS).index("residuals") == ids(MUTUAL_CA_TERMS).index("exclusions") + 1


def test_state_law_clause_only_where_the_law_requires_sentences():
    assert "state_law" in ids(MUTUAL_CA_TERMS)
    assert "state_law" not in ids({**MUTUAL_CA_TERMS, "governing_law": "DE"})
    with pytest.raises(ValueError, match="Delaware law"):
        library.clause({**MUTUAL_CA_TERMS, "governing_law": "DE"}, "state_law")
    with pytest.raises(ValueError, match="no governing law"):
        library.clause({}, "state_law")


@pytest.mark.parametrize(
    ("months", "words"),
    [(60, "five (5) years (60 months)"), (18, "eighteen (18) months"), (1, "one (1) month")],
)
def test_survival_months_drive_the_survival_sentence(months, words):
    terms = {**MUTUAL_CA_TERMS, "survival_months": months}
    confidentiality = library.clause(terms, "confidentiality")
    assert (
        "These obligations survive the expiration or termination of this Agreement for "
        f"{words} after it ends, and for trade secrets for as long as the information remains "
        "a trade secret under applicable law." in confidentiality["text"]
    )
    term = library.clause(terms, "term")
    assert "which survive for the period stated in the clause headed Obligations" in term["text"]
    assert "until the end of that period" not in term["text"]
    # Only those two clauses change.
    before = {c["id"]: c for c in library.default_clauses(MUTUAL_CA_TERMS)}
    after = {c["id"]: c for c in library.default_clauses(terms)}
    assert [i for i in before if before[i] != after[i]] == ["confidentiality", "term"]


def test_no_survival_sentence_without_survival_months():
    text = library.clause(MUTUAL_CA_TERMS, "confidentiality")["text"]
    assert "survive" not in text
    for stray in (0, -5, "60", True):
        assert (
            library.clause({**MUTUAL_CA_TERMS, "survival_months": stray}, "confidentiality")["text"]
            == text
        )


@pytest.mark.parametrize(
    ("terms", "params", "expected"),
    [
        (
            {**MUTUAL_CA_TERMS, "governing_law": "DE"},
            {"months": 12, "scope": "employees"},
            "During the term of this Agreement and for one (1) year (12 months) after it ends, "
            "neither Party shall, directly or indirectly, solicit for employment or engagement, "
            "or encourage to leave the other Party, any employee or individual contractor of the "
            "other Party with whom it had contact, or of whom it learned, in connection with the "
            "Purpose. General solicitations not directed at the other Party's personnel, such as "
            "public job advertisements, and hiring anyone who responds to them, do not breach "
            "this clause.",
        ),
        (
            {**ONE_WAY_NY_TERMS, "governing_law": "DE"},
            {"months": 6, "scope": "customers"},
            "During the term of this Agreement and for six (6) months after it ends, the "
            "Receiving Party shall not, directly or indirectly, solicit any customer or client of "
            "the Disclosing Party with whom it dealt, or of whom it learned, in connection with "
            "the Purpose, to end or reduce its business with the Disclosing Party.",
        ),
    ],
)
def test_non_solicitation_text(terms, params, expected):
    clause = library.clause(terms, "non_solicitation", params)
    assert clause["heading"] == "Non-Solicitation"
    assert clause["text"] == expected
    assert clause["citations"] == []


def test_non_solicitation_both_scopes_lists_both_items():
    text = library.clause(
        {**MUTUAL_CA_TERMS, "governing_law": "NY"},
        "non_solicitation",
        {"months": 24, "scope": "both"},
    )["text"]
    assert "two (2) years (24 months)" in text
    assert "(a) solicit for employment" in text and "; or (b) solicit any customer" in text


def test_non_solicitation_in_california_is_limited_and_cited():
    clause = library.clause(MUTUAL_CA_TERMS, "non_solicitation", {"months": 12})
    assert "use Confidential Information of the other Party to solicit" in clause["text"]
    assert "section 16600 permits" in clause["text"]
    assert [c["citation"] for c in clause["citations"]] == [
        "Cal. Bus. & Prof. Code § 16600",
        "Cal. Bus. & Prof. Code § 16600.5",
    ]
    for scope in ("customers", "both"):
        with pytest.raises(ValueError, match="void under California law"):
            library.clause(MUTUAL_CA_TERMS, "non_solicitation", {"months": 12, "scope": scope})


@pytest.mark.parametrize(
    ("code", "cited", "sentence"),
    [
        ("TX", "Tex. Bus. & Com. Code § 15.50", "ancillary to or part of the otherwise"),
        ("FL", "Fla. Stat. § 542.335", "section 542.335(1)(b)"),
        ("MA", "Mass. Gen. Laws ch. 149, § 24L", None),
        ("WA", "Wash. Rev. Code ch. 49.62", None),
        ("IL", "820 ILCS 90", None),
        ("NY", "BDO Seidman v. Hirshberg, 93 N.Y.2d 382 (1999)", None),
    ],
)
def test_non_solicitation_cites_the_state_rule(code, cited, sentence):
    clause = library.clause(
        {**MUTUAL_CA_TERMS, "governing_law": code}, "non_solicitation", {"months": 12}
    )
    assert cited in [c["citation"] for c in clause["citations"]]
    if sentence:
        assert sentence in clause["text"]


def test_non_solicitation_without_months_leaves_a_placeholder():
    text = library.clause(MUTUAL_CA_TERMS, "non_solicitation")["text"]
    assert "for [non-solicitation period] after it ends" in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"months": 0}, "whole number from 1 to 60; got 0"),
        ({"months": -3}, "got -3"),
        ({"months": 61}, "got 61"),
        ({"months": "12"}, "got '12'"),
        ({"months": 12.5}, "got 12.5"),
        ({"months": True}, "got True"),
        ({"months": 12, "scope": "vendors"}, "scope must be one of employees, customers, both"),
        ({"months": 12, "duration": 3}, "takes only months, scope; got duration"),
    ],
)
def test_non_solicitation_bad_params(params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        library.clause({**MUTUAL_CA_TERMS, "governing_law": "DE"}, "non_solicitation", params)


def test_clause_errors_are_clear():
    with pytest.raises(KeyError, match="a nda has no clause 'indemnity'; its clauses are"):
        library.clause(MUTUAL_CA_TERMS, "indemnity")
    with pytest.raises(ValueError, match="clause 'residuals' takes no params; got months"):
        library.clause(MUTUAL_CA_TERMS, "residuals", {"months": 3})
    with pytest.raises(KeyError, match="unknown document type 'lease'"):
        library.clause({"doc_type": "lease"}, "general")
    with pytest.raises(KeyError, match="unknown document type"):
        library.clause_ids("lease")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("CA", "Cal. Bus. & Prof. Code § 16600"),
        ("ND", "N.D. Cent. Code § 9-08-06"),
        ("OK", "Okla. Stat. tit. 15, § 219A"),
        ("MN", "Minn. Stat. § 181.988"),
        ("TX", "Tex. Bus. & Com. Code §§ 15.50–15.52"),
        ("DE", "needs a lawyer's review"),
        (None, "needs a lawyer's review"),
    ],
)
def test_non_compete_is_refused_with_the_reason(code, reason):
    terms = {**MUTUAL_CA_TERMS, "governing_law": code}
    with pytest.raises(ValueError, match=reason.replace(".", r"\.").replace("(", r"\(")):
        library.clause(terms, "non_compete")
    assert reason in library.explain(terms, "non_compete")
    assert "non_compete" not in library.clause_ids("nda")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("the residuals clause", "residuals"),
        ("Residuals", "residuals"),
        ("confidentiality", "confidentiality"),
        ("make confidentiality survive 5 years", "confidentiality"),
        ("the obligations of the receiving party", "confidentiality"),
        ("add a non-solicitation clause", "non_solicitation"),
        ("a no-poach clause", "non_solicitation"),
        ("nonsolicit", "non_solicitation"),
        ("non_solicitation", "non_solicitation"),
        ("a non-compete", "non_compete"),
        ("the governing law section", "governing_law"),
        ("choice of law", "governing_law"),
        ("the DTSA notice", "dtsa_notice"),
        ("return of materials", "return_of_materials"),
        ("term and termination", "term"),
        ("California Law Requirements", "state_law"),
        ("the weather", None),
        ("terms", None),
    ],
)
def test_find_clause_id(words, expected):
    assert library.find_clause_id("nda", words) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("draft a mutual NDA between Acme Inc. and Jane Doe", "nda"),
        ("I need a non-disclosure agreement", "nda"),
        ("a one-way confidentiality agreement", "nda"),
        ("hello", None),
    ],
)
def test_find_doc_type_nda(text, expected):
    assert library.find_doc_type(text) == expected


def test_titles_roles_and_clause_ids():
    assert library.title_for({}) == "Mutual Non-Disclosure Agreement"
    assert library.title_for({"nda_kind": "one_way"}) == "One-Way Non-Disclosure Agreement"
    assert library.roles({}) == ("Party A", "Party B")
    assert library.roles({"nda_kind": "one_way"}) == ("Disclosing Party", "Receiving Party")
    assert library.placeholders({}) == ("[Party A]", "[Party B]")
    every = library.clause_ids("nda")
    assert set(library.DOC_TYPES["nda"].default_clauses) | {"non_solicitation"} == set(every)
    assert every.index("non_solicitation") < every.index("governing_law")


def test_explain_names_the_authority_for_the_jurisdiction():
    text = library.explain(MUTUAL_CA_TERMS, "non_solicitation")
    assert text.startswith("Stops a party")
    assert "Authority under California law" in text and "§ 16600" in text
    assert "Defend Trade Secrets Act" in library.explain({}, "dtsa_notice")
    assert library.explain({}, "general").startswith("Standard terms")
    with pytest.raises(KeyError):
        library.explain({}, "indemnity")
    assert "cannot be drafted" in library.explain({"governing_law": "DE"}, "state_law")


def test_citations_federal_first_then_the_state_each_once():
    terms = {**MUTUAL_CA_TERMS}
    clauses = [
        *library.default_clauses(terms),
        library.clause(terms, "non_solicitation", {"months": 12}),
    ]
    cited = [c["citation"] for c in library.citations_of(terms, clauses)]
    assert cited[:4] == [
        "18 U.S.C. § 1833(b)",
        "18 U.S.C. § 1836",
        "42 U.S.C. §§ 19401–19404",
        "17 C.F.R. § 240.21F-17",
    ]
    assert cited[4] == "Cal. Civ. Code §§ 3426–3426.11"
    assert cited[-1] == "Cal. Bus. & Prof. Code § 16600.5"
    assert len(cited) == len(set(cited))


MUTUAL_CA = (
    "# Mutual Non-Disclosure Agreement\n"
    "\n"
    'This Mutual Non-Disclosure Agreement (the "Agreement") is entered into as of January 31, 2026 (the "Effective Date") by and between **Acme Inc.** and **Jane Doe** (an individual) (each a "Party" and together the "Parties"). Each Party may disclose Confidential Information to the other; a Party disclosing it is the "Disclosing Party" and a Party receiving it the "Receiving Party".\n'
    "\n"
    "## 1. Definitions\n"
    "\n"
    '"Confidential Information" means all non-public business, technical, financial and other information that the Disclosing Party discloses to the Receiving Party, in any form, that is marked as confidential or that a reasonable person would understand to be confidential, including trade secrets. The "Purpose" is evaluating, negotiating and carrying out a possible business relationship between the Parties. "Representatives" means a Party\'s employees, officers, directors, contractors and professional advisers who need to know Confidential Information for the Purpose.\n'
    "\n"
    "## 2. Obligations of the Receiving Party\n"
    "\n"
    "The Receiving Party shall (a) use Confidential Information only for the Purpose; (b) protect it with at least the care it uses for its own confidential information of like importance, and never less than reasonable care; and (c) disclose it only to its Representatives who are bound by duties of confidentiality at least as protective as this Agreement, remaining responsible for their compliance.\n"
    "\n"
    "## 3. Exclusions\n"
    "\n"
    "Confidential Information does not include information that (a) is or becomes public through no fault of the Receiving Party; (b) the Receiving Party knew before receiving it, free of any duty of confidentiality; (c) the Receiving Party develops independently without using Confidential Information; or (d) the Receiving Party rightfully receives from a third party without a duty of confidentiality.\n"
    "\n"
    "## 4. Permitted Disclosures\n"
    "\n"
    "The Receiving Party may disclose Confidential Information to the extent required by law, regulation or court order, after giving the Disclosing Party prompt written notice where lawful so that it may seek a protective order. Nothing in this Agreement prohibits anyone from reporting a possible violation of law to, filing a charge or complaint with, or communicating with any governmental agency, including the Securities and Exchange Commission, without notice to any Party. This Agreement does not restrict any disclosure concerning a sexual assault dispute or sexual harassment dispute to the extent the Speak Out Act (42 U.S.C. §§ 19401–19404) makes such a restriction unenforceable.\n"
    "\n"
    "## 5. Term and Termination\n"
    "\n"
    "This Agreement begins on the Effective Date and continues for two (2) years (24 months), unless either Party ends it earlier by written notice to the other. Ending it early does not release the Receiving Party from its obligations for Confidential Information already disclosed, which continue until the end of that period; obligations for trade secrets continue for as long as the information remains a trade secret under applicable law.\n"
    "\n"
    "## 6. Return of Materials\n"
    "\n"
    "On the Disclosing Party's written request, or when this Agreement ends, the Receiving Party shall promptly return or destroy all Confidential Information in its possession or control and, on request, certify in writing that it has done so, except for copies it must keep by law or in routine electronic backups, which remain subject to this Agreement.\n"
    "\n"
    "## 7. No License; No Warranty\n"
    "\n"
    'All Confidential Information remains the property of the Disclosing Party. No license or other right is granted except as this Agreement states, and Confidential Information is provided "as is". Neither Party is obliged to disclose any information or to enter into any further agreement.\n'
    "\n"
    "## 8. Governing Law\n"
    "\n"
    "This Agreement is governed by the laws of the State of California, without regard to its conflict-of-laws rules. The Parties submit to the non-exclusive jurisdiction of the state and federal courts located in California.\n"
    "\n"
    "## 9. Notice of Immunity Under the Defend Trade Secrets Act\n"
    "\n"
    "Any individual bound by this Agreement, including an employee, contractor or consultant, is hereby notified under 18 U.S.C. § 1833(b) that: An individual shall not be held criminally or civilly liable under any federal or state trade secret law for the disclosure of a trade secret that (A) is made (i) in confidence to a federal, state, or local government official, either directly or indirectly, or to an attorney; and (ii) solely for the purpose of reporting or investigating a suspected violation of law; or (B) is made in a complaint or other document filed in a lawsuit or other proceeding, if such filing is made under seal. An individual who files a lawsuit for retaliation by an employer for reporting a suspected violation of law may disclose the trade secret to the attorney of the individual and use the trade secret information in the court proceeding, if the individual (A) files any document containing the trade secret under seal; and (B) does not disclose the trade secret, except pursuant to court order.\n"
    "\n"
    "## 10. California Law Requirements\n"
    "\n"
    "Nothing in this Agreement restrains anyone from engaging in a lawful profession, trade or business, and Confidential Information does not include general skills, knowledge and experience. Nothing in this Agreement prevents anyone from discussing or disclosing information about unlawful acts in the workplace, such as harassment or discrimination or any other conduct that they have reason to believe is unlawful. Nothing in this Agreement prevents the disclosure of factual information related to a claim of sexual assault, sexual harassment, or workplace harassment or discrimination.\n"
    "\n"
    "## 11. Remedies\n"
    "\n"
    "Unauthorized use or disclosure of Confidential Information may cause the Disclosing Party irreparable harm for which damages are an inadequate remedy, so it may seek injunctive relief without posting a bond, in addition to any other remedy available at law or in equity, including under the Defend Trade Secrets Act (18 U.S.C. § 1836).\n"
    "\n"
    "## 12. General\n"
    "\n"
    "This Agreement is the Parties' entire agreement on its subject and may be amended or waived only in a writing signed by both Parties. Neither Party may assign it without the other's written consent. If any provision is unenforceable, the rest remains in effect. It may be signed in counterparts, including electronically.\n"
    "\n"
    "## 13. Signatures\n"
    "\n"
    "**Acme Inc.**  \n"
    "By: ______________________  \n"
    "Name: ____________________  \n"
    "Title: ___________________  \n"
    "Date: ____________________\n"
    "\n"
    "**Jane Doe**  \n"
    "Signature: _________________  \n"
    "Jane Doe  \n"
    "Date: ____________________\n"
    ""
)

ONE_WAY_NY = (
    "# One-Way Non-Disclosure Agreement\n"
    "\n"
    'This One-Way Non-Disclosure Agreement (the "Agreement") is entered into as of March 1, 2026 (the "Effective Date") by and between **Acme Inc.** (the "Disclosing Party") and **Beta LLC** (the "Receiving Party"), each a "Party" and together the "Parties".\n'
    "\n"
    "## 1. Definitions\n"
    "\n"
    '"Confidential Information" means all non-public business, technical, financial and other information that the Disclosing Party discloses to the Receiving Party, in any form, that is marked as confidential or that a reasonable person would understand to be confidential, including trade secrets. The "Purpose" is evaluating a possible merger. "Representatives" means a Party\'s employees, officers, directors, contractors and professional advisers who need to know Confidential Information for the Purpose.\n'
    "\n"
    "## 2. Obligations of the Receiving Party\n"
    "\n"
    "The Receiving Party shall (a) use Confidential Information only for the Purpose; (b) protect it with at least the care it uses for its own confidential information of like importance, and never less than reasonable care; and (c) disclose it only to its Representatives who are bound by duties of confidentiality at least as protective as this Agreement, remaining responsible for their compliance.\n"
    "\n"
    "## 3. Exclusions\n"
    "\n"
    "Confidential Information does not include information that (a) is or becomes public through no fault of the Receiving Party; (b) the Receiving Party knew before receiving it, free of any duty of confidentiality; (c) the Receiving Party develops independently without using Confidential Information; or (d) the Receiving Party rightfully receives from a third party without a duty of confidentiality.\n"
    "\n"
    "## 4. Permitted Disclosures\n"
    "\n"
    "The Receiving Party may disclose Confidential Information to the extent required by law, regulation or court order, after giving the Disclosing Party prompt written notice where lawful so that it may seek a protective order. Nothing in this Agreement prohibits anyone from reporting a possible violation of law to, filing a charge or complaint with, or communicating with any governmental agency, including the Securities and Exchange Commission, without notice to any Party. This Agreement does not restrict any disclosure concerning a sexual assault dispute or sexual harassment dispute to the extent the Speak Out Act (42 U.S.C. §§ 19401–19404) makes such a restriction unenforceable.\n"
    "\n"
    "## 5. Term and Termination\n"
    "\n"
    "This Agreement begins on the Effective Date and continues for eighteen (18) months, unless either Party ends it earlier by written notice to the other. Ending it early does not release the Receiving Party from its obligations for Confidential Information already disclosed, which continue until the end of that period; obligations for trade secrets continue for as long as the information remains a trade secret under applicable law.\n"
    "\n"
    "## 6. Return of Materials\n"
    "\n"
    "On the Disclosing Party's written request, or when this Agreement ends, the Receiving Party shall promptly return or destroy all Confidential Information in its possession or control and, on request, certify in writing that it has done so, except for copies it must keep by law or in routine electronic backups, which remain subject to this Agreement.\n"
    "\n"
    "## 7. No License; No Warranty\n"
    "\n"
    'All Confidential Information remains the property of the Disclosing Party. No license or other right is granted except as this Agreement states, and Confidential Information is provided "as is". Neither Party is obliged to disclose any information or to enter into any further agreement.\n'
    "\n"
    "## 8. Governing Law\n"
    "\n"
    "This Agreement is governed by the laws of the State of New York, without regard to its conflict-of-laws rules. The Parties submit to the non-exclusive jurisdiction of the state and federal courts located in New York.\n"
    "\n"
    "## 9. Notice of Immunity Under the Defend Trade Secrets Act\n"
    "\n"
    "Any individual bound by this Agreement, including an employee, contractor or consultant, is hereby notified under 18 U.S.C. § 1833(b) that: An individual shall not be held criminally or civilly liable under any federal or state trade secret law for the disclosure of a trade secret that (A) is made (i) in confidence to a federal, state, or local government official, either directly or indirectly, or to an attorney; and (ii) solely for the purpose of reporting or investigating a suspected violation of law; or (B) is made in a complaint or other document filed in a lawsuit or other proceeding, if such filing is made under seal. An individual who files a lawsuit for retaliation by an employer for reporting a suspected violation of law may disclose the trade secret to the attorney of the individual and use the trade secret information in the court proceeding, if the individual (A) files any document containing the trade secret under seal; and (B) does not disclose the trade secret, except pursuant to court order.\n"
    "\n"
    "## 10. New York Law Requirements\n"
    "\n"
    "Nothing in this Agreement prevents anyone from speaking with law enforcement, the Equal Employment Opportunity Commission, the New York State Division of Human Rights, the attorney general, a local commission on human rights, or an attorney, or from disclosing the facts of a discrimination, harassment or retaliation claim where New York law protects that disclosure.\n"
    "\n"
    "## 11. Remedies\n"
    "\n"
    "Unauthorized use or disclosure of Confidential Information may cause the Disclosing Party irreparable harm for which damages are an inadequate remedy, so it may seek injunctive relief without posting a bond, in addition to any other remedy available at law or in equity, including under the Defend Trade Secrets Act (18 U.S.C. § 1836).\n"
    "\n"
    "## 12. General\n"
    "\n"
    "This Agreement is the Parties' entire agreement on its subject and may be amended or waived only in a writing signed by both Parties. Neither Party may assign it without the other's written consent. If any provision is unenforceable, the rest remains in effect. It may be signed in counterparts, including electronically.\n"
    "\n"
    "## 13. Signatures\n"
    "\n"
    "**Acme Inc.**  \n"
    "By: ______________________  \n"
    "Name: ____________________  \n"
    "Title: ___________________  \n"
    "Date: ____________________\n"
    "\n"
    "**Beta LLC**  \n"
    "By: ______________________  \n"
    "Name: ____________________  \n"
    "Title: ___________________  \n"
    "Date: ____________________\n"
    ""
)

EMPTY = (
    "# Mutual Non-Disclosure Agreement\n"
    "\n"
    'This Mutual Non-Disclosure Agreement (the "Agreement") is entered into as of [Effective Date] (the "Effective Date") by and between **[Party A]** and **[Party B]** (each a "Party" and together the "Parties"). Each Party may disclose Confidential Information to the other; a Party disclosing it is the "Disclosing Party" and a Party receiving it the "Receiving Party".\n'
    "\n"
    "## 1. Definitions\n"
    "\n"
    '"Confidential Information" means all non-public business, technical, financial and other information that the Disclosing Party discloses to the Receiving Party, in any form, that is marked as confidential or that a reasonable person would understand to be confidential, including trade secrets. The "Purpose" is evaluating, negotiating and carrying out a possible business relationship between the Parties. "Representatives" means a Party\'s employees, officers, directors, contractors and professional advisers who need to know Confidential Information for the Purpose.\n'
    "\n"
    "## 2. Obligations of the Receiving Party\n"
    "\n"
    "The Receiving Party shall (a) use Confidential Information only for the Purpose; (b) protect it with at least the care it uses for its own confidential information of like importance, and never less than reasonable care; and (c) disclose it only to its Representatives who are bound by duties of confidentiality at least as protective as this Agreement, remaining responsible for their compliance.\n"
    "\n"
    "## 3. Exclusions\n"
    "\n"
    "Confidential Information does not include information that (a) is or becomes public through no fault of the Receiving Party; (b) the Receiving Party knew before receiving it, free of any duty of confidentiality; (c) the Receiving Party develops independently without using Confidential Information; or (d) the Receiving Party rightfully receives from a third party without a duty of confidentiality.\n"
    "\n"
    "## 4. Permitted Disclosures\n"
    "\n"
    "The Receiving Party may disclose Confidential Information to the extent required by law, regulation or court order, after giving the Disclosing Party prompt written notice where lawful so that it may seek a protective order. Nothing in this Agreement prohibits anyone from reporting a possible violation of law to, filing a charge or complaint with, or communicating with any governmental agency, including the Securities and Exchange Commission, without notice to any Party. This Agreement does not restrict any disclosure concerning a sexual assault dispute or sexual harassment dispute to the extent the Speak Out Act (42 U.S.C. §§ 19401–19404) makes such a restriction unenforceable.\n"
    "\n"
    "## 5. Term and Termination\n"
    "\n"
    "This Agreement begins on the Effective Date and continues for [term], unless either Party ends it earlier by written notice to the other. Ending it early does not release the Receiving Party from its obligations for Confidential Information already disclosed, which continue until the end of that period; obligations for trade secrets continue for as long as the information remains a trade secret under applicable law.\n"
    "\n"
    "## 6. Return of Materials\n"
    "\n"
    "On the Disclosing Party's written request, or when this Agreement ends, the Receiving Party shall promptly return or destroy all Confidential Information in its possession or control and, on request, certify in writing that it has done so, except for copies it must keep by law or in routine electronic backups, which remain subject to this Agreement.\n"
    "\n"
    "## 7. No License; No Warranty\n"
    "\n"
    'All Confidential Information remains the property of the Disclosing Party. No license or other right is granted except as this Agreement states, and Confidential Information is provided "as is". Neither Party is obliged to disclose any information or to enter into any further agreement.\n'
    "\n"
    "## 8. Governing Law\n"
    "\n"
    "This Agreement is governed by the laws of [governing law], without regard to its conflict-of-laws rules.\n"
    "\n"
    "## 9. Notice of Immunity Under the Defend Trade Secrets Act\n"
    "\n"
    "Any individual bound by this Agreement, including an employee, contractor or consultant, is hereby notified under 18 U.S.C. § 1833(b) that: An individual shall not be held criminally or civilly liable under any federal or state trade secret law for the disclosure of a trade secret that (A) is made (i) in confidence to a federal, state, or local government official, either directly or indirectly, or to an attorney; and (ii) solely for the purpose of reporting or investigating a suspected violation of law; or (B) is made in a complaint or other document filed in a lawsuit or other proceeding, if such filing is made under seal. An individual who files a lawsuit for retaliation by an employer for reporting a suspected violation of law may disclose the trade secret to the attorney of the individual and use the trade secret information in the court proceeding, if the individual (A) files any document containing the trade secret under seal; and (B) does not disclose the trade secret, except pursuant to court order.\n"
    "\n"
    "## 10. Remedies\n"
    "\n"
    "Unauthorized use or disclosure of Confidential Information may cause the Disclosing Party irreparable harm for which damages are an inadequate remedy, so it may seek injunctive relief without posting a bond, in addition to any other remedy available at law or in equity, including under the Defend Trade Secrets Act (18 U.S.C. § 1836).\n"
    "\n"
    "## 11. General\n"
    "\n"
    "This Agreement is the Parties' entire agreement on its subject and may be amended or waived only in a writing signed by both Parties. Neither Party may assign it without the other's written consent. If any provision is unenforceable, the rest remains in effect. It may be signed in counterparts, including electronically.\n"
    "\n"
    "## 12. Signatures\n"
    "\n"
    "**[Party A]**  \n"
    "By: ______________________  \n"
    "Name: ____________________  \n"
    "Title: ___________________  \n"
    "Date: ____________________\n"
    "\n"
    "**[Party B]**  \n"
    "By: ______________________  \n"
    "Name: ____________________  \n"
    "Title: ___________________  \n"
    "Date: ____________________\n"
    ""
)

#: sha256 (first 16 hex digits) of body + json.dumps(citations), for both kinds under all 51 laws.

HASHES = {
    "AL-mutual": "d1567eafe3aafbaa",
    "AL-one_way": "24c2c49182c3103f",
    "AK-mutual": "0df32dfab05deb09",
    "AK-one_way": "031161b65222ec0f",
    "AZ-mutual": "ddadbbee391a1eaf",
    "AZ-one_way": "93f49e8b591f2f57",
    "AR-mutual": "0a6ccf91b4d6cfa3",
    "AR-one_way": "65c2e94218ebbd2c",
    "CA-mutual": "79867c9ff8ab8f6b",
    "CA-one_way": "6092fee4e36cb131",
    "CO-mutual": "416e790fc696195c",
    "CO-one_way": "5ba4f5b5fa8a99b1",
    "CT-mutual": "c62bde7b7073dbec",
    "CT-one_way": "f8bdf056d1878231",
    "DE-mutual": "9273551893e2e49b",
    "DE-one_way": "3e4447d6e9494f0d",
    "DC-mutual": "3b81216f8a61506f",
    "DC-one_way": "b77a12d840552102",
    "FL-mutual": "7d48af1cd62c94b6",
    "FL-one_way": "e8bce23013528e8a",
    "GA-mutual": "103aa245c4daa9a2",
    "GA-one_way": "d9ea2470f6954c21",
    "HI-mutual": "4a4808cbaea0a35e",
    "HI-one_way": "d65030708c8cd094",
    "ID-mutual": "990d6a5d4ce3e697",
    "ID-one_way": "a867310733573b19",
    "IL-mutual": "74afa5457cd058b3",
    "IL-one_way": "16dcd29bf520e5e5",
    "IN-mutual": "238a254efd886448",
    "IN-one_way": "dfee07809adfbde7",
    "IA-mutual": "c64ff4e3fced5712",
    "IA-one_way": "58ea28216c4bfaa9",
    "KS-mutual": "fefa479f5d39b0b4",
    "KS-one_way": "7562a3d855a7496d",
    "KY-mutual": "03c5a81d8ade96e7",
    "KY-one_way": "5ae4505cf08b5bd9",
    "LA-mutual": "13a4d2997c46815b",
    "LA-one_way": "0f345e29da7877c5",
    "ME-mutual": "277b593a5e412d73",
    "ME-one_way": "e4e70e3c11e9e6d0",
    "MD-mutual": "e59402c09c0ea2ed",
    "MD-one_way": "864df0d3ca7ffa00",
    "MA-mutual": "c3885df20e4add46",
    "MA-one_way": "0aab98caddf8b9f7",
    "MI-mutual": "3bc9974b028439e5",
    "MI-one_way": "060946c1267784cb",
    "MN-mutual": "1690918e0e7fbb1b",
    "MN-one_way": "bbd2e10051fdd9a1",
    "MS-mutual": "cd5fc6db5ba6bb7a",
    "MS-one_way": "9a1cb5cdf0a9a566",
    "MO-mutual": "daecfd282b4a34f0",
    "MO-one_way": "ff01ce4c3c7e278d",
    "MT-mutual": "e99c0272eecd2603",
    "MT-one_way": "adc9e614cffddcf8",
    "NE-mutual": "1bfc9db84172ef2f",
    "NE-one_way": "63d7558c6eed9dbe",
    "NV-mutual": "0051d7670f5b72ef",
    "NV-one_way": "f5ac22b6184f39c7",
    "NH-mutual": "660f62cabf37f2f4",
    "NH-one_way": "61e705ef603978fb",
    "NJ-mutual": "1fc86e9c0bb64004",
    "NJ-one_way": "d3333f627cf841bf",
    "NM-mutual": "12cf63b9bd751154",
    "NM-one_way": "9f673f21a9dbee30",
    "NY-mutual": "7ac772765fbfd53b",
    "NY-one_way": "c04d15ca445adc81",
    "NC-mutual": "aaf07dc3a9774931",
    "NC-one_way": "b03eab463e70074a",
    "ND-mutual": "7f96d990b40342e2",
    "ND-one_way": "9951e112beaf7a4c",
    "OH-mutual": "e1867534729314c0",
    "OH-one_way": "77ee803dab49ea1c",
    "OK-mutual": "6bceadb4ae16f6f5",
    "OK-one_way": "fc8feedf57a70a89",
    "OR-mutual": "caf761d7a98db76d",
    "OR-one_way": "9aae7d84826ff3e0",
    "PA-mutual": "64cdc38afaa04b36",
    "PA-one_way": "099211ad5e9bf553",
    "RI-mutual": "15cd3d476e4fa477",
    "RI-one_way": "8f48f1c7fe4dff2b",
    "SC-mutual": "88fba99dd2e9206e",
    "SC-one_way": "f4a7101c7d2f454d",
    "SD-mutual": "382857064de546e9",
    "SD-one_way": "26eaba2e732bbf1b",
    "TN-mutual": "46c0858e92dbdb08",
    "TN-one_way": "6b4153110588e4c0",
    "TX-mutual": "c744026ebd5cf569",
    "TX-one_way": "f52d55331418fcc8",
    "UT-mutual": "d3b30911d9bd43d5",
    "UT-one_way": "45ee5e8bac0ae9ff",
    "VT-mutual": "f2186ee909563689",
    "VT-one_way": "9f5c93316903dc12",
    "VA-mutual": "143342a64ea27405",
    "VA-one_way": "e3e3846ef4733adc",
    "WA-mutual": "8836f84c8b303286",
    "WA-one_way": "95e1272be1c84a7b",
    "WV-mutual": "0e4ca5be80761aee",
    "WV-one_way": "cbcfa0be3a1e588e",
    "WI-mutual": "6519206b25cc652b",
    "WI-one_way": "0b9dab710a8f12e7",
    "WY-mutual": "e840e4c7e8150d0b",
    "WY-one_way": "4088e581a0e6a403",
}
