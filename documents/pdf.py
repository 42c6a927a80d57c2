"""The document as PDF files (ReportLab): the agreement, laid out as its Word file is (title,
preamble, numbered clauses, signature blocks last; DRAFT in the header and across each page
until the version is marked final), and the citations memo.

ReportLab is imported when a PDF is asked for, not before, so a server without it still serves
every other export; ``PdfUnavailable`` says how to install it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from io import BytesIO
from typing import Any

from documents.docx import (
    AUTHOR,
    MEMO_INTRO,
    citation_parts,
    draft_label,
    memo_heading,
    signature_lines,
)
from documents.markdown import Block, runs
from documents.model import as_text, citations_of
from documents.outline import WITNESS, outline

REQUIREMENT = "reportlab==5.1.0"


class PdfUnavailable(RuntimeError):
    """The PDF library is not installed."""

    def __init__(self) -> None:
        super().__init__(
            f"PDF export needs ReportLab, which this server does not have: install it with "
            f"pip install '{REQUIREMENT}'"
        )


def _markup(text: str) -> str:
    """Inline Markdown as ReportLab's paragraph markup: escaped text, ``<b>``, ``<i>``, breaks."""
    out = []
    for part, bold, italic in runs(text):
        piece = escape(part, quote=False).replace("\n", "<br/>")
        if italic:
            piece = f"<i>{piece}</i>"
        if bold:
            piece = f"<b>{piece}</b>"
        out.append(piece)
    return "".join(out)


class _Writer:
    """Flowables for one PDF, in the house styles."""

    def __init__(self) -> None:
        try:
            from reportlab.lib import (  # type: ignore[import-untyped, unused-ignore]
                colors,
                enums,
                styles,
            )
            from reportlab.lib.units import inch  # type: ignore[import-untyped, unused-ignore]
            from reportlab.platypus import (  # type: ignore[import-untyped, unused-ignore]
                KeepTogether,
                Paragraph,
                Spacer,
            )
        except ImportError as error:
            raise PdfUnavailable() from error
        self.colors, self.inch = colors, inch
        self.Paragraph, self.Spacer, self.KeepTogether = Paragraph, Spacer, KeepTogether
        sheet = styles.getSampleStyleSheet()
        base = {"fontName": "Times-Roman", "textColor": colors.black}
        self.title = styles.ParagraphStyle(
            "AdlaanTitle", sheet["Title"], **{**base, "fontName": "Times-Bold"}, fontSize=18
        )
        self.heading = [
            styles.ParagraphStyle(
                f"AdlaanHeading{n}",
                sheet[f"Heading{n}"],
                **{**base, "fontName": "Times-Bold"},
                fontSize=size,
                leading=size + 3,
                spaceBefore=10,
                spaceAfter=4,
            )
            for n, size in ((1, 12), (2, 11), (3, 11))
        ]
        self.body = styles.ParagraphStyle(
            "AdlaanBody",
            sheet["BodyText"],
            **base,
            fontSize=11,
            leading=14,
            alignment=enums.TA_JUSTIFY,
            spaceAfter=8,
        )
        self.indented = styles.ParagraphStyle("AdlaanIndented", self.body, leftIndent=0.5 * inch)
        self.bullet = styles.ParagraphStyle(
            "AdlaanBullet", self.body, leftIndent=0.5 * inch, bulletIndent=0.25 * inch
        )
        self.line = styles.ParagraphStyle(
            "AdlaanLine", self.body, alignment=enums.TA_LEFT, spaceAfter=2
        )
        self.flow: list[Any] = []

    def paragraph(self, text: str, style: Any, bullet: str | None = None) -> None:
        self.flow.append(self.Paragraph(_markup(text), style, bulletText=bullet))

    def block(self, block: Block, indent: bool) -> None:
        """One block of the body; a numbered block keeps its typed number."""
        if block.kind == "heading":
            self.paragraph(block.text, self.heading[min(2, max(0, block.level - 2))])
        elif block.kind == "bullet":
            self.paragraph(block.text, self.bullet, bullet="•")
        elif block.kind in ("paragraph", "numbered", "quote"):
            self.paragraph(block.text, self.indented if indent else self.body)

    def build(self, doc: Mapping[str, Any], title: str, header: str | None) -> bytes:
        """The PDF: ``header`` at the top right and, when given, DRAFT across every page; page
        numbers at the foot."""
        from reportlab.lib.pagesizes import LETTER  # type: ignore[import-untyped, unused-ignore]
        from reportlab.platypus import (  # type: ignore[import-untyped, unused-ignore]
            SimpleDocTemplate,
        )

        buffer = BytesIO()
        template = SimpleDocTemplate(
            buffer,
            pagesize=LETTER,
            title=title,
            author=AUTHOR,
            subject=f"{as_text(doc.get('type')) or 'document'} v{doc.get('version')}",
            leftMargin=self.inch,
            rightMargin=self.inch,
            topMargin=self.inch,
            bottomMargin=self.inch,
        )
        decorate = self._decorate(header)
        # an empty document is still one (marked) page
        template.build(
            self.flow or [self.Spacer(1, 1)], onFirstPage=decorate, onLaterPages=decorate
        )
        return buffer.getvalue()

    def _decorate(self, header: str | None) -> Callable[[Any, Any], None]:
        colors, inch = self.colors, self.inch

        def draw(canvas: Any, template: Any) -> None:
            width, height = template.pagesize
            canvas.saveState()
            if header:
                canvas.setFillColor(colors.Color(0.75, 0, 0))
                canvas.setFont("Times-Bold", 9)
                canvas.drawRightString(width - inch, height - 0.6 * inch, header)
                if header.startswith("DRAFT"):
                    canvas.setFillColor(colors.Color(0.75, 0.75, 0.75, alpha=0.35))
                    canvas.setFont("Times-Bold", 110)
                    canvas.translate(width / 2, height / 2)
                    canvas.rotate(45)
                    canvas.drawCentredString(0, -40, "DRAFT")
                    canvas.rotate(-45)
                    canvas.translate(-width / 2, -height / 2)
            canvas.setFillColor(colors.black)
            canvas.setFont("Times-Roman", 9)
            canvas.drawCentredString(width / 2, 0.5 * inch, str(canvas.getPageNumber()))
            canvas.restoreState()

        return draw


