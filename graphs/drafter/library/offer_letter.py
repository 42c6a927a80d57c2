"""The employment offer letter from a Company to a Candidate: position, compensation, benefits,
at-will employment (Montana excepted), conditions of employment, confidentiality and inventions
(with the employee-invention notice where a statute requires or limits it), an optional
non-solicitation covenant, the pay notices some states require at hire, governing law and the
general terms."""

from __future__ import annotations

from graphs.drafter.jurisdictions import Authority
from graphs.drafter.library import business, common
from graphs.drafter.library.base import (
    DocType,
    Kind,
    LibraryClause,
    Params,
    TermsLike,
    bold_party,
    check_params,
    code_of,
    governing_law_text,
    jurisdiction,
    long_date,
    make,
    text_term,
    two_parties,
)

ROLES = business.Roles("the Company", "you", "Company", "Candidate", "your services", own="your")

DOC_TYPE = DocType(
    key="offer_letter",
    title="Employment Offer Letter",
    aliases=(
        "offer letter",
        "employment offer letter",
        "offer of employment",
        "job offer",
        "job offer letter",
        "employment offer",
    ),
    default_clauses=(
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
    ),
    optional_clauses=("non_solicitation",),
    term_fields={
        "position": 'The job title ("Senior Product Manager").',
        "manager": 'Whom the employee reports to ("the Chief Executive Officer").',
        "start_date": "The first day of work, ISO 8601 (YYYY-MM-DD).",
        "salary": 'The base salary, in the user\'s words ("USD 150,000 per year").',
        "work_location": 'Where the employee works ("San Francisco, California", "remote").',
        "offer_expires": "The date the offer lapses unless accepted, ISO 8601 (optional).",
    },
)

ORDER = (
    "position",
    "compensation",
    "benefits",
    "at_will",
    "conditions",
    "confidentiality",
    "invention_notice",
    "non_solicitation",
    "pay_notice",
    "governing_law",
    "dtsa_notice",
    "state_law",
    "general",
)

MONTANA_WDEA = Authority(
    "Montana Wrongful Discharge from Employment Act",
    "Mont. Code Ann. §§ 39-2-901 to 39-2-915",
    "Montana does not allow at-will employment after a probationary period: a discharge is "
    "wrongful if not for good cause once the probationary period ends (§ 39-2-904), so the "
    "letter states a probationary period instead of at-will employment.",
)
I9 = Authority(
    "Immigration Reform and Control Act, employment verification",
    "8 U.S.C. § 1324a; 8 C.F.R. § 274a.2",
    "Every employer must verify each new employee's identity and authorization to work in the "
    "United States on Form I-9, with documents presented within three business days of starting "
    "work, so the offer is conditioned on that verification.",
)
NLRA_7 = Authority(
    "National Labor Relations Act § 7",
    "29 U.S.C. § 157",
    "Employees have the right to act together about their terms and conditions of employment, "
    "including discussing wages, so the confidentiality duty carves that out.",
)
PAY_NOTICES: dict[str, tuple[str, Authority]] = {
    "CA": (
        "If your position is non-exempt, you will receive at hire the written notice of your "
        "rate of pay, regular payday and the other information California Labor Code section "
        "2810.5 requires.",
        Authority(
            "California Wage Theft Prevention Act notice",
            "Cal. Lab. Code § 2810.5",
            "Requires a written notice at hire to each non-exempt employee of the rate and basis "
            "of pay, the regular payday, the employer's details and workers' compensation "
            "carrier, and paid sick leave rights.",
        ),
    ),
    "NY": (
        "You will receive at hire, in English and in your primary language if the New York "
        "Department of Labor provides a template in it, the written notice of your rate and "
        "basis of pay and regular payday that New York Labor Law section 195(1) requires, and "
        "you are asked to sign and return an acknowledgment of it.",
        Authority(
            "New York Wage Theft Prevention Act notice",
            "N.Y. Lab. Law § 195(1)",
            "Requires a written pay notice at hire (rate and basis of pay, allowances, regular "
            "payday, employer details), in English and the employee's primary language where "
            "the Department of Labor offers a template, with a signed acknowledgment kept for "
            "six years.",
        ),
    ),
}


def title_for(terms: TermsLike) -> str:
    return DOC_TYPE.title


def roles(terms: TermsLike) -> tuple[str, str]:
    return ("Company", "Candidate")


def preamble(terms: TermsLike, first: str, second: str) -> str:
    return (
        f'{bold_party(terms, first)} (the "Company") is pleased to offer {bold_party(terms, second)} '
        '("you") employment with the Company on the terms of this letter (the "Agreement"); the '
        'Company and you are each a "Party" and together the "Parties".'
    )


def _start(terms: TermsLike) -> str:
    start = terms.get("start_date")
    return long_date(start) if isinstance(start, str) and start else "[start date]"


