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

from typing_extensions import TypedDict

from graphs.drafter import library as lib
from graphs.drafter.jurisdictions import BY_CODE, find_jurisdictions, resolve_jurisdiction
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


# Requests whose durations are not the agreement's term ("confidentiality survives 5 years",
# "non-solicitation for 12 months"): a duration attached to one is never read as the term.
NON_COMPETE_NOTE = (
    "A non-compete is not included: an NDA protects information, while a covenant not to "
    "compete restrains trade, which is void in California (Cal. Bus. & Prof. Code § 16600) and "
    "limited by statute in many other states; it needs its own agreement and a lawyer's review."
)
NON_COMPETE = re.compile(r"\bnon[\s-]?compet\w*|\bcovenant\s+not\s+to\s+compete", re.IGNORECASE)
NON_SOLICIT = re.compile(r"\bnon[\s-]?solicit\w*|\bno[\s-](?:poach|hire)\w*", re.IGNORECASE)
SURVIVAL = re.compile(r"\bsurviv\w*", re.IGNORECASE)
RESIDUALS = re.compile(r"\bresiduals?\b", re.IGNORECASE)
_OTHER_REQUESTS = (NON_COMPETE, NON_SOLICIT, SURVIVAL, RESIDUALS)


def _keyword_starts(text: str) -> list[int]:
    return sorted(m.start() for pattern in _OTHER_REQUESTS for m in pattern.finditer(text))


def duration_near(text: str, keyword: re.Match[str]) -> re.Match[str] | None:
    """The duration that measures ``keyword``'s request ("survives for 5 years", "a 12-month
    non-solicitation"): the closest one in its sentence, one after it preferred, never one that
    is the term ("a 2-year term")."""
    found: list[tuple[int, re.Match[str]]] = []
    for match in _DURATION.finditer(text):
        if match.start() >= keyword.end():
            distance, between = match.start() - keyword.end(), (keyword.end(), match.start())
        elif match.end() <= keyword.start():
            if _TERM_WORD.match(text[match.end() :].lstrip(" -")):
                continue
            distance, between = keyword.start() - match.end() + 20, (match.end(), keyword.start())
        else:
            continue
        if distance <= 60 and not _SENTENCE_END.search(text, *between):
            found.append((distance, match))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def months_of(match: re.Match[str]) -> int:
    """A duration match in whole months (negative when a minus sign precedes it)."""
    amount = _amount(match["amount"]) + (0.5 if match["and_half"] or match["half_after"] else 0)
    months = round(amount * 12 if match["unit"].lower().startswith("y") else amount)
    window = match.string[max(0, match.start() - 12) : match.start()]
    return -max(months, 1) if _NEGATIVE.search(window) else months


def read_survival(text: str) -> tuple[int | None, str | None]:
    """The survival period ``text`` asks for ("confidentiality survives 5 years", "a 3-year
    survival period"), in whole months, as ``read_term`` reads a term: ``(months, None)``,
    ``(None, words)`` for one that cannot be, or ``(None, None)``."""
    if not (keyword := SURVIVAL.search(text)) or not (match := duration_near(text, keyword)):
        return None, None
    months = months_of(match)
    if 1 <= months <= 1200:
        return months, None
    start = match.start()
    if months < 0 and (negative := _NEGATIVE.search(text[max(0, start - 12) : start])):
        start = max(0, start - 12) + negative.start()
    return None, " ".join(text[start : match.end()].split())


_SENTENCE_END = re.compile(r"[.;!?\n](?:\s|$)")
_NEGATIVE = re.compile(r"(?:(?<![\w-])[-\u2212\u2013]|\b(?:minus|negative)\s+)$", re.IGNORECASE)


def _belongs_to_other_request(
    text: str, start: int, end: int, others: list[tuple[int, int]], keywords: list[int]
) -> bool:
    """Whether the duration at ``start:end`` measures an unsupported request rather than the
    term: a keyword right after it ("5-year survival") or earlier in its sentence with no term
    word and no other duration in between ("survives for 5 years")."""
    after = text[end : end + 4]
    if any(end <= k <= end + len(after) for k in keywords) and not _TERM_WORD.match(
        text[end:].lstrip(" -")
    ):
        return True
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    for keyword in keywords:
        if not sentence_start <= keyword < start:
            continue
        between = text[keyword:start]
        if _TERM_WORD.search(between) or any(keyword < s < start for s, _ in others):
            continue
        return True
    return False


