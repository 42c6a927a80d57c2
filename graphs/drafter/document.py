"""The NDA's wording: terms rendered as a document (``documents.model.Document``) whose body is
written in the document's Markdown (``documents.markdown.write``): a ``#`` title, a preamble,
numbered ``##`` clauses, and the authorities the draft relies on.

Rendering is pure: the same terms always give the same body, which is how the graph tells whether
a message changed the draft (and so whether to bump its version). Terms not agreed yet appear as
bracketed placeholders ("[term]", "[governing law]", "[Party A]") for the user to fill.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date

from documents.markdown import signature_block, write
from documents.model import Clause, PartyKind, party_kind
from graphs.drafter.jurisdictions import BY_CODE, FEDERAL_AUTHORITIES, Authority
from graphs.drafter.numbers import number_words
from graphs.drafter.state import Document, Terms

#: The immunity notice of the Defend Trade Secrets Act, 18 U.S.C. § 1833(b)(1)–(2), verbatim.
DTSA_NOTICE = (
    "An individual shall not be held criminally or civilly liable under any federal or state "
    "trade secret law for the disclosure of a trade secret that (A) is made (i) in confidence to a "
    "federal, state, or local government official, either directly or indirectly, or to an "
    "attorney; and (ii) solely for the purpose of reporting or investigating a suspected violation "
    "of law; or (B) is made in a complaint or other document filed in a lawsuit or other "
    "proceeding, if such filing is made under seal. An individual who files a lawsuit for "
    "retaliation by an employer for reporting a suspected violation of law may disclose the trade "
    "secret to the attorney of the individual and use the trade secret information in the court "
    "proceeding, if the individual (A) files any document containing the trade secret under seal; "
    "and (B) does not disclose the trade secret, except pursuant to court order."
)

DEFAULT_PURPOSE = (
    "evaluating, negotiating and carrying out a possible business relationship between the Parties"
)


def describe_term(months: int) -> str:
    """How the draft states a term: ``24`` → "two (2) years (24 months)", ``18`` → "eighteen
    (18) months"."""
    if months % 12 == 0:
        years = months // 12
        return f"{number_words(years)} ({years}) year{'s' if years > 1 else ''} ({months} months)"
    return f"{number_words(months)} ({months}) month{'s' if months > 1 else ''}"


def short_term(months: int) -> str:
    """How a reply states a term: ``24`` → "2 years (24 months)", ``18`` → "18 months"."""
    if months % 12 == 0:
        years = months // 12
        return f"{years} year{'s' if years > 1 else ''} ({months} months)"
    return f"{months} month{'s' if months > 1 else ''}"


def long_date(iso: str) -> str:
    """``2026-01-31`` → "January 31, 2026"."""
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def party_names(terms: Terms) -> tuple[str | None, str | None]:
    """The two parties' names whatever the NDA's kind (the discloser first for a one-way NDA),
    None where not known."""
    if terms.get("nda_kind") == "one_way":
        return terms.get("disclosing_party"), terms.get("receiving_party")
    first, second = [*terms.get("parties", []), None, None][:2]
    return first, second


def citations_for(terms: Terms) -> tuple[Authority, ...]:
    """Federal authorities, then those of the governing jurisdiction when there is one."""
    code = terms.get("governing_law")
    return FEDERAL_AUTHORITIES + (BY_CODE[code].authorities if code in BY_CODE else ())


def _preamble(terms: Terms, title: str, first: str, second: str) -> str:
    first, second = (
        f"**{name}** (an individual)"
        if terms.get("party_kinds", {}).get(name) == "individual"
        else f"**{name}**"
        for name in (first, second)
    )
    effective = (
        long_date(terms["effective_date"]) if "effective_date" in terms else "[Effective Date]"
    )
    opening = (
        f'This {title} (the "Agreement") is entered into as of {effective} (the "Effective Date") '
        "by and between "
    )
    if terms.get("nda_kind") == "one_way":
        return (
            f'{opening}{first} (the "Disclosing Party") and {second} (the "Receiving '
            'Party"), each a "Party" and together the "Parties".'
        )
    return (
        f'{opening}{first} and {second} (each a "Party" and together the "Parties"). Each '
        "Party may disclose Confidential Information to the other; a Party disclosing it is the "
        '"Disclosing Party" and a Party receiving it the "Receiving Party".'
    )


