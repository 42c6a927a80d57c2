"""``fulltext.snippet`` without a database: the fragments it cuts are where the definition puts
them (the first place where the most marks are, then the most of those left), however many
marks a text has; the definition is written out here the plain way, one mark against all."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from store.repositories import fulltext
from store.repositories.fulltext import FRAGMENT, FRAGMENTS, LEAD

WORDS = ["agreement", "the", "party", "a", "Confidential", "&", "<b>", "term,", "2-year", "x" * 30]


def defined_starts(marks: list[tuple[int, int]], n: int) -> list[int]:
    """Where the fragments of a long text start, by definition: for each mark, a fragment
    starting ``LEAD`` characters before it; the first that holds the most marks wins; the marks
    it touches are set aside, and so on, up to ``FRAGMENTS``."""
    if len(marks) == 1:
        return [marks[0][0] - LEAD]
    starts: list[int] = []
    rest = marks
    while rest and len(starts) < FRAGMENTS:
        best, start = 0, 0
        for first, _ in rest:
            at = max(min(first - LEAD, n - FRAGMENT), 0)
            held = sum(1 for s, e in rest if s >= at and e <= at + FRAGMENT)
            if held > best:
                best, start = held, at
        starts.append(start)
        rest = [m for m in rest if m[1] <= start or m[0] >= start + FRAGMENT]
    return sorted(starts)


def defined_snippet(text: str, marks: list[tuple[int, int]]) -> str:
    """The snippet by definition: the fragments at ``defined_starts``, cut between words, each
    with every mark wholly inside it."""
    n = len(text)
    escape = any(c in text for c in "&<>")
    if n <= FRAGMENT + LEAD:
        return fulltext._marked(text, 0, n, marks, escape)
    fragments, end = [], 0
    for at in defined_starts(marks, n) or [0]:
        at = min(max(at, 0), n - FRAGMENT)
        stop = at + FRAGMENT
        start = max(end, text.rfind(" ", 0, at) + 1) if at > 0 else 0
        if stop < n and (space := text.rfind(" ", start, stop)) > start:
            stop = space
        if start < stop:
            fragments.append(fulltext._marked(text, start, stop, marks, escape).rstrip(" ,;:"))
            end = stop
    return fulltext.DELIMITER.join(fragments)


@st.composite
def marked_texts(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """A text of ``WORDS`` (short or long), and some of its words' spans as marks, in order."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=400))
    text = " ".join(words)
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    chosen = draw(st.lists(st.booleans(), min_size=len(spans), max_size=len(spans)))
    return text, [span for span, keep in zip(spans, chosen, strict=True) if keep]


@settings(max_examples=300, deadline=None)
@given(marked_texts())
def test_the_fragments_are_where_the_definition_puts_them(case):
    text, marks = case
    assert fulltext.snippet(text, marks) == defined_snippet(text, marks)


def test_a_long_document_with_thousands_of_marks_is_cut_where_they_are_densest():
    """Marks everywhere, denser in one place far in: that place is the first fragment."""
    text = "The agreement binds. " * 2000 + "agreement agreement agreement. " + "Filler. " * 50
    marks = [m.span() for m in re.finditer("agreement", text)]
    cut = fulltext.snippet(text, marks)
    assert cut == defined_snippet(text, marks)
    assert cut.count("<mark>agreement</mark> <mark>agreement</mark> <mark>agreement</mark>") == 1
    shown = re.sub("</?mark>", "", cut)
    assert len(shown) <= FRAGMENTS * FRAGMENT + len(fulltext.DELIMITER), shown
