"""A redline between two versions as a Word file whose changes are Word's own tracked changes:
insertions in ``w:ins`` and deletions in ``w:del`` (deleted text in ``w:delText``), each with
an author and a date, so Word lists them in its Reviewing pane and can accept or reject each.

Clauses are matched across versions by heading: a clause in both is compared word by word (its
paragraphs aligned first, so an untouched paragraph stays untouched); a clause only in the old
version is one whole deletion, paragraph marks included, and a clause only in the new one a
whole insertion. The title, preamble and signature blocks are compared the same way. The
comparison is ``difflib``'s, over words, spaces and punctuation with their emphasis.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.shared import Inches

from documents.docx import (
    AUTHOR,
    Numbering,
    new_document,
    number,
    save,
    signature_lines,
    xml_safe,
)
from documents.markdown import Block, runs
from documents.outline import WITNESS, Outline, Section, outline

Op = Literal["equal", "insert", "delete"]
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Token:
    """A word, a stretch of spaces or a punctuation mark, with its emphasis."""

    text: str
    bold: bool
    italic: bool


def tokens(text: str) -> list[Token]:
    """Inline Markdown as tokens."""
    return [
        Token(piece, run.bold, run.italic)
        for run in runs(text)
        for piece in _TOKEN.findall(run.text)
    ]


def word_diff(old: str, new: str) -> list[tuple[Op, list[Token]]]:
    """The changes from ``old`` to ``new`` (inline Markdown) as pieces: unchanged, inserted or
    deleted stretches of tokens, deletions before insertions where a stretch was replaced."""
    before, after = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    opcodes = matcher.get_opcodes()
    # A space left unchanged between two changes joins them, so "[governing law]" -> "the
    # State of California" reads as one replacement rather than a patchwork of words.
    changes: list[tuple[bool, list[Token], list[Token]]] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        gap = (
            tag == "equal"
            and 0 < index < len(opcodes) - 1
            and all(not token.text.strip() for token in after[j1:j2])
        )
        if tag == "equal" and not gap:
            changes.append((False, before[i1:i2], after[j1:j2]))
        elif changes and changes[-1][0]:
            changes[-1][1].extend(before[i1:i2])
            changes[-1][2].extend(after[j1:j2])
        else:
            changes.append((True, before[i1:i2], after[j1:j2]))
    pieces: list[tuple[Op, list[Token]]] = []
    for changed, removed, added in changes:
        if not changed:
            pieces.append(("equal", added))
            continue
        if removed:
            pieces.append(("delete", removed))
        if added:
            pieces.append(("insert", added))
    return pieces


@dataclass
class Tracker:
    """Writes tracked changes into a document: one author and date, ids unique in the file."""

    author: str
    date: str
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    insertions: int = 0
    deletions: int = 0

    def _change(self, tag: str) -> Any:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(next(self._ids)))
        element.set(qn("w:author"), self.author)
        element.set(qn("w:date"), self.date)
        return element

    def _run(self, group: list[Token], deleted: bool) -> Any:
        run = OxmlElement("w:r")
        first = group[0]
        if first.bold or first.italic:
            properties = OxmlElement("w:rPr")
            if first.bold:
                properties.append(OxmlElement("w:b"))
            if first.italic:
                properties.append(OxmlElement("w:i"))
            run.append(properties)
        text = xml_safe("".join(token.text for token in group))
        for index, line in enumerate(text.split("\n")):
            if index:
                run.append(OxmlElement("w:br"))
            if line:
                element = OxmlElement("w:delText" if deleted else "w:t")
                element.set(qn("xml:space"), "preserve")
                element.text = line
                run.append(element)
        return run

    def write(self, p: CT_P, pieces: Sequence[tuple[Op, list[Token]]]) -> None:
        """Append ``pieces`` to paragraph ``p``: unchanged text as plain runs, the rest inside
        ``w:ins``/``w:del``."""
        for op, group in pieces:
            for _emphasis, same in itertools.groupby(group, lambda t: (t.bold, t.italic)):
                run = self._run(list(same), deleted=op == "delete")
                if op == "equal":
                    p.append(run)
                    continue
                wrapper = self._change("w:ins" if op == "insert" else "w:del")
                wrapper.append(run)
                p.append(wrapper)
            if op == "insert":
                self.insertions += 1
            elif op == "delete":
                self.deletions += 1

    def mark(self, p: CT_P, op: Op) -> None:
        """Track the paragraph mark itself as inserted or deleted (a whole new or removed
        paragraph), so accepting the change leaves no empty paragraph behind."""
        if op == "equal":
            return
        properties = p.get_or_add_pPr()
        marks = OxmlElement("w:rPr")
        marks.append(self._change("w:ins" if op == "insert" else "w:del"))
        properties.append(marks)


_STYLES = {
    "paragraph": "Body Text",
    "bullet": "List Bullet",
    "numbered": "List Continue",
    "quote": "Quote",
    "heading": "Heading 3",
}


@dataclass
class Redline:
    """A redline being written into ``document``."""

    document: DocxDocument
    tracker: Tracker
    numbering: Numbering
    numbered: bool

    def paragraph(
        self,
        style: str,
        pieces: Sequence[tuple[Op, list[Token]]],
        whole: Op = "equal",
        indent: bool = False,
        num: tuple[int, int] | None = None,
    ) -> None:
        """A paragraph of ``pieces``; ``whole`` says the paragraph itself is new or removed."""
        paragraph = self.document.add_paragraph(style=style)
        if indent:
            paragraph.paragraph_format.left_indent = Inches(0.5)
        if num is not None:
            number(paragraph, *num)
        self.tracker.write(paragraph._p, pieces)
        self.tracker.mark(paragraph._p, whole)

    def compare(
        self,
        style: str,
        old: str | None,
        new: str | None,
        indent: bool = False,
        num: tuple[int, int] | None = None,
    ) -> None:
        """A paragraph whose text went from ``old`` to ``new`` (None: it did not exist)."""
        if old is not None and new is not None:
            self.paragraph(style, word_diff(old, new), indent=indent, num=num)
        elif new is not None:
            self.paragraph(style, [("insert", tokens(new))], "insert", indent, num)
        elif old is not None:
            self.paragraph(style, [("delete", tokens(old))], "delete", indent, num)

    def block(self, old: Block | None, new: Block | None, indent: bool) -> None:
        """One block compared (or wholly inserted or deleted); a rule only separates blocks."""
        kind = new.kind if new is not None else old.kind if old is not None else "rule"
        if style := _STYLES.get(kind):
            self.compare(style, old.text if old else None, new.text if new else None, indent)

    def blocks(self, old: Sequence[Block], new: Sequence[Block], indent: bool = False) -> None:
        """Two runs of blocks aligned (unchanged blocks found first), then compared pairwise."""
        keys = [(b.kind, b.text) for b in old], [(b.kind, b.text) for b in new]
        matcher = difflib.SequenceMatcher(None, *keys, autojunk=False)
        for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for a, b in itertools.zip_longest(old[i1:i2], new[j1:j2]):
                self.block(a, b, indent)

    def heading(self, old: Section | None, new: Section | None) -> None:
        """A section's heading compared; a clause's numbered by Word when the bodies allow."""
        level = max(section.level for section in (old, new) if section is not None)
        num = (self.numbering.clauses, 0) if self.numbered and level == 2 else None

        def text(section: Section | None) -> str | None:
            if section is None:
                return None
            if num is None and section.number:
                return f"{section.number}. {section.heading}"
            return section.heading

        self.compare(f"Heading {min(3, max(1, level - 1))}", text(old), text(new), num=num)

    def section(self, old: Section | None, new: Section | None) -> None:
        """A clause compared, or wholly inserted or deleted."""
        self.heading(old, new)
        indent = any(section is not None and section.level == 2 for section in (old, new))
        self.blocks(old.blocks if old else [], new.blocks if new else [], indent)

    def sections(self, old: Sequence[Section], new: Sequence[Section]) -> None:
        """Clauses matched by heading; the rest removed or added whole."""
        matcher = difflib.SequenceMatcher(
            None, [s.key for s in old], [s.key for s in new], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for a, b in zip(old[i1:i2], new[j1:j2], strict=True):
                    self.section(a, b)
                continue
            for a in old[i1:i2]:
                self.section(a, None)
            for b in new[j1:j2]:
                self.section(None, b)


def _signature_blocks(shape: Outline) -> list[Block]:
    """The signature section as blocks: the lead-in, then one block per party."""
    if not shape.signatories and not shape.lead_in:
        return []
    blocks = list(shape.lead_in or [Block("paragraph", WITNESS)])
    for signatory in shape.signatories:
        lines = [f"**{text}**" if bold else text for text, bold in signature_lines(signatory)]
        blocks.append(Block("paragraph", "\n".join(line for line in lines if line)))
    return blocks


def _date(doc: Mapping[str, Any]) -> str:
    created = doc.get("created_at")
    at = created if isinstance(created, datetime) else datetime.now(UTC)
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(doc: Mapping[str, Any]) -> str:
    version = doc.get("version")
    return f"version {version}" if version is not None else f"#{doc.get('id')}"


def to_redline_docx(old: Mapping[str, Any], new: Mapping[str, Any]) -> bytes:
    """The changes from version ``old`` to version ``new`` as a Word file with tracked changes
    (author Adlaan Agent, dated when ``new`` was made): accepting them all gives ``new``'s text,
    rejecting them all ``old``'s."""
    a, b = outline(old), outline(new)
    header = f"REDLINE — {_name(old)} to {_name(new)}"
    document = new_document(new, f"Redline: {b.title or a.title}".strip(), header)
    redline = Redline(
        document,
        Tracker(AUTHOR, _date(new)),
        Numbering.of(document),
        numbered=a.clauses_numbered or b.clauses_numbered,
    )
    redline.paragraph("Title", word_diff(a.title, b.title))
    redline.blocks(a.preamble, b.preamble)
    redline.sections(a.sections, b.sections)
    redline.blocks(_signature_blocks(a), _signature_blocks(b))
    return save(document)
