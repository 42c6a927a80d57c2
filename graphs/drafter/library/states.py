"""Jurisdiction-specific law for the services and consulting agreements (the NDA's is in
``graphs/drafter/jurisdictions.py``): freelance-worker statutes, employee-invention statutes, the
ABC tests of worker classification, the work-made-for-hire trap in California, and the
choice-of-law statutes. Each entry is an ``Authority`` cited by the clause that relies on it.

Cited only where the statute and its section are certain; where a statute's section range was not
certain it is cited by article, chapter or "et seq." from its first section.
"""

from __future__ import annotations

from graphs.drafter.jurisdictions import Authority

# --- freelance-worker statutes: a written contract with set contents, payment on time --------

FREELANCE: dict[str, tuple[Authority, ...]] = {
    "NY": (
        Authority(
            "New York Freelance Isn't Free Act",
            "N.Y. Gen. Bus. Law art. 44-A",
            "For freelance workers (individuals and one-person organizations engaged as "
            "independent contractors for $800 or more, alone or over 120 days) New York requires "
            "a written contract stating the parties' names and mailing addresses, the services, "
            "their value, the rate and method of compensation, the payment date and the date for "
            "submitting the list of services (§ 1412), and payment in full by that date or within "
            "30 days after completion, without retaliation.",
        ),
        Authority(
            "New York City Freelance Isn't Free Act",
            "N.Y.C. Admin. Code §§ 20-927 to 20-936",
            "New York City imposes the same written-contract (§ 20-928) and timely-payment "
            "(§ 20-929) duties for freelance work of $800 or more, enforced by the City's "
            "Department of Consumer and Worker Protection and in the courts.",
        ),
    ),
    "IL": (
        Authority(
            "Illinois Freelance Worker Protection Act",
            "820 ILCS 193",
            "For freelance workers paid $500 or more (alone or over 120 days) by an entity "
            "located in Illinois, requires a written contract with the parties' contact details "
            "and the entity's mailing address, the services, their value, the rate and method of "
            "compensation and a payment date no later than 30 days after the work (§ 15), and "
            "forbids making timely payment conditional on accepting less (§ 10).",
        ),
    ),
    "CA": (
        Authority(
            "California Freelance Worker Protection Act",
            "Cal. Bus. & Prof. Code § 18100 et seq.",
            "For freelance workers engaged for professional services of $250 or more (alone or "
            "over 120 days), California requires a written contract with the parties' names and "
            "mailing addresses, the services, their value, the rate and method of compensation, "
            "the payment date and the date for submitting the list of services, payment by that "
            "date or within 30 days after completion, and forbids conditioning timely payment on "
            "accepting less, doing more or granting more intellectual property rights.",
        ),
    ),
}

#: How the freelance clause names each jurisdiction's statutes.
FREELANCE_NAMES: dict[str, str] = {
    "NY": "Article 44-A of the New York General Business Law and, where it applies, Chapter 10 "
    "of Title 20 of the New York City Administrative Code",
    "IL": "the Illinois Freelance Worker Protection Act (820 ILCS 193)",
    "CA": "the California Freelance Worker Protection Act (California Business and Professions "
    "Code section 18100 and following)",
}

# --- employee-invention statutes --------------------------------------------------------------

