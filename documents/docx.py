"""The document as Word files (python-docx, with low-level OOXML where it has no API): the
agreement, the citations memo that goes with it, and the building blocks the redline shares.

The agreement: named styles (Title, Heading 1 for clauses, Heading 2/3 below them, Body Text),
clause numbers as Word numbering (an ``abstractNum``/``num`` definition in ``numbering.xml``
that each clause heading references through ``numPr``, so Word renumbers when a clause is added
in Word), sub-clauses "5.1" and items "(a)" on the same list's lower levels, a DRAFT header and
a DRAFT watermark until the version is marked final, and signature blocks for individuals and
companies as the last thing in it. The authorities go in a separate memo (``to_memo_docx``).

Where a body's typed numbers do not run in order (an edited body, "## 3." first), they stay
typed: Word would otherwise renumber them and the export would not say what the text says.

Only the server imports this module: the graph writes Markdown and never loads python-docx.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.oxml.numbering import CT_Numbering
from docx.oxml.text.paragraph import CT_P
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph

from documents.markdown import Block, runs
from documents.model import Citation, as_text, citations_of
from documents.outline import WITNESS, Outline, Section, Signatory, outline

#: Characters XML 1.0 forbids, which python-docx refuses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_SUBCLAUSE = re.compile(r"^(\d+)\.(\d+)\.?$")
_ITEM = re.compile(r"^\(([a-z])\)$")
_DECIMAL = re.compile(r"^(\d+)[.)]$")
SIGNATURE_LINE = "______________________________"
AUTHOR = "Adlaan Agent"
DRAFT_MARK = "DRAFT"
FONT = "Times New Roman"


def xml_safe(text: str) -> str:
    """Text with the characters XML cannot hold removed."""
    return _NOT_XML.sub("", text)


def is_final(doc: Mapping[str, Any]) -> bool:
    """Whether a version is marked final (a stored row's ``final_at``), so carries no DRAFT."""
    return bool(doc.get("final_at")) or doc.get("final") is True


def fill(paragraph: Paragraph, text: str) -> Paragraph:
    """Add ``text``'s inline Markdown to ``paragraph`` as runs, newlines as line breaks."""
    for part, bold, italic in runs(text):
        for index, piece in enumerate(part.split("\n")):
            if index:
                paragraph.add_run().add_break()
            if piece:
                run = paragraph.add_run(xml_safe(piece))
                run.bold = bold or None
                run.italic = italic or None
    return paragraph


# --- Styles, numbering, header -----------------------------------------------------------------


def _style(document: DocxDocument) -> None:
    """House styles: a serif body, black headings, justified body text."""
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    for name, size in (("Title", 18), ("Heading 1", 12), ("Heading 2", 11), ("Heading 3", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    body = styles["Body Text"]
    body.font.name = FONT
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.space_after = Pt(8)


def _level(ilvl: int, fmt: str, text: str, left: int) -> str:
    """One ``w:lvl`` of an abstract numbering definition (indents in twentieths of a point)."""
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{left}" w:hanging="720"/></w:pPr></w:lvl>'
    )


def _add_abstract(numbering: CT_Numbering, name: str, levels: str) -> int:
    """Add an abstract numbering definition before every ``w:num`` (the schema's order) and
    return its id."""
    ids = [int(i) for i in numbering.xpath("./w:abstractNum/@w:abstractNumId")]
    abstract_id = max(ids, default=-1) + 1
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="multilevel"/><w:name w:val="{name}"/>{levels}</w:abstractNum>'
    )
    nums = numbering.xpath("./w:num")
    if nums:
        nums[0].addprevious(abstract)
    else:
        numbering.append(abstract)
    return abstract_id


@dataclass
class Numbering:
    """The numbering definitions of one Word file: clauses ("1.", "1.1", "(a)") and plain
    ordered lists, each list started afresh with its own ``w:num``."""

    numbering: CT_Numbering
    clauses_abstract: int
    list_abstract: int
    clauses: int = 0
    _lists: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, document: DocxDocument) -> Numbering:
        numbering = document.part.numbering_part.element
        clauses = _add_abstract(
            numbering,
            "Adlaan Clauses",
            _level(0, "decimal", "%1.", 720)
            + _level(1, "decimal", "%1.%2", 1440)
            + _level(2, "lowerLetter", "(%3)", 2160),
        )
        lists = _add_abstract(numbering, "Adlaan List", _level(0, "decimal", "%1.", 720))
        made = cls(numbering, clauses, lists)
        made.clauses = numbering.add_num(clauses).numId
        return made

    def new_list(self) -> int:
        """A fresh ordered list that starts at 1."""
        num = self.numbering.add_num(self.list_abstract)
        override = parse_xml(
            f'<w:lvlOverride {nsdecls("w")} w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'
        )
        num.append(override)
        self._lists.append(num.numId)
        return num.numId


