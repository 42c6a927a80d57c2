"""What every document type of the library shares: the clause and type records, the wording
helpers (terms in words, dates, days), the jurisdiction lookup and the ordering of citations.

Pure and deterministic: the same terms and params always give the same text, so the graph can tell
whether a turn changed the draft by comparing bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from typing_extensions import TypedDict

from documents.model import Citation, party_kind
from graphs.drafter.jurisdictions import BY_CODE, FEDERAL_AUTHORITIES, Authority, Jurisdiction
from graphs.drafter.numbers import number_words

#: The drafter's terms as the library reads them (``graphs.drafter.state.Terms`` plus the keys a
#: type declares in ``DocType.term_fields``); any mapping will do.
TermsLike = Mapping[str, Any]
Params = Mapping[str, Any]


class LibraryClause(TypedDict):
    """One clause of a document, in its final wording for the terms and params it was built with."""

    id: str
    """Stable id within the document type ("confidentiality", "residuals", "non_solicitation")."""
    heading: str
    """The heading, without its number."""
    text: str
    """Markdown text; sub-items are written inline as (a), (b), ...; unknown terms are bracketed
    placeholders ("[fees]")."""
    citations: list[Citation]
    """The authorities this clause relies on; every jurisdiction-specific clause cites one."""


@dataclass(frozen=True)
class DocType:
    """A document type the library drafts."""

    key: str
    """"nda", "services", "consulting", "offer_letter"."""
    title: str
    """Default title; ``title_for(terms)`` may refine it (mutual or one-way NDA)."""
    aliases: tuple[str, ...]
    """Phrases a user says for this type, lower case ("services agreement", "msa")."""
    default_clauses: tuple[str, ...]
    """Clause ids of a new document, in order (jurisdiction-specific ids are included only when
    the governing law calls for them; see ``default_clauses``)."""
    optional_clauses: tuple[str, ...]
    """Ids that ``add_clause`` may add."""
    term_fields: Mapping[str, str] = field(default_factory=dict)
    """Extra term keys this type reads, with what each means."""


Builder = Callable[[TermsLike, Params], LibraryClause | None]
"""Builds one clause for the terms and params; None when the clause does not apply to these terms
(a jurisdiction-specific clause under another law)."""


@dataclass(frozen=True)
class Kind:
    """Everything the library knows about one document type."""

    doc_type: DocType
    order: tuple[str, ...]
    """Every clause id in its canonical place (defaults, jurisdiction-specific and optional)."""
    builders: Mapping[str, Builder]
    synonyms: Mapping[str, tuple[str, ...]]
    """Clause id -> phrases a user says for it, lower case."""
    explanations: Mapping[str, str]
    """Clause id -> what it does and why, in plain English."""
    title_for: Callable[[TermsLike], str]
    roles: Callable[[TermsLike], tuple[str, str]]
    party_names: Callable[[TermsLike], tuple[str | None, str | None]]
    preamble: Callable[[TermsLike, str, str], str]
    jurisdictional: frozenset[str] = frozenset()
    """Ids present only under the laws that call for them (their builder returns None elsewhere)."""
    defaults: Callable[[TermsLike], tuple[str, ...]] | None = None
    """The default clause ids for particular terms, when they differ from
    ``doc_type.default_clauses`` (a one-way NDA has no residuals clause)."""


def make(
    clause_id: str, heading: str, text: str, citations: Iterable[Authority | Citation] = ()
) -> LibraryClause:
    """A clause record, its authorities as ``Citation`` dicts (duplicates dropped)."""
    cited: list[Citation] = []
    for entry in citations:
        citation = entry.as_citation() if isinstance(entry, Authority) else entry
        if all((c["authority"], c["citation"]) != _key(citation) for c in cited):
            cited.append(citation)
    return LibraryClause(id=clause_id, heading=heading, text=text, citations=cited)


def _key(citation: Citation) -> tuple[str, str]:
    return citation["authority"], citation["citation"]


# --- wording -------------------------------------------------------------------------------


def describe_term(months: int) -> str:
    """How a draft states a period: ``24`` -> "two (2) years (24 months)", ``18`` -> "eighteen
    (18) months"."""
    if months % 12 == 0:
        years = months // 12
        return f"{number_words(years)} ({years}) year{'s' if years > 1 else ''} ({months} months)"
    return f"{number_words(months)} ({months}) month{'s' if months > 1 else ''}"


def describe_days(days: int) -> str:
    """``30`` -> "thirty (30) days"."""
    return f"{number_words(days)} ({days}) day{'s' if days != 1 else ''}"


