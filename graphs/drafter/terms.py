"""Reading terms out of a chat message, and merging them into the terms agreed so far.

``extract_terms`` is the offline, deterministic extractor: plain text in, updated terms out, no
model and no network. It runs in two steps: ``read_update`` finds what one message sets (a partial
``Terms``), and ``merge_terms`` validates that update and applies it. The LLM extractor replaces
only the first step, so both paths share the same validation, later messages override earlier
values, and the party fields always match the NDA's kind (``parties`` for a mutual NDA,
``disclosing_party`` and ``receiving_party`` for a one-way one).

Matching is conservative: names must be capitalised ("between Acme Corp and Beta LLC"), numbers
are read in digits or words up to ninety-nine, and a phrase that negates a value ("instead of
one-way", "from California") does not set it.
"""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import date
from typing import Any

from graphs.drafter.jurisdictions import find_jurisdiction, resolve_jurisdiction
from graphs.drafter.numbers import WORD_NUMBERS
from graphs.drafter.state import NdaKind, Terms

# --- numbers and durations --------------------------------------------------------------------

_WORDS = "|".join(sorted(map(re.escape, WORD_NUMBERS), key=len, reverse=True))
_DURATION = re.compile(
    rf"(?<![\w.])(?P<amount>\d+(?:\.\d+)?|{_WORDS}|an?)"
    r"(?P<and_half>\s+and\s+a\s+half)?[\s-]*"
    r"(?P<unit>years?|yrs?|months?|mos?)\b(?P<half_after>\s+and\s+a\s+half)?",
    re.IGNORECASE,
)
_HALF_YEAR = re.compile(r"\bhalf[\s-]+(?:a\s+)?year\b", re.IGNORECASE)
# "once a year", "every 2 years", "5 years ago" describe something other than the term (and
# "half a year" is read whole).
_NOT_A_TERM_BEFORE = re.compile(r"\b(?:once|twice|per|each|every|times|half)\s+$", re.IGNORECASE)
_NOT_A_TERM_AFTER = re.compile(r"\s+(?:ago|old)\b", re.IGNORECASE)
_TERM_WORD = re.compile(r"\b(?:term|duration|lasts?|expires?|valid)\b", re.IGNORECASE)


def _before(text: str, start: int) -> str:
    """The few words before ``start``, where the phrases that qualify a mention sit."""
    return text[max(0, start - 60) : start]


def _amount(word: str) -> float:
    word = word.lower()
    if word[0].isdigit():
        return float(word)
    return 1.0 if word in ("a", "an") else float(WORD_NUMBERS[word])


def find_term_months(text: str) -> int | None:
    """The term ``text`` asks for, in whole months ("2-year" → 24, "eighteen months" → 18,
    "1.5 years" → 18), or None.

    When several durations appear, the last one next to "term" (or "duration", "lasts", …)
    wins, else the last one.
    """
    candidates: list[tuple[bool, int, int]] = []
    for match in _DURATION.finditer(text):
        if _NOT_A_TERM_BEFORE.search(_before(text, match.start())) or _NOT_A_TERM_AFTER.match(
            text, match.end()
        ):
            continue
        amount = _amount(match["amount"]) + (0.5 if match["and_half"] or match["half_after"] else 0)
        months = round(amount * 12 if match["unit"].lower().startswith("y") else amount)
        near = text[max(0, match.start() - 25) : match.end() + 12]
        candidates.append((bool(_TERM_WORD.search(near)), match.start(), months))
    for match in _HALF_YEAR.finditer(text):
        near = text[max(0, match.start() - 25) : match.end() + 12]
        candidates.append((bool(_TERM_WORD.search(near)), match.start(), 6))
    valid = [c for c in candidates if 1 <= c[2] <= 1200]
    return max(valid)[2] if valid else None


# --- document type and kind -----------------------------------------------------------------

