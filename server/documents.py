"""Rendering one stored document version for download: Markdown, Word (.docx), a diff between two
versions, and a safe file name.

A version is a dict with ``id``, ``document_key``, ``version``, ``type``, ``jurisdiction``,
``title``, ``body`` (the drafter's Markdown: a ``#`` title, a preamble, ``## N. Heading`` clauses
and hard-broken signature lines), ``citations`` (``authority``/``citation``/``reason`` dicts, any
key possibly missing) and ``created_at``. Everything here is pure: no database, no network, and
odd rows (missing keys, ``None`` values) render rather than raise.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.shared import Inches
from docx.text.paragraph import Paragraph

CITATIONS_HEADING = "Citations"

#: A heading that already starts a citations section ("## Citations", "## 14. Authorities").
_CITATIONS_SECTION = re.compile(
    r"^#{1,6}[ \t]+(?:\d+(?:\.\d+)*\.?[ \t]+)?(?:citations|authorities(?:[ \t]+cited)?)"
    r"[ \t]*:?[ \t]*#*[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(.*)$")
_NUMBERED = re.compile(
    r"^([ \t]*)(\d+(?:\.\d+)+[.)]?|\d+[.)]|\((?:\d+|[a-z]|[ivxlc]+)\))[ \t]+(.*)$", re.IGNORECASE
)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?(.*)$")
_EMPHASIS = re.compile(
    r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*|\*\*(?=\S)(.+?)(?<=\S)\*\*|\*(?=\S)(.+?)(?<=\S)\*"
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])")
_ESCAPED = re.compile("[\ue000-\ue07f]")
#: Characters XML 1.0 forbids, which python-docx refuses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))} | {
    f"lpt{i}" for i in range(10)
}


def _text(value: Any) -> str:
    """A value as stripped text, ``None`` as the empty string."""
    return "" if value is None else str(value).strip()


def _citations(doc: Mapping[str, Any]) -> list[dict[str, str]]:
    """The version's citations as complete string dicts, skipping entries with nothing in them."""
    result = []
    for entry in doc.get("citations") or []:
        if isinstance(entry, Mapping):
            parts = {k: _text(entry.get(k)) for k in ("authority", "citation", "reason")}
        else:
            parts = {"authority": "", "citation": _text(entry), "reason": ""}
        if any(parts.values()):
            result.append(parts)
    return result


def _citation_key(citation: Mapping[str, str]) -> tuple[str, str]:
    """What identifies a citation across versions: its authority and where to find it."""
    return citation["authority"], citation["citation"]


def _citation_markdown(citation: Mapping[str, str]) -> str:
    """One citation as a Markdown bullet: ``- **authority** — citation: reason``."""
    line = f"**{citation['authority']}**" if citation["authority"] else ""
    if citation["citation"]:
        line = f"{line} — {citation['citation']}" if line else citation["citation"]
    if citation["reason"]:
        line = f"{line}: {citation['reason']}" if line else citation["reason"]
    return f"- {line}"


def has_citations_section(body: str) -> bool:
    """Whether a Markdown body already has a heading that starts a citations section."""
    return bool(_CITATIONS_SECTION.search(body))


def to_markdown(doc: Mapping[str, Any]) -> str:
    """The body as stored plus a ``## Citations`` section (unless it has one), ending in a newline."""
    body = (doc.get("body") or "").rstrip()
    citations = _citations(doc)
    if citations and not has_citations_section(body):
        lines = "\n".join(_citation_markdown(c) for c in citations)
        section = f"## {CITATIONS_HEADING}\n\n{lines}"
        body = f"{body}\n\n{section}" if body else section
    return f"{body}\n"


# --- Word -----------------------------------------------------------------------------------


