"""Clauses and rules more than one document type uses: the Defend Trade Secrets Act notice, the
non-solicitation covenant with its state-law limits, and why the library drafts no non-compete."""

from __future__ import annotations

from dataclasses import dataclass

from graphs.drafter.jurisdictions import FEDERAL_AUTHORITIES, Authority
from graphs.drafter.library.base import (
    LibraryClause,
    Params,
    TermsLike,
    check_params,
    code_of,
    describe_term,
    make,
)

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

DTSA_IMMUNITY, DTSA_ACTION, SPEAK_OUT, SEC_21F17 = FEDERAL_AUTHORITIES


def dtsa_notice(terms: TermsLike, params: Params) -> LibraryClause:
    """The § 1833(b) notice, which every agreement with an individual's confidentiality duties
    should carry (without it, no exemplary damages or fees against an employee or contractor)."""
    check_params("dtsa_notice", params, ())
    return make(
        "dtsa_notice",
        "Notice of Immunity Under the Defend Trade Secrets Act",
        "Any individual bound by this Agreement, including an employee, contractor or "
        "consultant, is hereby notified under 18 U.S.C. § 1833(b) that: " + DTSA_NOTICE,
        [DTSA_IMMUNITY],
    )


# --- restrictive covenants -------------------------------------------------------------------

CAL_16600 = Authority(
    "California Business and Professions Code § 16600",
    "Cal. Bus. & Prof. Code § 16600",
    "California voids every contract that restrains anyone from engaging in a lawful "
    "profession, trade or business, which reaches customer non-solicitation covenants (Edwards "
    "v. Arthur Andersen LLP, 44 Cal. 4th 937 (2008)) and, as courts increasingly hold, "
    "employee non-solicitation covenants (AMN Healthcare, Inc. v. Aya Healthcare Services, Inc., "
    "28 Cal. App. 5th 923 (2018)); the covenant here is therefore limited to solicitation that "
    "uses Confidential Information.",
)
CAL_16600_5 = Authority(
    "California Business and Professions Code § 16600.5",
    "Cal. Bus. & Prof. Code § 16600.5",
    "A restraint void under § 16600 is unenforceable in California wherever and whenever the "
    "contract was signed, and no one may enter into or try to enforce one.",
)
TEX_15_50 = Authority(
    "Texas Covenants Not to Compete Act",
    "Tex. Bus. & Com. Code § 15.50",
    "Texas treats non-solicitation covenants as covenants not to compete (Marsh USA Inc. v. "
    "Cook, 354 S.W.3d 764 (Tex. 2011)): enforceable only if ancillary to or part of an otherwise "
    "enforceable agreement and reasonable in time and scope, which the clause records.",
)
FLA_542_335 = Authority(
    "Florida restrictive covenants statute",
    "Fla. Stat. § 542.335",
    "Florida enforces a written restrictive covenant that is reasonably necessary to protect a "
    "legitimate business interest, which § 542.335(1)(b) lists (trade secrets, valuable "
    "confidential business information, substantial relationships with specific existing or "
    "prospective customers); the clause identifies those interests.",
)
MASS_24L = Authority(
    "Massachusetts Noncompetition Agreement Act",
    "Mass. Gen. Laws ch. 149, § 24L",
    "The Act's limits on noncompetition agreements (covering employees and independent "
    "contractors) expressly exclude covenants not to solicit or hire employees and not to "
    "solicit customers, so this covenant stays outside them as long as it restrains only "
    "solicitation.",
)
WASH_49_62 = Authority(
    "Washington noncompetition covenant statute",
    "Wash. Rev. Code ch. 49.62",
    "Washington's limits on noncompetition covenants (earnings thresholds, disclosure, Washington "
    "forum) exclude non-solicitation agreements as RCW 49.62.010 defines them: since June 6, "
    "2024 a customer covenant qualifies only for current customers, and one that bars accepting "
    "or transacting business with a customer is a noncompetition covenant; the clause is drawn "
    "within that definition.",
)
ILL_FREEDOM_TO_WORK = Authority(
    "Illinois Freedom to Work Act",
    "820 ILCS 90",
    "Illinois voids covenants not to solicit for employees earning $45,000 a year or less (the "
    "threshold rises over time) and requires adequate consideration, a legitimate business "
    "interest, 14 days to review and advice to consult a lawyer for employees; the covenant here "
    "binds the Parties as contracting parties, not any employee.",
)
NY_BDO = Authority(
    "New York common law of restrictive covenants",
    "BDO Seidman v. Hirshberg, 93 N.Y.2d 382 (1999)",
    "New York enforces a non-solicitation covenant only as far as reasonable: no greater than "
    "needed to protect a legitimate interest, not unduly harsh, and not injurious to the public; "
    "courts may enforce an overbroad covenant in part.",
)