_NDA = re.compile(
    r"\b(?:nda|non[\s-]?disclosure(?:\s+agreement)?|confidentiality\s+agreement|"
    r"secrecy\s+agreement)s?\b",
    re.IGNORECASE,
)
_KINDS: tuple[tuple[re.Pattern[str], NdaKind], ...] = (
    (
        re.compile(
            r"\b(?:one[\s-]way(?!\s+(?:to|of|or)\b)|unilateral|one[\s-]sided|non[\s-]mutual|"
            r"not\s+mutual)\b",
            re.IGNORECASE,
        ),
        "one_way",
    ),
    (
        re.compile(r"(?<![\w-])(?:mutual|two[\s-]way|bilateral|reciprocal)\b", re.IGNORECASE),
        "mutual",
    ),
)
_KIND_NEGATED = re.compile(
    r"\b(?:instead\s+of|rather\s+than|from|not)\s+(?:an?\s+)?$", re.IGNORECASE
)
_OTHER_DOCUMENT = re.compile(
    r"\b(lease(?:\s+agreement)?|employment\s+(?:agreement|contract)|offer\s+letter|"
    r"operating\s+agreement|partnership\s+agreement|shareholders?[’']?\s+agreement|"
    r"(?:stock|asset|share)?\s*purchase\s+agreement|(?:master\s+)?services?\s+agreement|"
    r"consulting\s+agreement|licen[cs]e\s+agreement|loan\s+agreement|promissory\s+note|"
    r"power\s+of\s+attorney|last\s+will|will\s+and\s+testament|non[\s-]?compete(?:\s+agreement)?|"
    r"independent\s+contractor\s+agreement|terms\s+of\s+service|privacy\s+policy|bill\s+of\s+sale|"
    r"settlement\s+agreement)\b",
    re.IGNORECASE,
)


def mentions_nda(text: str) -> bool:
    """Whether ``text`` names a non-disclosure (confidentiality, secrecy) agreement."""
    return bool(_NDA.search(text))


def other_document(text: str) -> str | None:
    """The kind of document ``text`` asks for when it is not an NDA ("lease"), else None."""
    if mentions_nda(text):
        return None
    match = _OTHER_DOCUMENT.search(text)
    return " ".join(match[1].split()).lower() if match else None


def find_kind(text: str) -> NdaKind | None:
    """``mutual`` or ``one_way`` as ``text`` asks (the last one named), or None."""
    found = [
        (match.start(), kind)
        for pattern, kind in _KINDS
        for match in pattern.finditer(text)
        if not _KIND_NEGATED.search(_before(text, match.start()))
    ]
    return max(found)[1] if found else None


# --- parties --------------------------------------------------------------------------------

# A name is a run of capitalised words ("Acme Corp", "Bank of America", "J.P. Morgan & Co."),
# so it ends at the first lowercase word ("for", "under", "is"); eight words at most, which
# also keeps matching linear on long pasted text.
_WORD = r"[A-Z0-9][\w&'’\-]*"
_CONTINUED = rf"(?:{_WORD}|(?:[A-Z]\.)+)\s+(?:(?:of|the|de|du|la|van|von|&)\s+)?"
_NAME = (
    rf"(?:{_CONTINUED}){{0,7}}{_WORD}\.?"
    r"(?:,\s+(?:Inc|LLC|L\.L\.C|Ltd|Corp|Co|LLP|LP|PLC|GmbH|AG|S\.A|N\.V|B\.V|P\.C|PLLC)\b\.?)?"
)
# Keywords are matched case-insensitively with (?i:...) only: names must stay capitalised.
_START = r"(?<![\w&'’.\-])"
# "Acme Corp., a Delaware corporation, and Beta LLC": a description set off by commas.
_DESCRIBED = r"(?:,\s+(?:an?|the)\s+[^,;.!?]{1,80}?,)?"
_BETWEEN = re.compile(rf"\b(?i:between)\s+(?P<a>{_NAME}){_DESCRIBED}\s+(?i:and)\s+(?P<b>{_NAME})")
_PARTIES_ARE = re.compile(
    rf"\b(?i:parties\s+(?:are|will\s+be|:))\s+(?P<a>{_NAME})\s+(?i:and)\s+(?P<b>{_NAME})"
)
_DISCLOSES_TO = re.compile(
    rf"{_START}(?P<a>{_NAME})\s+(?:is\s+disclosing|discloses|will\s+disclose|is\s+sharing|shares|"
    rf"will\s+share)\s+(?:(?:its|their|the|some)\s+)?(?:confidential\s+)?(?:information\s+)?"
    rf"(?:with|to)\s+(?P<b>{_NAME})"
)
_ROLE_FIRST = {
    role: re.compile(
        rf"\b(?i:{role}\s+party(?:\s+(?:is|will\s+be|should\s+be)|\s*[=:]))\s+(?P<name>{_NAME})"
    )
    for role in ("disclosing", "receiving")
}
_NAME_FIRST = {
    role: re.compile(rf"{_START}(?P<name>{_NAME})\s+(?:is|will\s+be)\s+the\s+{role}\s+party\b")
    for role in ("disclosing", "receiving")
}
_ABBREVIATED = ("Inc.", "Corp.", "Co.", "Ltd.", "L.L.C.", "L.P.", "S.A.", "N.V.", "B.V.", "P.C.")
_LEADING_WORDS = re.compile(
    r"^(?:(?:so|then|and|but|now|also|actually|ok|okay|well|yes|here|please)\s+)+",
    re.IGNORECASE,
)


