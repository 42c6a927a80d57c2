"""The document as a Word file (python-docx): the title, the body's headings, paragraphs, lists
and emphasis, and a Citations section; core properties say what and which version it is.

Only the server imports this module: the graph writes Markdown and never loads python-docx.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.shared import Inches
from docx.text.paragraph import Paragraph

from documents.markdown import CITATIONS_HEADING, Block, has_citations_section, plain, read, runs
from documents.model import Citation, as_text, citations_of

#: Characters XML 1.0 forbids, which python-docx refuses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(text: str) -> str:
    """Text with the characters XML cannot hold removed."""
    return _NOT_XML.sub("", text)


def _fill(paragraph: Paragraph, text: str) -> Paragraph:
    """Add ``text``'s inline Markdown to ``paragraph`` as runs, newlines as line breaks."""
    for part, bold, italic in runs(text):
        for index, piece in enumerate(part.split("\n")):
            if index:
                paragraph.add_run().add_break()
            if piece:
                run = paragraph.add_run(_xml_safe(piece))
                run.bold = bold or None
                run.italic = italic or None
    return paragraph


def _add_heading(document: DocxDocument, text: str, level: int) -> None:
    """A Word heading (``level`` 0 is the Title style) with inline Markdown rendered."""
    _fill(document.add_heading("", level), text)


def _add_block(document: DocxDocument, block: Block) -> None:
    """Write one block of the body; a rule only separates blocks."""
    suffix = "" if block.level == 1 else f" {block.level}"
    if block.kind == "heading":
        _add_heading(document, block.text, block.level)
    elif block.kind == "bullet":
        _fill(document.add_paragraph(style=f"List Bullet{suffix}"), block.text)
    elif block.kind == "numbered":
        # The clause number stays in the text: Word's automatic numbering would renumber it.
        paragraph = document.add_paragraph(style=f"List Continue{suffix}")
        paragraph.paragraph_format.left_indent = Inches(0.25 * block.level)
        _fill(paragraph, block.text)
    elif block.kind == "quote":
        _fill(document.add_paragraph(style="Quote"), block.text)
    elif block.kind == "paragraph":
        _fill(document.add_paragraph(), block.text)


def _add_body(document: DocxDocument, body: str, title: str) -> None:
    """Write a Markdown body: a leading ``#`` title as the Title (or ``title`` when the body does
    not start with it), then the rest block by block."""
    blocks = read(body)
    first = blocks[0] if blocks else None
    if (
        first is not None
        and first.kind == "heading"
        and first.level == 1
        and (not title or plain(first.text) == title)
    ):
        _add_heading(document, first.text, 0)
        blocks = blocks[1:]
    elif title:
        _add_heading(document, title, 0)
    for block in blocks:
        _add_block(document, block)


def _add_citation(document: DocxDocument, citation: Citation) -> None:
    """One citation paragraph: the authority in bold, then where to find it and why."""
    paragraph = document.add_paragraph(style="List Bullet")
    if citation["authority"]:
        paragraph.add_run(_xml_safe(citation["authority"])).bold = True
    rest = citation["citation"]
    if rest and citation["authority"]:
        rest = f" — {rest}"
    if citation["reason"]:
        rest = (
            f"{rest}: {citation['reason']}" if rest or citation["authority"] else citation["reason"]
        )
    if rest:
        paragraph.add_run(_xml_safe(rest))


def _property(value: str) -> str:
    """A core-property string: XML-safe and within the 255 characters Word allows."""
    return _xml_safe(value)[:255]


def to_docx(doc: Mapping[str, Any]) -> bytes:
    """The version as a Word file: title, headings, clauses, formatting and a Citations section."""
    body = doc.get("body") or ""
    title = as_text(doc.get("title"))
    kind = as_text(doc.get("type")) or "document"
    version = doc.get("version")

    document = docx.Document()
    properties = document.core_properties
    properties.title = _property(title)
    properties.subject = _property(f"{kind} v{version}" if version is not None else kind)
    properties.keywords = _property(
        ", ".join(filter(None, [kind, as_text(doc.get("jurisdiction"))]))
    )
    properties.author = properties.last_modified_by = "Adlaan Agent"
    properties.comments = ""
    created = doc.get("created_at")
    if isinstance(created, datetime):
        utc = created.astimezone(UTC) if created.tzinfo else created
        properties.created = properties.modified = utc
    properties.revision = int(version) if isinstance(version, int) and version > 0 else 1

    _add_body(document, body, title)
    citations = citations_of(doc)
    if citations and not has_citations_section(body):
        _add_heading(document, CITATIONS_HEADING, 2)
        for citation in citations:
            _add_citation(document, citation)

    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
