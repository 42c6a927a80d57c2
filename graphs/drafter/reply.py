"""The assistant's replies: what a turn changed in the draft, in sentences a lawyer would read.

Pattern: "Drafted a mutual NDA (version 1)." or "Updated the NDA to version N.", then one sentence
per change ("Governing law is now California; added the California Uniform Trade Secrets Act (Cal.
Civ. Code §§ 3426–3426.11) to the citations…", "Term set to 2 years (24 months)."), then "Still
open (placeholders in the draft): …" for anything not agreed yet.
"""

from __future__ import annotations

from graphs.drafter.document import long_date, party_names, short_term
from graphs.drafter.jurisdictions import BY_CODE
from graphs.drafter.state import Terms

HELP = (
    "I draft non-disclosure agreements (NDAs) under the law of any US state or DC. Tell me what "
    'you need, for example: "I need to draft an NDA", "make it one-way", "between Acme Corp and '
    'Beta LLC", "for California jurisdiction", "add a 2-year term", "effective January 1, 2026", '
    '"for the purpose of evaluating a merger".'
)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _kind(terms: Terms) -> str:
    return "one-way NDA" if terms.get("nda_kind") == "one_way" else "mutual NDA"


def _parties(terms: Terms) -> str | None:
    kinds = terms.get("party_kinds", {})
    first, second = (
        f"{name} (an individual)" if name and kinds.get(name) == "individual" else name
        for name in party_names(terms)
    )
    if not (first or second):
        return None
    if terms.get("nda_kind") == "one_way":
        roles = [
            f"{role} party: {name}"
            for role, name in (("disclosing", first), ("receiving", second))
            if name
        ]
        text = "; ".join(roles)
        return text[0].upper() + text[1:] + "."
    return f"Parties: {_join([name for name in (first, second) if name])}."


def _governing_law(before: str | None, after: str, defaulted: bool) -> str:
    jurisdiction = BY_CODE[after]
    act = jurisdiction.trade_secret
    sentence = f"Governing law is now {jurisdiction.name}"
    if defaulted:
        sentence += " (the assistant's default jurisdiction)"
    elif before in BY_CODE:
        sentence += f" (was {BY_CODE[before].name})"
    sentence += f"; added the {act.authority} ({act.citation}) to the citations"
    if jurisdiction.extras:
        sentence += f", with {_join([a.citation for a in jurisdiction.extras])}"
        if any(a.clause for a in jurisdiction.extras):
            sentence += f', which a new "{jurisdiction.name} Law Requirements" clause follows'
    if before in BY_CODE:
        sentence += f", replacing the {BY_CODE[before].name} authorities"
    return sentence + "."


def describe_changes(
    before: Terms, after: Terms, *, version: int, first: bool, defaulted_law: bool = False
) -> str:
    """The reply to a turn that changed the draft from ``before`` to ``after`` (now ``version``).

    ``defaulted_law`` says the governing law came from the context's default jurisdiction.
    """
    lines = [
        f"Drafted a {_kind(after)} (version {version})."
        if first
        else f"Updated the NDA to version {version}."
    ]
    if not first and before.get("nda_kind") != after.get("nda_kind"):
        lines.append(f"It is now a {_kind(after)}.")
    if party_names(before) != party_names(after) and (parties := _parties(after)):
        lines.append(parties)
    if (code := after.get("governing_law")) and code != before.get("governing_law"):
        lines.append(_governing_law(before.get("governing_law"), code, defaulted_law))
    if (months := after.get("term_months")) and months != before.get("term_months"):
        lines.append(f"Term set to {short_term(months)}.")
    if (effective := after.get("effective_date")) and effective != before.get("effective_date"):
        lines.append(f"Effective date set to {long_date(effective)}.")
    if (purpose := after.get("purpose")) and purpose != before.get("purpose"):
        lines.append(f"Purpose set to: {purpose}.")
    if first:
        lines.append(
            "It includes the Defend Trade Secrets Act immunity notice (18 U.S.C. § 1833(b))."
        )
    first_party, second_party = party_names(after)
    missing = [
        label
        for label, known in (
            ("the parties", first_party and second_party),
            ("the governing law", after.get("governing_law")),
            ("the term", after.get("term_months")),
            ("the effective date", after.get("effective_date")),
        )
        if not known
    ]
    if missing:
        lines.append(f"Still open (placeholders in the draft): {_join(missing)}.")
    return " ".join(lines)


def unchanged(version: int, *, explained: bool = False) -> str:
    """The reply to a message that changed nothing in an existing draft; with the help text
    unless the reply goes on to say why (``explained``)."""
    reply = f"Nothing in the draft changed (still version {version})."
    return reply if explained else f"{reply} {HELP}"


def not_supported(document: str) -> str:
    """The reply to a request for a kind of document the drafter does not write."""
    article = "an" if document[0] in "aeiou" else "a"
    return (
        f"I can't draft {article} {document} yet, only non-disclosure agreements; nothing was "
        f"changed. {HELP}"
    )