#: Jurisdictions whose law voids a covenant not to compete outright, and the authority.
NON_COMPETE_VOID: dict[str, str] = {
    "CA": "California voids every contract that restrains anyone from engaging in a lawful "
    "profession, trade or business (Cal. Bus. & Prof. Code § 16600), and a void covenant is "
    "unenforceable wherever and whenever it was signed, and may not even be entered into "
    "(Cal. Bus. & Prof. Code § 16600.5)",
    "ND": "North Dakota voids contracts that restrain anyone from exercising a lawful "
    "profession, trade or business, save on the sale of a business or the dissolution of a "
    "partnership (N.D. Cent. Code § 9-08-06)",
    "OK": "Oklahoma voids contracts in restraint of trade (Okla. Stat. tit. 15, § 217) and "
    "allows an employee covenant only against soliciting established customers (Okla. Stat. "
    "tit. 15, § 219A)",
    "MN": "Minnesota voids covenants not to compete with employees and independent contractors "
    "made on or after July 1, 2023 (Minn. Stat. § 181.988)",
}

#: Where a non-compete may be enforceable but only within a statute's limits.
NON_COMPETE_LIMITED: dict[str, str] = {
    "TX": "Tex. Bus. & Com. Code §§ 15.50–15.52 (ancillary to an otherwise enforceable agreement, "
    "reasonable in time, area and scope)",
    "FL": "Fla. Stat. § 542.335 (legitimate business interest; statutory presumptions on duration)",
    "MA": "Mass. Gen. Laws ch. 149, § 24L (at most 12 months, garden leave or other agreed "
    "consideration, notice and advice of counsel; void for non-exempt employees)",
    "WA": "Wash. Rev. Code ch. 49.62 (earnings thresholds, disclosure at acceptance, at most 18 "
    "months presumed reasonable, Washington forum)",
    "IL": "820 ILCS 90 (void for employees earning $75,000 a year or less; adequate "
    "consideration; 14 days to review; advice to consult counsel)",
}


def non_compete_refusal(code: str | None) -> str:
    """Why the library offers no non-compete under the given law (the ValueError's message)."""
    if code in NON_COMPETE_VOID:
        return (
            f"no non-compete clause under this governing law: {NON_COMPETE_VOID[code]}. The "
            "confidentiality clause already protects Confidential Information; a non-solicitation "
            "clause may be available instead"
        )
    limited = (
        f" Its enforceability here turns on {NON_COMPETE_LIMITED[code]}."
        if code in NON_COMPETE_LIMITED
        else ""
    )
    return (
        "the clause library drafts no non-compete: whether one is enforceable depends on the "
        "parties, the consideration and the state's law, and it needs a lawyer's review." + limited
    )


def non_compete(terms: TermsLike, params: Params) -> LibraryClause:
    """Never built: raises ValueError with the reason for the governing law."""
    raise ValueError(non_compete_refusal(code_of(terms)))


NON_SOLICITATION_SYNONYMS = (
    "non-solicitation",
    "non solicitation",
    "nonsolicitation",
    "non-solicit",
    "non solicit",
    "nonsolicit",
    "no-poach",
    "no poach",
    "no-hire",
    "no hire",
    "solicitation",
    "solicit",
)
GOVERNING_LAW_SYNONYMS = (
    "governing law",
    "choice of law",
    "applicable law",
    "jurisdiction",
    "venue",
    "forum",
)
DTSA_SYNONYMS = (
    "dtsa",
    "defend trade secrets act",
    "immunity notice",
    "whistleblower immunity",
    "notice of immunity",
)
STATE_LAW_SYNONYMS = ("state law requirements", "law requirements", "state law", "state-specific")

#: How users name the clause the library refuses, so the agent can ask for it and get the reason.
NON_COMPETE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "non_compete": (
        "non-compete",
        "noncompete",
        "non compete",
        "non-competition",
        "noncompetition",
        "covenant not to compete",
        "not to compete",
    )
}

SCOPES = ("employees", "customers", "both")


