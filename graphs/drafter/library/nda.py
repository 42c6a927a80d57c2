"""The non-disclosure agreement, mutual or one-way (``terms["nda_kind"]``).

The wording is the drafter's NDA as it has always been (``graphs/drafter/document.py``), so an
existing draft renders the same; it gains a residuals clause (a default of the mutual NDA, which
may be removed), an optional non-solicitation covenant and, when ``terms["survival_months"]`` is
set, a survival period for the confidentiality obligations.
"""

from __future__ import annotations

from graphs.drafter.jurisdictions import Authority
from graphs.drafter.library import common
from graphs.drafter.library.base import (
    DocType,
    Kind,
    LibraryClause,
    Params,
    TermsLike,
    bold_party,
    check_params,
    describe_term,
    effective,
    governing_law_text,
    jurisdiction,
    make,
    term_text,
    two_parties,
    whole_number,
)

DEFAULT_PURPOSE = (
    "evaluating, negotiating and carrying out a possible business relationship between the Parties"
)

DOC_TYPE = DocType(
    key="nda",
    title="Mutual Non-Disclosure Agreement",
    aliases=(
        "nda",
        "ndas",
        "mnda",
        "mutual nda",
        "one-way nda",
        "one way nda",
        "unilateral nda",
        "non-disclosure agreement",
        "nondisclosure agreement",
        "non disclosure agreement",
        "mutual non-disclosure agreement",
        "one-way non-disclosure agreement",
        "confidentiality agreement",
        "secrecy agreement",
    ),
    default_clauses=(
        "definitions",
        "confidentiality",
        "exclusions",
        "residuals",
        "permitted_disclosures",
        "term",
        "return_of_materials",
        "no_license",
        "governing_law",
        "dtsa_notice",
        "state_law",
        "remedies",
        "general",
    ),
    optional_clauses=("residuals", "non_solicitation"),
    term_fields={
        "survival_months": "How long, in whole months after the agreement ends, the "
        "confidentiality obligations survive (trade secrets: as long as they remain secret); "
        "absent, they last until the end of the term.",
    },
)

ORDER = (
    "definitions",
    "confidentiality",
    "exclusions",
    "residuals",
    "permitted_disclosures",
    "term",
    "return_of_materials",
    "no_license",
    "non_solicitation",
    "governing_law",
    "dtsa_notice",
    "state_law",
    "remedies",
    "general",
)


def one_way(terms: TermsLike) -> bool:
    """Whether the terms ask for a one-way NDA (mutual unless they say so)."""
    return terms.get("nda_kind") == "one_way"


def title_for(terms: TermsLike) -> str:
    """ "Mutual Non-Disclosure Agreement" or "One-Way Non-Disclosure Agreement"."""
    return "One-Way Non-Disclosure Agreement" if one_way(terms) else DOC_TYPE.title


def roles(terms: TermsLike) -> tuple[str, str]:
    """The parties' role names, which bracketed ("[Party A]") stand for parties not named yet."""
    return ("Disclosing Party", "Receiving Party") if one_way(terms) else ("Party A", "Party B")


def defaults(terms: TermsLike) -> tuple[str, ...]:
    """A mutual NDA's default clauses include residuals; a one-way NDA's do not (a discloser
    rarely grants one, and the recipient may ask for it)."""
    if one_way(terms):
        return tuple(i for i in DOC_TYPE.default_clauses if i != "residuals")
    return DOC_TYPE.default_clauses


def party_names(terms: TermsLike) -> tuple[str | None, str | None]:
    """The two parties' names (the discloser first for a one-way NDA), None where not known."""
    if one_way(terms):
        return terms.get("disclosing_party"), terms.get("receiving_party")
    return two_parties(terms)


def preamble(terms: TermsLike, first: str, second: str) -> str:
    """The opening paragraph naming the parties and defining their roles."""
    first, second = bold_party(terms, first), bold_party(terms, second)
    opening = (
        f'This {title_for(terms)} (the "Agreement") is entered into as of {effective(terms)} '
        '(the "Effective Date") by and between '
    )
    if one_way(terms):
        return (
            f'{opening}{first} (the "Disclosing Party") and {second} (the "Receiving '
            'Party"), each a "Party" and together the "Parties".'
        )
    return (
        f'{opening}{first} and {second} (each a "Party" and together the "Parties"). Each '
        "Party may disclose Confidential Information to the other; a Party disclosing it is the "
        '"Disclosing Party" and a Party receiving it the "Receiving Party".'
    )


