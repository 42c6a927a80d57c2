"""The drafter's state: the chat, the terms gathered from it, and the document built from them.

Every value is plain JSON (dicts, lists, strings, numbers, booleans), so the LangGraph server
returns the state as-is and checkpoints round-trip without custom serialisers. The TypedDicts come
from ``typing_extensions`` and read their attribute docstrings, so the JSON schemas the server
shows in Studio carry each field's description.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

import documents
from documents.model import PartyKind

_DOCUMENTED = ConfigDict(use_attribute_docstrings=True)

NdaKind = Literal["mutual", "one_way"]


@with_config(_DOCUMENTED)
class Terms(TypedDict, total=False):
    """The structured terms a document is built from; an absent key means not agreed yet.

    A document type may read extra keys of its own (the clause library's ``term_fields``, e.g.
    a services agreement's ``fees``)."""

    doc_type: str
    """The kind of document: ``nda``, or another type of the clause library (``services``...)."""
    nda_kind: NdaKind
    """NDA only: ``mutual`` (both parties disclose) or ``one_way`` (one discloses)."""
    parties: list[str]
    """The parties' names in the order of the document's roles (a mutual NDA: Party A, Party B;
    a services agreement: Client, Provider...)."""
    disclosing_party: str
    """One-way NDA only: the party that discloses Confidential Information."""
    receiving_party: str
    """One-way NDA only: the party that receives it."""
    party_kinds: dict[str, PartyKind]
    """Each party's kind where the user said it (``{"Jane Doe": "individual"}``); a party not
    listed is read from its name (a company unless it says otherwise)."""
    governing_law: str
    """Two-letter code of the US state, or ``DC``, whose law governs the agreement."""
    term_months: int
    """How long the agreement lasts, in whole months."""
    effective_date: str
    """The effective date, ISO 8601 (``YYYY-MM-DD``)."""
    purpose: str
    """What the Confidential Information may be used for, in the user's words."""
    survival_months: int
    """How long the confidentiality obligations survive the agreement's end, in whole months."""


@with_config(_DOCUMENTED)
class DocClause(TypedDict, total=False):
    """One clause of a structured document."""

    id: str
    """Stable id within the document type (``confidentiality``, ``residuals``...)."""
    heading: str
    """The clause's heading, without its number."""
    text: str
    """Its Markdown text."""
    citations: list[documents.Citation]
    """The authorities this clause relies on."""
    custom: bool
    """True when the text was reworded (by the agent or by hand): it is kept as is when the terms
    change; otherwise the text is regenerated from the clause library."""
    params: dict[str, Any]
    """The clause's parameters (a non-solicitation's ``months`` and ``scope``)."""


@with_config(_DOCUMENTED)
class Document(documents.Document, total=False):
    """The current draft."""

    terms: Terms
    """A copy of the terms this version was built from."""
    clauses: list[DocClause]
    """The numbered clauses, in order (the signature blocks are rendered after them)."""
    source: str
    """A fingerprint of ``clauses`` as this version was built, to tell a hand edit of the clauses
    from one of the body."""


def merge_document(current: Document | None, update: Document | None) -> Document:
    """The ``document`` channel's reducer: an update changes only the keys it names, so a client
    can send just an edited body (``update_state(thread, {"document": {"body": ...}})``) and
    keep the version, terms and citations; ``None`` clears the draft. (Typed ``| None`` so the
    channel starts empty rather than as ``{}``.)"""
    if update is None:
        return {}
    return {**(current or {}), **update}


@with_config(_DOCUMENTED)
class Turn(TypedDict, total=False):
    """The draft being changed during a run (cleared when the run's document is published)."""

    clauses: list[DocClause]
    """The clauses as the tools changed them so far."""
    overwrite: bool
    """The user chose to overwrite their hand edits of the body with the regenerated draft."""
    kept: bool
    """The user chose to keep their hand edits, so a change was not made."""
    fallback: str
    """Why the configured chat model was not used this turn (the offline model answered)."""


@with_config(_DOCUMENTED)
class InputState(TypedDict):
    """What a caller sends: chat messages (``{"role": "user", "content": "..."}`` works)."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation; new messages are appended (or replace those with the same id)."""


@with_config(_DOCUMENTED)
class State(InputState, total=False):
    """The whole state of a drafting conversation (the graph's output schema)."""

    terms: Terms
    """The terms agreed so far, merged turn by turn; later messages override earlier ones."""
    document: Annotated[Document | None, merge_document]
    """The current draft, published at the end of each run that changed it; a body edited by
    hand keeps the edit and gets only the run's changes."""
    turn: Turn | None
    """Work in progress of the current run (tools write here; the publish step clears it)."""
