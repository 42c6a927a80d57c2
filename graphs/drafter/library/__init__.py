"""The clause library: the document types the drafter writes (NDA, services, consulting, offer
letter), each a set of clauses with stable ids, and the jurisdiction-specific clauses of the 51
US jurisdictions with the authority each relies on.

Pure and deterministic (no I/O, no model): the same terms and params give the same text. The
agent (``graphs/drafter``) builds documents from it; the interface is /work/briefs/library.md and
docs/clauses.md lists every clause and authority. Not legal advice: the text is a starting draft
for a lawyer's review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from documents.model import Citation
from graphs.drafter.library import consulting, nda, offer_letter, services
from graphs.drafter.library.base import (
    DocType,
    Kind,
    LibraryClause,
    TermsLike,
    jurisdiction,
    ordered_citations,
)
from graphs.drafter.library.common import non_compete_refusal

__all__ = [
    "DOC_TYPES",
    "DocType",
    "LibraryClause",
    "citations",
    "citations_of",
    "clause",
    "clause_ids",
    "default_clauses",
    "explain",
    "find_clause_id",
    "find_doc_type",
    "party_names",
    "placeholders",
    "preamble",
    "roles",
    "title_for",
]

KINDS: dict[str, Kind] = {
    kind.doc_type.key: kind
    for kind in (nda.KIND, services.KIND, consulting.KIND, offer_letter.KIND)
}
DOC_TYPES: dict[str, DocType] = {key: kind.doc_type for key, kind in KINDS.items()}


def _kind_of_type(doc_type: str) -> Kind:
    try:
        return KINDS[doc_type]
    except KeyError:
        raise KeyError(
            f"unknown document type {doc_type!r}; the library drafts {', '.join(KINDS)}"
        ) from None


def _kind(terms: TermsLike) -> Kind:
    """The terms' document type (an NDA when they name none, as the drafter always assumed)."""
    return _kind_of_type(terms.get("doc_type") or "nda")


def title_for(terms: TermsLike) -> str:
    """The document's title ("Mutual Non-Disclosure Agreement", "Services Agreement", ...)."""
    return _kind(terms).title_for(terms)


def roles(terms: TermsLike) -> tuple[str, str]:
    """The parties' role names in signing order: ("Party A", "Party B"), ("Disclosing Party",
    "Receiving Party"), ("Client", "Provider"), ("Company", "Consultant"), ("Company",
    "Candidate"). Bracketed ("[Party A]"), they are the placeholders for parties not named yet."""
    return _kind(terms).roles(terms)


def placeholders(terms: TermsLike) -> tuple[str, str]:
    """``roles`` bracketed: what the preamble and signature blocks show for unnamed parties."""
    first, second = roles(terms)
    return f"[{first}]", f"[{second}]"


def party_names(terms: TermsLike) -> tuple[str | None, str | None]:
    """The two parties' names in signing order, None where not known: a one-way NDA's
    ``disclosing_party`` and ``receiving_party``; otherwise ``terms["parties"]`` in the order of
    ``roles`` (services: client, provider; consulting: company, consultant; offer letter:
    company, candidate)."""
    return _kind(terms).party_names(terms)


def preamble(terms: TermsLike, first: str, second: str) -> str:
    """The opening paragraph naming the parties (names or ``roles`` placeholders) and defining
    the words the clauses use for them."""
    return _kind(terms).preamble(terms, first, second)


def clause(
    terms: TermsLike, clause_id: str, params: Mapping[str, Any] | None = None
) -> LibraryClause:
    """One clause for these terms and params.

    Raises KeyError for an id the document type does not know, and ValueError (with a message
    fit to show the user) for bad params, for a clause the governing law voids (a non-compete in
    California, a customer non-solicit there) and for a jurisdiction-specific clause the
    governing law does not call for.
    """
    kind = _kind(terms)
    builder = kind.builders.get(clause_id)
    if builder is None:
        raise KeyError(
            f"a {kind.doc_type.key} has no clause {clause_id!r}; its clauses are "
            f"{', '.join(kind.order)}"
        )
    built = builder(terms, params or {})
    if built is None:
        found = jurisdiction(terms)
        law = f"{found.name} law" if found else "no governing law agreed yet"
        raise ValueError(
            f"clause {clause_id!r} does not apply to these terms ({law}): it holds what "
            "particular governing laws or parties call for, and these terms call for none"
        )
    return built


