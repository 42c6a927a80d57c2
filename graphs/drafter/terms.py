"""The offline, deterministic term extractor: plain text in, updated terms out."""

from __future__ import annotations

import re

from graphs.drafter.jurisdictions import JURISDICTIONS
from graphs.drafter.numbers import WORD_NUMBERS
from graphs.drafter.state import Terms

_NUMBER = "|".join(sorted((re.escape(w) for w in WORD_NUMBERS), key=len, reverse=True))
_DURATION = re.compile(
    rf"\b(?P<n>\d+(?:\.\d+)?|{_NUMBER})(?:\s*|-)(?P<unit>years?|yrs?|months?|mos?)\b",
    re.IGNORECASE,
)
_NDA = re.compile(
    r"\b(nda|non[- ]?disclosure(?: agreement)?|confidentiality agreement|secrecy agreement)\b",
    re.IGNORECASE,
)
_MUTUAL = re.compile(r"\b(mutual|two[- ]way|bilateral|reciprocal)\b", re.IGNORECASE)
_ONE_WAY = re.compile(r"\b(one[- ]way|unilateral|one[- ]sided|non[- ]mutual)\b", re.IGNORECASE)
_NAME = r"([A-Z0-9][\w&.,'’\- ]*?)"
_END = r"(?=\s+(?:for|with|under|in|governed|who|which|that)\b|[.;!?\n]|,\s|$)"
_BETWEEN = re.compile(rf"\bbetween\s+{_NAME}\s+and\s+{_NAME}{_END}")
_PARTIES_ARE = re.compile(rf"\bparties\s+are\s+{_NAME}\s+and\s+{_NAME}{_END}", re.IGNORECASE)
_DISCLOSING = re.compile(rf"\bdisclosing party\s+(?:is|will be|=|:)\s+{_NAME}{_END}", re.IGNORECASE)
_RECEIVING = re.compile(rf"\breceiving party\s+(?:is|will be|=|:)\s+{_NAME}{_END}", re.IGNORECASE)
_DISCLOSES_TO = re.compile(rf"\b{_NAME}\s+(?:is\s+)?disclos(?:es|ing)\s+to\s+{_NAME}{_END}")
_LAW_CONTEXT = re.compile(r"\b(law|laws|jurisdiction|governed|governing|state|venue)\b", re.I)
#: Two-letter codes that are also common words: only their full names are recognised.
_AMBIGUOUS_CODES = {
    "IN",
    "OR",
    "ME",
    "OK",
    "HI",
    "AS",
    "ID",
    "OH",
    "PA",
    "MA",
    "DE",
    "CO",
    "LA",
    "AL",
    "MI",
    "GA",
    "MO",
    "MT",
    "WA",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = []
for _j in JURISDICTIONS:
    for _alias in (_j.name, *_j.aliases):
        _PATTERNS.append(
            (re.compile(rf"(?<![\w.]){re.escape(_alias)}(?![\w])", re.IGNORECASE), _j.code)
        )
# Longest names first, so "West Virginia" wins over "Virginia" and "Washington, D.C." over
# "Washington" (a matched span is blanked before shorter names are tried).
_PATTERNS.sort(key=lambda p: len(p[0].pattern), reverse=True)


def _number(text: str) -> float:
    text = text.lower().strip()
    return float(text) if text[0].isdigit() else float(WORD_NUMBERS[text])


def find_jurisdiction(text: str) -> str | None:
    """The jurisdiction named last in ``text`` (its code), or None."""
    found: list[tuple[int, str]] = []
    remaining = text
    for pattern, code in _PATTERNS:
        for match in pattern.finditer(remaining):
            found.append((match.start(), code))
            remaining = remaining[: match.start()] + " " * len(match[0]) + remaining[match.end() :]
    if _LAW_CONTEXT.search(text):
        for match in re.finditer(r"(?<![\w.])([A-Z]{2})(?![\w])", remaining):
            code = match[1]
            if code not in _AMBIGUOUS_CODES and any(j.code == code for j in JURISDICTIONS):
                found.append((match.start(), code))
    return max(found)[1] if found else None


def find_term_months(text: str) -> int | None:
    """The duration named last in ``text``, in whole months (``2-year`` → 24)."""
    matches = list(_DURATION.finditer(text))
    if not matches:
        return None
    match = matches[-1]
    amount = _number(match["n"])
    months = amount * 12 if match["unit"].lower().startswith("y") else amount
    return max(1, round(months))


def _clean(name: str) -> str:
    return name.strip(" ,.'’\"").removeprefix("the ").strip()


def find_parties(text: str) -> tuple[list[str] | None, bool]:
    """``(parties, one_way_implied)``: two names if the text names the parties."""
    for pattern in (_BETWEEN, _PARTIES_ARE):
        if match := pattern.search(text):
            return [_clean(match[1]), _clean(match[2])], False
    if match := _DISCLOSES_TO.search(text):
        return [_clean(match[1]), _clean(match[2])], True
    disclosing, receiving = _DISCLOSING.search(text), _RECEIVING.search(text)
    if disclosing or receiving:
        return [
            _clean(disclosing[1]) if disclosing else "[Disclosing Party]",
            _clean(receiving[1]) if receiving else "[Receiving Party]",
        ], True
    return None, False


def extract_terms(text: str, current: Terms) -> Terms:
    """``current`` updated with whatever ``text`` sets; later messages override earlier ones."""
    terms: Terms = dict(current)  # type: ignore[assignment]
    if _NDA.search(text):
        terms["doc_type"] = "nda"
    parties, one_way = find_parties(text)
    if parties:
        terms["parties"] = parties
    if _ONE_WAY.search(text) or (one_way and not _MUTUAL.search(text)):
        terms["nda_kind"] = "one_way"
    elif _MUTUAL.search(text):
        terms["nda_kind"] = "mutual"
    if code := find_jurisdiction(text):
        terms["governing_law"] = code
    if months := find_term_months(text):
        terms["term_months"] = months
    if len(terms) > len(current) or terms != current:
        terms.setdefault("doc_type", "nda")  # the only document this drafter writes
        terms.setdefault("nda_kind", "mutual")
    return terms
