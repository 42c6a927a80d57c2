"""Search's statements and snippets on real PostgreSQL, without a server: the walked statement
(prepared, one generic plan whatever the words) and the planned one give the page that the
definition gives (the newest matches, best first); the words a snippet marks are the words
``ts_headline`` marks; what the parser reads as more than words still goes to ``ts_headline``."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from store.db import connection_kwargs, libpq_url
from store.repositories import fulltext, messages

pytestmark = pytest.mark.integration

START = datetime(2026, 1, 1, tzinfo=UTC)
#: Words in every second message, every seventh, and a phrase in every eleventh: a page of
#: the first fills within a short walk, the others need a longer one or the planned statement.
COMMON, RARE, PHRASE = "agreement", "arbitration", '"confidential information"'


def _text(i: int) -> str:
    words = [f"Message {i} about the lease."]
    if i % 2 == 0:
        words.append("The agreements were signed.")
    if i % 7 == 0:
        words.append("Any arbitration happens in Geneva.")
    if i % 11 == 0:
        words.append("It holds confidential information.")
    elif i % 5 == 0:
        words.append("Confidential terms; information follows.")
    return " ".join(words)


def _fill(url: str) -> tuple[str, dict[str, str]]:
    """An owner with 300 messages in 3 conversations (the last archived), one a minute, and a
    stranger with the same words; the owner's id and the conversations' thread ids."""
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    threads = {}
    with psycopg.connect(url) as conn:
        for user in (owner, stranger):
            conn.execute(
                "INSERT INTO users (id, email) VALUES (%s, %s)", (user, f"{user.hex[:12]}@x.test")
            )
            for k, status in enumerate(("active", "active", "archived")):
                conversation, thread = uuid.uuid4(), str(uuid.uuid4())
                if user == owner:
                    threads[f"{status}{k}"] = thread
                conn.execute(
                    "INSERT INTO conversations (id, thread_id, owner_id, title, status) "
                    "VALUES (%s, %s, %s, 'Lease', %s)",
                    (conversation, thread, user, status),
                )
                conn.execute(
                    """
                    INSERT INTO messages (conversation_id, message_id, role, type, content,
                                          position, is_current, created_at)
                    SELECT %(c)s, gen_random_uuid()::text,
                           CASE WHEN i %% 2 = 0 THEN 'user' ELSE 'assistant' END, 'human',
                           t.text, i, i %% 9 <> 0, %(start)s + i * interval '1 minute'
                    FROM unnest(%(texts)s::text[]) WITH ORDINALITY t(text, n),
                         LATERAL (SELECT (t.n::int - 1) * 3 + %(k)s AS i) i
                    """,
                    {"c": conversation, "start": START, "k": k, "texts": [
                        _text(i * 3 + k) for i in range(100)
                    ]},
                )  # fmt: skip
    return str(owner), threads


def _expected(url: str, owner: str, q: str, where: str, params: dict, sort: str) -> list[str]:
    """The page by its definition: the owner's matches newest first, offset and limit, then
    best first (``relevance``) or as they are (``recent``)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"""
            SELECT m.message_id, ts_rank_cd(m.search_vector, websearch_to_tsquery('english', %(q)s), 32)
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.owner_id = %(owner)s AND m.search_vector @@ websearch_to_tsquery('english', %(q)s)
                  {where}
            ORDER BY m.created_at DESC, m.id DESC LIMIT %(limit)s OFFSET %(offset)s
            """,
            {"q": q, "owner": owner, **params},
        ).fetchall()
    if sort == "relevance":
        rows = sorted(rows, key=lambda r: -r[1])  # stable: ties stay newest first
    return [r[0] for r in rows]


@pytest.mark.parametrize("walk", [12, 40, 5_000])
async def test_pages_are_the_newest_matches_whichever_statement_finds_them(
    database_url, monkeypatch, walk
):
    """A walk too short for the page hands it to the planned statement; one long enough
    fills it; either way the page is the definition's."""
    monkeypatch.setattr(messages, "SEARCHED", dataclasses.replace(messages.SEARCHED, walk=walk))
    owner, threads = _fill(database_url)
    month = START + timedelta(minutes=100)
    cases = [
        ({}, ""),
        ({"status": "archived"}, "AND c.status = %(status)s"),
        ({"role": "user"}, "AND m.role = %(role)s"),
        ({"current_only": True}, "AND m.is_current"),
        ({"after": month}, "AND m.created_at >= %(after)s"),
        ({"before": month}, "AND m.created_at < %(before)s"),
        ({"thread_id": threads["active1"]}, "AND c.thread_id = %(thread_id)s"),
    ]
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), **connection_kwargs()
    ) as conn:
        for q in (COMMON, RARE, PHRASE, "nothing-like-it"):
            for filters, where in cases:
                for sort in ("relevance", "recent"):
                    for limit, offset in ((5, 0), (20, 0), (7, 14), (50, 90)):
                        page = {"limit": limit, "offset": offset}
                        hits = await messages.search_messages(
                            conn, q=q, owner=owner, sort=sort, **filters, **page
                        )
                        expected = _expected(
                            database_url, owner, q, where, {**filters, **page}, sort
                        )
                        assert [h["message_id"] for h in hits] == expected, (q, filters, sort)
                        assert all("<mark>" in h["snippet"] for h in hits), (q, filters)


async def test_the_walked_statement_runs_on_one_generic_plan_whatever_the_words(database_url):
    """Prepared by the pool, the walked statement is planned once, not for each search's
    words: PostgreSQL switches it to a generic plan after its custom ones."""
    owner, _ = _fill(database_url)
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), **connection_kwargs()
    ) as conn:
        for i in range(15):
            hits = await messages.search_messages(
                conn, q=("agreement", "lease")[i % 2], owner=owner
            )
            assert len(hits) == 20
        cur = await conn.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            (f"%LIMIT {fulltext.WALK}%",),
        )
        plans = await cur.fetchall()
    assert len(plans) == 1 and plans[0]["generic_plans"] >= 3, plans


