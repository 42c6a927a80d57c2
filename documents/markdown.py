"""The document's Markdown, written and read in one module.

Writing: a body is a ``#`` title, a preamble, then ``## N. Heading`` clauses separated by blank
lines, ending in a newline; a download adds a ``## Citations`` section of bullets unless the body
already has one.

Reading: any Markdown body, not only ours (stored rows may come from older drafters or be edited),
as a list of blocks (headings, paragraphs, bullets, numbered paragraphs, quotes, rules) whose text
is inline Markdown that ``runs`` splits into bold and italic runs. The renderers (Word today, PDF
later) work from these blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from documents.model import Citation, Clause, PartyKind, citations_of, display_name

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


# --- Writing ----------------------------------------------------------------------------------


def write(title: str, preamble: str, clauses: Iterable[Clause]) -> str:
    """A body: the ``#`` title, the preamble, and the clauses numbered from 1."""
    parts = [f"# {title}", preamble]
    parts += [f"## {n}. {heading}\n\n{text}" for n, (heading, text) in enumerate(clauses, 1)]
    return "\n\n".join(parts) + "\n"


#: The blank lines of a signature block, as the drafter has always written them (so a company's
#: block, and with it the body of an existing draft, is the same as before parties had a kind).
_BLANKS = {
    "By": "______________________",
    "Name": "____________________",
    "Title": "___________________",
    "Date": "____________________",
    "Signature": "_________________",
}


def signature_block(name: str, kind: PartyKind) -> str:
    """A party's signature block as the exports read it back: the name in bold, then for a
    company ``By``, ``Name`` and ``Title`` lines, for an individual a ``Signature`` line and her
    name (a line of underscores alone would read back as a rule); a ``Date`` line for both.
    Lines end in hard breaks."""
    fields = ["Signature"] if kind == "individual" else ["By", "Name", "Title"]
    lines = [f"**{name}**", *(f"{field}: {_BLANKS[field]}" for field in fields)]
    if kind == "individual":
        lines.append(display_name(name))
    lines.append(f"Date: {_BLANKS['Date']}")
    return "  \n".join(lines)


def citation_line(citation: Citation) -> str:
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


def to_markdown(document: Mapping[str, Any]) -> str:
    """The body as stored plus a ``## Citations`` section (unless it has one), ending in a newline."""
    body = (document.get("body") or "").rstrip()
    citations = citations_of(document)
    if citations and not has_citations_section(body):
        lines = "\n".join(citation_line(c) for c in citations)
        section = f"## {CITATIONS_HEADING}\n\n{lines}"
        body = f"{body}\n\n{section}" if body else section
    return f"{body}\n"


# --- Reading ----------------------------------------------------------------------------------

BlockKind = Literal["heading", "paragraph", "bullet", "numbered", "quote", "rule"]


@dataclass(frozen=True)
class Block:
    """One block of a body. ``text`` is inline Markdown with hard line breaks as newlines (empty
    for a rule); ``level`` is a heading's level (1–6) or a list item's nesting depth (1–3)."""

    kind: BlockKind
    text: str = ""
    level: int = 1


@dataclass
class _Lines:
    """A block being collected: its kind, depth, and source lines as (text, hard break)."""

    kind: BlockKind
    depth: int = 1
    lines: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, raw: str) -> None:
        """Append a source line, noting a Markdown hard break (two spaces or a backslash)."""
        hard = raw.endswith(("  ", "\\"))
        text = raw.strip()
        if text.endswith("\\") and not text.endswith("\\\\"):
            text = text[:-1].rstrip()
        self.lines.append((text, hard))

    def block(self) -> Block:
        """The finished block, lines joined by spaces and hard breaks kept as newlines."""
        out = ""
        for index, (line, hard) in enumerate(self.lines):
            out += line
            if index < len(self.lines) - 1:
                out += "\n" if hard else " "
        return Block(self.kind, out, self.depth)


def _depth(indent: str) -> int:
    """Nesting depth (1–3) of a list item from its leading whitespace."""
    return 1 + min(2, len(indent.expandtabs(4)) // 2)


def _trailing(line: str) -> str:
    """A line's trailing blanks, which mark a hard break."""
    return line[len(line.rstrip(" \t")) :]


def read(body: str) -> list[Block]:
    """A Markdown body as blocks, in order. Lazy continuation lines join the open paragraph, list
    item or quote; a numbered item's number stays in its text."""
    blocks: list[Block] = []
    current: _Lines | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.lines:
            blocks.append(current.block())
        current = None

    for line in body.splitlines():
        if not line.strip():
            close()
        elif match := _HEADING.match(line):
            close()
            blocks.append(Block("heading", match[2], len(match[1])))
        elif _RULE.match(line):
            close()
            blocks.append(Block("rule"))
        elif match := _BULLET.match(line):
            close()
            current = _Lines("bullet", _depth(match[1]))
            current.add(match[2] + _trailing(line))
        elif match := _NUMBERED.match(line):
            close()
            dotted = match[2].rstrip(".)").count(".")
            current = _Lines("numbered", min(3, max(_depth(match[1]), 1 + dotted)))
            current.add(f"{match[2]} {match[3]}" + _trailing(line))
        elif match := _QUOTE.match(line):
            if current is None or current.kind != "quote":
                close()
                current = _Lines("quote")
            current.add(match[1])
        else:
            if current is None:
                current = _Lines("paragraph")
            current.add(line)
    close()
    return blocks


class Run(NamedTuple):
    """A stretch of inline text and its emphasis."""

    text: str
    bold: bool
    italic: bool


def _inline(text: str, bold: bool = False, italic: bool = False) -> Iterator[Run]:
    """Split ``*italic*``, ``**bold**`` and ``***both***`` Markdown into runs."""
    position = 0
    for match in _EMPHASIS.finditer(text):
        if match.start() > position:
            yield Run(text[position : match.start()], bold, italic)
        both, strong, emphasis = match.groups()
        if both is not None:
            yield from _inline(both, True, True)
        elif strong is not None:
            yield from _inline(strong, True, italic)
        else:
            yield from _inline(emphasis, bold, True)
        position = match.end()
    if position < len(text):
        yield Run(text[position:], bold, italic)


def runs(text: str) -> list[Run]:
    """Inline Markdown as runs, backslash escapes resolved and empty runs dropped."""
    hidden = _ESCAPE.sub(lambda m: chr(0xE000 + ord(m[1])), text)
    return [
        Run(_ESCAPED.sub(lambda m: chr(ord(m[0]) - 0xE000), part), bold, italic)
        for part, bold, italic in _inline(hidden)
        if part
    ]


def plain(text: str) -> str:
    """Inline Markdown with its markers stripped."""
    return "".join(run.text for run in runs(text))
