"""The consulting agreement between a Company and a Consultant: the services, compensation and
expenses, independent-contractor status (with the ABC test where the governing law applies one),
work product and invention assignment (with the employee-invention notice where a statute limits
assignment), confidentiality, an optional non-solicitation covenant, term and governing law, and
the freelance-worker terms in New York, Illinois and California."""

from __future__ import annotations

from graphs.drafter.library import business, common
from graphs.drafter.library.base import (
    DocType,
    Kind,
    LibraryClause,
    Params,
    TermsLike,
    bold_party,
    check_params,
    describe_days,
    effective,
    make,
    term_text,
    text_term,
    two_parties,
    whole_number,
)

ROLES = business.Roles("the Company", "the Consultant", "Company", "Consultant", "the Services")

DOC_TYPE = DocType(
    key="consulting",
    title="Consulting Agreement",
    aliases=(
        "consulting agreement",
        "consultancy agreement",
        "consultant agreement",
        "consulting contract",
        "consulting services agreement",
        "independent contractor agreement",
        "contractor agreement",
        "freelance agreement",
        "freelancer agreement",
        "freelance contract",
    ),
    default_clauses=(
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
    ),
    optional_clauses=("non_solicitation",),
    term_fields={
        "services": "The consulting services, in the user's words.",
        "compensation": "The Consultant's pay, in the user's words (\"USD 200 per hour\", "
        '"USD 8,000 per month").',
        "payment_days": "Days after receiving an invoice within which the Company pays "
        "(default 30).",
        "notice_days": "Days of written notice to terminate for convenience (default 14).",
        "survival_months": "Months the confidentiality duties survive the agreement (default 36).",
        "addresses": "Each party's mailing address by name ({name: address}); the freelance-"
        "worker statutes of NY, IL and CA require them in the contract.",
    },
)

ORDER = (
    "services",
    "compensation",
    "expenses",
    "freelance_protections",
    "independent_contractor",
    "work_product",
    "invention_notice",
    "confidentiality",
    "non_solicitation",
    "term",
    "governing_law",
    "dtsa_notice",
    "state_law",
    "general",
)


def title_for(terms: TermsLike) -> str:
    return DOC_TYPE.title


def roles(terms: TermsLike) -> tuple[str, str]:
    return ("Company", "Consultant")


def preamble(terms: TermsLike, first: str, second: str) -> str:
    return (
        f'This Consulting Agreement (the "Agreement") is entered into as of {effective(terms)} '
        f'(the "Effective Date") by and between {bold_party(terms, first)} (the "Company") and '
        f'{bold_party(terms, second)} (the "Consultant"), each a "Party" and together the '
        '"Parties".'
    )