def _clean(name: str) -> str:
    name = _LEADING_WORDS.sub("", " ".join(name.split()))
    if name.endswith(".") and not name.endswith(_ABBREVIATED):
        name = name[:-1]
    return name


def find_parties(text: str) -> tuple[Terms, list[tuple[int, int]]]:
    """The parties ``text`` names, as a partial update (``parties`` for a pair named without
    roles, ``disclosing_party``/``receiving_party`` for roles), and the spans they occupy."""
    update: Terms = {}
    spans: list[tuple[int, int]] = []
    for pattern in (_BETWEEN, _PARTIES_ARE):
        if match := pattern.search(text):
            update["parties"] = [_clean(match["a"]), _clean(match["b"])]
            spans += [match.span("a"), match.span("b")]
            break
    if match := _DISCLOSES_TO.search(text):
        update["disclosing_party"], update["receiving_party"] = (
            _clean(match["a"]),
            _clean(match["b"]),
        )
        spans += [match.span("a"), match.span("b")]
    for role in ("disclosing", "receiving"):
        for pattern in (_ROLE_FIRST[role], _NAME_FIRST[role]):
            if match := pattern.search(text):
                update[f"{role}_party"] = _clean(match["name"])  # type: ignore[literal-required]
                spans.append(match.span("name"))
    return update, spans


# --- effective date and purpose ---------------------------------------------------------------

_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = (
    r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    rf"|{_MONTH.format(g='m1')}\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.format(g='m2')},?\s+(?P<y2>\d{{4}})"
    r"|(?P<us>\d{1,2}/\d{1,2}/\d{4}))"
)
_EFFECTIVE = re.compile(
    r"\b(?:effective(?:\s+date)?|start(?:ing)?(?:\s+date)?|commencing|beginning|dated|as\s+of)"
    r"\s*(?:is|will\s+be|should\s+be|of|on|as\s+of|from|:|=)?\s*(?:on\s+)?" + _DATE,
    re.IGNORECASE,
)
_PURPOSE = re.compile(
    r"\b(?:for\s+the\s+purpose\s+of|purpose\s+(?:is|will\s+be|should\s+be|:)|purpose\s+of\s+"
    r"(?:the\s+)?(?:nda|agreement)\s+is)\s*(?P<purpose>[^.;!?\n]+)",
    re.IGNORECASE,
)
_PURPOSE_END = re.compile(
    r",|\s+(?:under|governed\s+by|with\s+a|for\s+(?:a|an|the\s+term|\d)|in\s+(?:the\s+)?"
    r"(?:state|district)\b)",
    re.IGNORECASE,
)


def _month_number(name: str) -> int:
    return next(i for i, full in enumerate(_MONTH_NAMES, 1) if full.startswith(name.lower()[:3]))


def find_effective_date(text: str) -> str | None:
    """The effective date ``text`` gives ("effective January 31, 2026"), as ``YYYY-MM-DD``."""
    matches = list(_EFFECTIVE.finditer(text))
    if not matches:
        return None
    match = matches[-1]
    try:
        if match["iso"]:
            year, month, day = map(int, match["iso"].split("-"))
        elif match["us"]:
            month, day, year = map(int, match["us"].split("/"))
        elif match["m1"]:
            year, month, day = int(match["y1"]), _month_number(match["m1"]), int(match["d1"])
        else:
            year, month, day = int(match["y2"]), _month_number(match["m2"]), int(match["d2"])
        return date(year, month, day).isoformat()
    except ValueError:  # "February 30"
        return None


def find_purpose(text: str) -> tuple[str, tuple[int, int]] | None:
    """What ``text`` says the information may be used for ("for the purpose of evaluating a
    merger" → "evaluating a merger"), with its span in ``text``; None when it says nothing."""
    if not (match := _PURPOSE.search(text)):
        return None
    purpose = _PURPOSE_END.split(match["purpose"], maxsplit=1)[0].strip()
    start = match.start("purpose")
    return (purpose[:300], (start, start + len(purpose))) if purpose else None


# --- update and merge -------------------------------------------------------------------------


