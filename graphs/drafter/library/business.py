"""Clauses the services and consulting agreements share, written once and worded for each
type's parties (``Roles``): confidentiality, intellectual property, the freelance-worker and
employee-invention clauses, classification, governing law, the state-law carve-outs and the
general terms."""

from __future__ import annotations

from dataclasses import dataclass

from graphs.drafter.jurisdictions import Authority
from graphs.drafter.library import common, states
from graphs.drafter.library.base import (
    LibraryClause,
    Params,
    TermsLike,
    check_params,
    code_of,
    describe_term,
    governing_law_text,
    jurisdiction,
    make,
    whole_number,
)

#: How long confidentiality duties survive the agreement when the terms set no period.
DEFAULT_SURVIVAL_MONTHS = 36


@dataclass(frozen=True)
class Roles:
    """How a type's clauses name its parties: the one who pays and the one who performs."""

    payer: str
    """"Client", "the Company"."""
    performer: str
    """"Provider", "the Consultant"."""
    payer_key: str
    """The bare role, for possessives and placeholders: "Client", "Company"."""
    performer_key: str
    work: str
    """What the performer provides: "the Services"."""
    own: str = ""
    """The performer's possessive ("the Consultant's", "your"); default: performer + "'s"."""

    def __post_init__(self) -> None:
        if not self.own:
            object.__setattr__(self, "own", f"{self.performer}'s")

    @property
    def Payer(self) -> str:
        return self.payer[0].upper() + self.payer[1:]

    @property
    def Performer(self) -> str:
        return self.performer[0].upper() + self.performer[1:]


def survival(terms: TermsLike) -> str:
    """How long confidentiality survives, in words (``survival_months`` or the default)."""
    months = whole_number(terms, "survival_months", DEFAULT_SURVIVAL_MONTHS, high=1200)
    return describe_term(months)


def confidentiality(
    terms: TermsLike, params: Params, roles: Roles, *, mutual: bool
) -> LibraryClause:
    """Confidentiality duties: both ways (services) or the performer's only (consulting)."""
    check_params("confidentiality", params, ())
    if mutual:
        definition = (
            '"Confidential Information" means non-public business, technical, financial and '
            'other information that a Party (the "Disclosing Party") discloses to the other '
            '(the "Receiving Party") in connection with this Agreement, in any form, that is '
            "marked as confidential or that a reasonable person would understand to be "
            "confidential, including trade secrets and the terms of this Agreement."
        )
        recipient, owner = "the Receiving Party", "the Disclosing Party"
        purpose = "to perform its obligations or exercise its rights under this Agreement"
    else:
        definition = (
            '"Confidential Information" means non-public business, technical, financial and '
            f"other information of {roles.payer} or its customers that {roles.performer} "
            "receives or learns in connection with this Agreement, in any form, that is marked "
            "as confidential or that a reasonable person would understand to be confidential, "
            "including trade secrets and all Work Product."
        )
        recipient, owner = roles.performer, roles.payer
        purpose = f"to perform {roles.work}"
    text = (
        f"{definition} {recipient[0].upper() + recipient[1:]} shall (a) use Confidential "
        f"Information only {purpose}; (b) protect it with at least reasonable care; and (c) "
        "disclose it only to its personnel and advisers who need to know it for that purpose and "
        "are bound by duties of confidentiality at least as protective as this clause, remaining "
        "responsible for their compliance. Confidential Information does not include information "
        f"that (i) is or becomes public through no fault of {recipient}; (ii) {recipient} knew "
        "before receiving it, free of any duty of confidentiality; (iii) is developed "
        "independently without using Confidential Information; or (iv) is rightfully received "
        f"from a third party without a duty of confidentiality. {recipient[0].upper()}"
        f"{recipient[1:]} may disclose Confidential Information to the extent required by law or "
        f"court order, after giving {owner} prompt written notice where lawful. Nothing in this "
        "Agreement prohibits anyone from reporting a possible violation of law to, or "
        "communicating with, any governmental agency, including the Securities and Exchange "
        "Commission, or restricts any disclosure concerning a sexual assault dispute or sexual "
        "harassment dispute to the extent the Speak Out Act (42 U.S.C. §§ 19401–19404) makes "
        "such a restriction unenforceable. These obligations continue during this Agreement and "
        f"for {survival(terms)} after it ends, and for trade secrets for as long as the "
        "information remains a trade secret under applicable law. When this Agreement ends, or "
        f"on {owner}'s request, {recipient} shall return or destroy {owner}'s Confidential "
        "Information, except copies it must keep by law or in routine backups, which remain "
        "subject to this clause."
    )
    cited: list[Authority] = [common.SPEAK_OUT, common.SEC_21F17]
    found = jurisdiction(terms)
    if found:
        cited.append(found.trade_secret)
    return make("confidentiality", "Confidentiality", text, cited)


