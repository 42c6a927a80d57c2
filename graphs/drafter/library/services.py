"""The services agreement between a Client and a Provider: the services and deliverables,
acceptance, fees and payment, intellectual property, confidentiality, warranties, limitation of
liability, indemnity, independent-contractor status, term and termination, governing law and the
general terms, with the governing law's requirements (freelance-worker statutes where the
Provider is an individual, the limits on exculpatory and indemnity clauses, choice of law)."""

from __future__ import annotations

from graphs.drafter.jurisdictions import Authority
from graphs.drafter.library import business, common, states
from graphs.drafter.library.base import (
    DocType,
    Kind,
    LibraryClause,
    Params,
    TermsLike,
    bold_party,
    check_params,
    code_of,
    describe_days,
    effective,
    kind_of,
    make,
    term_text,
    text_term,
    two_parties,
    whole_number,
)

ROLES = business.Roles("Client", "Provider", "Client", "Provider", "the Services")

DOC_TYPE = DocType(
    key="services",
    title="Services Agreement",
    aliases=(
        "services agreement",
        "service agreement",
        "services contract",
        "service contract",
        "master services agreement",
        "professional services agreement",
        "msa",
    ),
    default_clauses=(
        "services",
        "deliverables",
        "acceptance",
        "fees",
        "payment",
        "freelance_protections",
        "intellectual_property",
        "confidentiality",
        "warranties",
        "limitation_of_liability",
        "indemnification",
        "independent_contractor",
        "term",
        "governing_law",
        "dtsa_notice",
        "state_law",
        "general",
    ),
    optional_clauses=("non_solicitation",),
    term_fields={
        "services": "The services the Provider performs, in the user's words.",
        "deliverables": "The deliverables the Provider delivers, in the user's words.",
        "fees": 'The fees, in the user\'s words ("USD 12,000 per month", "USD 150 per hour").',
        "payment_days": "Days after receiving an invoice within which Client pays (default 30).",
        "acceptance_days": "Days Client has to accept or reject a deliverable (default 10).",
        "notice_days": "Days of written notice to terminate for convenience (default 30).",
        "liability_cap": "Each party's liability cap, in the user's words (default: the fees "
        "paid and payable in the 12 months before the claim).",
        "survival_months": "Months the confidentiality duties survive the agreement (default 36).",
        "addresses": "Each party's mailing address by name ({name: address}); the freelance-"
        "worker statutes require them in the contract.",
    },
)