@dataclass(frozen=True)
class Sides:
    """Who a non-solicitation covenant binds and protects, in a type's words."""

    bound: str
    """The subject, with its verb: "neither Party shall", "the Consultant shall not"."""
    owner: str
    """Whose people are protected: "the other Party", "the Company"."""
    context: str
    """What put the bound party in contact with them: "the Purpose", "the Services"."""
    during: str = "the term of this Agreement"
    """The period the covenant runs in before its tail ("your employment")."""
    who: str = "it"
    """The bound party as a pronoun inside the covenant ("it", "you")."""


def non_solicitation(terms: TermsLike, params: Params, sides: Sides) -> LibraryClause:
    """The covenant not to solicit employees, customers or both for ``months`` after the
    agreement ends, limited as the governing law requires.

    Params: ``months`` (a whole number 1–60; absent: a placeholder) and ``scope``
    ("employees", the default, "customers" or "both"). Raises ValueError for a bad param, and for
    a customer covenant under California law (void there).
    """
    check_params("non_solicitation", params, ("months", "scope"))
    months = params.get("months")
    if months is not None and (
        not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 60
    ):
        raise ValueError(
            f"non_solicitation months must be a whole number from 1 to 60; got {months!r}"
        )
    scope = params.get("scope") or "employees"
    if scope not in SCOPES:
        raise ValueError(
            f"non_solicitation scope must be one of {', '.join(SCOPES)}; got {scope!r}"
        )
    code = code_of(terms)
    if code == "CA" and scope != "employees":
        raise ValueError(
            "a covenant not to solicit customers is void under California law (Cal. Bus. & Prof. "
            "Code § 16600; Edwards v. Arthur Andersen LLP, 44 Cal. 4th 937 (2008)); the "
            "confidentiality clause already bars using customer information that is "
            "Confidential Information. Use scope 'employees' or another governing law"
        )
    period = describe_term(months) if months else "[non-solicitation period]"
    owner, context = sides.owner, sides.context
    items = []
    if scope in ("employees", "both"):
        items.append(
            f"solicit for employment or engagement, or encourage to leave {owner}, any employee "
            f"or individual contractor of {owner} with whom {sides.who} had contact, or of whom "
            f"{sides.who} learned, in connection with {context}"
        )
    if scope in ("customers", "both"):
        # Washington treats a covenant reaching former or prospective customers, or barring
        # acceptance of their business, as a noncompetition covenant (RCW 49.62.010, 2024).
        who = (
            f"any person who is a current customer of {owner}"
            if code == "WA"
            else f"any customer or client of {owner}"
        )
        items.append(
            f"solicit {who} with whom {sides.who} dealt, or of whom {sides.who} learned, in "
            f"connection with {context}, to end or reduce its business with {owner}"
        )
    covenant = f"(a) {items[0]}; or (b) {items[1]}" if len(items) == 2 else items[0]
    uses = f"use Confidential Information of {owner} to " if code == "CA" else ""
    text = (
        f"During {sides.during} and for {period} after it ends, {sides.bound}, "
        f"directly or indirectly, {uses}{covenant}."
    )
    if scope in ("employees", "both"):
        text += (
            f" General solicitations not directed at {owner}'s personnel, such as public job "
            "advertisements, and hiring anyone who responds to them, do not breach this clause."
        )
    citations: list[Authority] = []
    if code == "CA":
        text += (
            " Nothing in this clause restrains anyone from engaging in a lawful profession, trade "
            "or business or from seeking or accepting employment with anyone, and it applies only "
            "to the extent California Business and Professions Code section 16600 permits."
        )
        citations += [CAL_16600, CAL_16600_5]
    elif code == "TX":
        text += (
            " This covenant is ancillary to or part of the otherwise enforceable agreements in "
            "this Agreement, including the confidentiality obligations, and its limits of time and "
            "scope are reasonable and impose no greater restraint than is necessary to protect "
            f"the goodwill and Confidential Information of {owner}."
        )
        citations.append(TEX_15_50)
    elif code == "FL":
        text += (
            " This covenant is reasonably necessary to protect legitimate business interests "
            f"of {owner} within the meaning of Florida Statutes section 542.335(1)(b), including "
            "its trade secrets, its valuable confidential business information and its "
            "substantial relationships with specific existing and prospective customers."
        )
        citations.append(FLA_542_335)
    elif code == "MA":
        citations.append(MASS_24L)
    elif code == "WA":
        if scope != "employees":
            text += (
                " This clause does not restrict accepting or transacting business with any "
                "customer who is not solicited."
            )
        citations.append(WASH_49_62)
    elif code == "IL":
        citations.append(ILL_FREEDOM_TO_WORK)
    elif code == "NY":
        citations.append(NY_BDO)
    return make("non_solicitation", "Non-Solicitation", text, citations)
