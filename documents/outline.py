"""A document's structure as an agreement: its title, preamble, clauses, signature blocks and
any citations section, read from the Markdown body. The Word, PDF and redline renderers all
work from this outline, so they agree on what a clause is and where the agreement ends.

A clause is a ``##`` heading and the blocks under it; a typed number ("## 5. Term") is taken off
the heading and kept apart, for the renderer to number with Word's own numbering. The signature
section (``## 13. Signatures``, ``## Execution``) is no clause: its party blocks become
``Signatory`` entries, each an individual or a company (the document's declared ``parties`` say
which; otherwise the name does, "Jane Doe (an individual)", "Acme Inc."; otherwise the block's
own lines: a ``By:`` line is a company's). A citations section in the body belongs to the
citations memo, never to the agreement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from documents.markdown import CITATIONS_HEADING, Block, has_citations_section, plain, read
from documents.model import PartyKind, as_text, display_name, parties_of, party_kind

_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.?[ \t]+(\S.*)$")
_SIGNATURES = re.compile(
    r"^(?:signatures?|signature (?:page|blocks?)|execution(?: page)?|executed by the parties)$",
    re.IGNORECASE,
)
_BLANK = re.compile(r"_{3,}")
_FIELD = re.compile(r"^(by|name|title|date|signature|its)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    """A heading and the blocks under it. ``level`` is the Markdown heading level (2 for a
    clause); ``number`` the typed number ("5", "5.1"), None when the heading has none."""

    heading: str
    level: int
    number: str | None = None
    blocks: list[Block] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What identifies a section across versions: its heading, plain and lower-cased."""
        return plain(self.heading).strip().casefold()


@dataclass(frozen=True)
class Signatory:
    """One party's signature block: the name as written and what kind of party it is."""

    name: str
    kind: PartyKind

    @property
    def printed_name(self) -> str:
        """The name under an individual's signature line, without "(an individual)"."""
        return display_name(self.name)


@dataclass(frozen=True)
class Outline:
    """A body read as an agreement."""

    title: str
    preamble: list[Block]
    sections: list[Section]
    lead_in: list[Block]
    """Text of the signature section that is no party block ("IN WITNESS WHEREOF, ...")."""
    signatories: list[Signatory]
    citations: list[Block]
    """The blocks of a citations section the body carried (the memo's, not the agreement's)."""
    has_signature_section: bool = False

    @property
    def clauses_numbered(self) -> bool:
        """Whether the clauses' typed numbers run 1, 2, 3... so Word may number them itself."""
        numbers = [s.number for s in self.sections if s.level == 2]
        return bool(numbers) and numbers == [str(n) for n in range(1, len(numbers) + 1)]


def _split_heading(text: str) -> tuple[str | None, str]:
    """A heading's typed number and the rest: "5. Term" -> ("5", "Term")."""
    match = _NUMBER.match(text.strip())
    if match:
        return match[1], match[2]
    return None, text.strip()


def _is_party_block(block: Block) -> bool:
    """A paragraph of a signature section that is a party's block: a name, then short lines
    among which a blank to sign or fill (``By: ____``); or a name alone in bold."""
    if block.kind != "paragraph":
        return False
    first, *rest = block.text.split("\n")
    if rest:
        return any(_BLANK.search(line) for line in rest) and all(len(line) <= 120 for line in rest)
    return first.startswith("**") and first.rstrip().endswith("**")


def _kind(name: str, lines: list[str], declared: Mapping[str, PartyKind]) -> PartyKind:
    """A party's kind: declared, then said by its name, then by its block (a ``By:`` line is a
    company's, a ``Signature:`` line an individual's), else a company (whose block has room for
    whoever signs)."""
    if name.casefold() in declared:
        return declared[name.casefold()]
    if kind := party_kind(name):
        return kind
    fields = [
        plain(line).split(":", 1)[0].strip().lower() for line in lines if _FIELD.match(plain(line))
    ]
    if "by" in fields or "title" in fields:
        return "company"
    if "signature" in fields or any(_BLANK.fullmatch(plain(line).strip()) for line in lines):
        return "individual"
    return "company"


def _signatories(
    blocks: list[Block], declared: Mapping[str, PartyKind]
) -> tuple[list[Block], list[Signatory]]:
    """A signature section's lead-in text and its party blocks."""
    lead_in: list[Block] = []
    found: list[Signatory] = []
    for block in blocks:
        if _is_party_block(block):
            first, *rest = block.text.split("\n")
            name = plain(first).strip().rstrip(":").strip()
            found.append(Signatory(name, _kind(name, rest, declared)))
        elif block.kind != "rule":
            lead_in.append(block)
    return lead_in, found


def outline(document: Mapping[str, Any]) -> Outline:
    """The outline of a document (a state value or a stored row); odd rows give an empty one."""
    body = as_text(document.get("body")) if document.get("body") is not None else ""
    title = as_text(document.get("title"))
    blocks = read(body)
    if blocks and blocks[0].kind == "heading" and blocks[0].level == 1:
        title = title or plain(blocks[0].text).strip()
        blocks = blocks[1:]

    preamble: list[Block] = []
    sections: list[Section] = []
    signature_blocks: list[Block] | None = None
    citations: list[Block] | None = None
    current: list[Block] = preamble
    for block in blocks:
        if block.kind == "heading" and block.level <= 2:
            number, heading = _split_heading(block.text)
            name = plain(heading).strip()
            if _SIGNATURES.match(name):
                signature_blocks = current = []
                continue
            if has_citations_section(f"## {block.text}"):
                citations = current = []
                continue
            section = Section(heading, 2, number)
            sections.append(section)
            current = section.blocks
        elif block.kind == "heading":
            number, heading = _split_heading(block.text)
            section = Section(heading, block.level, number)
            sections.append(section)
            current = section.blocks
        else:
            current.append(block)

    declared = {p["name"].casefold(): p["kind"] for p in parties_of(document)}
    lead_in, signatories = _signatories(signature_blocks or [], declared)
    if not signatories and declared:
        signatories = [Signatory(p["name"], p["kind"]) for p in parties_of(document)]
    return Outline(
        title=title,
        preamble=preamble,
        sections=sections,
        lead_in=lead_in,
        signatories=signatories,
        citations=citations or [],
        has_signature_section=signature_blocks is not None,
    )


WITNESS = "IN WITNESS WHEREOF, the Parties have executed this Agreement as of the Effective Date."

__all__ = ["CITATIONS_HEADING", "WITNESS", "Outline", "Section", "Signatory", "outline"]