def number(paragraph: Paragraph | CT_P, num_id: int, ilvl: int) -> None:
    """Reference numbering ``num_id`` at level ``ilvl`` from a paragraph (``w:numPr``)."""
    p = paragraph._p if isinstance(paragraph, Paragraph) else paragraph
    num_pr = p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = num_id


def _watermark(paragraph: Paragraph) -> None:
    """A diagonal grey DRAFT behind the page's text: a VML text path in the header, as Word's
    own Watermark command makes it."""
    shape = parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office"><w:rPr><w:noProof/></w:rPr><w:pict>'
        '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
        'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
        '<v:textpath on="t" fitshape="t"/></v:shapetype>'
        '<v:shape id="AdlaanDraftWatermark" o:spid="_x0000_s2049" type="#_x0000_t136" '
        'style="position:absolute;margin-left:0;margin-top:0;width:468pt;height:117pt;'
        "rotation:315;z-index:-251654144;mso-position-horizontal:center;"
        "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
        'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="silver" '
        'stroked="f"><v:fill opacity=".5"/>'
        f'<v:textpath style="font-family:&quot;{FONT}&quot;;font-size:1pt" string="{DRAFT_MARK}"/>'
        "</v:shape></w:pict></w:r>"
    )
    paragraph._p.append(shape)


def _page_number(paragraph: Paragraph) -> None:
    """A PAGE field, which Word fills in on every page."""
    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        )
    )
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def draft_label(doc: Mapping[str, Any]) -> str | None:
    """The DRAFT marking of a version ("DRAFT — version 3 — not for signature"), None once it is
    marked final."""
    if is_final(doc):
        return None
    version = doc.get("version")
    text = DRAFT_MARK if version is None else f"{DRAFT_MARK} — version {version}"
    return f"{text} — not for signature"


def _header(document: DocxDocument, text: str | None, watermark: bool) -> None:
    """The header's text (right-aligned, in red) and the diagonal watermark, when given; page
    numbers in the footer either way."""
    section = document.sections[0]
    if text:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = header.add_run(xml_safe(text))
        run.bold = True
        run.font.color.rgb = RGBColor(0xC0, 0, 0)
        if watermark:
            _watermark(header)
    _page_number(section.footer.paragraphs[0])


def _property(value: str) -> str:
    """A core-property string: XML-safe and within the 255 characters Word allows."""
    return xml_safe(value)[:255]


def new_document(
    doc: Mapping[str, Any], title: str, header: str | None = None, watermark: bool = False
) -> DocxDocument:
    """A Word file for ``doc`` with the house styles, its core properties (what and which
    version it is), a ``header`` line and, with ``watermark``, a diagonal DRAFT behind the
    text."""
    document = docx.Document()
    _style(document)
    kind = as_text(doc.get("type")) or "document"
    version = doc.get("version")
    properties = document.core_properties
    properties.title = _property(title)
    properties.subject = _property(f"{kind} v{version}" if version is not None else kind)
    properties.keywords = _property(
        ", ".join(filter(None, [kind, as_text(doc.get("jurisdiction"))]))
    )
    properties.author = properties.last_modified_by = AUTHOR
    properties.comments = ""
    properties.category = "" if is_final(doc) else DRAFT_MARK
    created = doc.get("created_at")
    if isinstance(created, datetime):
        utc = created.astimezone(UTC) if created.tzinfo else created
        properties.created = properties.modified = utc
    properties.revision = int(version) if isinstance(version, int) and version > 0 else 1
    section = document.sections[0]
    section.left_margin = section.right_margin = Inches(1)
    _header(document, header, watermark)
    return document