def read_term(text: str) -> tuple[int | None, str | None]:
    """The term ``text`` asks for, in whole months, and the words of a term it asks for that
    cannot be one ("-3 years", "0 months", "200 years"): ``(months, None)``, ``(None, words)``
    or ``(None, None)``.

    "2-year" → 24, "eighteen months" → 18, "1.5 years" → 18. When several durations appear, the
    last one next to "term" (or "duration", "lasts", …) wins, else the last one. Durations that
    measure something else ("once a year", "5 years ago", "survives 5 years", "non-solicitation
    for 12 months") are not terms.
    """
    matches = [
        m
        for m in _DURATION.finditer(text)
        if not _NOT_A_TERM_BEFORE.search(_before(text, m.start()))
        and not _NOT_A_TERM_AFTER.match(text, m.end())
    ]
    spans = [m.span() for m in matches] + [m.span() for m in _HALF_YEAR.finditer(text)]
    keywords = _keyword_starts(text)
    # (next to a term word, start, months, where its words start, end)
    candidates: list[tuple[bool, int, int, int, int]] = []
    for match in matches:
        amount = _amount(match["amount"]) + (0.5 if match["and_half"] or match["half_after"] else 0)
        months = round(amount * 12 if match["unit"].lower().startswith("y") else amount)
        shown = match.start()
        window = max(0, match.start() - 12)
        if negative := _NEGATIVE.search(text[window : match.start()]):
            months, shown = -max(months, 1), window + negative.start()
        candidates.append((_near_term(text, match), match.start(), months, shown, match.end()))
    for match in _HALF_YEAR.finditer(text):
        candidates.append((_near_term(text, match), match.start(), 6, match.start(), match.end()))
    candidates = [
        c
        for c in candidates
        if not _belongs_to_other_request(
            text, c[1], c[4], [s for s in spans if s[0] != c[1]], keywords
        )
    ]
    if not candidates:
        return None, None
    _, _, months, shown, end = max(candidates)
    if 1 <= months <= 1200:
        return months, None
    return None, " ".join(text[shown:end].split())


def _near_term(text: str, match: re.Match[str]) -> bool:
    return bool(_TERM_WORD.search(text[max(0, match.start() - 25) : match.end() + 12]))


def find_term_months(text: str) -> int | None:
    """The term ``text`` asks for, in whole months, or None (see ``read_term``)."""
    return read_term(text)[0]


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
    r"power\s+of\s+attorney|last\s+will|will\s+and\s+testament|"
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
_CONTINUED = rf"(?:{_WORD}|(?:[A-Z]\.)+)\s+(?:(?:of|the|de|du|la|van|von|&)\s+){{0,2}}"
_NAME = (
    rf"(?:{_CONTINUED}){{0,7}}{_WORD}\.?"
    r"(?:,\s+(?:Inc|LLC|L\.L\.C|Ltd|Corp|Co|LLP|LP|PLC|GmbH|AG|S\.A|N\.A|N\.V|B\.V|P\.C|PLLC)\b\.?)?"
)
# Keywords are matched case-insensitively with (?i:...) only: names must stay capitalised.
_START = r"(?<![\w&'’.\-])"
# "Acme Corp., a Delaware corporation, and Beta LLC": a description set off by commas.
# "Jane Doe (an individual)": a parenthetical after a name, which is not part of it.
_DESCRIBED = r"(?:\s*\([^()]{1,60}\))?(?:,\s+(?:an?|the)\s+[^,;.!?]{1,80}?,)?"
_BETWEEN = re.compile(rf"\b(?i:between)\s+(?P<a>{_NAME}){_DESCRIBED}\s+(?i:and)\s+(?P<b>{_NAME})")
_INDIVIDUAL_AFTER = re.compile(
    r"\s*(?:\(\s*(?:an?\s+)?(?:individual|natural\s+person|person)\s*\)|,\s+an?\s+"
    r"(?:individual|natural\s+person)\b)",
    re.IGNORECASE,
)
_PARTIES_ARE = re.compile(
    rf"\b(?i:parties\s+(?:are|will\s+be|:))\s+(?P<a>{_NAME}){_DESCRIBED}\s+(?i:and)\s+"
    rf"(?P<b>{_NAME})"
)
_DISCLOSES_TO = re.compile(
    rf"{_START}(?P<a>{_NAME}){_DESCRIBED}\s+(?:is\s+disclosing|discloses|will\s+disclose|is\s+sharing|shares|"
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
    role: re.compile(
        rf"{_START}(?P<name>{_NAME}){_DESCRIBED}\s+(?:is|will\s+be)\s+the\s+{role}\s+party\b"
    )
    for role in ("disclosing", "receiving")
}
_ABBREVIATED = (
    "Inc.",
    "Corp.",
    "Co.",
    "Ltd.",
    "L.L.C.",
    "L.P.",
    "S.A.",
    "N.A.",
    "N.V.",
    "B.V.",
    "P.C.",
)
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
    roles, ``disclosing_party``/``receiving_party`` for roles, ``party_kinds`` for a name said to
    be an individual, "Jane Doe (an individual)"), and the spans they occupy."""
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
    individuals = {
        _clean(text[start:end]): "individual"
        for start, end in spans
        if _INDIVIDUAL_AFTER.match(text, end)
    }
    if individuals:
        update["party_kinds"] = individuals  # type: ignore[typeddict-item]
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


def _unnamed(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` blanked: "Texas Instruments" names a party and "expanding into
    Ohio" a purpose, not the governing law."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def read_update(text: str) -> Terms:
    """What one message sets, as a partial ``Terms`` (empty when it sets nothing).

    What it cannot set without asking (see ``find_questions``) is left out."""
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
    if len(codes := find_jurisdictions(_unnamed(text, spans))) == 1:
        update["governing_law"] = codes[0]
    if months := find_term_months(text):
        update["term_months"] = months
    if effective := find_effective_date(text):
        update["effective_date"] = effective
    return update


class Question(TypedDict):
    """A question for the user, as the graph's ``interrupt`` carries it (plain JSON)."""

    field: str
    """What the answer decides: ``governing_law``, ``term_months`` or ``edited_body``."""
    question: str
    """The question, in a sentence."""
    options: list[str]
    """Answers to choose from (empty when the answer is free text)."""