def ownership(
    terms: TermsLike, params: Params, roles: Roles, *, clause_id: str, heading: str, term: str
) -> LibraryClause:
    """The payer owns what the performer makes for it (``term``: "Deliverables", "Work
    Product"), by assignment, and by work-made-for-hire designation except in California."""
    check_params(clause_id, params, ())
    code = code_of(terms)
    payer, performer = roles.payer, roles.performer
    assigns = (
        f"hereby assigns to {payer} all right, title and interest, including all intellectual "
        f"property rights, in the {term}, effective as each is created"
    )
    if code == "CA":
        owns = f"(a) {roles.Performer} {assigns}."
        cited = [states.CAL_WORK_FOR_HIRE, states.WORK_FOR_HIRE]
    else:
        owns = (
            f"(a) Each of the {term} that is a work of authorship eligible to be a work made for "
            'hire is a "work made for hire" as defined in 17 U.S.C. § 101, owned by '
            f"{payer}; and to the extent any of the {term} is not, {performer} {assigns}."
        )
        cited = [states.WORK_FOR_HIRE]
    text = (
        f"{owns} (b) {roles.Performer} retains its Pre-Existing Materials, meaning materials, "
        "tools, know-how and methods it owned or developed before or independently of this "
        f"Agreement; to the extent any are incorporated in the {term}, {performer} grants "
        f"{payer} a non-exclusive, perpetual, irrevocable, worldwide, royalty-free license to "
        f"use, copy, modify and distribute them as part of the {term}. (c) To the extent the law "
        f"allows, {performer} waives any moral rights in the {term}. (d) {roles.Performer} "
        f"shall sign the documents and take the steps {payer} reasonably requests, at "
        f"{payer}'s expense, to perfect, register and "
        f"enforce {payer}'s rights in the {term}."
    )
    return make(clause_id, heading, text, cited)


def invention_notice(
    terms: TermsLike, params: Params, roles: Roles, *, employee: bool = False
) -> LibraryClause | None:
    """The employee-invention carve-out under the governing law, where a statute limits
    invention assignment (None elsewhere): for an employee as the statute requires, for a
    contractor in case it is found to be an employee."""
    check_params("invention_notice", params, ())
    code = code_of(terms)
    if code not in states.INVENTIONS:
        return None
    authority, notice = states.INVENTIONS[code]
    found = jurisdiction(terms)
    state = found.name if found else code
    performer = roles.performer
    opening = (
        f"Any agreement requiring {performer} to assign inventions to {roles.payer}"
        if employee
        else f"To the extent {performer} is or is found to be an employee of {roles.payer}, the "
        "assignment in the clause headed Work Product and Inventions"
    )
    text = (
        f"{opening} does not apply to an invention that {performer} developed entirely on "
        f"{roles.own} own time without using {roles.payer}'s equipment, supplies, facilities or "
        "trade secret information, except an invention that (a) relates, at the time of "
        f"conception or reduction to practice, to {roles.payer}'s business or its actual or "
        "demonstrably anticipated research or development; or (b) results from any work "
        f"performed by {performer} for {roles.payer}."
    )
    if notice:
        text += f" This clause is the written notification that {notice} requires."
    cited = [
        authority
        if employee
        else Authority(
            authority.authority,
            authority.citation,
            f"{authority.reason} {states.CONSULTANT_NOTICE}",
        )
    ]
    return make(
        "invention_notice", f"Notice of Employee Invention Rights Under {state} Law", text, cited
    )


def classification(terms: TermsLike, roles: Roles) -> tuple[str, list[Authority]]:
    """The ABC-test sentences and their authority under the governing law ('' elsewhere)."""
    code = code_of(terms)
    if code not in states.ABC_TESTS:
        return "", []
    test, cited = states.ABC_TESTS[code]
    performer, payer = roles.performer, roles.payer
    return (
        f" The Parties intend {performer} to be an independent contractor under the test in "
        f"{test}, and accordingly (A) {performer} is free from {payer}'s control and direction "
        f"in performing {roles.work}, both under this Agreement and in fact; (B) {roles.work} "
        f"are outside the usual course of {payer}'s business; and (C) {performer} is "
        "customarily engaged in an independently established trade, occupation or business of "
        f"the same nature as {roles.work}. {roles.Performer} shall tell {payer} promptly if any "
        "of these statements ceases to be true."
    ), list(cited)