def save(document: DocxDocument) -> bytes:
    """The file's bytes."""
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- The agreement -----------------------------------------------------------------------------


@dataclass
class Numberer:
    """Decides, block by block, whether Word may number a paragraph: only where the typed
    number is the one Word would show, so the file says what the text says."""

    numbering: Numbering
    clauses_numbered: bool
    clause: int = 0
    sub: int = 0
    item: int = 0
    list_num: int | None = None
    list_count: int = 0

    def heading(self, section: Section) -> tuple[str, int | None]:
        """A clause heading's text and whether it is numbered (its ``numId``)."""
        self.sub = self.item = 0
        self.list_num = None
        if section.level == 2 and self.clauses_numbered:
            self.clause += 1
            return section.heading, self.numbering.clauses
        typed = f"{section.number}. {section.heading}" if section.number else section.heading
        return typed, None

    def other(self) -> None:
        """A block that is no list item ends the open ordered list."""
        self.list_num = None

    def item_of(self, block: Block) -> tuple[str, int, int] | None:
        """A numbered block's text without its label, numId and level, when Word numbers it."""
        label, _, text = block.text.partition(" ")
        if match := _SUBCLAUSE.match(label):
            self.list_num = None
            if (
                self.clauses_numbered
                and self.clause
                and int(match[1]) == self.clause
                and int(match[2]) == self.sub + 1
            ):
                self.sub += 1
                self.item = 0
                return text, self.numbering.clauses, 1
            return None
        if match := _ITEM.match(label):
            self.list_num = None
            if self.clauses_numbered and self.clause and match[1] == _LETTERS[self.item % 26]:
                self.item += 1
                return text, self.numbering.clauses, 2
            return None
        if match := _DECIMAL.match(label):
            wanted = 1 if self.list_num is None else self.list_count + 1
            if int(match[1]) != wanted:
                self.list_num = None
                return None
            if self.list_num is None:
                self.list_num, self.list_count = self.numbering.new_list(), 0
            self.list_count += 1
            return text, self.list_num, 0
        self.list_num = None
        return None


def add_block(
    document: DocxDocument, block: Block, numberer: Numberer, indent: bool
) -> Paragraph | None:
    """Write one block of the body; a rule only separates blocks."""
    suffix = "" if block.level == 1 else f" {block.level}"
    if block.kind == "numbered":
        numbered = numberer.item_of(block)
        if numbered is not None:
            text, num_id, ilvl = numbered
            paragraph = fill(document.add_paragraph(style="Body Text"), text)
            number(paragraph, num_id, ilvl)
            return paragraph
        paragraph = document.add_paragraph(style=f"List Continue{suffix}")
        paragraph.paragraph_format.left_indent = Inches(0.25 * block.level + (0.5 if indent else 0))
        return fill(paragraph, block.text)
    numberer.other()
    if block.kind == "heading":
        level = min(3, max(1, block.level - 1))
        return fill(document.add_heading("", level), block.text)
    if block.kind == "bullet":
        return fill(document.add_paragraph(style=f"List Bullet{suffix}"), block.text)
    if block.kind == "quote":
        return fill(document.add_paragraph(style="Quote"), block.text)
    if block.kind == "paragraph":
        paragraph = fill(document.add_paragraph(style="Body Text"), block.text)
        if indent:
            paragraph.paragraph_format.left_indent = Inches(0.5)
        return paragraph
    return None


def add_heading(document: DocxDocument, section: Section, numberer: Numberer) -> Paragraph:
    """A section's heading: Heading 1 for a clause (Word-numbered when the body allows), Heading
    2 and 3 below."""
    text, num_id = numberer.heading(section)
    paragraph = fill(document.add_heading("", min(3, max(1, section.level - 1))), text)
    if num_id is not None:
        number(paragraph, num_id, 0)
    return paragraph


def signature_lines(signatory: Signatory) -> list[tuple[str, bool]]:
    """A signature block's lines and whether each is bold: a company signs by someone (By,
    Name, Title), an individual on a line over her own name."""
    name = (signatory.name, True)
    if signatory.kind == "individual":
        return [
            name,
            ("", False),
            (SIGNATURE_LINE, False),
            (signatory.printed_name, False),
            (f"Date: {SIGNATURE_LINE}", False),
        ]
    return [
        name,
        ("", False),
        (f"By: {SIGNATURE_LINE}", False),
        (f"Name: {SIGNATURE_LINE}", False),
        (f"Title: {SIGNATURE_LINE}", False),
        (f"Date: {SIGNATURE_LINE}", False),
    ]