#: Statutes limiting what an employee can be required to assign, each with the provision that
#: requires the employer to give written notice of the limit when the agreement is made (None
#: where the statute requires no notice).
INVENTIONS: dict[str, tuple[Authority, str | None]] = {
    "CA": (
        Authority(
            "California Labor Code §§ 2870–2872",
            "Cal. Lab. Code §§ 2870–2872",
            "An employee invention-assignment provision cannot reach inventions developed "
            "entirely on the employee's own time without the employer's equipment, supplies, "
            "facilities or trade secrets, unless they relate to the employer's business or "
            "research or result from the employee's work (§ 2870), and the employer must give "
            "written notice of that limit (§ 2872).",
        ),
        "California Labor Code section 2872",
    ),
    "DE": (
        Authority(
            "Delaware employee inventions statute",
            "Del. Code Ann. tit. 19, § 805",
            "Limits employee invention-assignment provisions in the same way (own time, no "
            "employer resources, unrelated to the employer's business or work).",
        ),
        None,
    ),
    "IL": (
        Authority(
            "Illinois Employee Patent Act",
            "765 ILCS 1060/2",
            "Limits employee invention-assignment provisions to inventions made with the "
            "employer's resources, related to its business or resulting from the employee's "
            "work, and requires written notice of the limit when the agreement is made.",
        ),
        "Section 2 of the Illinois Employee Patent Act (765 ILCS 1060/2)",
    ),
    "KS": (
        Authority(
            "Kansas employee inventions statute",
            "Kan. Stat. Ann. § 44-130",
            "Limits employee invention-assignment provisions (own time, no employer resources, "
            "unrelated to the employer's business or work).",
        ),
        None,
    ),
    "MN": (
        Authority(
            "Minnesota employee inventions statute",
            "Minn. Stat. § 181.78",
            "Limits employee invention-assignment provisions and requires written notice of the "
            "limit when the agreement is made.",
        ),
        "Minnesota Statutes section 181.78",
    ),
    "NC": (
        Authority(
            "North Carolina employee inventions statute",
            "N.C. Gen. Stat. § 66-57.1",
            "Makes employee invention-assignment provisions unenforceable for inventions "
            "developed on the employee's own time without the employer's resources and unrelated "
            "to its business or the employee's work.",
        ),
        None,
    ),
    "NJ": (
        Authority(
            "New Jersey employee inventions statute",
            "N.J. Stat. Ann. § 34:1B-265",
            "Makes employee invention-assignment provisions unenforceable for inventions "
            "developed on the employee's own time without the employer's resources and unrelated "
            "to its business or the employee's work.",
        ),
        None,
    ),
    "NY": (
        Authority(
            "New York Labor Law § 203-f",
            "N.Y. Lab. Law § 203-f",
            "Since 2023, makes employee invention-assignment provisions unenforceable for "
            "inventions developed entirely on the employee's own time without the employer's "
            "equipment, supplies, facilities or trade secrets, unless related to the employer's "
            "business or research or resulting from the employee's work.",
        ),
        None,
    ),
    "WA": (
        Authority(
            "Washington employee inventions statute",
            "Wash. Rev. Code § 49.44.140",
            "Limits employee invention-assignment provisions and requires written notice of the "
            "limit when the agreement is made.",
        ),
        "RCW 49.44.140",
    ),
}

#: Why a consulting agreement carries the notice, added to the statute's reason.
CONSULTANT_NOTICE = (
    "The Consultant is engaged as a contractor, but a consultant can be found to be an employee "
    "(in California under the ABC test of Cal. Lab. Code § 2775), so the clause is included to "
    "keep the assignment enforceable then."
)

# --- worker classification: the ABC tests -----------------------------------------------------