def _clauses(terms: Terms) -> list[Clause]:
    """The numbered clauses, in order."""
    code = terms.get("governing_law")
    jurisdiction = BY_CODE.get(code) if code else None
    months = terms.get("term_months")
    term = describe_term(months) if months else "[term]"
    purpose = terms.get("purpose", DEFAULT_PURPOSE)
    clauses = [
        Clause(
            "Definitions",
            '"Confidential Information" means all non-public business, technical, financial and '
            "other information that the Disclosing Party discloses to the Receiving Party, in any "
            "form, that is marked as confidential or that a reasonable person would understand to "
            'be confidential, including trade secrets. The "Purpose" is '
            f'{purpose}. "Representatives" means a Party\'s employees, officers, directors, '
            "contractors and professional advisers who need to know Confidential Information for "
            "the Purpose.",
        ),
        Clause(
            "Obligations of the Receiving Party",
            "The Receiving Party shall (a) use Confidential Information only for the Purpose; "
            "(b) protect it with at least the care it uses for its own confidential information "
            "of like importance, and never less than reasonable care; and (c) disclose it only to "
            "its Representatives who are bound by duties of confidentiality at least as "
            "protective as this Agreement, remaining responsible for their compliance.",
        ),
        Clause(
            "Exclusions",
            "Confidential Information does not include information that (a) is or becomes public "
            "through no fault of the Receiving Party; (b) the Receiving Party knew before "
            "receiving it, free of any duty of confidentiality; (c) the Receiving Party develops "
            "independently without using Confidential Information; or (d) the Receiving Party "
            "rightfully receives from a third party without a duty of confidentiality.",
        ),
        Clause(
            "Permitted Disclosures",
            "The Receiving Party may disclose Confidential Information to the extent required by "
            "law, regulation or court order, after giving the Disclosing Party prompt written "
            "notice where lawful so that it may seek a protective order. Nothing in this "
            "Agreement prohibits anyone from reporting a possible violation of law to, filing a "
            "charge or complaint with, or communicating with any governmental agency, including "
            "the Securities and Exchange Commission, without notice to any Party. This Agreement "
            "does not restrict any disclosure concerning a sexual assault dispute or sexual "
            "harassment dispute to the extent the Speak Out Act (42 U.S.C. §§ 19401–19404) makes "
            "such a restriction unenforceable.",
        ),
        Clause(
            "Term and Termination",
            f"This Agreement begins on the Effective Date and continues for {term}, unless "
            "either Party ends it earlier by written notice to the other. Ending it early does not "
            "release the Receiving Party from its obligations for Confidential Information "
            "already disclosed, which continue until the end of that period; obligations for "
            "trade secrets continue for as long as the information remains a trade secret under "
            "applicable law.",
        ),
        Clause(
            "Return of Materials",
            "On the Disclosing Party's written request, or when this Agreement ends, the "
            "Receiving Party shall promptly return or destroy all Confidential Information in its "
            "possession or control and, on request, certify in writing that it has done so, "
            "except for copies it must keep by law or in routine electronic backups, which remain "
            "subject to this Agreement.",
        ),
        Clause(
            "No License; No Warranty",
            "All Confidential Information remains the property of the Disclosing Party. No "
            "license or other right is granted except as this Agreement states, and Confidential "
            'Information is provided "as is". Neither Party is obliged to disclose any information '
            "or to enter into any further agreement.",
        ),
        Clause(
            "Governing Law",
            (
                f"This Agreement is governed by the laws of {jurisdiction.formal_name}, without "
                "regard to its conflict-of-laws rules. The Parties submit to the non-exclusive "
                f"jurisdiction of the state and federal courts located in {jurisdiction.name}."
            )
            if jurisdiction
            else "This Agreement is governed by the laws of [governing law], without regard to "
            "its conflict-of-laws rules.",
        ),
        Clause(
            "Notice of Immunity Under the Defend Trade Secrets Act",
            "Any individual bound by this Agreement, including an employee, contractor or "
            "consultant, is hereby notified under 18 U.S.C. § 1833(b) that: " + DTSA_NOTICE,
        ),
    ]
    if jurisdiction and (limits := [a.clause for a in jurisdiction.extras if a.clause]):
        clauses.append(
            Clause(f"{jurisdiction.name} Law Requirements", " ".join(dict.fromkeys(limits)))
        )
    clauses += [
        Clause(
            "Remedies",
            "Unauthorized use or disclosure of Confidential Information may cause the Disclosing "
            "Party irreparable harm for which damages are an inadequate remedy, so it may seek "
            "injunctive relief without posting a bond, in addition to any other remedy available "
            "at law or in equity, including under the Defend Trade Secrets Act "
            "(18 U.S.C. § 1836).",
        ),
        Clause(
            "General",
            "This Agreement is the Parties' entire agreement on its subject and may be amended or "
            "waived only in a writing signed by both Parties. Neither Party may assign it without "
            "the other's written consent. If any provision is unenforceable, the rest remains in "
            "effect. It may be signed in counterparts, including electronically.",
        ),
    ]
    return clauses


def kind_of(terms: Terms, name: str) -> PartyKind:
    """A party's kind: as the user said (``terms["party_kinds"]``), else as its name says ("Jane
    Doe (an individual)"), else a company."""
    return terms.get("party_kinds", {}).get(name) or party_kind(name) or "company"


def _signatures(terms: Terms, first: str, second: str) -> str:
    """Each party's block: an individual's ("Jane Doe (an individual)") signs herself, anyone
    else as a company, By/Name/Title (the blocks every draft had before parties had a kind)."""
    return "\n\n".join(signature_block(name, kind_of(terms, name)) for name in (first, second))


def render(terms: Terms) -> Document:
    """The document for ``terms``, every field but ``version`` (which the graph assigns).

    Unknown values become placeholders; a mutual NDA is assumed unless the terms say one-way.
    """
    one_way = terms.get("nda_kind") == "one_way"
    title = "One-Way Non-Disclosure Agreement" if one_way else "Mutual Non-Disclosure Agreement"
    placeholders = (
        ("[Disclosing Party]", "[Receiving Party]") if one_way else ("[Party A]", "[Party B]")
    )
    first, second = (
        name or placeholder
        for name, placeholder in zip(party_names(terms), placeholders, strict=True)
    )
    clauses = [*_clauses(terms), Clause("Signatures", _signatures(terms, first, second))]
    body = write(title, _preamble(terms, title, first, second), clauses)
    code = terms.get("governing_law")
    return {
        "key": terms.get("doc_type", "nda"),
        "type": terms.get("doc_type", "nda"),
        "jurisdiction": code if code in BY_CODE else None,
        "title": title,
        "body": body,
        "citations": [authority.as_citation() for authority in citations_for(terms)],
        "terms": deepcopy(terms),
        "parties": [
            {"name": name, "kind": kind_of(terms, name)} for name in party_names(terms) if name
        ],
    }