def _trade_secret(terms: TermsLike) -> list[Authority]:
    found = jurisdiction(terms)
    return [found.trade_secret] if found else []


def definitions(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("definitions", params, ())
    purpose = terms.get("purpose") or DEFAULT_PURPOSE
    return make(
        "definitions",
        "Definitions",
        '"Confidential Information" means all non-public business, technical, financial and '
        "other information that the Disclosing Party discloses to the Receiving Party, in any "
        "form, that is marked as confidential or that a reasonable person would understand to "
        'be confidential, including trade secrets. The "Purpose" is '
        f'{purpose}. "Representatives" means a Party\'s employees, officers, directors, '
        "contractors and professional advisers who need to know Confidential Information for "
        "the Purpose.",
    )


def survival_months(terms: TermsLike) -> int | None:
    """The survival period in months, None when the terms set none."""
    months = whole_number(terms, "survival_months", 0, low=1, high=1200)
    return months or None


def confidentiality(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("confidentiality", params, ())
    text = (
        "The Receiving Party shall (a) use Confidential Information only for the Purpose; "
        "(b) protect it with at least the care it uses for its own confidential information "
        "of like importance, and never less than reasonable care; and (c) disclose it only to "
        "its Representatives who are bound by duties of confidentiality at least as "
        "protective as this Agreement, remaining responsible for their compliance."
    )
    months = survival_months(terms)
    if months:
        text += (
            " These obligations survive the expiration or termination of this Agreement for "
            f"{describe_term(months)} after it ends, and for trade secrets for as long as the "
            "information remains a trade secret under applicable law."
        )
    return make("confidentiality", "Obligations of the Receiving Party", text, _trade_secret(terms))


def exclusions(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("exclusions", params, ())
    return make(
        "exclusions",
        "Exclusions",
        "Confidential Information does not include information that (a) is or becomes public "
        "through no fault of the Receiving Party; (b) the Receiving Party knew before "
        "receiving it, free of any duty of confidentiality; (c) the Receiving Party develops "
        "independently without using Confidential Information; or (d) the Receiving Party "
        "rightfully receives from a third party without a duty of confidentiality.",
    )


def residuals(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("residuals", params, ())
    return make(
        "residuals",
        "Residuals",
        '"Residuals" means information in intangible form, such as general ideas, concepts, '
        "know-how and techniques, that is retained in the unaided memory of the Receiving "
        "Party's Representatives who had authorized access to Confidential Information, without "
        "intentional memorization and without reference to any Confidential Information in "
        "written, electronic or other tangible form. The Receiving Party may use Residuals for "
        "any purpose, but this clause (a) grants no license under any patent, copyright or other "
        "intellectual property right of the Disclosing Party; (b) does not permit disclosing the "
        "source of Residuals or any financial, statistical or personal data, or any business plan "
        "of the Disclosing Party; and (c) does not limit the Disclosing Party's rights in its "
        "trade secrets under applicable law.",
    )


def permitted_disclosures(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("permitted_disclosures", params, ())
    return make(
        "permitted_disclosures",
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
        [common.SPEAK_OUT, common.SEC_21F17],
    )


def term(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("term", params, ())
    opening = (
        f"This Agreement begins on the Effective Date and continues for {term_text(terms)}, "
        "unless either Party ends it earlier by written notice to the other."
    )
    if survival_months(terms):
        text = (
            f"{opening} Its expiration or earlier termination does not release the Receiving "
            "Party from its obligations for Confidential Information disclosed before it ends, "
            "which survive for the period stated in the clause headed Obligations of the "
            "Receiving Party."
        )
    else:
        text = (
            f"{opening} Ending it early does not release the Receiving Party from its "
            "obligations for Confidential Information already disclosed, which continue until "
            "the end of that period; obligations for trade secrets continue for as long as the "
            "information remains a trade secret under applicable law."
        )
    return make("term", "Term and Termination", text)


def return_of_materials(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("return_of_materials", params, ())
    return make(
        "return_of_materials",
        "Return of Materials",
        "On the Disclosing Party's written request, or when this Agreement ends, the "
        "Receiving Party shall promptly return or destroy all Confidential Information in its "
        "possession or control and, on request, certify in writing that it has done so, "
        "except for copies it must keep by law or in routine electronic backups, which remain "
        "subject to this Agreement.",
    )


def no_license(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("no_license", params, ())
    return make(
        "no_license",
        "No License; No Warranty",
        "All Confidential Information remains the property of the Disclosing Party. No "
        "license or other right is granted except as this Agreement states, and Confidential "
        'Information is provided "as is". Neither Party is obliged to disclose any information '
        "or to enter into any further agreement.",
    )


def non_solicitation(terms: TermsLike, params: Params) -> LibraryClause:
    sides = (
        common.Sides("the Receiving Party shall not", "the Disclosing Party", "the Purpose")
        if one_way(terms)
        else common.Sides("neither Party shall", "the other Party", "the Purpose")
    )
    return common.non_solicitation(terms, params, sides)


def governing_law(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("governing_law", params, ())
    found = jurisdiction(terms)
    # The chosen law's trade-secret act, and its authorities that add no sentence of their own.
    cited = [found.trade_secret, *(a for a in found.extras if not a.clause)] if found else []
    return make("governing_law", "Governing Law", governing_law_text(terms), cited)


def state_law(terms: TermsLike, params: Params) -> LibraryClause | None:
    """The sentences the governing law requires (jurisdictions.py), None where it requires none."""
    check_params("state_law", params, ())
    found = jurisdiction(terms)
    required = [a for a in found.extras if a.clause] if found else []
    if not found or not required:
        return None
    text = " ".join(dict.fromkeys(a.clause for a in required if a.clause))
    return make("state_law", f"{found.name} Law Requirements", text, required)


def remedies(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("remedies", params, ())
    return make(
        "remedies",
        "Remedies",
        "Unauthorized use or disclosure of Confidential Information may cause the Disclosing "
        "Party irreparable harm for which damages are an inadequate remedy, so it may seek "
        "injunctive relief without posting a bond, in addition to any other remedy available "
        "at law or in equity, including under the Defend Trade Secrets Act "
        "(18 U.S.C. § 1836).",
        [common.DTSA_ACTION],
    )


def general(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("general", params, ())
    return make(
        "general",
        "General",
        "This Agreement is the Parties' entire agreement on its subject and may be amended or "
        "waived only in a writing signed by both Parties. Neither Party may assign it without "
        "the other's written consent. If any provision is unenforceable, the rest remains in "
        "effect. It may be signed in counterparts, including electronically.",
    )


SYNONYMS: dict[str, tuple[str, ...]] = {
    "definitions": ("definitions", "definition", "defined terms", "purpose", "representatives"),
    "confidentiality": (
        "confidentiality",
        "confidentiality obligations",
        "confidentiality clause",
        "obligations of the receiving party",
        "receiving party obligations",
        "non-disclosure obligations",
        "nondisclosure obligations",
        "duty of confidentiality",
        "confidential information",
        "survival",
        "survive",
    ),
    "exclusions": ("exclusions", "exclusion", "exceptions", "carve-outs", "carve outs"),
    "residuals": ("residuals", "residual", "residual knowledge", "residuals clause"),
    "permitted_disclosures": (
        "permitted disclosures",
        "permitted disclosure",
        "compelled disclosure",
        "required by law",
        "whistleblower",
        "speak out act",
    ),
    "term": ("term and termination", "termination", "term", "duration"),
    "return_of_materials": (
        "return of materials",
        "return or destroy",
        "return or destruction",
        "destruction",
        "return",
    ),
    "no_license": ("no license", "no licence", "no warranty", "as is", "license", "licence"),
    "non_solicitation": common.NON_SOLICITATION_SYNONYMS,
    "governing_law": common.GOVERNING_LAW_SYNONYMS,
    "dtsa_notice": common.DTSA_SYNONYMS,
    "state_law": common.STATE_LAW_SYNONYMS,
    "remedies": ("remedies", "remedy", "injunctive relief", "injunction", "equitable relief"),
    "general": ("general", "boilerplate", "miscellaneous", "entire agreement", "assignment"),
    **common.NON_COMPETE_SYNONYMS,
}

EXPLANATIONS: dict[str, str] = {
    "definitions": "Defines the words the rest of the agreement relies on: what counts as "
    "Confidential Information (marked, or obviously confidential, including trade secrets), the "
    "Purpose it may be used for, and the Representatives who may see it.",
    "confidentiality": "The core promise: the Receiving Party uses Confidential Information only "
    "for the Purpose, protects it with at least reasonable care, and shares it only with "
    "Representatives bound by similar duties, answering for them. When a survival period is "
    "set, it says how long these duties last after the agreement ends; trade secrets stay "
    "protected as long as they remain secret.",
    "exclusions": "Lists the information the duties never covered: public information, what "
    "the recipient already knew, developed independently or got lawfully from someone else. "
    "Courts expect these carve-outs, and they keep the duties from reaching ordinary knowledge.",
    "residuals": "Lets the recipient's people use what they remember unaided (general ideas, "
    "know-how) without breaching the agreement. It favours the recipient: it avoids disputes "
    "over what someone 'learned', but grants no license to patents or copyrights and does not "
    "cover trade secrets or the source of the information. Disclosers often delete it.",
    "permitted_disclosures": "Allows disclosure when the law or a court requires it (with "
    "notice so the discloser can seek a protective order), and keeps anyone free to report "
    "possible violations of law to government agencies, as SEC Rule 21F-17 requires, and to "
    "speak about sexual assault or harassment disputes, as the Speak Out Act requires.",
    "term": "Sets how long the agreement lasts and what happens if it ends early: the duties "
    "for information already shared continue.",
    "return_of_materials": "Requires the recipient to return or destroy Confidential "
    "Information on request or at the end, with a written certificate on request; legally "
    "required copies and routine backups may be kept but stay confidential.",
    "no_license": "Makes clear that sharing information transfers no ownership or license, "
    "comes with no warranty, and obliges no one to share anything or to do a deal.",
    "non_solicitation": "Stops a party, for a set period, from poaching the other's employees "
    "(and, if chosen, customers) met through the deal. How far such a covenant is enforceable "
    "depends heavily on the governing law.",
    "governing_law": "Chooses the state whose law governs the agreement and the courts where "
    "disputes may be brought (non-exclusively).",
    "dtsa_notice": "Gives the whistleblower immunity notice of the Defend Trade Secrets Act. "
    "Without it, a party cannot recover exemplary damages or attorney fees under the Act from "
    "an individual employee, contractor or consultant who misappropriates a trade secret.",
    "state_law": "Adds the sentences the governing state's law requires of a confidentiality "
    "agreement, such as carve-outs for disclosing unlawful workplace conduct or a statement "
    "that the agreement is not a non-compete.",
    "remedies": "Records that a breach may cause irreparable harm, so the discloser can ask a "
    "court for an injunction without a bond, on top of damages and its rights under the Defend "
    "Trade Secrets Act.",
    "general": "Standard terms: this is the whole agreement, changes need a signed writing, no "
    "assignment without consent, an invalid term does not sink the rest, and electronic "
    "counterpart signatures are valid.",
}

KIND = Kind(
    doc_type=DOC_TYPE,
    order=ORDER,
    builders={
        "definitions": definitions,
        "confidentiality": confidentiality,
        "exclusions": exclusions,
        "residuals": residuals,
        "permitted_disclosures": permitted_disclosures,
        "term": term,
        "return_of_materials": return_of_materials,
        "no_license": no_license,
        "non_solicitation": non_solicitation,
        "governing_law": governing_law,
        "dtsa_notice": common.dtsa_notice,
        "state_law": state_law,
        "remedies": remedies,
        "general": general,
        "non_compete": common.non_compete,
    },
    synonyms=SYNONYMS,
    explanations=EXPLANATIONS,
    title_for=title_for,
    roles=roles,
    party_names=party_names,
    preamble=preamble,
    jurisdictional=frozenset({"state_law"}),
    defaults=defaults,
)