def long_date(iso: str) -> str:
    """``2026-01-31`` -> "January 31, 2026"."""
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def effective(terms: TermsLike) -> str:
    """The effective date in words, or its placeholder."""
    return long_date(terms["effective_date"]) if terms.get("effective_date") else "[Effective Date]"


def term_text(terms: TermsLike) -> str:
    """The agreement's term in words, or its placeholder."""
    months = terms.get("term_months")
    return describe_term(months) if months else "[term]"


def text_term(terms: TermsLike, key: str, placeholder: str) -> str:
    """A free-text term as the user gave it (trailing full stop removed), or its placeholder."""
    value = terms.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip().rstrip(".")
    return placeholder


def whole_number(terms: TermsLike, key: str, default: int, *, low: int = 1, high: int = 365) -> int:
    """An integer term within ``low``..``high``, else ``default`` (the extractor validates what
    users say; this only keeps a stray value from reaching the text)."""
    value = terms.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return default


def kind_of(terms: TermsLike, name: str | None) -> str | None:
    """A party's kind as the terms or its name say ("individual"/"company"), None when unknown."""
    if not name:
        return None
    return (terms.get("party_kinds") or {}).get(name) or party_kind(name)


def bold_party(terms: TermsLike, name: str) -> str:
    """A party as the preamble names it: bold, "(an individual)" when the terms say so."""
    if (terms.get("party_kinds") or {}).get(name) == "individual":
        return f"**{name}** (an individual)"
    return f"**{name}**"


def two_parties(terms: TermsLike) -> tuple[str | None, str | None]:
    """``terms["parties"]``'s first two names (None where not known)."""
    first, second = [*(terms.get("parties") or []), None, None][:2]
    return first, second


# --- jurisdictions --------------------------------------------------------------------------


def jurisdiction(terms: TermsLike) -> Jurisdiction | None:
    """The governing jurisdiction, None while it is not agreed (or not one of the 51)."""
    code = terms.get("governing_law")
    return BY_CODE.get(code) if isinstance(code, str) else None


def code_of(terms: TermsLike) -> str | None:
    """The governing jurisdiction's code, None while it is not agreed."""
    found = jurisdiction(terms)
    return found.code if found else None


def governing_law_text(terms: TermsLike) -> str:
    """The governing-law sentences every type uses (the NDA's wording)."""
    found = jurisdiction(terms)
    if found:
        return (
            f"This Agreement is governed by the laws of {found.formal_name}, without "
            "regard to its conflict-of-laws rules. The Parties submit to the non-exclusive "
            f"jurisdiction of the state and federal courts located in {found.name}."
        )
    return (
        "This Agreement is governed by the laws of [governing law], without regard to "
        "its conflict-of-laws rules."
    )


_FEDERAL_ORDER = [a.citation for a in FEDERAL_AUTHORITIES]


def is_federal(citation: Citation) -> bool:
    """Whether a citation is to federal law (the U.S. Code or the Code of Federal Regulations)."""
    return "U.S.C." in citation["citation"] or "C.F.R." in citation["citation"]


def ordered_citations(terms: TermsLike, clauses: Iterable[LibraryClause]) -> list[Citation]:
    """The document-level list of the clauses' citations, each once: federal first, then the
    jurisdiction's; within each, the order ``jurisdictions.py`` gives (so an NDA cites what it
    always cited, in the same order), then the rest in clause order."""
    found = jurisdiction(terms)
    known = _FEDERAL_ORDER + [a.citation for a in (found.authorities if found else ())]
    seen: dict[tuple[str, str], Citation] = {}
    for clause in clauses:
        for citation in clause["citations"]:
            seen.setdefault(_key(citation), citation)

    def rank(item: tuple[int, Citation]) -> tuple[int, int, int]:
        position, citation = item
        where = known.index(citation["citation"]) if citation["citation"] in known else len(known)
        return (0 if is_federal(citation) else 1, where, position)

    return [c for _, c in sorted(enumerate(seen.values()), key=rank)]


# --- params ---------------------------------------------------------------------------------


def check_params(clause_id: str, params: Params, allowed: Iterable[str]) -> None:
    """Raise ValueError naming any param the clause does not take."""
    allowed = tuple(allowed)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        takes = f"takes only {', '.join(allowed)}" if allowed else "takes no params"
        raise ValueError(f"clause {clause_id!r} {takes}; got {', '.join(unknown)}")
