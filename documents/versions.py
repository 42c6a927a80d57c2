"""Stored versions of a document compared and named: a diff between two versions (text and
citations) and a safe file name for a download.

A stored version is a ``documents`` row: the model's fields under ``document_key`` instead of
``key``, plus its ``id`` and ``created_at``. Odd rows (missing keys, ``None`` values) are compared
and named rather than refused.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from documents.model import Citation, as_text, citation_key, citations_of

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))} | {
    f"lpt{i}" for i in range(10)
}


def _label(doc: Mapping[str, Any]) -> str:
    """How a diff names a version: ``v3``, or ``#id`` when the version number is missing."""
    if doc.get("version") is not None:
        return f"v{doc['version']}"
    return f"#{doc.get('id')}"


def _only(citations: list[Citation], other: set[tuple[str, str]]) -> list[Citation]:
    """``citations`` not in ``other``, each once, in order."""
    seen: set[tuple[str, str]] = set()
    result = []
    for citation in citations:
        key = citation_key(citation)
        if key not in other and key not in seen:
            seen.add(key)
            result.append(citation)
    return result


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

    old_citations, new_citations = citations_of(old), citations_of(new)
    return {
        "from": {"id": old.get("id"), "version": old.get("version")},
        "to": {"id": new.get("id"), "version": new.get("version")},
        "unified": "\n".join(unified) + "\n" if unified else "",
        "added": added,
        "removed": removed,
        "citations_added": _only(new_citations, {citation_key(c) for c in old_citations}),
        "citations_removed": _only(old_citations, {citation_key(c) for c in new_citations}),
    }


def _slug(value: Any, limit: int = 60) -> str:
    """Lowercase ASCII letters, digits and single hyphens, at most ``limit`` characters."""
    ascii_text = unicodedata.normalize("NFKD", as_text(value)).encode("ascii", "ignore").decode()
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