def to_pdf(doc: Mapping[str, Any]) -> bytes:
    """The version as the agreement, in PDF: title, preamble, numbered clauses, signature blocks
    last; DRAFT until it is marked final."""
    writer = _Writer()
    shape = outline(doc)
    if shape.title:
        writer.paragraph(shape.title, writer.title)
    for block in shape.preamble:
        writer.block(block, indent=False)
    clause = 0
    for section in shape.sections:
        heading = section.heading
        if section.level == 2 and shape.clauses_numbered:
            clause += 1
            heading = f"{clause}. {heading}"
        elif section.number:
            heading = f"{section.number}. {heading}"
        writer.paragraph(heading, writer.heading[min(2, max(0, section.level - 2))])
        for block in section.blocks:
            writer.block(block, indent=section.level == 2)
    if shape.signatories or shape.lead_in:
        for block in shape.lead_in or [Block("paragraph", WITNESS)]:
            writer.block(block, indent=False)
        for signatory in shape.signatories:
            lines = [
                writer.Paragraph(_markup(f"**{text}**" if bold else text or " "), writer.line)
                for text, bold in signature_lines(signatory)
            ]
            writer.flow.append(writer.KeepTogether([writer.Spacer(1, 18), *lines]))
    return writer.build(doc, shape.title, draft_label(doc))


def to_memo_pdf(doc: Mapping[str, Any]) -> bytes:
    """The citations memo, in PDF."""
    writer = _Writer()
    shape = outline(doc)
    writer.paragraph("Memorandum", writer.title)
    for name, value in memo_heading(doc, shape.title):
        writer.flow.append(
            writer.Paragraph(f"<b>{name}:</b> {escape(value, quote=False)}", writer.line)
        )
    writer.flow.append(writer.Spacer(1, 10))
    writer.paragraph(MEMO_INTRO, writer.body)
    writer.paragraph("Authorities", writer.heading[0])
    citations = citations_of(doc)
    for index, citation in enumerate(citations, 1):
        authority, rest = citation_parts(citation)
        text = (f"<b>{escape(authority, quote=False)}</b>" if authority else "") + escape(
            rest, quote=False
        )
        writer.flow.append(writer.Paragraph(text, writer.bullet, bulletText=f"{index}."))
    if not citations and not shape.citations:
        writer.paragraph("The draft cites no authority.", writer.body)
    for block in shape.citations:
        writer.block(block, indent=False)
    return writer.build(doc, f"Citations memo: {shape.title}".strip(), draft_label(doc))
