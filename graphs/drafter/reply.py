"""The assistant's replies: what a turn changed in the draft, in sentences a lawyer would read.

The tools describe each change they make (``term_changes`` for the terms); the offline model's
reply is a ``headline`` ("Drafted a mutual NDA (version 1)." or "Updated the NDA to version N."),
then those sentences (one per change ("Governing law is now California; added the California Uniform Trade Secrets Act (Cal.
Civ. Code §§ 3426–3426.11) to the citations…", "Term set to 2 years (24 months)."), then "Still
open (placeholders in the draft): …" for anything not agreed yet.
"""

from __future__ import annotations

from graphs.drafter import library as lib
from graphs.drafter.document import long_date, party_names, short_term
from graphs.drafter.jurisdictions import BY_CODE
from graphs.drafter.state import Terms

HELP = (
    "I draft non-disclosure agreements (NDAs) and the other agreements of my clause library under "
    'the law of any US state or DC. Tell me what you need, for example: "I need to draft an '
    'NDA", "make it one-way", "between Acme Corp and Beta LLC", "for California jurisdiction", '
    '"add a 2-year term", "effective January 1, 2026", "add a non-solicitation clause", "remove '
    'the residuals clause", "explain the confidentiality clause".'
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


def label(terms: Terms) -> str:
    """How a reply names the document: "mutual NDA", "one-way NDA", "services agreement"."""
    doc_type = terms.get("doc_type", "nda")
    if doc_type == "nda":
        return _kind(terms)
    return lib.title_for(terms).lower() if doc_type in lib.DOC_TYPES else doc_type


def short_label(terms: Terms) -> str:
    """ "NDA", or the document's title in lower case."""
    return "NDA" if terms.get("doc_type", "nda") == "nda" else label(terms)


def term_changes(before: Terms, after: Terms, *, defaulted_law: bool = False) -> list[str]:
    """One sentence per term that changed from ``before`` to ``after`` ("Term set to 2 years
    (24 months)."); ``defaulted_law`` says the governing law came from the context's default."""
    lines = []
    if (
        before.get("nda_kind")
        and after.get("nda_kind")
        and before.get("nda_kind") != after.get("nda_kind")
    ):
        lines.append(f"It is now a {_kind(after)}.")
    if (party_names(before) != party_names(after) and (parties := _parties(after))) or (
        before.get("party_kinds") != after.get("party_kinds") and (parties := _parties(after))
    ):
        lines.append(parties)
    if (code := after.get("governing_law")) and code != before.get("governing_law"):
        lines.append(_governing_law(before.get("governing_law"), code, defaulted_law))
    if (months := after.get("term_months")) and months != before.get("term_months"):
        lines.append(f"Term set to {short_term(months)}.")
    if (months := after.get("survival_months")) and months != before.get("survival_months"):
        lines.append(
            f"Confidentiality obligations now survive {short_term(months)} after the agreement "
            "ends."
        )
    if (effective := after.get("effective_date")) and effective != before.get("effective_date"):
        lines.append(f"Effective date set to {long_date(effective)}.")
    if (purpose := after.get("purpose")) and purpose != before.get("purpose"):
        lines.append(f"Purpose set to: {purpose}.")
    known = {"doc_type", "nda_kind", "parties", "disclosing_party", "receiving_party"}
    known |= {"party_kinds", "governing_law", "term_months", "survival_months"}
    known |= {"effective_date", "purpose"}
    for key in sorted(set(after) - known):
        if after.get(key) != before.get(key):
            lines.append(f"{key.replace('_', ' ').capitalize()} set to {after[key]}.")  # type: ignore[literal-required]
    return lines


def open_items(terms: Terms) -> list[str]:
    """What the draft still shows as a placeholder."""
    first_party, second_party = party_names(terms)
    return [
        label
        for label, known in (
            ("the parties", first_party and second_party),
            ("the governing law", terms.get("governing_law")),
            ("the term", terms.get("term_months")),
            ("the effective date", terms.get("effective_date")),
        )
        if not known
    ]


def still_open(missing: list[str]) -> str | None:
    """The reply's closing sentence for what is still open, or None."""
    return f"Still open (placeholders in the draft): {_join(missing)}." if missing else None


def headline(*, version: int, changed: bool, first: bool, what: str, short: str) -> str:
    """The reply's first sentence: what the turn did to the draft and its version."""
    if changed and first:
        return f"Drafted a {what} (version {version})."
    if changed:
        return f"Updated the {short} to version {version}."
    return f"Nothing in the draft changed (still version {version})."


def unchanged(version: int, *, explained: bool = False) -> str:
    """The reply to a message that changed nothing in an existing draft; with the help text
    unless the reply goes on to say why (``explained``)."""
    reply = f"Nothing in the draft changed (still version {version})."
    return reply if explained else f"{reply} {HELP}"


def not_supported(document: str) -> str:
    """The reply to a request for a kind of document the drafter does not write."""
    article = "an" if document[0] in "aeiou" else "a"
    kinds = _join(
        [
            "non-disclosure agreements (mutual and one-way)"
            if key == "nda"
            else f"{doc.title.lower()}s"
            for key, doc in lib.DOC_TYPES.items()
        ]
    )
    return f"I can't draft {article} {document} yet, only {kinds}; nothing was changed. {HELP}"