def _add_signatures(document: DocxDocument, shape: Outline, numberer: Numberer) -> None:
    """The execution lead-in and each party's block, kept on one page."""
    if not shape.signatories and not shape.lead_in:
        return
    for block in shape.lead_in or [Block("paragraph", WITNESS)]:
        add_block(document, block, numberer, indent=False)
    for signatory in shape.signatories:
        lines = signature_lines(signatory)
        for index, (text, bold) in enumerate(lines):
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.keep_with_next = index < len(lines) - 1
            paragraph.paragraph_format.space_after = Pt(0)
            if index == 0:
                paragraph.paragraph_format.space_before = Pt(24)
            if text:
                paragraph.add_run(xml_safe(text)).bold = bold or None


def to_docx(doc: Mapping[str, Any]) -> bytes:
    """The version as the agreement a lawyer sends: title, preamble, Word-numbered clauses,
    signature blocks last; DRAFT header and watermark until it is marked final."""
    shape = outline(doc)
    draft = draft_label(doc)
    document = new_document(doc, shape.title, draft, watermark=draft is not None)
    numbering = Numbering.of(document)
    numberer = Numberer(numbering, shape.clauses_numbered)
    if shape.title:
        fill(document.add_heading("", 0), shape.title)
    for block in shape.preamble:
        add_block(document, block, numberer, indent=False)
    for section in shape.sections:
        add_heading(document, section, numberer)
        for block in section.blocks:
            add_block(document, block, numberer, indent=section.level == 2)
    _add_signatures(document, shape, numberer)
    return save(document)


# --- The citations memo ------------------------------------------------------------------------


def citation_parts(citation: Citation) -> tuple[str, str]:
    """A citation as its bold authority and the rest: `` — where: why``."""
    rest = citation["citation"]
    if rest and citation["authority"]:
        rest = f" — {rest}"
    if citation["reason"]:
        rest = (
            f"{rest}: {citation['reason']}" if rest or citation["authority"] else citation["reason"]
        )
    return citation["authority"], rest


def memo_heading(doc: Mapping[str, Any], title: str) -> list[tuple[str, str]]:
    """The memo's To/From/Re lines."""
    version = doc.get("version")
    subject = title or "the draft"
    if version is not None:
        subject += f", version {version}"
    created = doc.get("created_at")
    lines = [("From", AUTHOR), ("Re", f"Authorities cited in {subject}")]
    if isinstance(created, datetime):
        lines.append(("Date", f"{created:%B} {created.day}, {created.year}"))
    return lines


MEMO_INTRO = (
    "This memorandum lists the authorities the draft relies on and why it cites each. It "
    "accompanies the agreement and is not part of it."
)


def to_memo_docx(doc: Mapping[str, Any]) -> bytes:
    """The citations memo that goes with a version: a heading (from, re, date), a sentence on
    what it is, and the authorities as a Word-numbered list (plus any citations section the
    body itself carried)."""
    shape = outline(doc)
    document = new_document(doc, f"Citations memo: {shape.title}".strip(), draft_label(doc))
    numbering = Numbering.of(document)
    fill(document.add_heading("", 0), "Memorandum")
    for name, value in memo_heading(doc, shape.title):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{name}: ").bold = True
        paragraph.add_run(xml_safe(value))
    document.add_paragraph(MEMO_INTRO, style="Body Text")
    fill(document.add_heading("", 1), "Authorities")
    citations = citations_of(doc)
    list_num = numbering.new_list() if citations else 0
    for citation in citations:
        paragraph = document.add_paragraph(style="Body Text")
        number(paragraph, list_num, 0)
        authority, rest = citation_parts(citation)
        if authority:
            paragraph.add_run(xml_safe(authority)).bold = True
        if rest:
            paragraph.add_run(xml_safe(rest))
    if not citations and not shape.citations:
        document.add_paragraph("The draft cites no authority.", style="Body Text")
    numberer = Numberer(numbering, clauses_numbered=False)
    for block in shape.citations:
        add_block(document, block, numberer, indent=False)
    return save(document)