@dataclass
class _Block:
    """A Markdown block being collected: its kind, nesting depth, and lines (text, hard break)."""

    kind: str  # "paragraph", "bullet", "numbered" or "quote"
    depth: int = 1
    lines: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, raw: str) -> None:
        """Append a source line, noting a Markdown hard break (two spaces or a backslash)."""
        hard = raw.endswith(("  ", "\\"))
        text = raw.strip()
        if text.endswith("\\") and not text.endswith("\\\\"):
            text = text[:-1].rstrip()
        self.lines.append((text, hard))

    def text(self) -> str:
        """The block's text, lines joined by spaces and hard breaks kept as newlines."""
        out = ""
        for index, (line, hard) in enumerate(self.lines):
            out += line
            if index < len(self.lines) - 1:
                out += "\n" if hard else " "
        return out


def _xml_safe(text: str) -> str:
    """Text with the characters XML cannot hold removed."""
    return _NOT_XML.sub("", text)


def _inline(
    text: str, bold: bool = False, italic: bool = False
) -> Iterator[tuple[str, bool, bool]]:
    """Split ``*italic*``, ``**bold**`` and ``***both***`` Markdown into (text, bold, italic)."""
    position = 0
    for match in _EMPHASIS.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], bold, italic
        both, strong, emphasis = match.groups()
        if both is not None:
            yield from _inline(both, True, True)
        elif strong is not None:
            yield from _inline(strong, True, italic)
        else:
            yield from _inline(emphasis, bold, True)
        position = match.end()
    if position < len(text):
        yield text[position:], bold, italic


def _runs(text: str) -> list[tuple[str, bool, bool]]:
    """Inline Markdown as (text, bold, italic) runs, backslash escapes resolved."""
    hidden = _ESCAPE.sub(lambda m: chr(0xE000 + ord(m[1])), text)
    return [
        (_ESCAPED.sub(lambda m: chr(ord(m[0]) - 0xE000), part), b, i)
        for part, b, i in _inline(hidden)
        if part
    ]


def _plain(text: str) -> str:
    """Inline Markdown with its markers stripped."""
    return "".join(part for part, _, _ in _runs(text))


def _fill(paragraph: Paragraph, text: str) -> Paragraph:
    """Add ``text``'s inline Markdown to ``paragraph`` as runs, newlines as line breaks."""
    for part, bold, italic in _runs(text):
        for index, piece in enumerate(part.split("\n")):
            if index:
                paragraph.add_run().add_break()
            if piece:
                run = paragraph.add_run(_xml_safe(piece))
                run.bold = bold or None
                run.italic = italic or None
    return paragraph


