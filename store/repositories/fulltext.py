"""The shape every full-text search of the project shares (messages, documents).

A search's cost must not grow with its number of matches, so matches are never all ranked. A
page is the next ``limit`` matches newest first, read in time order from a btree on
``(created_at, id)`` with the stored, GIN-indexed ``tsvector`` as a filter. It is found in one
of two ways:

- *walked*: the table's newest ``walk`` rows (in the period asked for) are read newest first,
  and those that hold the words and are the owner's (and pass the other filters) fill the page.
  Its plan is the same whatever the words (they reach it through a sub-select the planner does
  not look into) and whoever the owner (the walk reads no conversation first), so it runs as a
  prepared statement on one generic plan and is not planned again. A word in more than one
  row in 250 fills a page there; a phrase, whose words are rarely next to each other, skips it.
  The page it fills is exact: every newer match was among the rows it read.
- *planned*: when the walk did not fill the page (a rare word, a filter few rows pass, an
  owner with few of the newest rows), on a connection that does not prepare (behind PgBouncer:
  the walk would be planned too) and within one conversation (``thread``, prepared: its plan is
  that conversation's rows), the statement is planned for its own words and filters: the
  planner reads the btree further or finds the rows through the GIN index and sorts them.

Only the page is ranked with ``ts_rank_cd`` and shown best first (``sort="recent"``: newest
first), and only its rows get a snippet, so every page of one search is a slice of one order and
a word in every other message costs what a rare one does. Snippets are cut here from the
page's texts (``snippets``), not by ``ts_headline``, which parses every text again (about 30 µs
for a chat message, more than the rest of a search of a common word, and milliseconds for a
long document; cutting one here takes 2-4 µs): a word is marked when PostgreSQL's own English
stemmer (``ts_lexize('english_stem', …)``, asked once per word and kept) gives it one of the
query's lexemes, as ``ts_headline`` marks it. Only queries with characters the English parser
reads as more than words (``a.b@c.com``, ``1.5``, paths) still go through ``ts_headline``.
``make bench-search`` measures it all against ``ILIKE``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from store.db import DictConnection

#: What full-text search indexes of a text: its first 100,000 characters (a tsvector is
#: limited to 1 MB, and a 10 MB message must still be storable).
SEARCH_TEXT_LIMIT = 100_000
#: The user's words as a ``tsquery``: any text (quotes for phrases, OR, -word) is accepted and
#: never raises a syntax error, so user input goes in as is. Written out where it is used (not
#: taken from a CTE) so that the planner folds it into a constant and estimates its matches.
QUERY = "websearch_to_tsquery('english', %(q)s)"
#: The same, as a sub-select: computed once per execution, and hidden from the planner, so that
#: the walked statement's plan does not depend on the words.
HIDDEN_QUERY = f"(SELECT {QUERY})"
#: How many of the newest rows the walked statement checks before the planned one takes over:
#: all of them cost about 1.5 ms on an idle core (0.3 µs a row), the price of a rare word's
#: walk that does not fill the page, paid before the planned statement.
WALK = 5_000
#: A snippet: up to two fragments of about this many characters, each starting a little before
#: the matches it shows, joined by `` ... `` (as ``ts_headline``'s ``MaxFragments=2``).
FRAGMENT, LEAD, FRAGMENTS, DELIMITER = 200, 40, 2, " ... "
#: Words that the English parser splits into plain words (letters and digits) only: a query of
#: them has lexemes that the words of a text can be compared with one by one.
_PLAIN_QUERY = re.compile(r"[\w\s\"'\-,;!?()]*")
_WORD = re.compile(r"[^\W_]+")
#: The English stemmer's lexemes of a lower-case word, as PostgreSQL gave them.
_STEMS: dict[str, frozenset[str]] = {}
_STEMS_LIMIT = 100_000
_STEM_SQL = "SELECT w, ts_lexize('english_stem', w) AS lexemes FROM unnest(%s::text[]) w"

Sort = Literal["relevance", "recent"]


def vector_sql(text_sql: str) -> str:
    """The ``tsvector`` of a text column, as its generated column computes it."""
    return f"to_tsvector('english'::regconfig, left({text_sql}, {SEARCH_TEXT_LIMIT}))"


def prepare(params: dict[str, Any]) -> bool | None:
    """Whether the planned statement may run prepared (None: as the connection's pool says;
    False: never). Only within one conversation (``thread``): its plan is the same whatever the
    words (the conversation's rows, checked one by one), so a generic plan is as good as a
    custom one and planning, as long as executing on so few rows, is saved. Any other search
    is planned for its own words: a generic plan cannot tell a word in half the messages (walk
    them newest first) from a rare one (look it up in the GIN index)."""
    return None if params.get("thread") else False


_ORDER = {
    "relevance": "rank DESC, created_at DESC, id DESC",
    "recent": "created_at DESC, id DESC",
}


def filters(alias: str) -> dict[str, str]:
    """The filters every search has, by the parameter that turns each on: one conversation
    (``thread``), its ``status``, and the period ``[after, before)`` of ``alias``'s rows."""
    return {
        "thread": "AND c.thread_id = %(thread)s",
        "status": "AND c.status = %(status)s",
        "after": f"AND {alias}.created_at >= %(after)s",
        "before": f"AND {alias}.created_at < %(before)s",
    }


#: The filters that a walk applies to the rows it reads (the others, to those it joins).
_PERIOD = ("after", "before")


@dataclass(frozen=True, eq=False)
class Searched:
    """What a repository searches: its ``table`` (``alias``), joined to its conversation ``c``;
    the ``columns`` a page reads (of both), which the ``result`` columns and the ``text`` a
    snippet is cut from are written with, by their names; the ``filters`` it takes, by the
    parameter that turns each on; how many rows a walk reads (``walk``)."""

    table: str
    alias: str
    columns: str
    text: str
    result: str
    filters: dict[str, str]
    walk: int = WALK

    def planned_sql(self, params: dict[str, Any], sort: Sort, *, cut: bool = True) -> str:
        """The statement planned for its words (``prepared=False``) or prepared within one
        conversation: the owner's rows that match, newest first, one page, with exactly the
        filters ``params`` gives (a value, or True)."""
        query = QUERY if prepare(params) is False else HIDDEN_QUERY
        conversation = f"JOIN conversations c ON c.id = {self.alias}.conversation_id"
        matches = self._matches_sql(self.table, query, params, conversation)
        return self._page_sql(matches, query, sort, cut)

    def walked_sql(self, params: dict[str, Any], sort: Sort, *, cut: bool = True) -> str:
        """The statement whose plan is the same whatever the words: the table's newest
        ``walk`` rows (in the period asked for), of which the owner's that match, newest first,
        one page."""
        a = self.alias
        period = " ".join(self.filters[name] for name in _PERIOD if params.get(name))
        newest = f"""(
    SELECT * FROM {self.table} {a} WHERE true {period}
    ORDER BY {a}.created_at DESC, {a}.id DESC LIMIT {self.walk}
)"""  # noqa: S608
        # each row's conversation looked up by its key, whatever the planner thinks of the
        # owner's share of conversations (a generic plan could otherwise hash them all)
        conversation = (
            "CROSS JOIN LATERAL (SELECT * FROM conversations c "  # noqa: S608
            f"WHERE c.id = {a}.conversation_id OFFSET 0) c"
        )
        matches = self._matches_sql(newest, HIDDEN_QUERY, params, conversation)
        return self._page_sql(matches, HIDDEN_QUERY, sort, cut)

    def _matches_sql(
        self, source: str, query: str, params: dict[str, Any], conversation: str
    ) -> str:
        a = self.alias
        chosen = " ".join(sql for name, sql in self.filters.items() if params.get(name))
        return f"""
SELECT {a}.id, {a}.created_at, {a}.search_vector AS vector, {self.columns}
FROM {source} {a} {conversation}
WHERE c.owner_id = %(owner)s AND {a}.search_vector @@ {query} {chosen}
ORDER BY {a}.created_at DESC, {a}.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""  # noqa: S608

    def _page_sql(self, matches: str, query: str, sort: Sort, cut: bool) -> str:
        """The page of ``matches`` (newest first, with ``id``, ``created_at``, ``vector`` and
        ``columns``): ranked, in ``sort``'s order, with the ``text`` to ``cut`` a snippet from
        here (its first ``SEARCH_TEXT_LIMIT`` characters, all that is searched), or else the
        ``snippet`` that ``ts_headline`` cuts."""
        text = f"left({self.text}, {SEARCH_TEXT_LIMIT})"
        if cut:
            shown = f"{text} AS text"
        else:
            escaped = f"replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
            shown = (
                f"ts_headline('english', {escaped}, {query}, 'StartSel=<mark>, "
                "StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2') AS snippet"
            )
        # the fragments are the callers' constants; every value is a parameter
        return f"""
SELECT {self.result}, ts_rank_cd(vector, {query}, 32) AS rank, {shown}
FROM ({matches}) page
ORDER BY {_ORDER[sort]}
"""  # noqa: S608


async def search(
    conn: DictConnection, searched: Searched, params: dict[str, Any], sort: Sort
) -> list[dict[str, Any]]:
    """One page of ``searched`` for ``params`` (``q``, ``owner``, ``limit``, ``offset`` and
    the filters): walked, or planned when the walk cannot or did not fill it (see the module's
    docstring); each row with its ``rank`` and ``snippet``."""
    q = params["q"]
    cut = _PLAIN_QUERY.fullmatch(q) is not None
    rows: list[dict[str, Any]] = []
    if (
        conn.prepare_threshold is not None  # unprepared, a walk would be planned as well
        and not params.get("thread")
        and '"' not in q  # a phrase: its words' positions are rarely next to each other
        and params["limit"] + params["offset"] <= searched.walk
    ):
        cur = await conn.execute(_statement(searched, "walked", params, sort, cut), params)
        rows = await cur.fetchall()
    if len(rows) < params["limit"]:
        statement = _statement(searched, "planned", params, sort, cut)
        cur = await conn.execute(statement, params, prepare=prepare(params))
        rows = await cur.fetchall()
    return await snippets(conn, q, rows) if rows and cut else rows


_STATEMENTS: dict[tuple[Any, ...], str] = {}


def _statement(searched: Searched, kind: str, params: dict[str, Any], sort: Sort, cut: bool) -> str:
    """``searched``'s ``walked_sql`` or ``planned_sql`` for ``params``, written once for each
    combination of filters."""
    key = (searched, kind, sort, cut, *(bool(params.get(name)) for name in searched.filters))
    statement = _STATEMENTS.get(key)
    if statement is None:
        write = searched.walked_sql if kind == "walked" else searched.planned_sql
        statement = _STATEMENTS[key] = write(params, sort, cut=cut)
    return statement


# --- snippets -------------------------------------------------------------------------------------


async def snippets(
    conn: DictConnection, q: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The page's rows with a ``snippet`` cut from their ``text``, ``text`` dropped:
    HTML-escaped text around the matches of ``q`` (plain words, see ``_PLAIN_QUERY``), each
    matching word in ``<mark>…</mark>``."""
    query = _QUERIES.get(q)
    if query is None:
        query = await _query(conn, q)
    lexemes, prefixes = query
    waiting = []
    for row in rows:
        text = row.pop("text")
        cut = _cut(text, lexemes, prefixes)
        if cut is None:
            waiting.append((row, text))
        else:
            row["snippet"] = cut
    if waiting:  # words whose stems are not known yet: learn them all at once
        words = {word for _, text in waiting for _, _, word in _candidates(text, prefixes)}
        await _stem(conn, words)
        for row, text in waiting:
            row["snippet"] = _cut(text, lexemes, prefixes, learning=False)
    return rows


def _cut(
    text: str, lexemes: frozenset[str], prefixes: tuple[str, ...], *, learning: bool = True
) -> str | None:
    """``text``'s snippet, or None while one of its words' stems is not known (``learning``)."""
    marks = []
    for s, e, word in _candidates(text, prefixes) if prefixes else ():
        stems = _STEMS.get(word)
        if stems is None:
            if word.isalpha():
                if learning:
                    return None
                continue  # the stemmer did not answer for it: not marked
            stems = frozenset((word,))  # numbers and 'v2' are their own lexeme
        if not lexemes.isdisjoint(stems):
            marks.append((s, e))
    return snippet(text, marks)


#: By query: its lexemes, and what a word stemmed to one of them starts with (``_prefixes``).
_QUERIES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
_QUERIES_LIMIT = 10_000


async def _query(conn: DictConnection, q: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """``q``'s lexemes as websearch_to_tsquery makes them of plain words (negated ones too:
    ts_headline marks those as well), and their prefixes."""
    words = set(_WORD.findall(q.lower()))
    await _stem(conn, words)
    lexemes = frozenset(lexeme for word in words for lexeme in _STEMS.get(word, (word,)))
    if len(_QUERIES) >= _QUERIES_LIMIT:
        _QUERIES.clear()
    query = _QUERIES[q] = (lexemes, _prefixes(lexemes))
    return query


def _prefixes(lexemes: frozenset[str]) -> tuple[str, ...]:
    """What a word stemmed to one of ``lexemes`` starts with: the lexeme, less a last 'i' or
    'e' the stemmer may have made of a 'y' or kept from a dropped one (party -> parti, agreed ->
    agre). Only lexemes of letters and digits: a text's words are compared with those."""
    return tuple(
        sorted(
            {
                lexeme[:-1]
                if len(lexeme) > 2 and lexeme.isalpha() and lexeme[-1] in "ie"
                else lexeme
                for lexeme in lexemes
                if _WORD.fullmatch(lexeme)
            }
        )
    )


def _candidates(text: str, prefixes: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """The words of ``text`` that start with one of ``prefixes``: where each starts and ends,
    and the word in lower case; in the order they come."""
    lower = text.lower()
    if len(lower) != len(text):  # a letter whose lower case is longer: search the text as is
        lower = text
    found = []
    find, n = lower.find, len(lower)
    for prefix in prefixes:
        i = find(prefix)
        while i != -1:
            end = i + len(prefix)
            while end < n and lower[end].isalnum():  # faster than a regex for a few letters
                end += 1
            if i == 0 or not lower[i - 1].isalnum():
                found.append((i, end, lower[i:end]))
            i = find(prefix, end)
    if len(prefixes) > 1:  # in order, each word once (a prefix may be another's start)
        found.sort()
        found = [w for k, w in enumerate(found) if k == 0 or w[0] >= found[k - 1][1]]
    if lower is text:
        found = [(s, e, word.lower()) for s, e, word in found]
    return found


async def _stem(conn: DictConnection, words: set[str]) -> None:
    """Learn the English stemmer's lexemes of the ``words`` of letters not known yet (one
    statement); the others (numbers, ``v2``) are their own lexeme, as the English
    configuration reads them."""
    unknown = [word for word in words if word not in _STEMS and word.isalpha()]
    if not unknown:
        return
    if len(_STEMS) + len(unknown) > _STEMS_LIMIT:
        _STEMS.clear()
    cur = await conn.execute(_STEM_SQL, (unknown,))
    for row in await cur.fetchall():
        _STEMS[row["w"]] = frozenset(row["lexemes"] or ())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def snippet(text: str, marks: list[tuple[int, int]]) -> str:
    """``text`` HTML-escaped with ``<mark>`` around the ``marks`` (character spans, in
    order): all of it when short, else up to ``FRAGMENTS`` fragments of about ``FRAGMENT``
    characters, cut between words, where the most marks are."""
    n = len(text)
    escape = "&" in text or "<" in text or ">" in text
    if n <= FRAGMENT + LEAD:
        return _marked(text, 0, n, marks, escape)
    last = n - FRAGMENT
    if not marks:
        starts = [0]
    else:
        at = min(max(marks[0][0] - LEAD, 0), last)
        # the common case: one fragment holds every mark
        starts = [at] if marks[-1][1] <= at + FRAGMENT else _starts(marks, n)
    fragments = []
    end = 0
    for at in starts:
        at = min(max(at, 0), last)
        stop = at + FRAGMENT
        start = max(end, text.rfind(" ", 0, at) + 1) if at > 0 else 0
        if stop < n:  # between words, the word cut short left out
            space = text.rfind(" ", start, stop)
            if space > start:
                stop = space
        if start < stop:
            within = marks  # or, of many, those that may be within it (found by bisection)
            if len(marks) > 8:
                within = marks[bisect_left(marks, (start,)) : bisect_right(marks, (stop,))]
            fragments.append(_marked(text, start, stop, within, escape).rstrip(" ,;:"))
            end = stop
    return DELIMITER.join(fragments)


def _starts(marks: list[tuple[int, int]], n: int) -> list[int]:
    """Where the fragments of a text of length ``n`` start, in order: the first where the most
    ``marks`` are, the next where the most of those it does not touch are, and so on. Marks
    are in order and do not overlap, so their starts and ends are both sorted, and the marks a
    fragment holds are found by bisection (a long document may have thousands)."""
    firsts = [s for s, _ in marks]
    ends = [e for _, e in marks]
    starts: list[int] = []
    while firsts and len(starts) < FRAGMENTS:
        start = _densest(firsts, ends, n)
        starts.append(start)
        touched = bisect_right(ends, start), bisect_left(firsts, start + FRAGMENT)
        firsts = firsts[: touched[0]] + firsts[touched[1] :]
        ends = ends[: touched[0]] + ends[touched[1] :]
    return sorted(starts)


def _densest(firsts: list[int], ends: list[int], n: int) -> int:
    """Where a fragment starting ``LEAD`` characters before a mark (of those starting at
    ``firsts`` and ending at ``ends``) holds the most: the first such place."""
    best, start = 0, 0
    last = n - FRAGMENT
    for first in firsts:
        at = first - LEAD  # clamped without min() and max(): this loop is the hot one
        if at > last:
            at = last
        if at < 0:
            at = 0
        held = bisect_right(ends, at + FRAGMENT) - bisect_left(firsts, at)
        if held > best:
            best, start = held, at
    return start


def _marked(text: str, start: int, stop: int, marks: list[tuple[int, int]], escape: bool) -> str:
    """``text[start:stop]`` with ``<mark>`` around the ``marks`` within it, escaped if
    ``escape``."""
    out: list[str] = []
    add = out.append
    at = start
    for s, e in marks:
        if s >= start and e <= stop:
            if escape:
                add(_escape(text[at:s]))
                add("<mark>")
                add(_escape(text[s:e]))
            else:
                add(text[at:s])
                add("<mark>")
                add(text[s:e])
            add("</mark>")
            at = e
    add(_escape(text[at:stop]) if escape else text[at:stop])
    return "".join(out)
