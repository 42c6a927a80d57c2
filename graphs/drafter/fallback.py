"""Today's NDA (mutual and one-way) in the shape of the clause library's interface
(``graphs.drafter.library``), used only while that package is not importable.

The wording is the drafter's NDA as it was before the clause library; clauses carry ids so the
agent's tools can work on them. It knows the NDA only: no residuals or non-solicitation clause.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from typing_extensions import TypedDict

from documents.model import Citation
from graphs.drafter.jurisdictions import BY_CODE, FEDERAL_AUTHORITIES
from graphs.drafter.numbers import number_words

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


class LibraryClause(TypedDict):
    """A clause as the library gives it."""

    id: str
    heading: str
    text: str
    citations: list[Citation]


@dataclass(frozen=True)
class DocType:
    """A document type the library drafts."""

    key: str
    title: str
    aliases: tuple[str, ...]
    default_clauses: tuple[str, ...]
    optional_clauses: tuple[str, ...]
    term_fields: Mapping[str, str]


_IDS = (
    "definitions",
    "confidentiality",
    "exclusions",
    "permitted_disclosures",
    "term",
    "return_of_materials",
    "no_license",
    "governing_law",
    "dtsa_notice",
    "state_law",
    "remedies",
    "general",
)
DOC_TYPES: dict[str, DocType] = {
    "nda": DocType(
        key="nda",
        title="Mutual Non-Disclosure Agreement",
        aliases=("nda", "non-disclosure agreement", "confidentiality agreement"),
        default_clauses=_IDS,
        optional_clauses=(),
        term_fields={},
    )
}


def describe_term(months: int) -> str:
    """``24`` → "two (2) years (24 months)", ``18`` → "eighteen (18) months"."""
    if months % 12 == 0:
        years = months // 12
        return f"{number_words(years)} ({years}) year{'s' if years > 1 else ''} ({months} months)"
    return f"{number_words(months)} ({months}) month{'s' if months > 1 else ''}"


def title_for(terms: Mapping[str, Any]) -> str:
    """The NDA's title by its kind."""
    if terms.get("nda_kind") == "one_way":
        return "One-Way Non-Disclosure Agreement"
    return "Mutual Non-Disclosure Agreement"


def roles(terms: Mapping[str, Any]) -> tuple[str, str]:
    """Placeholder names of the two parties."""
    if terms.get("nda_kind") == "one_way":
        return "Disclosing Party", "Receiving Party"
    return "Party A", "Party B"


def preamble(terms: Mapping[str, Any], first: str, second: str) -> str:
    """The opening paragraph naming the parties."""
    from graphs.drafter.document import long_date

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
        f'This {title_for(terms)} (the "Agreement") is entered into as of {effective} (the '
        '"Effective Date") by and between '
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