def position(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("position", params, ())
    title = text_term(terms, "position", "[position]")
    manager = text_term(terms, "manager", "[manager]")
    location = text_term(terms, "work_location", "[work location]")
    return make(
        "position",
        "Position",
        f"Your position will be {title}, reporting to {manager}, starting on {_start(terms)}. "
        f"Your work location will be {location}. You will perform the duties the Company "
        "assigns to your position, devote your full working time to the Company, and comply "
        "with the Company's lawful policies as in effect from time to time.",
    )


def compensation(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("compensation", params, ())
    salary = text_term(terms, "salary", "[salary]")
    return make(
        "compensation",
        "Compensation",
        f"The Company will pay you a base salary of {salary}, less applicable withholdings "
        "and deductions, in accordance with the Company's regular payroll schedule. Your "
        "compensation will be reviewed periodically and may be adjusted at the Company's "
        "discretion.",
    )


def benefits(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("benefits", params, ())
    return make(
        "benefits",
        "Benefits",
        "You will be eligible to participate in the employee benefit plans the Company offers "
        "to similarly situated employees, subject to the terms of those plans, which the Company "
        "may amend or end at any time, and to paid time off under the Company's policies and "
        "applicable law.",
    )


def at_will(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("at_will", params, ())
    if code_of(terms) == "MT":
        return make(
            "at_will",
            "Probationary Period",
            "Your employment begins with a probationary period of six (6) months, during which "
            "either you or the Company may end it at any time, with or without cause or notice. "
            "After the probationary period, your employment may be ended as the Montana Wrongful "
            "Discharge from Employment Act provides.",
            [MONTANA_WDEA],
        )
    return make(
        "at_will",
        "At-Will Employment",
        "Your employment with the Company is at will: either you or the Company may end it at "
        "any time, with or without cause or advance notice. Nothing in this letter or in any "
        "policy of the Company changes that, and only a written agreement signed by you and an "
        "authorized officer of the Company may change it.",
    )


def conditions(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("conditions", params, ())
    return make(
        "conditions",
        "Conditions of Employment",
        "This offer is conditioned on (a) your establishing your identity and authorization to "
        "work in the United States, as federal law requires, by completing Form I-9 and "
        "presenting the required documents within three (3) business days after you start "
        "work; and (b) your signing the Company's standard confidentiality and invention "
        "assignment agreement, consistent with this letter. You confirm that you are not bound "
        "by any agreement that would prevent you from working for the Company, and you will not "
        "bring to the Company or use any confidential information of a former employer or other "
        "third party.",
        [I9],
    )


def confidentiality(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("confidentiality", params, ())
    found = jurisdiction(terms)
    cited: list[Authority] = [NLRA_7, common.SPEAK_OUT, common.SEC_21F17]
    if found:
        cited.append(found.trade_secret)
    return make(
        "confidentiality",
        "Confidentiality",
        "During and after your employment, you will keep confidential, and use only for the "
        "Company's benefit, the Company's non-public business, technical and financial "
        'information, including trade secrets ("Confidential Information"), except as your '
        "duties require or the law permits. "
        "Nothing in this letter prohibits you from discussing your wages or working conditions, "
        "reporting a possible violation of law to, or communicating with, any governmental "
        "agency, including the Securities and Exchange Commission, or making any disclosure the "
        "Speak Out Act (42 U.S.C. §§ 19401–19404) protects.",
        cited,
    )


def invention_notice(terms: TermsLike, params: Params) -> LibraryClause | None:
    return business.invention_notice(terms, params, ROLES, employee=True)


def non_solicitation(terms: TermsLike, params: Params) -> LibraryClause:
    clause = common.non_solicitation(
        terms,
        params,
        common.Sides("you shall not", "the Company", "your employment", "your employment", "you"),
    )
    if code_of(terms) == "IL":
        clause["text"] += (
            " The Company advises you to consult an attorney before accepting this covenant, "
            "and you have at least fourteen (14) calendar days to review it."
        )
    return clause


def pay_notice(terms: TermsLike, params: Params) -> LibraryClause | None:
    check_params("pay_notice", params, ())
    code = code_of(terms)
    if code not in PAY_NOTICES:
        return None
    text, authority = PAY_NOTICES[code]
    return make("pay_notice", "Notice of Pay", text, [authority])


def governing_law(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("governing_law", params, ())
    text = governing_law_text(terms)
    cited: list[Authority] = []
    location = str(terms.get("work_location") or "")
    in_california = "California" in location or ", CA" in location
    if in_california and code_of(terms) not in (None, "CA"):
        text += (
            " Because you will primarily reside and work in California, California law governs "
            "any claim arising in California and you may bring it in California."
        )
        cited.append(
            Authority(
                "California Labor Code § 925",
                "Cal. Lab. Code § 925",
                "An employer may not require an employee who primarily resides and works in "
                "California, as a condition of employment, to agree to litigate California "
                "claims outside California or to give up California law's protection.",
            )
        )
    return make("governing_law", "Governing Law", text, cited + business.uncarved(terms))


def general(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("general", params, ())
    expires = terms.get("offer_expires")
    deadline = (
        f" This offer expires unless you accept it by signing and returning this letter by "
        f"{long_date(expires)}."
        if isinstance(expires, str) and expires
        else ""
    )
    return make(
        "general",
        "Entire Agreement",
        "This letter, with the agreements it refers to, is the entire agreement between you and "
        "the Company on its subject and supersedes any prior representations or agreements, "
        "written or oral. It may be changed only in a writing signed by you and an authorized "
        "officer of the Company, and may be signed in counterparts, including electronically."
        + deadline,
    )


SYNONYMS: dict[str, tuple[str, ...]] = {
    "position": ("position", "title", "job title", "duties", "start date", "reporting line"),
    "compensation": ("compensation", "salary", "base salary", "pay", "wages"),
    "benefits": ("benefits", "health insurance", "pto", "paid time off", "vacation"),
    "at_will": ("at-will", "at will", "at-will employment", "probationary period", "termination"),
    "conditions": (
        "conditions",
        "conditions of employment",
        "i-9",
        "work authorization",
        "contingencies",
    ),
    "confidentiality": ("confidentiality", "confidential information", "non-disclosure"),
    "invention_notice": (
        "invention notice",
        "employee invention",
        "employee inventions",
        "inventions",
        "invention assignment",
        "section 2870",
        "2870",
    ),
    "non_solicitation": common.NON_SOLICITATION_SYNONYMS,
    "pay_notice": ("pay notice", "wage notice", "notice of pay", "195", "2810.5"),
    "governing_law": common.GOVERNING_LAW_SYNONYMS,
    "dtsa_notice": common.DTSA_SYNONYMS,
    "state_law": common.STATE_LAW_SYNONYMS,
    "general": ("general", "entire agreement", "expiry", "offer expiration", "boilerplate"),
    **common.NON_COMPETE_SYNONYMS,
}

EXPLANATIONS: dict[str, str] = {
    "position": "States the job title, manager, start date and work location, and the usual "
    "duties of full-time work and policy compliance.",
    "compensation": "States the base salary, paid on the regular payroll less withholdings, "
    "and that it may be reviewed.",
    "benefits": "Makes the employee eligible for the Company's benefit plans on their terms, "
    "which the Company may change, and paid time off under policy and law.",
    "at_will": "Makes the employment at will, endable by either side at any time, and says "
    "only a signed writing can change that. In Montana, where the Wrongful Discharge from "
    "Employment Act requires good cause after a probationary period, it states a probationary "
    "period instead.",
    "conditions": "Conditions the offer on the Form I-9 work-authorization check federal law "
    "requires within three business days of starting, and on signing the confidentiality and "
    "invention agreement; the candidate confirms no conflicting obligations.",
    "confidentiality": "Requires the employee to keep the Company's information confidential, "
    "while preserving the rights to discuss wages and working conditions, report to "
    "government agencies, and speak about sexual assault or harassment disputes.",
    "invention_notice": "States the limit the state's employee-invention statute puts on "
    "invention assignment (inventions made on the employee's own time, without Company "
    "resources, unrelated to its business); in California, Illinois, Minnesota and Washington "
    "the statute requires this written notice.",
    "non_solicitation": "Stops the employee, during employment and for a set period after, "
    "from poaching the Company's employees (and, if chosen, customers). Enforceability depends "
    "heavily on the governing law: in California only solicitation using confidential "
    "information can be restrained; in Illinois the employee must earn more than the statutory "
    "threshold and get 14 days and advice to consult counsel.",
    "pay_notice": "Points to the written pay notice the state requires at hire (California "
    "Labor Code § 2810.5, New York Labor Law § 195(1)).",
    "governing_law": "Chooses the governing law and courts; where that is not California law, "
    "it preserves California law and forum for an employee who lives and works there, as "
    "California Labor Code § 925 requires.",
    "dtsa_notice": "Gives the whistleblower immunity notice of the Defend Trade Secrets Act, "
    "without which exemplary damages and attorney fees under the Act cannot be recovered from "
    "an employee who misappropriates a trade secret.",
    "state_law": "Adds the sentences the governing state's law requires of an employee's "
    "confidentiality duties, such as carve-outs for disclosing unlawful workplace conduct.",
    "general": "Makes the letter the whole agreement, changeable only in a signed writing, and "
    "sets when the offer lapses if a date is given.",
}

KIND = Kind(
    doc_type=DOC_TYPE,
    order=ORDER,
    builders={
        "position": position,
        "compensation": compensation,
        "benefits": benefits,
        "at_will": at_will,
        "conditions": conditions,
        "confidentiality": confidentiality,
        "invention_notice": invention_notice,
        "non_solicitation": non_solicitation,
        "pay_notice": pay_notice,
        "governing_law": governing_law,
        "dtsa_notice": common.dtsa_notice,
        "state_law": business.state_law,
        "general": general,
        "non_compete": common.non_compete,
    },
    synonyms=SYNONYMS,
    explanations=EXPLANATIONS,
    title_for=title_for,
    roles=roles,
    party_names=two_parties,
    preamble=preamble,
    jurisdictional=frozenset({"invention_notice", "pay_notice", "state_law"}),
)