def read_update(text: str) -> Terms:
    """What one message sets, as a partial ``Terms`` (empty when it sets nothing)."""
    update: Terms = {}
    if mentions_nda(text):
        update["doc_type"] = "nda"
    if kind := find_kind(text):
        update["nda_kind"] = kind
    parties, spans = find_parties(text)
    update.update(parties)
    if purpose := find_purpose(text):
        update["purpose"] = purpose[0]
        spans.append(purpose[1])
    # Names and the purpose are blanked first: "Texas Instruments" names a party and "expanding
    # into Ohio" a purpose, not the governing law.
    unnamed = text
    for start, end in spans:
        unnamed = unnamed[:start] + " " * (end - start) + unnamed[end:]
    if code := find_jurisdiction(unnamed):
        update["governing_law"] = code
    if months := find_term_months(text):
        update["term_months"] = months
    if effective := find_effective_date(text):
        update["effective_date"] = effective
    return update


def _name(value: Any) -> str | None:
    """``value`` with its whitespace collapsed when it is a non-empty string, else None."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[:200] or None


def _assign_parties(terms: Terms, first: str | None, second: str | None) -> None:
    """Put the two names where ``terms``' kind keeps them (keeping a known one when the other is
    None)."""
    if terms.get("nda_kind") == "one_way":
        if first:
            terms["disclosing_party"] = first
        if second:
            terms["receiving_party"] = second
    else:
        known = [*terms.get("parties", []), None, None]
        names = [first or known[0], second or known[1]]
        terms["parties"] = [n for n in names if n]


def _normalise_parties(terms: Terms) -> None:
    """Move party names to the fields of ``terms``' kind (after the kind changed)."""
    if terms.get("nda_kind") == "one_way" and "parties" in terms:
        first, second = [*terms.pop("parties"), None, None][:2]
        terms.setdefault("disclosing_party", first)  # type: ignore[typeddict-item]
        terms.setdefault("receiving_party", second)  # type: ignore[typeddict-item]
    elif terms.get("nda_kind") == "mutual" and (
        "disclosing_party" in terms or "receiving_party" in terms
    ):
        names = [terms.pop("disclosing_party", None), terms.pop("receiving_party", None)]
        terms["parties"] = [n for n in names if n]
    for key in ("parties", "disclosing_party", "receiving_party"):
        if not terms.get(key):
            terms.pop(key, None)  # type: ignore[misc]


def merge_terms(current: Terms, update: dict[str, Any]) -> Terms:
    """``current`` with ``update`` applied; values that are not valid are ignored.

    ``update`` is untrusted (it may come from an LLM): the governing law may be a code or a
    name, the term must be 1–1200 months, the date ISO 8601. Naming roles without saying
    "mutual" makes the NDA one-way. Any accepted value starts an NDA (mutual unless said
    otherwise): it is the only document this drafter writes.
    """
    terms: Terms = deepcopy(current)
    accepted = False
    if update.get("doc_type") == "nda":
        terms["doc_type"] = "nda"
        accepted = True
    kind = update.get("nda_kind")
    roles = [_name(update.get("disclosing_party")), _name(update.get("receiving_party"))]
    if kind not in ("mutual", "one_way") and any(roles):
        kind = "one_way"
    if kind in ("mutual", "one_way"):
        terms["nda_kind"] = kind
        accepted = True
    terms.setdefault("nda_kind", "mutual")
    _normalise_parties(terms)
    pair = update.get("parties")
    pair = [_name(p) for p in pair] if isinstance(pair, list) and len(pair) == 2 else []
    if pair and all(pair):
        if roles[0] == pair[1] or roles[1] == pair[0]:  # "between A and B; B is disclosing"
            pair.reverse()
        _assign_parties(terms, *pair)
        accepted = True
    if any(roles):
        _assign_parties(terms, *roles)
        accepted = True
    if code := resolve_jurisdiction(update.get("governing_law")):
        terms["governing_law"] = code
        accepted = True
    months = update.get("term_months")
    if isinstance(months, int) and not isinstance(months, bool) and 1 <= months <= 1200:
        terms["term_months"] = months
        accepted = True
    if isinstance(effective := update.get("effective_date"), str):
        try:
            terms["effective_date"] = date.fromisoformat(effective.strip()).isoformat()
            accepted = True
        except ValueError:
            pass
    if purpose := _name(update.get("purpose")):
        terms["purpose"] = purpose
        accepted = True
    if not accepted:
        return deepcopy(current)
    terms["doc_type"] = "nda"
    return terms


def extract_terms(text: str, current: Terms) -> Terms:
    """``current`` updated with whatever ``text`` sets; later messages override earlier values.

    Pure and deterministic: the offline extractor used when no LLM is configured.
    """
    return merge_terms(current, dict(read_update(text)))