ABC_TESTS: dict[str, tuple[str, tuple[Authority, ...]]] = {
    "CA": (
        "California Labor Code section 2775",
        (
            Authority(
                "California worker classification (ABC test)",
                "Cal. Lab. Code § 2775 et seq.",
                "A person providing services for pay is an employee unless the hiring entity "
                "shows (A) freedom from its control and direction, (B) work outside the usual "
                "course of its business and (C) an independently established trade or business "
                "of the same nature (§ 2775(b)(1); Dynamex Operations West, Inc. v. Superior "
                "Court, 4 Cal. 5th 903 (2018)); the clause records the facts each prong needs, "
                "which the Company must make true.",
            ),
        ),
    ),
    "MA": (
        "Massachusetts General Laws chapter 149, section 148B",
        (
            Authority(
                "Massachusetts independent contractor law (ABC test)",
                "Mass. Gen. Laws ch. 149, § 148B",
                "An individual performing a service is an employee unless (1) free from control "
                "and direction, under the contract and in fact, (2) the service is outside the "
                "usual course of the employer's business, and (3) the individual is customarily "
                "engaged in an independently established trade of the same nature; the clause "
                "records the facts each prong needs, which the Company must make true.",
            ),
        ),
    ),
    "NJ": (
        "New Jersey Statutes section 43:21-19(i)(6)",
        (
            Authority(
                "New Jersey worker classification (ABC test)",
                "N.J. Stat. Ann. § 43:21-19(i)(6)(A)–(C)",
                "Services for pay are employment unless the worker is free from control, the "
                "service is outside the usual course or places of business of the enterprise, "
                "and the worker is customarily engaged in an independently established trade; "
                "New Jersey applies the test to wage claims as well; the clause records the "
                "facts each prong needs, which the Company must make true.",
            ),
        ),
    ),
}

# --- intellectual property ---------------------------------------------------------------------

WORK_FOR_HIRE = Authority(
    "Copyright Act, works made for hire",
    "17 U.S.C. §§ 101, 201(b)",
    "A commissioned work is a work made for hire, owned by the commissioning party from "
    "creation, only if it falls in one of the nine categories of § 101 and the parties agree so "
    "in a signed writing; everything else passes only by assignment, so the clause does both.",
)
CAL_WORK_FOR_HIRE = Authority(
    "California Labor Code § 3351.5(c); Unemployment Insurance Code § 686",
    "Cal. Lab. Code § 3351.5(c); Cal. Unemp. Ins. Code § 686",
    "In California, a person engaged under a contract that calls a commissioned work a "
    '"work made for hire" is an employee for workers\' compensation, and the commissioning '
    "party an employer for unemployment insurance; the clause therefore takes ownership by "
    "assignment only and never uses the work-made-for-hire designation.",
)

# --- limitation of liability and indemnity ----------------------------------------------------

LIABILITY: dict[str, Authority] = {
    "CA": Authority(
        "California Civil Code § 1668",
        "Cal. Civ. Code § 1668",
        "Contracts exempting anyone from responsibility for their own fraud, willful injury or "
        "violation of law are void in California, so the limits of liability carve out fraud and "
        "willful misconduct.",
    ),
    "NY": Authority(
        "New York public policy on exculpatory clauses",
        "Kalisch-Jarcho, Inc. v. City of New York, 58 N.Y.2d 377 (1983)",
        "New York does not enforce a limitation of liability against gross negligence or willful "
        "misconduct, so the limits carve them out.",
    ),
}
TEXAS_INDEMNITY = Authority(
    "Texas express negligence and fair notice doctrines",
    "Ethyl Corp. v. Daniel Constr. Co., 725 S.W.2d 705 (Tex. 1987); Dresser Indus., Inc. v. "
    "Page Petroleum, Inc., 853 S.W.2d 505 (Tex. 1993)",
    "Texas enforces indemnity for the indemnitee's own negligence only if the contract says so "
    "expressly and conspicuously; the clause says it does not, so neither Party is surprised.",
)

# --- choice of law ----------------------------------------------------------------------------

CHOICE_OF_LAW: dict[str, Authority] = {
    "NY": Authority(
        "New York General Obligations Law § 5-1401",
        "N.Y. Gen. Oblig. Law § 5-1401",
        "The parties' choice of New York law is enforceable without any other New York contact in "
        "transactions of $250,000 or more (not contracts for labor or personal services); below "
        "that, the choice needs a reasonable relation to New York.",
    ),
    "DE": Authority(
        "Delaware choice-of-law statute",
        "Del. Code Ann. tit. 6, § 2708",
        "A written choice of Delaware law in a contract involving $100,000 or more is "
        "conclusively presumed a significant, material and reasonable relationship with Delaware "
        "and is enforceable; below that, the choice needs such a relationship.",
    ),
}