ORDER = (
    "services",
    "deliverables",
    "acceptance",
    "fees",
    "payment",
    "freelance_protections",
    "intellectual_property",
    "confidentiality",
    "warranties",
    "limitation_of_liability",
    "indemnification",
    "independent_contractor",
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
    return ("Client", "Provider")


def preamble(terms: TermsLike, first: str, second: str) -> str:
    return (
        f'This Services Agreement (the "Agreement") is entered into as of {effective(terms)} '
        f'(the "Effective Date") by and between {bold_party(terms, first)} ("Client") and '
        f'{bold_party(terms, second)} ("Provider"), each a "Party" and together the "Parties".'
    )


def services(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("services", params, ())
    described = text_term(terms, "services", "[services]")
    return make(
        "services",
        "Services",
        f'Provider shall perform the following services for Client (the "Services"): '
        f"{described}. Provider shall perform the Services (a) in a professional and "
        "workmanlike manner consistent with generally accepted industry standards; (b) with "
        "personnel who have the skills and qualifications the Services require; and (c) in "
        "compliance with applicable law. Additional or changed services require a written "
        "statement of work or change order signed by both Parties, which then forms part of this "
        "Agreement.",
    )


def deliverables(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("deliverables", params, ())
    described = text_term(terms, "deliverables", "[deliverables]")
    return make(
        "deliverables",
        "Deliverables",
        f'"Deliverables" means {described}, and any other work product that Provider delivers '
        "to Client under this Agreement. Provider shall deliver each Deliverable by the date the "
        "Parties agree in writing and shall keep Client reasonably informed of its progress and "
        "of anything likely to delay delivery.",
    )


def acceptance(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("acceptance", params, ())
    days = describe_days(whole_number(terms, "acceptance_days", 10, high=180))
    return make(
        "acceptance",
        "Acceptance",
        f"Within {days} after delivery of a Deliverable, Client shall either accept it or give "
        "Provider written notice describing in reasonable detail how it fails to conform to this "
        "Agreement. Provider shall correct the nonconformities and redeliver the Deliverable "
        "within the same period, after which this procedure applies again. If a Deliverable "
        "still does not conform after two redeliveries, Client may terminate this Agreement for "
        "that Deliverable and recover the Fees paid for it. A Deliverable is accepted when "
        "Client accepts it in writing, uses it in the ordinary course of its business, or gives "
        "no notice within that period.",
    )


def fees(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("fees", params, ())
    amount = text_term(terms, "fees", "[fees]")
    return make(
        "fees",
        "Fees",
        f'In consideration of the Services, Client shall pay Provider {amount} (the "Fees"). '
        "The Fees cover all of Provider's costs of performing the Services; Client shall "
        "reimburse only expenses it approves in writing in advance, at cost and against "
        "receipts.",
    )


def payment(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("payment", params, ())
    days = describe_days(whole_number(terms, "payment_days", 30, high=180))
    return make(
        "payment",
        "Payment Terms",
        "Provider shall invoice Client monthly in arrears for the Fees earned and approved "
        f"expenses incurred in the previous month. Client shall pay each invoice within {days} "
        "after receiving it. Client may withhold an amount it disputes in good faith by written "
        "notice before the due date stating its reasons, and shall pay the rest; the Parties "
        "shall work in good faith to resolve the dispute promptly. Amounts not paid when due "
        "bear interest at the lesser of one percent (1%) per month and the highest rate the law "
        "allows. The Fees exclude sales, use, value-added and similar taxes, which Client shall "
        "pay, other than taxes on Provider's income.",
    )


def freelance_protections(terms: TermsLike, params: Params) -> LibraryClause | None:
    """Only where the Provider is an individual (the statutes protect individuals and
    one-person organisations) and the governing law has a freelance-worker statute."""
    provider = two_parties(terms)[1]
    if kind_of(terms, provider) != "individual":
        check_params("freelance_protections", params, ())
        return None
    return business.freelance(terms, params, ROLES, pay_clause="Payment Terms")


def intellectual_property(terms: TermsLike, params: Params) -> LibraryClause:
    return business.ownership(
        terms,
        params,
        ROLES,
        clause_id="intellectual_property",
        heading="Intellectual Property",
        term="Deliverables",
    )


def confidentiality(terms: TermsLike, params: Params) -> LibraryClause:
    return business.confidentiality(terms, params, ROLES, mutual=True)


def warranties(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("warranties", params, ())
    return make(
        "warranties",
        "Warranties",
        "Provider warrants that (a) the Services will be performed as the clause headed Services "
        "requires; (b) each Deliverable will conform in all material respects to this Agreement "
        "for ninety (90) days after its acceptance; and (c) the Deliverables, and Client's use "
        "of them as this Agreement permits, will not infringe or misappropriate any third "
        "party's intellectual property rights. For a breach of (a) or (b), Provider shall, at "
        "its option and expense, re-perform the Services or correct the Deliverable, or, if it "
        "cannot do so within a reasonable time, refund the Fees paid for the nonconforming part. "
        "Each Party warrants that it has the authority to enter into this Agreement. EXCEPT AS "
        "THIS AGREEMENT EXPRESSLY STATES, NEITHER PARTY MAKES ANY OTHER WARRANTY, EXPRESS OR "
        "IMPLIED, INCLUDING ANY IMPLIED WARRANTY OF MERCHANTABILITY, FITNESS FOR A PARTICULAR "
        "PURPOSE OR NON-INFRINGEMENT.",
    )


def limitation_of_liability(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("limitation_of_liability", params, ())
    cap = text_term(
        terms,
        "liability_cap",
        "the Fees paid and payable under this Agreement in the twelve (12) months before the "
        "event giving rise to the claim",
    )
    code = code_of(terms)
    cited: list[Authority] = [states.LIABILITY[code]] if code in states.LIABILITY else []
    return make(
        "limitation_of_liability",
        "Limitation of Liability",
        "(a) NEITHER PARTY IS LIABLE TO THE OTHER FOR ANY INDIRECT, INCIDENTAL, SPECIAL, "
        "CONSEQUENTIAL, EXEMPLARY OR PUNITIVE DAMAGES, OR FOR LOST PROFITS OR REVENUE, ARISING "
        "OUT OF THIS AGREEMENT, EVEN IF ADVISED OF THEIR POSSIBILITY. (b) EACH PARTY'S TOTAL "
        f"LIABILITY ARISING OUT OF THIS AGREEMENT IS LIMITED TO {cap.upper()}. (c) Paragraphs "
        "(a) and (b) do not apply to a Party's breach of the clause headed Confidentiality, its "
        "obligations under the clause headed Indemnification, its gross negligence, fraud or "
        "willful misconduct, or Client's obligation to pay the Fees.",
        cited,
    )


def indemnification(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("indemnification", params, ())
    text = (
        "(a) Provider shall defend Client and its officers, directors and employees against any "
        "third-party claim alleging that the Deliverables, or Client's use of them as this "
        "Agreement permits, infringe or misappropriate that third party's intellectual property "
        "rights, or arising from Provider's gross negligence or willful misconduct, and shall "
        "pay the damages, costs and reasonable attorneys' fees finally awarded or agreed in "
        "settlement. Provider has no obligation for a claim caused by materials Client provided "
        "or by Client's modification of a Deliverable. (b) Client shall defend Provider and its "
        "officers, directors and employees against any third-party claim arising from materials "
        "Client provides for use in the Services, and shall pay the amounts finally awarded or "
        "agreed in settlement. (c) The indemnified Party shall give the indemnifying Party "
        "prompt written notice of the claim, sole control of its defense and settlement (but no "
        "settlement may impose any obligation or admission on the indemnified Party without its "
        "consent), and reasonable cooperation at the indemnifying Party's expense."
    )
    cited: list[Authority] = []
    if code_of(terms) == "TX":
        text += (
            " NEITHER PARTY IS REQUIRED BY THIS CLAUSE TO INDEMNIFY THE OTHER FOR THE OTHER'S "
            "OWN NEGLIGENCE."
        )
        cited.append(states.TEXAS_INDEMNITY)
    return make("indemnification", "Indemnification", text, cited)


def independent_contractor(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("independent_contractor", params, ())
    return make(
        "independent_contractor",
        "Independent Contractor",
        "Provider is an independent contractor. Nothing in this Agreement creates a partnership, "
        "joint venture, agency or employment relationship, and neither Party may bind the other. "
        "Provider controls the manner and means of performing the Services, furnishes its own "
        "tools and equipment, and is solely responsible for its personnel, their supervision and "
        "compensation, and all taxes, withholdings, benefits and insurance relating to them.",
    )


def non_solicitation(terms: TermsLike, params: Params) -> LibraryClause:
    return common.non_solicitation(
        terms, params, common.Sides("neither Party shall", "the other Party", "this Agreement")
    )


def term(terms: TermsLike, params: Params) -> LibraryClause:
    check_params("term", params, ())
    notice = describe_days(whole_number(terms, "notice_days", 30, high=365))
    return make(
        "term",
        "Term and Termination",
        f"This Agreement begins on the Effective Date and continues for {term_text(terms)}, "
        "unless terminated earlier under this clause. Either Party may terminate it (a) for "
        f"convenience, by written notice to the other given at least {notice} in advance; or (b) on written notice if the "
        "other Party materially breaches it and does not cure the breach within thirty (30) days "
        "after receiving notice describing it. On termination, Client shall pay the Fees for "
        "Services performed and Deliverables accepted up to the termination date, and Provider "
        "shall deliver all work in progress that Client has paid for. Provisions that by their "
        "nature should survive termination, including accrued payment obligations, intellectual "
        "property, confidentiality, warranties, limitation of liability and indemnification, "
        "survive it.",
    )


def governing_law(terms: TermsLike, params: Params) -> LibraryClause:
    return business.governing_law(terms, params, personal=False)


def general(terms: TermsLike, params: Params) -> LibraryClause:
    return business.general(terms, params, ROLES, personal=False)


SYNONYMS: dict[str, tuple[str, ...]] = {
    "services": ("services", "scope of services", "scope of work", "scope", "statement of work"),
    "deliverables": ("deliverables", "deliverable", "delivery"),
    "acceptance": ("acceptance", "acceptance testing", "rejection"),
    "fees": ("fees", "fee", "price", "pricing", "rates", "compensation"),
    "payment": (
        "payment terms",
        "payment",
        "payments",
        "invoicing",
        "invoices",
        "late payment",
        "taxes",
    ),
    "freelance_protections": (
        "freelance worker protections",
        "freelance",
        "freelancer",
        "freelance isn't free",
    ),
    "intellectual_property": (
        "intellectual property",
        "ip",
        "ip ownership",
        "ownership",
        "ip assignment",
        "work made for hire",
        "work for hire",
    ),
    "confidentiality": (
        "confidentiality",
        "confidential information",
        "non-disclosure",
        "nondisclosure",
        "survival",
        "survive",
    ),
    "warranties": ("warranties", "warranty", "disclaimer", "representations"),
    "limitation_of_liability": (
        "limitation of liability",
        "limitations of liability",
        "liability cap",
        "cap on liability",
        "liability",
        "consequential damages",
    ),
    "indemnification": ("indemnification", "indemnity", "indemnities", "indemnify", "defend"),
    "independent_contractor": (
        "independent contractor",
        "contractor status",
        "relationship of the parties",
        "classification",
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
    "services": "Describes what Provider will do and the standard it must meet (professional, "
    "qualified staff, lawful), and requires a signed statement of work or change order for "
    "anything more, so scope creep is priced and agreed.",
    "deliverables": "Defines the Deliverables, the things Provider hands over, and requires "
    "delivery on the agreed dates with progress updates.",
    "acceptance": "Gives Client a set period to accept or reject each Deliverable with reasons, "
    "Provider a chance to fix it, and Client an exit after two failed attempts; silence or use "
    "counts as acceptance so payment is not held up indefinitely.",
    "fees": "States the price and makes it all-inclusive, with expenses reimbursed only when "
    "approved in advance.",
    "payment": "Sets invoicing and the payment deadline, lets Client withhold only what it "
    "disputes in good faith, adds interest on late payment and allocates sales taxes to Client.",
    "freelance_protections": "Where the Provider is an individual freelancer, states the terms "
    "the state's freelance-worker statute requires in writing (addresses, services, pay, "
    "payment date, invoicing date) and its rule of payment within 30 days without conditions.",
    "intellectual_property": "Gives Client ownership of the Deliverables while Provider keeps "
    "its pre-existing tools and know-how, licensed to Client as far as built into the "
    "Deliverables. Outside California it also designates works made for hire; in California it "
    "relies on assignment alone, because a work-made-for-hire clause can make an individual an "
    "employee for state insurance purposes.",
    "confidentiality": "Both parties keep each other's confidential information secret and use "
    "it only for this agreement, with the usual exclusions, compelled-disclosure and "
    "whistleblower carve-outs, for a stated period after the agreement ends (trade secrets as "
    "long as they stay secret).",
    "warranties": "Provider promises workmanlike services, conforming Deliverables for 90 days "
    "and no infringement, with re-performance or a refund as the remedy; all other warranties "
    "are disclaimed in capitals so the disclaimer is conspicuous.",
    "limitation_of_liability": "Excludes indirect and consequential damages and caps each "
    "party's liability, but not for confidentiality breaches, indemnities, gross negligence, "
    "fraud, willful misconduct or unpaid fees, which many states will not let a contract "
    "limit anyway.",
    "indemnification": "Provider defends Client against third-party IP claims about the "
    "Deliverables and claims from its gross negligence or willful misconduct; Client defends "
    "Provider against claims about materials Client supplies; with the usual notice, control "
    "and cooperation procedure.",
    "independent_contractor": "Records that Provider is an independent business, not an "
    "employee, partner or agent, and bears its own staff, taxes and insurance.",
    "non_solicitation": "Stops each party, for a set period, from poaching the other's "
    "employees (and, if chosen, customers) met through the engagement. How far such a covenant "
    "is enforceable depends heavily on the governing law.",
    "term": "Sets how long the agreement lasts, lets either party end it on notice or for an "
    "uncured material breach, settles payment for work done, and keeps the clauses that must "
    "outlive it.",
    "governing_law": "Chooses the state whose law governs the agreement and the courts where "
    "disputes may be brought (non-exclusively); some states' statutes make that choice "
    "enforceable above a contract value.",
    "dtsa_notice": "Gives the whistleblower immunity notice of the Defend Trade Secrets Act, "
    "without which exemplary damages and attorney fees under the Act cannot be recovered from "
    "an individual contractor who misappropriates a trade secret.",
    "state_law": "Adds the sentences the governing state's law requires of an agreement with "
    "confidentiality duties, such as carve-outs for disclosing unlawful workplace conduct.",
    "general": "Standard terms: entire agreement, written amendments, assignment, notices, "
    "force majeure, severability and electronic counterparts.",
}

KIND = Kind(
    doc_type=DOC_TYPE,
    order=ORDER,
    builders={
        "services": services,
        "deliverables": deliverables,
        "acceptance": acceptance,
        "fees": fees,
        "payment": payment,
        "freelance_protections": freelance_protections,
        "intellectual_property": intellectual_property,
        "confidentiality": confidentiality,
        "warranties": warranties,
        "limitation_of_liability": limitation_of_liability,
        "indemnification": indemnification,
        "independent_contractor": independent_contractor,
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
    jurisdictional=frozenset({"freelance_protections", "state_law"}),
)