#: Texts whose marked words must be ts_headline's: plurals, a 'y' the stemmer makes an 'i',
#: stop words inside a phrase, numbers, hyphens, apostrophes, capitals, markup, other scripts.
CORPUS = [
    "The agreements, an Agreement and agreeing parties agreed to the agreed terms.",
    "Each party's obligations survive; the Parties and a third-party beneficiary too.",
    "Draft an NDA for Acme: the NDA's term runs 2 years under section 5 and 5(b).",
    "A non-disclosure agreement (NDA) & <b>confidential</b> information stay confidential.",
    "Version v2 replaces version V1; the 10th amendment follows, 100 days later.",
    "Müller's Geschäftsbedingungen gelten; the Vertrag with Müller is signed.",
    "Running, runs and ran: the runner ran the arbitration; arbitrators arbitrate.",
]
QUERIES = [
    "agreement",
    "agree",
    "party",
    "parties",
    '"draft an NDA"',
    "section 5",
    "non-disclosure",
    "confidential -lease",
    "v2",
    "Müller",
    "run",
    "arbitrators",
    "2 years",
    "liability OR amendment",
]


def _insert(database_url: str, thread_id: str, prefix: str, texts: list[str]) -> None:
    """Messages of ``texts`` in ``thread_id``'s conversation, ids ``prefix`` 1, 2..."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO messages (conversation_id, message_id, role, type, content) "
            "SELECT c.id, %s || n, 'user', 'human', text "
            "FROM conversations c, unnest(%s::text[]) WITH ORDINALITY t(text, n) "
            "WHERE c.thread_id = %s",
            (prefix, texts, thread_id),
        )


def _marked(snippet: str) -> list[str]:
    return [word.lower() for word in re.findall(r"<mark>(.*?)</mark>", snippet)]


async def test_snippets_mark_the_words_ts_headline_marks(database_url):
    owner, threads = _fill(database_url)
    _insert(database_url, threads["active0"], "corpus-", CORPUS)
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), **connection_kwargs()
    ) as conn:
        seen = {}
        for q in QUERIES:
            hits = await messages.search_messages(conn, q=q, owner=owner, limit=100)
            seen[q] = {h["message_id"]: h for h in hits if h["message_id"].startswith("corpus-")}
            assert seen[q], q
            for message_id, hit in seen[q].items():
                cur = await conn.execute(
                    "SELECT ts_headline('english', replace(replace(replace(content, '&', "
                    "'&amp;'), '<', '&lt;'), '>', '&gt;'), websearch_to_tsquery('english', %s), "
                    "'StartSel=<mark>, StopSel=</mark>, HighlightAll=true') AS headline "
                    "FROM messages WHERE message_id = %s",
                    (q, message_id),
                )
                headline = (await cur.fetchone())["headline"]
                assert _marked(hit["snippet"]) == _marked(headline), (q, hit["snippet"], headline)
    markup = seen["agreement"]["corpus-4"]["snippet"]
    assert "(NDA) &amp; &lt;b&gt;confidential&lt;/b&gt; information" in markup, "HTML-escaped"


async def test_long_texts_are_cut_to_fragments_around_the_matches(database_url):
    """Up to two fragments of about ``FRAGMENT`` characters, where the matches are; the one
    match of a long text is found however far in."""
    owner, threads = _fill(database_url)
    filler = "The tenant pays the rent on time every month. " * 40  # about 1,900 characters
    texts = [
        filler + "An escrow agent holds the deposit. " + filler,
        "Escrow first. " + filler + "And escrow last.",
        "Escrow " + filler * 60,  # more than is searched: its first 100,000 characters
        filler * 30 + "Far in, the escrow account. " + filler,
    ]
    _insert(database_url, threads["active0"], "long-", texts)
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), **connection_kwargs()
    ) as conn:
        hits = await messages.search_messages(conn, q="escrow", owner=owner, sort="recent")
    snippets = {h["message_id"]: h["snippet"] for h in hits}
    middle, ends, huge, far = (snippets[f"long-{n}"] for n in range(1, 5))
    assert "<mark>escrow</mark> agent" in middle and len(middle) < 3 * fulltext.FRAGMENT
    assert ends.startswith("<mark>Escrow</mark> first") and ends.endswith(
        "<mark>escrow</mark> last."
    )
    assert fulltext.DELIMITER in ends and len(ends) < 3 * fulltext.FRAGMENT
    assert huge.startswith("<mark>Escrow</mark>") and len(huge) < 3 * fulltext.FRAGMENT
    assert "Far in, the <mark>escrow</mark> account" in far and len(far) < 2 * fulltext.FRAGMENT


async def test_words_the_parser_reads_as_more_than_words_go_to_ts_headline(database_url):
    owner, threads = _fill(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO messages (conversation_id, message_id, role, type, content) "
            "SELECT id, 'odd', 'user', 'human', 'Write to legal@acme.test about clause 4.2.' "
            "FROM conversations WHERE thread_id = %s",
            (threads["active0"],),
        )
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), **connection_kwargs()
    ) as conn:
        for q, marked in (("legal@acme.test", "legal@acme.test"), ("4.2", "4.2")):
            hits = await messages.search_messages(conn, q=q, owner=owner)
            assert [h["message_id"] for h in hits] == ["odd"], q
            assert _marked(hits[0]["snippet"]) == [marked], hits[0]["snippet"]