def services(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("services", params, ())
    described = text_term(terms, "services", "[services]")
    return make(
        "services",
        "Services",
        f"The Consultant shall provide the following consulting services to the Company (the "
        f'"Services"): {described}. The Consultant shall perform the Services diligently, '
        "professionally and in compliance with applicable law, and determines the method, "
        "details, means, time and place of performing them. Changes to the Services require a "
        "writing signed by both Parties.",
    )


def compensation(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("compensation", params, ())
    pay = text_term(terms, "compensation", "[compensation]")
    days = describe_days(whole_number(terms, "payment_days", 30, high=180))
    return make(
        "compensation",
        "Compensation",
        f"The Company shall pay the Consultant {pay} for the Services. The Consultant shall "
        "invoice the Company monthly in arrears, listing the Services rendered (and, for hourly "
        f"work, the hours spent), and the Company shall pay each invoice within {days} after "
        "receiving it. This is the Consultant's entire compensation: the Consultant is not "
        "eligible for any salary, bonus, equity or employee benefit of the Company.",
    )


def expenses(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("expenses", params, ())
    return make(
        "expenses",
        "Expenses",
        "The Company shall reimburse the Consultant's reasonable, documented out-of-pocket "
        "expenses incurred in performing the Services that the Company approves in writing in "
        "advance. The Consultant shall submit them with its invoices, itemized and with receipts, "
        "and the Company shall pay them with those invoices. The Consultant bears all other costs "
        "of performing the Services.",
    )


def freelance_protections(terms: TermsLike, params: Params) -> LibraryClause | None:
    return business.freelance(terms, params, ROLES, pay_clause="Compensation")


def independent_contractor(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("independent_contractor", params, ())
    abc, cited = business.classification(terms, ROLES)
    return make(
        "independent_contractor",
        "Independent Contractor",
        "The Consultant is an independent contractor, not an employee, partner or agent of the "
        "Company, and shall not hold itself out as one. The Consultant (a) controls the manner "
        "and means of performing the Services; (b) provides its own equipment; (c) may provide "
        "services to others while this Agreement is in effect, subject to the clause headed "
        "Confidentiality; (d) is solely responsible for all taxes, withholdings, insurance and "
        "benefits for itself and any personnel it uses; and (e) has no authority to bind the "
        f"Company.{abc}",
        cited,
    )


def work_product(terms: TermsLike, params: Params) -> LibraryClause:
    clause = business.ownership(
        terms,
        params,
        ROLES,
        clause_id="work_product",
        heading="Work Product and Inventions",
        term="Work Product",
    )
    clause["text"] = (
        '"Work Product" means all deliverables, inventions, discoveries, works of authorship, '
        "designs, software, data and other results that the Consultant makes, conceives or "
        "reduces to practice, alone or with others, in performing the Services. The Consultant "
        "shall promptly disclose all Work Product to the Company in writing. " + clause["text"]
    )
    return clause


def invention_notice(terms: TermsLike, params: Params) -> LibraryClause | None:
    return business.invention_notice(terms, params, ROLES)


def confidentiality(terms: TermsLike, params: Params) -> LibraryClause:
    return business.confidentiality(terms, params, ROLES, mutual=False)


def non_solicitation(terms: TermsLike, params: Params) -> LibraryClause:
    return common.non_solicitation(
        terms, params, common.Sides("the Consultant shall not", "the Company", "the Services")
    )


def term(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("term", params, ())
    notice = describe_days(whole_number(terms, "notice_days", 14, high=365))
    return make(
        "term",
        "Term and Termination",
        f"This Agreement begins on the Effective Date and continues for {term_text(terms)}, "
        "unless terminated earlier under this clause. Either Party may terminate it (a) for "
        f"convenience, by written notice to the other given at least {notice} in advance; or (b) on written notice if the "
        "other Party materially breaches it and does not cure the breach within ten (10) days "
        "after receiving notice describing it. On termination, the Company shall pay for the "
        "Services performed and approved expenses incurred up to the termination date, and the "
        "Consultant shall deliver all Work Product, including work in progress, and return all "
        "Company property and Confidential Information. The clauses headed Work Product and "
        "Inventions and Confidentiality, and any other provision that by its nature should "
        "survive, survive termination.",
    )


def governing_law(terms: TermsLike, params: Params) -> LibraryClause:
    return business.governing_law(terms, params, personal=True)


def general(terms: TermsLike, params: Params) -> LibraryClause:
    return business.general(terms, params, ROLES, personal=True)


SYNONYMS: dict[str, tuple[str, ...]] = {
    "services": ("services", "consulting services", "scope of services", "scope of work", "scope"),
    "compensation": ("compensation", "fees", "fee", "rate", "rates", "pay", "payment", "invoices"),
    "expenses": ("expenses", "expense reimbursement", "reimbursement", "costs"),
    "freelance_protections": (
        "freelance worker protections",
        "freelance",
        "freelancer",
        "freelance isn't free",
    ),
    "independent_contractor": (
        "independent contractor",
        "contractor status",
        "relationship of the parties",
        "classification",
        "abc test",
        "misclassification",
    ),
    "work_product": (
        "work product",
        "work product and inventions",
        "invention assignment",
        "ip assignment",
        "intellectual property",
        "ip",
        "ownership",
        "work made for hire",
        "work for hire",
        "inventions",
    ),
    "invention_notice": (
        "invention notice",
        "employee invention",
        "employee inventions",
        "section 2870",
        "2870",
        "notice of employee invention rights",
    ),
    "confidentiality": (
        "confidentiality",
        "confidential information",
        "non-disclosure",
        "nondisclosure",
        "survival",
        "survive",
    ),
    "non_solicitation": common.NON_SOLICITATION_SYNONYMS,
    "term": ("term and termination", "termination", "term", "duration"),
    "governing_law": common.GOVERNING_LAW_SYNONYMS,
    "dtsa_notice": common.DTSA_SYNONYMS,
    "state_law": common.STATE_LAW_SYNONYMS,
    "general": (
        "general",
        "boilerplate",
        "miscellaneous",
        "entire agreement",
        "assignment",
        "notices",
    ),
    **common.NON_COMPETE_SYNONYMS,
}

EXPLANATIONS: dict[str, str] = {
    "services": "Describes the consulting services and leaves the Consultant in charge of how, "
    "when and where they are done, as an independent contractor should be.",
    "compensation": "States the Consultant's pay, monthly invoicing with the services listed, "
    "the payment deadline, and that there are no employee benefits.",
    "expenses": "Reimburses only reasonable expenses approved in advance and documented; the "
    "Consultant bears its other costs.",
    "freelance_protections": "States the terms the state's freelance-worker statute requires in "
    "a written contract (addresses, services, pay, payment date, invoicing date) and its rule of "
    "payment within 30 days of completion without conditions or retaliation.",
    "independent_contractor": "Records that the Consultant is an independent business, not an "
    "employee: it controls its work, uses its own tools, may work for others and pays its own "
    "taxes. Where the state applies the ABC test (California, Massachusetts, New Jersey), it "
    "records the three facts the test requires; the Company must make sure they are true, since "
    "labels alone do not decide classification.",
    "work_product": "Gives the Company ownership of everything the Consultant creates in the "
    "Services, while the Consultant keeps its pre-existing tools and know-how (licensed to the "
    "Company as far as built in). Outside California it also designates works made for hire; in "
    "California it relies on assignment alone, because a work-made-for-hire clause can make an "
    "individual an employee for state insurance purposes.",
    "invention_notice": "States the limit that the state's employee-invention statute puts on "
    "invention assignment (inventions made on one's own time, without the Company's resources, "
    "unrelated to its business). It protects the assignment if the Consultant is ever found to "
    "be an employee; in California, Illinois, Minnesota and Washington the statute requires "
    "this written notice.",
    "confidentiality": "The Consultant keeps the Company's confidential information secret and "
    "uses it only for the Services, with the usual exclusions, compelled-disclosure and "
    "whistleblower carve-outs, for a stated period after the agreement ends (trade secrets as "
    "long as they stay secret), and returns it at the end.",
    "non_solicitation": "Stops the Consultant, for a set period, from poaching the Company's "
    "employees (and, if chosen, customers) met through the engagement. How far such a covenant "
    "is enforceable depends heavily on the governing law.",
    "term": "Sets how long the engagement lasts, lets either party end it on notice or for an "
    "uncured material breach, settles payment for work done and requires the Work Product and "
    "Company property to be handed back.",
    "governing_law": "Chooses the state whose law governs the agreement and the courts where "
    "disputes may be brought (non-exclusively).",
    "dtsa_notice": "Gives the whistleblower immunity notice of the Defend Trade Secrets Act, "
    "without which exemplary damages and attorney fees under the Act cannot be recovered from a "
    "consultant who misappropriates a trade secret.",
    "state_law": "Adds the sentences the governing state's law requires of an agreement with "
    "confidentiality duties, such as carve-outs for disclosing unlawful workplace conduct.",
    "general": "Standard terms: entire agreement, written amendments, no assignment or "
    "subcontracting by the Consultant, notices, force majeure, severability and electronic "
    "counterparts.",
}

KIND = Kind(
    doc_type=DOC_TYPE,
    order=ORDER,
    builders={
        "services": services,
        "compensation": compensation,
        "expenses": expenses,
        "freelance_protections": freelance_protections,
        "independent_contractor": independent_contractor,
        "work_product": work_product,
        "invention_notice": invention_notice,
        "confidentiality": confidentiality,
        "non_solicitation": non_solicitation,
        "term": term,
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
    jurisdictional=frozenset({"freelance_protections", "invention_notice", "state_law"}),
)