def find_questions(text: str) -> list[Question]:
    """What ``text`` asks for that the drafter must not guess: two governing laws at once
    ("California or Delaware law"), a term that cannot be one ("-3 years")."""
    questions: list[Question] = []
    spans = find_parties(text)[1]
    if purpose := find_purpose(text):
        spans.append(purpose[1])
    if len(codes := find_jurisdictions(_unnamed(text, spans))) > 1:
        names = [BY_CODE[code].name for code in codes]
        questions.append(
            {
                "field": "governing_law",
                "question": "Which law should govern the agreement: "
                + ", ".join(names[:-1])
                + f" or {names[-1]}?",
                "options": names,
            }
        )
    if invalid := read_term(text)[1]:
        questions.append(
            {
                "field": "term_months",
                "question": f'"{invalid}" is not a term an agreement can have: it must be from '
                'one month to 100 years. What term should it have (for example "2 years")?',
                "options": [],
            }
        )
    return questions


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


def party_names_of(terms: Terms) -> list[str]:
    """The names ``terms`` gives its parties, whatever the NDA's kind."""
    names = [*terms.get("parties", []), terms.get("disclosing_party"), terms.get("receiving_party")]
    return [n for n in names if n]


def _months(value: Any) -> int | None:
    """``value`` when it is a whole number of months from 1 to 1200, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1200:
        return value
    return None


def merge_terms(current: Terms, update: dict[str, Any]) -> Terms:
    """``current`` with ``update`` applied; values that are not valid are ignored.

    ``update`` is untrusted (it may come from an LLM): the document type must be one the clause
    library drafts, the governing law may be a code or a name, the term and the survival period
    must be 1–1200 months, the date ISO 8601, a type's own fields (``term_fields``) short text or
    numbers. Naming roles without saying "mutual" makes an NDA one-way. Any accepted value starts
    a document (an NDA unless another type was named).
    """
    terms: Terms = deepcopy(current)
    accepted = False
    if (doc_type := update.get("doc_type")) in lib.DOC_TYPES:
        terms["doc_type"] = str(doc_type)
        accepted = True
    is_nda = terms.get("doc_type", "nda") == "nda"
    kind = update.get("nda_kind") if is_nda else None
    roles = [_name(update.get("disclosing_party")), _name(update.get("receiving_party"))]
    if not is_nda:
        roles = [None, None]
    if kind not in ("mutual", "one_way") and any(roles):
        kind = "one_way"
    if kind in ("mutual", "one_way"):
        terms["nda_kind"] = kind
        accepted = True
    if is_nda:
        terms.setdefault("nda_kind", "mutual")
    else:
        terms.pop("nda_kind", None)
        terms["nda_kind"] = "mutual"  # a two-party list, as a mutual NDA keeps it
    _normalise_parties(terms)
    if not is_nda:
        terms.pop("nda_kind", None)
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
    if months := _months(update.get("term_months")):
        terms["term_months"] = months
        accepted = True
    if survival := _months(update.get("survival_months")):
        terms["survival_months"] = survival
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
    doc_type_of = lib.DOC_TYPES.get(terms.get("doc_type", "nda"))
    for field in getattr(doc_type_of, "term_fields", {}) or {}:
        value = update.get(field)
        if isinstance(value, dict):  # addresses: {party name: address}
            value = {_name(k): _name(v) for k, v in value.items()}
            value = value if value and all(value) and all(value.values()) else None
        elif not (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0):
            value = _name(value)
        if value:
            terms[field] = value  # type: ignore[literal-required]
            accepted = True
    kinds = update.get("party_kinds")
    if isinstance(kinds, dict):
        kinds = {
            name: kind
            for name, kind in ((_name(n), k) for n, k in kinds.items())
            if name and kind in ("individual", "company")
        }
        terms["party_kinds"] = {**terms.get("party_kinds", {}), **kinds}
    named = {n for n in party_names_of(terms) if n}
    if kept := {n: k for n, k in terms.get("party_kinds", {}).items() if n in named}:
        terms["party_kinds"] = kept
    else:
        terms.pop("party_kinds", None)
    if not accepted:
        return deepcopy(current)
    terms.setdefault("doc_type", "nda")
    return terms


def extract_terms(text: str, current: Terms) -> Terms:
    """``current`` updated with whatever ``text`` sets; later messages override earlier values.

    Pure and deterministic: the offline extractor used when no LLM is configured.
    """
    return merge_terms(current, dict(read_update(text)))