def default_clauses(terms: TermsLike) -> list[LibraryClause]:
    """A new document's clauses in order, with the jurisdiction-specific ones the governing law
    calls for (none while the law is not agreed). Signature blocks are not clauses: the drafter
    adds them."""
    kind = _kind(terms)
    ids = kind.defaults(terms) if kind.defaults else kind.doc_type.default_clauses
    built = (kind.builders[clause_id](terms, {}) for clause_id in ids)
    return [c for c in built if c is not None]


def clause_ids(doc_type: str) -> list[str]:
    """Every clause id the type offers (default, jurisdiction-specific and optional), in the
    order a document places them: insert an added clause before the first present id that
    follows it here."""
    return list(_kind_of_type(doc_type).order)


def _normal(words: str) -> str:
    text = re.sub(r"[_\s]+", " ", words.lower().replace("’", "'")).strip()
    return re.sub(r"\s+(?:clause|section|provision|paragraph)s?\b", "", text)


def find_clause_id(doc_type: str, words: str) -> str | None:
    """The clause ``words`` name: its id, its heading, or a phrase users say for it ("the
    residuals clause" -> "residuals", "confidentiality" -> "confidentiality", "no-poach" ->
    "non_solicitation", "non-compete" -> "non_compete", which ``clause`` refuses with the reason).
    The longest phrase found wins; None when nothing matches."""
    kind = _kind_of_type(doc_type)
    text = _normal(words)
    if text.replace(" ", "_") in kind.builders:
        return text.replace(" ", "_")
    best: tuple[int, str] | None = None
    for clause_id, phrases in kind.synonyms.items():
        for phrase in (*phrases, clause_id.replace("_", " ")):
            found = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text)
            if found and (best is None or len(phrase) > best[0]):
                best = (len(phrase), clause_id)
    return best[1] if best else None


def explain(terms: TermsLike, clause_id: str) -> str:
    """What the clause does and why, in plain English, with the authorities it relies on under
    the governing law. Raises KeyError for an unknown id."""
    kind = _kind(terms)
    if clause_id not in kind.builders:
        raise KeyError(f"a {kind.doc_type.key} has no clause {clause_id!r}")
    if clause_id == "non_compete":
        found = jurisdiction(terms)
        return "Not offered: " + non_compete_refusal(found.code if found else None) + "."
    what = kind.explanations[clause_id]
    try:
        built = clause(terms, clause_id)
    except ValueError as error:
        return f"{what} Under these terms it cannot be drafted: {error}."
    if not built["citations"]:
        return what
    found = jurisdiction(terms)
    where = f" under {found.name} law" if found else ""
    authorities = "; ".join(
        f"{c['authority']} ({c['citation']}): {c['reason']}" for c in built["citations"]
    )
    return f"{what} Authority{where}: {authorities}"


def citations_of(terms: TermsLike, clauses: Iterable[LibraryClause]) -> list[Citation]:
    """The document-level citations of the given clauses (a document after clauses were added or
    removed): each once, federal first, then the jurisdiction's."""
    return ordered_citations(terms, clauses)


def citations(terms: TermsLike) -> list[Citation]:
    """The document-level citations of a new document (``default_clauses``): federal first, then
    the jurisdiction's, each once."""
    return ordered_citations(terms, default_clauses(terms))


_ALIASES: list[tuple[re.Pattern[str], str]] = sorted(
    (
        (re.compile(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", re.IGNORECASE), key)
        for key, doc_type in DOC_TYPES.items()
        for alias in doc_type.aliases
    ),
    key=lambda item: len(item[0].pattern),
    reverse=True,
)


def find_doc_type(text: str) -> str | None:
    """The document type ``text`` asks for ("draft a consulting agreement" -> "consulting",
    "an MSA" -> "services", "mutual NDA" -> "nda"), the longest phrase winning; None when it
    names none."""
    for pattern, key in _ALIASES:
        if pattern.search(text):
            return key
    return None