def _depth(indent: str) -> int:
    """Nesting depth (1–3) of a list item from its leading whitespace."""
    return 1 + min(2, len(indent.expandtabs(4)) // 2)


def _flush(document: DocxDocument, block: _Block | None) -> None:
    """Write a collected block to the Word document."""
    if block is None or not block.lines:
        return
    suffix = "" if block.depth == 1 else f" {block.depth}"
    if block.kind == "bullet":
        _fill(document.add_paragraph(style=f"List Bullet{suffix}"), block.text())
    elif block.kind == "numbered":
        # The clause number stays in the text: Word's automatic numbering would renumber it.
        paragraph = document.add_paragraph(style=f"List Continue{suffix}")
        paragraph.paragraph_format.left_indent = Inches(0.25 * block.depth)
        _fill(paragraph, block.text())
    elif block.kind == "quote":
        _fill(document.add_paragraph(style="Quote"), block.text())
    else:
        _fill(document.add_paragraph(), block.text())


def _add_heading(document: DocxDocument, text: str, level: int) -> None:
    """A Word heading (``level`` 0 is the Title style) with inline Markdown rendered."""
    _fill(document.add_heading("", level), text)


def _render_body(document: DocxDocument, body: str, title: str) -> None:
    """Write a Markdown body: the leading ``#`` title as the Title, the rest block by block."""
    lines = body.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    heading = _HEADING.match(lines[first]) if first is not None else None
    if heading and len(heading[1]) == 1 and (not title or _plain(heading[2]) == title):
        _add_heading(document, heading[2], 0)
        lines = lines[first + 1 :]
    elif title:
        _add_heading(document, title, 0)

    block: _Block | None = None
    for line in lines:
        if not line.strip():
            _flush(document, block)
            block = None
        elif match := _HEADING.match(line):
            _flush(document, block)
            block = None
            _add_heading(document, match[2], len(match[1]))
        elif _RULE.match(line):
            _flush(document, block)
            block = None
        elif match := _BULLET.match(line):
            _flush(document, block)
            block = _Block("bullet", _depth(match[1]))
            block.add(match[2] + line[len(line.rstrip(" \t")) :])
        elif match := _NUMBERED.match(line):
            _flush(document, block)
            dotted = match[2].rstrip(".)").count(".")
            block = _Block("numbered", min(3, max(_depth(match[1]), 1 + dotted)))
            block.add(f"{match[2]} {match[3]}" + line[len(line.rstrip(" \t")) :])
        elif match := _QUOTE.match(line):
            if block is None or block.kind != "quote":
                _flush(document, block)
                block = _Block("quote")
            block.add(match[1])
        else:
            if block is None:
                block = _Block("paragraph")
            block.add(line)
    _flush(document, block)


def _add_citation(document: DocxDocument, citation: Mapping[str, str]) -> None:
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
    title = _text(doc.get("title"))
    kind = _text(doc.get("type")) or "document"
    version = doc.get("version")

    document = docx.Document()
    properties = document.core_properties
    properties.title = _property(title)
    properties.subject = _property(f"{kind} v{version}" if version is not None else kind)
    properties.keywords = _property(", ".join(filter(None, [kind, _text(doc.get("jurisdiction"))])))
    properties.author = properties.last_modified_by = "Adlaan Agent"
    properties.comments = ""
    created = doc.get("created_at")
    if isinstance(created, datetime):
        utc = created.astimezone(UTC) if created.tzinfo else created
        properties.created = properties.modified = utc
    properties.revision = int(version) if isinstance(version, int) and version > 0 else 1

    _render_body(document, body, title)
    citations = _citations(doc)
    if citations and not has_citations_section(body):
        _add_heading(document, CITATIONS_HEADING, 2)
        for citation in citations:
            _add_citation(document, citation)

    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Diff and file names --------------------------------------------------------------------


def _label(doc: Mapping[str, Any]) -> str:
    """How a diff names a version: ``v3``, or ``#id`` when the version number is missing."""
    if doc.get("version") is not None:
        return f"v{doc['version']}"
    return f"#{doc.get('id')}"


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: a unified diff of the bodies, line counts, citations."""
    before = (old.get("body") or "").splitlines()
    after = (new.get("body") or "").splitlines()
    unified = list(
        difflib.unified_diff(before, after, fromfile=_label(old), tofile=_label(new), lineterm="")
    )
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1

    old_citations, new_citations = _citations(old), _citations(new)
    old_keys = {_citation_key(c) for c in old_citations}
    new_keys = {_citation_key(c) for c in new_citations}

    def only(citations: list[dict[str, str]], other: set[tuple[str, str]]) -> list[dict]:
        seen: set[tuple[str, str]] = set()
        result = []
        for citation in citations:
            key = _citation_key(citation)
            if key not in other and key not in seen:
                seen.add(key)
                result.append(citation)
        return result

    return {
        "from": {"id": old.get("id"), "version": old.get("version")},
        "to": {"id": new.get("id"), "version": new.get("version")},
        "unified": "\n".join(unified) + "\n" if unified else "",
        "added": added,
        "removed": removed,
        "citations_added": only(new_citations, old_keys),
        "citations_removed": only(old_citations, new_keys),
    }


def _slug(value: Any, limit: int = 60) -> str:
    """Lowercase ASCII letters, digits and single hyphens, at most ``limit`` characters."""
    ascii_text = unicodedata.normalize("NFKD", _text(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def safe_filename(doc: Mapping[str, Any], ext: str) -> str:
    """An ASCII download name like ``nda-v3.docx``: no path separators or quotes, never empty."""
    base = _slug(doc.get("document_key")) or _slug(doc.get("type")) or "document"
    if base in _WINDOWS_RESERVED:
        base = f"{base}-document"
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        base = f"{base}-v{version}"
    suffix = re.sub(r"[^a-z0-9]+", "", (ext or "").lower())[:10]
    return f"{base}.{suffix}" if suffix else base
