"""The structured document rendered: terms and clauses (ids, headings, text, citations) in, a
``documents.model.Document`` out whose body is written in the document's Markdown
(``documents.markdown.write``): a ``#`` title, a preamble, numbered ``##`` clauses and the
signature blocks.

Rendering is pure: the same terms and clauses always give the same body, which is how the graph
tells whether a run changed the draft (and so whether to bump its version). A clause that is not
``custom`` takes its text from the clause library for the current terms, so changing the law or
the term rewrites it; a reworded (``custom``) clause keeps its text. Terms not agreed yet appear as
bracketed placeholders ("[term]", "[governing law]", "[Party A]").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from copy import deepcopy
from datetime import date
from typing import Any

from documents.markdown import signature_block, write
from documents.model import Citation, Clause, PartyKind, citation_key, party_kind
from graphs.drafter import library as lib
from graphs.drafter.library.base import describe_term
from graphs.drafter.library.common import DTSA_NOTICE
from graphs.drafter.state import DocClause, Document, Terms

__all__ = [
    "DTSA_NOTICE",
    "describe_term",
    "long_date",
    "party_names",
    "render",
    "short_term",
]


def short_term(months: int) -> str:
    """How a reply states a term: ``24`` → "2 years (24 months)", ``18`` → "18 months"."""
    if months % 12 == 0:
        years = months // 12
        return f"{years} year{'s' if years > 1 else ''} ({months} months)"
    return f"{months} month{'s' if months > 1 else ''}"


def long_date(iso: str) -> str:
    """``2026-01-31`` → "January 31, 2026"."""
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def party_names(terms: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The two parties' names in the order of the document's roles (the discloser first for a
    one-way NDA), None where not known."""
    return lib.party_names(terms)


def kind_of(terms: Mapping[str, Any], name: str) -> PartyKind:
    """A party's kind: as the user said (``terms["party_kinds"]``), else as its name says ("Jane
    Doe (an individual)"), else a company."""
    return terms.get("party_kinds", {}).get(name) or party_kind(name) or "company"


def _doc_clause(found: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> DocClause:
    clause = DocClause(
        id=found["id"],
        heading=found["heading"],
        text=found["text"],
        citations=list(found.get("citations") or []),
        custom=False,
    )
    if params:
        clause["params"] = dict(params)
    return clause


def default_clauses(terms: Terms) -> list[DocClause]:
    """A new document's clauses for ``terms``, from the library."""
    return [_doc_clause(found) for found in lib.default_clauses(terms)]


def library_clause(terms: Terms, clause: Mapping[str, Any]) -> DocClause:
    """``clause`` regenerated from the library for ``terms`` (its id and params); raises what
    the library raises (KeyError, ValueError)."""
    params = clause.get("params") or None
    return _doc_clause(lib.clause(terms, clause["id"], params), params)


def regenerate(terms: Terms, clauses: Iterable[Mapping[str, Any]]) -> list[DocClause]:
    """``clauses`` for ``terms``: a custom clause as it is, any other with the library's text (a
    clause the library no longer offers for these terms, say a state's own clause after the law
    changed, is dropped)."""
    result: list[DocClause] = []
    for clause in clauses:
        if clause.get("custom"):
            result.append(DocClause(**deepcopy(dict(clause))))  # type: ignore[typeddict-item]
            continue
        try:
            result.append(library_clause(terms, clause))
        except (KeyError, ValueError):
            continue
    return result


def realign(before: Terms, after: Terms, clauses: list[DocClause]) -> list[DocClause]:
    """``clauses`` after the terms changed from ``before`` to ``after``: the default clauses that
    depend on the terms (a jurisdiction's own clause) follow them, in their default place; a
    clause the user added, removed, moved or reworded stays as the user left it."""
    old = [c["id"] for c in lib.default_clauses(before)]
    new = [c["id"] for c in lib.default_clauses(after)]
    gone, added = set(old) - set(new), [i for i in new if i not in old]
    result = [c for c in clauses if c.get("custom") or c["id"] not in gone]
    for clause_id in added:
        if any(c["id"] == clause_id for c in result):
            continue
        earlier = new[: new.index(clause_id)]
        at = max((n + 1 for n, c in enumerate(result) if c["id"] in earlier), default=0)
        result.insert(at, _doc_clause(lib.clause(after, clause_id)))
    return regenerate(after, result)


def fingerprint(clauses: Iterable[Mapping[str, Any]]) -> str:
    """A short hash of ``clauses``: a document stores it to tell later whether its clauses were
    edited by hand."""
    data = json.dumps(list(clauses), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def citations_for(terms: Terms, clauses: Iterable[Mapping[str, Any]]) -> list[Citation]:
    """The document's authorities: the library's for the terms (federal first), then any a
    clause cites that is not among them, each once."""
    result: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for citation in [*lib.citations(terms), *(c for k in clauses for c in k.get("citations", []))]:
        if (key := citation_key(citation)) not in seen:
            seen.add(key)
            result.append(citation)
    return result


def render(terms: Terms, clauses: list[DocClause] | None = None) -> Document:
    """The document for ``terms`` and ``clauses`` (the library's defaults when None), every
    field but ``version`` (which the graph assigns)."""
    clauses = default_clauses(terms) if clauses is None else regenerate(terms, clauses)
    title = lib.title_for(terms)
    first, second = (
        name or placeholder
        for name, placeholder in zip(party_names(terms), lib.placeholders(terms), strict=True)
    )
    signatures = "\n\n".join(
        signature_block(name, kind_of(terms, name)) for name in (first, second)
    )
    numbered = [Clause(c["heading"], c["text"]) for c in clauses]
    body = write(
        title, lib.preamble(terms, first, second), [*numbered, Clause("Signatures", signatures)]
    )
    code = terms.get("governing_law")
    doc_type = terms.get("doc_type", "nda")
    return {
        "key": doc_type,
        "type": doc_type,
        "jurisdiction": code if code else None,
        "title": title,
        "body": body,
        "citations": citations_for(terms, clauses),
        "terms": deepcopy(terms),
        "parties": [
            {"name": name, "kind": kind_of(terms, name)} for name in party_names(terms) if name
        ],
        "clauses": clauses,
        "source": fingerprint(clauses),
    }
