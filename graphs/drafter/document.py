"""Render the terms as a Markdown NDA with numbered clauses and its citations."""

from __future__ import annotations

from graphs.drafter.jurisdictions import BY_CODE, FEDERAL_AUTHORITIES, Authority
from graphs.drafter.numbers import number_words
from graphs.drafter.state import Document, Terms

DTSA_NOTICE = (
    "An individual shall not be held criminally or civilly liable under any federal or state "
    "trade secret law for the disclosure of a trade secret that (A) is made (i) in confidence to a "
    "federal, state, or local government official, either directly or indirectly, or to an "
    "attorney; and (ii) solely for the purpose of reporting or investigating a suspected violation "
    "of law; or (B) is made in a complaint or other document filed in a lawsuit or other "
    "proceeding, if such filing is made under seal. An individual who files a lawsuit for "
    "retaliation by an employer for reporting a suspected violation of law may disclose the trade "
    "secret to the attorney of the individual and use the trade secret information in the court "
    "proceeding, if the individual files any document containing the trade secret under seal and "
    "does not disclose the trade secret, except pursuant to court order. (18 U.S.C. § 1833(b).)"
)


def describe_term(months: int) -> str:
    """``24`` → ``two (2) years (24 months)``; ``18`` → ``eighteen (18) months``."""
    if months % 12 == 0:
        years = months // 12
        unit = "year" if years == 1 else "years"
        return f"{number_words(years)} ({years}) {unit} ({months} months)"
    unit = "month" if months == 1 else "months"
    return f"{number_words(months)} ({months}) {unit}"


def law_name(code: str) -> str:
    """How the governing-law clause names the jurisdiction."""
    name = BY_CODE[code].name
    return "the District of Columbia" if code == "DC" else f"the State of {name}"


def citations_for(terms: Terms) -> list[Authority]:
    """Federal authorities, then the governing jurisdiction's."""
    cited = list(FEDERAL_AUTHORITIES)
    if code := terms.get("governing_law"):
        cited += BY_CODE[code].authorities()
    return cited


def render(terms: Terms) -> Document:
    """The document (without ``version``, which the graph assigns) for ``terms``."""
    mutual = terms.get("nda_kind", "mutual") == "mutual"
    a, b = (terms.get("parties") or ["[Party A]", "[Party B]"])[:2]
    code = terms.get("governing_law")
    months = terms.get("term_months")
    title = "Mutual Non-Disclosure Agreement" if mutual else "Non-Disclosure Agreement (One-Way)"
    recipient = (
        'each party receiving Confidential Information (the "Receiving Party")'
        if mutual
        else f'{b} (the "Receiving Party")'
    )

    if mutual:
        parties = (
            f'This {title} (the "Agreement") is entered into as of [Effective Date] (the '
            f'"Effective Date") between **{a}** and **{b}** (each a "Party"). Each Party may '
            "disclose Confidential Information to the other."
        )
    else:
        parties = (
            f'This {title} (the "Agreement") is entered into as of [Effective Date] (the '
            f'"Effective Date") between **{a}** (the "Disclosing Party") and **{b}** (the '
            '"Receiving Party").'
        )
    term = (
        f"This Agreement remains in effect for {describe_term(months)} from the Effective Date."
        if months
        else "This Agreement remains in effect for [term to be agreed] from the Effective Date."
    )
    law = (
        f"This Agreement is governed by the laws of {law_name(code)}, without regard to its "
        "conflict-of-laws rules."
        if code
        else "This Agreement is governed by the laws of [governing jurisdiction to be agreed]."
    )
    clauses: list[tuple[str, str]] = [
        ("Parties", parties),
        (
            "Confidential Information",
            '"Confidential Information" means all non-public business, technical and financial '
            "information disclosed in any form, marked or reasonably understood to be "
            "confidential, including trade secrets.",
        ),
        (
            "Obligations of the Receiving Party",
            f"{recipient[0].upper()}{recipient[1:]} shall use Confidential Information only to "
            "evaluate and carry out the parties' business relationship, protect it with at least "
            "reasonable care, and disclose it only to personnel and advisers who need to know it "
            "and are bound by duties of confidentiality at least as protective as these.",
        ),
        (
            "Exclusions",
            "Confidential Information does not include information that is or becomes public "
            "through no fault of the Receiving Party, was known to it before disclosure, is "
            "independently developed, or is rightfully received from a third party without a duty "
            "of confidentiality.",
        ),
        (
            "Permitted Disclosures",
            "The Receiving Party may disclose Confidential Information when required by law or "
            "court order, after prompt notice where lawful. Nothing in this Agreement prevents "
            "anyone from reporting possible violations of law to a government agency, or from "
            "disclosing information about sexual assault or sexual harassment disputes (Speak "
            "Out Act, 42 U.S.C. §§ 19401–19404).",
        ),
        (
            "Term and Termination",
            f"{term} Obligations as to trade secrets survive for as long as the information "
            "remains a trade secret under applicable law.",
        ),
        (
            "Return of Materials",
            "On request or at the end of the term, the Receiving Party shall return or destroy "
            "all Confidential Information and certify that it has done so.",
        ),
        (
            "No License; No Warranty",
            "No license or other right is granted except as stated. Confidential Information is "
            'provided "as is".',
        ),
        (
            "Remedies",
            "Unauthorised disclosure may cause irreparable harm; the Disclosing Party may seek "
            "injunctive relief in addition to any other remedy, including under the Defend Trade "
            "Secrets Act, 18 U.S.C. § 1836.",
        ),
        ("Governing Law", law),
        ("Notice of Immunity Under the Defend Trade Secrets Act", DTSA_NOTICE),
    ]
    if code and BY_CODE[code].extras:
        limits = " ".join(
            f"Nothing in this Agreement applies where {x.authority} ({x.citation}) forbids it."
            for x in BY_CODE[code].extras
        )
        clauses.append(("State-Law Limits", limits))
    clauses.append(
        (
            "Signatures",
            f"{a}: ______________________  Date: __________\n\n"
            f"{b}: ______________________  Date: __________",
        )
    )
    body = "\n\n".join(
        [f"# {title}"]
        + [f"## {i}. {heading}\n\n{text}" for i, (heading, text) in enumerate(clauses, 1)]
    )
    return {
        "key": terms.get("doc_type", "nda"),
        "type": terms.get("doc_type", "nda"),
        "jurisdiction": code,
        "title": title,
        "body": body + "\n",
        "citations": [c.as_dict() for c in citations_for(terms)],
        "terms": dict(terms),  # type: ignore[typeddict-item]
    }
