"""The shape every full-text search of the project shares (messages, documents).

A search's cost must not grow with its number of matches, so matches are never all ranked. A
page is the next ``limit`` matches newest first, read in time order from a btree on
``(created_at, id)`` with the stored, GIN-indexed ``tsvector`` as a filter (or, when the planner
expects the words to be rare, found through the GIN index and sorted: the statement is planned
for its own words and filters, and prepared only within one conversation, see ``prepare``).
Only that page is ranked with ``ts_rank_cd`` and shown best first (``sort="recent"``: newest
first), and only its rows get a snippet (``ts_headline``), so every page of one search is a
slice of one order and a word in every other message costs what a rare one does. ``make bench-search`` measures it against ``ILIKE``.
"""

from __future__ import annotations

from typing import Any, Literal

#: What full-text search indexes of a text: its first 100,000 characters (a tsvector is
#: limited to 1 MB, and a 10 MB message must still be storable).
SEARCH_TEXT_LIMIT = 100_000
#: The user's words as a ``tsquery``: any text (quotes for phrases, OR, -word) is accepted and
#: never raises a syntax error, so user input goes in as is. Written out where it is used (not
#: taken from a CTE) so that the planner folds it into a constant and estimates its matches.
QUERY = "websearch_to_tsquery('english', %(q)s)"

Sort = Literal["relevance", "recent"]


def prepare(params: dict[str, Any]) -> bool | None:
    """Whether a search may run as a prepared statement (None: as the connection's pool says;
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


def matches_sql(table: str, alias: str, columns: str) -> str:
    """The statement a repository searches its ``table`` (``alias``, joined to its conversation
    ``c``) with: the owner's rows that match, newest first, one page; they come with ``id``,
    ``created_at``, ``vector`` and ``columns`` (which name ``text``, what a snippet is cut from).
    ``{filters}`` is where ``search_sql`` puts the filters given."""
    return f"""
SELECT {alias}.id, {alias}.created_at, {alias}.search_vector AS vector, {columns}
FROM {table} {alias} JOIN conversations c ON c.id = {alias}.conversation_id
WHERE c.owner_id = %(owner)s AND {alias}.search_vector @@ {QUERY} {{filters}}
ORDER BY {alias}.created_at DESC, {alias}.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""  # noqa: S608


def filters(alias: str) -> dict[str, str]:
    """The filters every search has, by the parameter that turns each on: one conversation
    (``thread``), its ``status``, and the period ``[after, before)`` of ``alias``'s rows."""
    return {
        "thread": "AND c.thread_id = %(thread)s",
        "status": "AND c.status = %(status)s",
        "after": f"AND {alias}.created_at >= %(after)s",
        "before": f"AND {alias}.created_at < %(before)s",
    }


def vector_sql(text_sql: str) -> str:
    """The ``tsvector`` of a text column, as its generated column computes it."""
    return f"to_tsvector('english'::regconfig, left({text_sql}, {SEARCH_TEXT_LIMIT}))"


def headline_sql(text_sql: str) -> str:
    """A snippet of ``text_sql``: HTML-escaped, so the only markup in it is ``<mark>`` around
    the matches."""
    escaped = (
        f"replace(replace(replace(left({text_sql}, {SEARCH_TEXT_LIMIT}), "
        "'&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    )
    return (
        f"ts_headline('english', {escaped}, {QUERY}, "
        "'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2')"
    )


def page_sql(matches_sql: str, columns: str, sort: Sort) -> str:
    """A statement for one page of a search. ``matches_sql`` selects the page's matches
    newest first with ``LIMIT %(limit)s OFFSET %(offset)s``: their ``id``, ``created_at``,
    ``vector`` (the ``tsvector``), ``text`` (what the snippet is cut from) and ``columns``, the
    result's other columns, which come out with ``rank`` and ``snippet``."""
    # the fragments are the callers' constants; every value is a parameter
    return f"""
SELECT {columns}, ts_rank_cd(vector, {QUERY}, 32) AS rank, {headline_sql("text")} AS snippet
FROM ({matches_sql}) page
ORDER BY {_ORDER[sort]}
"""  # noqa: S608


def search_sql(
    matches_sql: str, filters: dict[str, str], columns: str, params: dict[str, Any], sort: Sort
) -> str:
    """``page_sql`` with ``matches_sql``'s ``{filters}`` replaced by the ``filters`` (SQL, by the
    parameter that turns it on) that ``params`` gives a value, so each combination of filters
    is a statement of its own, planned for exactly those."""
    chosen = " ".join(sql for name, sql in filters.items() if params.get(name))
    return page_sql(matches_sql.format(filters=chosen), columns, sort)
