"""The document model: a versioned draft (its title, type, jurisdiction and Markdown body of
numbered clauses) and the authorities it cites.

Plain JSON, so the graph's state, the checkpoints and the ``documents`` table hold the same shape
without serialisers, and pydantic reads the field descriptions for Studio's schemas and the API's.
The readers here accept any mapping (a state value, a stored row) and tolerate odd ones: a missing
key, a ``None``, a citation that is a bare string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, NamedTuple

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


PartyKind = Literal["individual", "company"]


@with_config(ConfigDict(use_attribute_docstrings=True))
class Party(TypedDict):
    """A party to the document, as its signature block needs it."""

    name: str
    """The party's name as the document states it (``Acme Inc.``, ``Jane Doe``)."""
    kind: PartyKind
    """``individual`` (signs in person: a signature line over her name) or ``company`` (signs by
    an authorised signatory: By, Name and Title lines)."""


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
    parties: Annotated[
        list[Party],
        Field(
            description="The parties with their kind, in the order they sign (absent in older "
            "drafts: the exports then read the body's signature blocks and infer each kind)."
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


#: Says a party is a natural person: "Jane Doe (an individual)", "Jane Doe, an individual".
_INDIVIDUAL = re.compile(
    r"[(,]\s*(?:an?\s+)?(?:individual|natural person)\b|\bindividually\b", re.IGNORECASE
)
#: Says a party is a company: a legal-form suffix at the end, or a word only organisations use.
_COMPANY_SUFFIX = re.compile(
    r"(?:^|[\s,])(?:inc|incorporated|corp|corporation|co|company|llc|l\.l\.c|llp|l\.l\.p|lp|l\.p"
    r"|ltd|limited|plc|gmbh|ag|kg|se|sa|s\.a|sas|sarl|s\.a\.r\.l|srl|s\.r\.l|spa|s\.p\.a|bv|b\.v"
    r"|nv|n\.v|pty|pte|oy|ab|as|a/s|kk|k\.k|pc|p\.c|pllc|lllp)\.?$",
    re.IGNORECASE,
)
_COMPANY_WORD = re.compile(
    r"\b(?:inc|corp|llc|ltd|gmbh|corporation|incorporated|limited|company|foundation|trust"
    r"|association|university|bank|holdings|partners|partnership|group|institute|agency"
    r"|authority|council|society)\b",
    re.IGNORECASE,
)


def party_kind(name: str) -> PartyKind | None:
    """What a party's name says it is: ``individual`` when it says so ("Jane Doe (an
    individual)"), ``company`` for a legal-form suffix (Inc., LLC, Ltd., GmbH, Corp., ...) or an
    organisation's word (Foundation, University, ...), None when the name alone does not tell."""
    if _INDIVIDUAL.search(name):
        return "individual"
    bare = re.sub(r"\([^)]*\)", "", name).strip().rstrip(",;").strip()
    if _COMPANY_SUFFIX.search(bare) or _COMPANY_WORD.search(bare):
        return "company"
    return None


def display_name(name: str) -> str:
    """A party's name without the note of what it is: "Jane Doe (an individual)" -> "Jane Doe"."""
    cut = re.sub(r"\s*\((?:an?\s+)?(?:individual|natural person)\)", "", name, flags=re.I)
    cut = re.sub(r",\s*(?:an?\s+)?(?:individual|natural person)\s*$", "", cut, flags=re.I)
    return cut.strip() or name.strip()


def parties_of(document: Mapping[str, Any]) -> list[Party]:
    """A document's declared parties, each with a name and a valid kind (odd entries skipped; a
    missing or unknown kind inferred from the name, ``company`` when it does not tell)."""
    result: list[Party] = []
    for entry in document.get("parties") or []:
        if isinstance(entry, Mapping):
            name, kind = as_text(entry.get("name")), entry.get("kind")
        else:
            name, kind = as_text(entry), None
        if not name:
            continue
        if kind not in ("individual", "company"):
            kind = party_kind(name) or "company"
        result.append(Party(name=name, kind=kind))
    return result
