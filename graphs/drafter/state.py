"""The drafter's state: the chat, and the document built from the terms gathered so far."""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class Citation(TypedDict):
    """An authority the draft relies on."""

    authority: str
    """The statute, act or rule, by name."""
    citation: str
    """Where to find it (e.g. ``Cal. Civ. Code §§ 3426–3426.11``)."""
    reason: str
    """Why this draft cites it."""


class Terms(TypedDict, total=False):
    """The structured terms the document is built from; absent means not agreed yet."""

    doc_type: Literal["nda"]
    """The kind of document (only NDAs for now)."""
    nda_kind: Literal["mutual", "one_way"]
    """Mutual (both disclose) or one-way (one discloses, the other receives)."""
    parties: list[str]
    """The two parties; for a one-way NDA, the disclosing party first."""
    governing_law: str
    """Two-letter code of the US state (or ``DC``) whose law governs."""
    term_months: int
    """How long the confidentiality obligations last, in months."""


class Document(TypedDict, total=False):
    """The current draft."""

    key: str
    """Stable name of the draft across versions (e.g. ``nda``)."""
    version: int
    """1 for the first draft, +1 whenever the body changes."""
    type: str
    """Document type (``nda``)."""
    jurisdiction: str | None
    """Governing-law code, or None while unset."""
    title: str
    """The document's title."""
    body: str
    """The full text, in Markdown, with numbered clauses."""
    citations: list[Citation]
    """Authorities cited, each with the reason."""
    terms: Terms
    """The terms this version was built from."""


class InputState(TypedDict):
    """What a caller sends: chat messages (``{"role": "user", "content": ...}`` works)."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation; new messages are appended (or replace ones with the same id)."""


class State(InputState, total=False):
    """The whole state of a drafting conversation."""

    terms: Terms
    """The terms agreed so far, merged turn by turn."""
    document: Document
    """The current draft, rebuilt from ``terms`` each turn."""