def freelance(
    terms: TermsLike, params: Params, roles: Roles, *, pay_clause: str
) -> LibraryClause | None:
    """The freelance-worker statutes' contract terms, where the governing law has such a statute
    (None elsewhere)."""
    check_params("freelance_protections", params, ())
    code = code_of(terms)
    if code not in states.FREELANCE:
        return None
    payer, performer = roles.payer, roles.performer
    addresses = terms.get("addresses") or {}
    names = [*(terms.get("parties") or []), None, None][:2]
    payer_address, performer_address = (
        (addresses.get(name) if name else None) or f"[{key}'s mailing address]"
        for name, key in zip(names, (roles.payer_key, roles.performer_key), strict=True)
    )
    more = (
        ", provide more goods or services, or grant more intellectual property rights"
        if code == "CA"
        else ""
    )
    text = (
        f"To the extent {performer} is a freelance worker under {states.FREELANCE_NAMES[code]}: "
        f"(a) {payer}'s mailing address is "
        f"{payer_address.rstrip('.')}, and {performer}'s is {performer_address.rstrip('.')}; "
        f"(b) {roles.work}, their value and the rate and method of compensation are as this "
        f"Agreement states; (c) {payer} shall pay each invoice by the date the clause headed "
        f"{pay_clause} sets, and in any event no later than thirty (30) days after {performer} "
        f"completes the work it covers; (d) {performer} shall submit each invoice, listing "
        f"{roles.work} rendered, within ten (10) days after the end of the month in which they "
        f"were rendered, so that it is paid by that date; and (e) once {performer} has begun "
        f"performing, {payer} shall not require, as a condition of timely payment, that "
        f"{performer} accept less compensation than agreed{more}, and shall not retaliate "
        f"against {performer} for exercising rights under those laws."
    )
    return make(
        "freelance_protections", "Freelance Worker Protections", text, states.FREELANCE[code]
    )


def governing_law(terms: TermsLike, params: Params, *, personal: bool) -> LibraryClause:
    """The governing-law clause, citing the state's choice-of-law statute where one supports the
    choice (not for personal services, which New York's and Delaware's statutes exclude or may)."""
    check_params("governing_law", params, ())
    code = code_of(terms)
    cited = [states.CHOICE_OF_LAW[code]] if code in states.CHOICE_OF_LAW and not personal else []
    return make(
        "governing_law", "Governing Law", governing_law_text(terms), cited + uncarved(terms)
    )


def uncarved(terms: TermsLike) -> list[Authority]:
    """The governing law's authorities (jurisdictions.py) that add no sentence of their own, cited
    by the governing-law clause as the NDA does (Georgia's Restrictive Covenants Act, RCW
    49.44.210)."""
    found = jurisdiction(terms)
    return [a for a in found.extras if not a.clause] if found else []


def state_law(terms: TermsLike, params: Params) -> LibraryClause | None:
    """The sentences the governing law requires of any agreement with confidentiality duties
    (the NDA's carve-outs: jurisdictions.py), None where it requires none."""
    check_params("state_law", params, ())
    found = jurisdiction(terms)
    required = [a for a in found.extras if a.clause] if found else []
    if not found or not required:
        return None
    text = " ".join(dict.fromkeys(_for_contracts(a.clause) for a in required if a.clause))
    return make("state_law", f"{found.name} Law Requirements", text, required)


def _for_contracts(sentence: str) -> str:
    """A carve-out written for the NDA, reworded for an agreement that is more than one."""
    if sentence.startswith("This Agreement is a non-disclosure agreement only"):
        return (
            "This Agreement contains no covenant not to compete: it does not restrict anyone "
            "from working for any person or in any business."
        )
    return sentence


def general(terms: TermsLike, params: Params, roles: Roles, *, personal: bool) -> LibraryClause:
    check_params("general", params, ())
    if personal:
        assign = (
            f"{roles.Performer} may not assign this Agreement or subcontract {roles.work} without "
            f"{roles.payer}'s prior written consent; {roles.payer} may assign it to a successor to "
            "all or substantially all of its business."
        )
    else:
        assign = (
            "Neither Party may assign this Agreement without the other's prior written consent, "
            "except to a successor to all or substantially all of its business."
        )
    return make(
        "general",
        "General",
        "This Agreement is the Parties' entire agreement on its subject and supersedes all prior "
        "agreements and understandings on it; it may be amended or waived only in a writing "
        f"signed by both Parties. {assign} Notices must be in writing and delivered by hand, by "
        "courier or by email with confirmation of receipt to the address a Party designates. "
        "Neither Party is liable for a delay caused by events beyond its reasonable control, "
        "other than a delay in paying money. If any provision is unenforceable, it is enforced "
        "to the maximum extent permitted and the rest remains in effect. It may be signed in "
        "counterparts, including electronically.",
    )
