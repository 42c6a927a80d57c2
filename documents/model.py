"""The document model: a versioned draft (its title, type, jurisdiction and Markdown body of
numbered clauses) and the authorities it cites.

Plain JSON, so the graph's state, the checkpoints and the ``documents`` table hold the same shape
without serialisers, and pydantic reads the field descriptions for Studio's schemas and the API's.
The readers here accept any mapping (a state value, a stored row) and tolerate odd ones: a missing
key, a ``None``, a citation that is a bare string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, NamedTuple

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict


@with_config(ConfigDict(use_attribute_docstrings=True))
class Citation(TypedDict):
    """An authority the draft relies on, and why."""

    authority: str
    """The statute, act, rule or doctrine, by name."""
    citation: str
    """Where to find it, e.g. ``Cal. Civ. Code §§ 3426–3426.11``."""
    reason: str
    """Why this draft cites it."""


# Descriptions are given with ``Field`` rather than attribute docstrings: pydantic reads docstrings
# from the declaring class only, and the graph's state extends this class with its terms.
class Document(TypedDict, total=False):
    """A draft: one version of a document."""

    key: Annotated[
        str, Field(description="Stable identifier of the draft across versions (``nda``).")
    ]
    version: Annotated[
        int,
        Field(
            description="1 for the first draft, +1 whenever the body changes (absent before any "
            "draft)."
        ),
    ]
    type: Annotated[str, Field(description="Document type (``nda``).")]
    jurisdiction: Annotated[
        str | None,
        Field(description="Governing-law code, or None while the governing law is not agreed."),
    ]
    title: Annotated[str, Field(description="The document's title.")]
    body: Annotated[
        str,
        Field(description="The full text in Markdown: a ``#`` title and numbered ``##`` clauses."),
    ]
    citations: Annotated[
        list[Citation],
        Field(
            description="The authorities the draft relies on, federal first, each with its reason."
        ),
    ]


class Clause(NamedTuple):
    """One numbered clause of a body: its heading (without the number) and its Markdown text."""

    heading: str
    text: str


def as_text(value: Any) -> str:
    """A value as stripped text, ``None`` as the empty string."""
    return "" if value is None else str(value).strip()


def citations_of(document: Mapping[str, Any]) -> list[Citation]:
    """A document's citations with every field a string, skipping entries with nothing in them; a
    bare string counts as the citation alone."""
    result: list[Citation] = []
    for entry in document.get("citations") or []:
        if isinstance(entry, Mapping):
            citation = Citation(
                authority=as_text(entry.get("authority")),
                citation=as_text(entry.get("citation")),
                reason=as_text(entry.get("reason")),
            )
        else:
            citation = Citation(authority="", citation=as_text(entry), reason="")
        if any(citation.values()):
            result.append(citation)
    return result


def citation_key(citation: Citation) -> tuple[str, str]:
    """What identifies a citation across versions: its authority and where to find it."""
    return citation["authority"], citation["citation"]