def _texts(terms: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    code = terms.get("governing_law")
    jurisdiction = BY_CODE.get(code) if code else None
    months = terms.get("term_months")
    term = describe_term(months) if months else "[term]"
    purpose = terms.get("purpose", DEFAULT_PURPOSE)
    survival = terms.get("survival_months")
    until = (
        f"which continue for {describe_term(survival)} after it ends"
        if survival
        else "which continue until the end of that period"
    )
    texts = {
        "definitions": (
            "Definitions",
            '"Confidential Information" means all non-public business, technical, financial and '
            "other information that the Disclosing Party discloses to the Receiving Party, in any "
            "form, that is marked as confidential or that a reasonable person would understand to "
            'be confidential, including trade secrets. The "Purpose" is '
            f'{purpose}. "Representatives" means a Party\'s employees, officers, directors, '
            "contractors and professional advisers who need to know Confidential Information for "
            "the Purpose.",
        ),
        "confidentiality": (
            "Obligations of the Receiving Party",
            "The Receiving Party shall (a) use Confidential Information only for the Purpose; "
            "(b) protect it with at least the care it uses for its own confidential information "
            "of like importance, and never less than reasonable care; and (c) disclose it only to "
            "its Representatives who are bound by duties of confidentiality at least as "
            "protective as this Agreement, remaining responsible for their compliance.",
        ),
        "exclusions": (
            "Exclusions",
            "Confidential Information does not include information that (a) is or becomes public "
            "through no fault of the Receiving Party; (b) the Receiving Party knew before "
            "receiving it, free of any duty of confidentiality; (c) the Receiving Party develops "
            "independently without using Confidential Information; or (d) the Receiving Party "
            "rightfully receives from a third party without a duty of confidentiality.",
        ),
        "permitted_disclosures": (
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
        "term": (
            "Term and Termination",
            f"This Agreement begins on the Effective Date and continues for {term}, unless "
            "either Party ends it earlier by written notice to the other. Ending it early does not "
            "release the Receiving Party from its obligations for Confidential Information "
            f"already disclosed, {until}; obligations for "
            "trade secrets continue for as long as the information remains a trade secret under "
            "applicable law.",
        ),
        "return_of_materials": (
            "Return of Materials",
            "On the Disclosing Party's written request, or when this Agreement ends, the "
            "Receiving Party shall promptly return or destroy all Confidential Information in its "
            "possession or control and, on request, certify in writing that it has done so, "
            "except for copies it must keep by law or in routine electronic backups, which remain "
            "subject to this Agreement.",
        ),
        "no_license": (
            "No License; No Warranty",
            "All Confidential Information remains the property of the Disclosing Party. No "
            "license or other right is granted except as this Agreement states, and Confidential "
            'Information is provided "as is". Neither Party is obliged to disclose any information '
            "or to enter into any further agreement.",
        ),
        "governing_law": (
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
        "dtsa_notice": (
            "Notice of Immunity Under the Defend Trade Secrets Act",
            "Any individual bound by this Agreement, including an employee, contractor or "
            "consultant, is hereby notified under 18 U.S.C. § 1833(b) that: " + DTSA_NOTICE,
        ),
        "remedies": (
            "Remedies",
            "Unauthorized use or disclosure of Confidential Information may cause the Disclosing "
            "Party irreparable harm for which damages are an inadequate remedy, so it may seek "
            "injunctive relief without posting a bond, in addition to any other remedy available "
            "at law or in equity, including under the Defend Trade Secrets Act "
            "(18 U.S.C. § 1836).",
        ),
        "general": (
            "General",
            "This Agreement is the Parties' entire agreement on its subject and may be amended or "
            "waived only in a writing signed by both Parties. Neither Party may assign it without "
            "the other's written consent. If any provision is unenforceable, the rest remains in "
            "effect. It may be signed in counterparts, including electronically.",
        ),
    }
    if jurisdiction and (limits := [a.clause for a in jurisdiction.extras if a.clause]):
        texts["state_law"] = (
            f"{jurisdiction.name} Law Requirements",
            " ".join(dict.fromkeys(limits)),
        )
    return texts


def _citations_of(terms: Mapping[str, Any], clause_id: str) -> list[Citation]:
    code = terms.get("governing_law")
    if clause_id == "state_law" and code in BY_CODE:
        return [a.as_citation() for a in BY_CODE[code].extras if a.clause]
    return []


def clause(
    terms: Mapping[str, Any], clause_id: str, params: Mapping[str, Any] | None = None
) -> LibraryClause:
    """One clause for ``terms``; KeyError for an id this library does not have."""
    heading, text = _texts(terms)[clause_id]
    return LibraryClause(
        id=clause_id, heading=heading, text=text, citations=_citations_of(terms, clause_id)
    )


def default_clauses(terms: Mapping[str, Any]) -> list[LibraryClause]:
    """A new NDA's clauses for ``terms``, in order."""
    texts = _texts(terms)
    return [clause(terms, i) for i in _IDS if i in texts]


def clause_ids(doc_type: str) -> list[str]:
    """Every clause id of ``doc_type``."""
    return list(_IDS) if doc_type == "nda" else []


_WORDS = {
    "confidentiality": "confidentiality",
    "obligations": "confidentiality",
    "term": "term",
    "termination": "term",
    "governing law": "governing_law",
    "definitions": "definitions",
    "exclusions": "exclusions",
    "remedies": "remedies",
    "general": "general",
    "return": "return_of_materials",
    "license": "no_license",
    "warranty": "no_license",
    "immunity": "dtsa_notice",
    "defend trade secrets": "dtsa_notice",
    "permitted disclosures": "permitted_disclosures",
}


def find_clause_id(doc_type: str, words: str) -> str | None:
    """The clause ``words`` names, or None."""
    lowered = words.lower().replace("-", " ").replace("_", " ")
    for key in _IDS:
        if key.replace("_", " ") in lowered:
            return key
    return next((v for k, v in _WORDS.items() if k in lowered), None)


def explain(terms: Mapping[str, Any], clause_id: str) -> str:
    """What a clause does (KeyError for an unknown id)."""
    heading, _ = _texts(terms)[clause_id]
    return f'The "{heading}" clause is part of the standard NDA.'


def citations(terms: Mapping[str, Any]) -> list[Citation]:
    """Federal authorities, then those of the governing jurisdiction."""
    code = terms.get("governing_law")
    authorities = FEDERAL_AUTHORITIES + (BY_CODE[code].authorities if code in BY_CODE else ())
    return [a.as_citation() for a in authorities]


def find_doc_type(text: str) -> str | None:
    """``nda`` when ``text`` names one."""
    from graphs.drafter.terms import mentions_nda

    return "nda" if mentions_nda(text) else None
