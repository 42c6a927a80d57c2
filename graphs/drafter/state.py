"""The drafter's state: the chat, the terms gathered from it, and the document built from them.

Every value is plain JSON (dicts, lists, strings, numbers, booleans), so the LangGraph server
returns the state as-is and checkpoints round-trip without custom serialisers. The TypedDicts come
from ``typing_extensions`` and read their attribute docstrings, so the JSON schemas the server
shows in Studio carry each field's description.
"""

from __future__ import annotations

from typing import Annotated, Literal

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
    """The structured terms a document is built from; an absent key means not agreed yet."""

    doc_type: Literal["nda"]
    """The kind of document (only non-disclosure agreements so far)."""
    nda_kind: NdaKind
    """``mutual`` (both parties disclose) or ``one_way`` (one discloses, the other receives)."""
    parties: list[str]
    """Mutual NDA only: the parties' names (two once both are known)."""
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


@with_config(_DOCUMENTED)
class Document(documents.Document, total=False):
    """The current draft."""

    terms: Terms
    """A copy of the terms this version was built from."""


def merge_document(current: Document | None, update: Document | None) -> Document:
    """The ``document`` channel's reducer: an update changes only the keys it names, so a client
    can send just an edited body (``update_state(thread, {"document": {"body": ...}})``) and
    keep the version, terms and citations; ``None`` clears the draft. (Typed ``| None`` so the
    channel starts empty rather than as ``{}``.)"""
    if update is None:
        return {}
    return {**(current or {}), **update}


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
    """The current draft, rebuilt from ``terms`` on each turn that changes them, unless its body
    was edited by hand: then the edit is kept and only the turn's changes are applied to it."""
