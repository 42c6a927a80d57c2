"""API benchmarks: message search on a big table (the GIN-indexed full-text search of
``GET /api/v1/search`` vs the ``ILIKE`` scan a user would write without it), and the cost of the
project's authentication on the real server (``GET /threads/{id}/state`` with and without the
``auth`` section of langgraph.json)."""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from bench.checkpointer import Row
from store.db import connection_kwargs
from store.repositories.messages import search_messages
from tests.server import LangGraphServer

#: Messages per conversation (the table has ``n / MESSAGES_PER_CONVERSATION`` conversations).
MESSAGES_PER_CONVERSATION = 20
SEARCH_RUNS = 20
SEED = 20_24


def sizes(quick: bool) -> tuple[int, int]:
    """(messages in the search table, GET /state requests per server)."""
    return (20_000, 100) if quick else (200_000, 300)


# --- a legal chat, generated -----------------------------------------------------------------
# Sentences are frames filled from word lists; the nouns are drawn with Zipf weights (a few are
# in most messages, the tail in well under 1%), as words are in real text.

PARTIES = (
    "the Disclosing Party", "the Receiving Party", "the Licensor", "the Licensee", "the Employer",
    "the Employee", "the Contractor", "the Client", "the Landlord", "the Tenant", "the Buyer",
    "the Seller", "the Company", "the Consultant", "the Vendor", "the Customer", "each party",
    "either party", "the Supplier", "the Distributor", "the Lender", "the Borrower",
)  # fmt: skip
NOUNS = (
    "agreement", "contract", "clause", "term", "obligation", "information", "party", "notice",
    "period", "payment", "fee", "right", "breach", "liability", "law", "document", "provision",
    "section", "date", "service", "confidentiality", "termination", "warranty", "remedy",
    "amendment", "license", "invoice", "schedule", "signature", "consent", "deliverable",
    "exhibit", "dispute", "court", "damages", "property", "assignment", "renewal", "deposit",
    "employment", "salary", "benefit", "policy", "insurance", "tax", "premises", "rent", "lease",
    "goods", "shipment", "delivery", "inspection", "acceptance", "defect", "refund", "claim",
    "loss", "cost", "expense", "audit", "record", "report", "trademark", "copyright", "patent",
    "software", "data", "privacy", "security", "subcontractor", "affiliate", "successor",
    "representative", "officer", "director", "shareholder", "share", "loan", "interest",
    "collateral", "guarantee", "default", "cure", "waiver", "severability", "counterpart",
    "jurisdiction", "venue", "mediation", "arbitration", "injunction", "indemnity",
    "indemnification", "subpoena", "escrow", "moratorium", "novation", "estoppel", "lien",
    "easement", "covenant", "forbearance", "rescission", "garnishment", "subrogation",
    "frustration", "quorum", "proxy", "dividend", "debenture", "annuity", "bailment",
)  # fmt: skip
MODIFIERS = (
    "confidential", "written", "prior", "reasonable", "material", "applicable", "exclusive",
    "non-exclusive", "annual", "monthly", "initial", "final", "mutual", "binding", "governing",
    "indirect", "consequential", "liquidated", "punitive", "statutory", "additional", "standard",
    "limited", "perpetual", "revocable", "outstanding", "late", "minimum", "maximum", "net",
)  # fmt: skip
PLACES = (
    "California", "New York", "Delaware", "Texas", "Florida", "Illinois", "Washington", "Ohio",
    "Georgia", "Massachusetts", "Ontario", "England and Wales", "Scotland", "Ireland", "Germany",
    "France", "the Netherlands", "Singapore", "Hong Kong", "Japan", "Australia", "New Zealand",
    "Nevada", "Colorado", "Oregon", "Arizona", "Virginia", "Quebec", "Switzerland", "Sweden",
)  # fmt: skip
DURATIONS = (
    "30 days", "60 days", "90 days", "six months", "one year", "two years", "three years",
    "five years", "ten business days", "forty-five days", "eighteen months", "seven years",
)  # fmt: skip
USER_FRAMES = (
    "I need to draft {a} {n} for {p}.",
    "Can you add {a} {m} {n} clause?",
    "What happens if {p} misses the {n}?",
    "Make it for {j} jurisdiction.",
    "Add a {d} term to the {n}.",
    "Should the {n} survive termination of the {n}?",
    "Who pays the {m} {n} if {p} is in breach?",
    "Please remove the {n} from section {k}.",
    "Is {a} {m} {n} enforceable in {j}?",
    "Change the {n} period to {d}.",
    "Our counsel asked about the {n} and the {m} {n}.",
    "Can {p} assign the {n} without {m} consent?",
)  # fmt: skip
ASSISTANT_FRAMES = (
    "I have updated section {k} so that {p} must give {m} notice of any {n}.",
    "The {n} now runs for {d} from the effective date.",
    "Under the laws of {j}, {a} {m} {n} is usually enforceable if it is reasonable in scope.",
    "{P} shall keep the {n} and the {n} in strict confidence for {d}.",
    "I added {a} {m} {n} clause; {p} is not liable for any {m} {n}.",
    "The governing law is now {j}, and any {n} goes to the courts of {j}.",
    "Section {k} caps the {n} of {p} at the fees paid in the previous {d}.",
    "Nothing changed in the {n}; tell me which {n} you want to adjust.",
    "{P} may terminate the {n} on {d} written notice if the {n} is not cured.",
    "I replaced the {m} {n} with {a} {n} payable within {d}.",
    "Version {k} of the document is ready, with the {n} in section {k}.",
    "Note that {a} {n} of this kind may need {a} {m} {n} to be valid in {j}.",
)  # fmt: skip


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class Chat:
    """Deterministic legal-chat text."""

    def __init__(self, seed: int = SEED) -> None:
        self.random = random.Random(seed)
        self.noun_weights = [1 / (rank + 1) ** 1.1 for rank in range(len(NOUNS))]

    def _fill(self, frame: str) -> str:
        r = self.random
        out = []
        # one pass over the frame so each slot gets its own draw
        for chunk in frame.split("{"):
            if "}" not in chunk:
                out.append(chunk)
                continue
            slot, rest = chunk.split("}", 1)
            if slot == "n":
                value = r.choices(NOUNS, self.noun_weights)[0]
            elif slot == "m":
                value = r.choice(MODIFIERS)
            elif slot in ("p", "P"):
                value = r.choice(PARTIES)
                value = value[0].upper() + value[1:] if slot == "P" else value
            elif slot == "j":
                value = r.choice(PLACES)
            elif slot == "d":
                value = r.choice(DURATIONS)
            elif slot == "k":
                value = str(r.randint(1, 24))
            else:  # "a": the article of the next word, fixed below
                value = "\0"
            out.append(value + rest)
        return re.sub("\0 (\\w)", lambda m: f"{_article(m[1])} {m[1]}", "".join(out))

    def message(self, role: str) -> str:
        frames = USER_FRAMES if role == "user" else ASSISTANT_FRAMES
        count = self.random.randint(1, 2) if role == "user" else self.random.randint(2, 5)
        return " ".join(self._fill(self.random.choice(frames)) for _ in range(count))


# --- 1. message search -------------------------------------------------------------------------

#: The naive search a user would write without the project: a substring scan, newest first.
STOCK_SEARCH_SQL = """
SELECT m.id, c.thread_id, c.title, m.message_id, m.role, m.is_current, m.created_at, m.content
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE c.owner_id = %s AND m.content ILIKE %s
ORDER BY m.id DESC
LIMIT 20
"""

#: (label, ILIKE pattern, the ``q`` a user types into /api/v1/search)
TERMS = (
    ("word 'trademark'", "%trademark%", "trademark"),
    ("word 'arbitration'", "%arbitration%", "arbitration"),
    (
        "phrase 'confidential information'",
        "%confidential information%",
        '"confidential information"',
    ),
)


def populate(url: str, n: int) -> str:
    """``n`` messages in ``n / 20`` conversations of one new user; returns the user id."""
    chat = Chat()
    owner = uuid.uuid4()
    conversations = [uuid.uuid4() for _ in range(max(1, n // MESSAGES_PER_CONVERSATION))]
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO users (id, email) VALUES (%s, %s)",
            (owner, f"bench-{owner.hex[:8]}@x.test"),
        )
        with conn.cursor().copy(
            "COPY conversations (id, thread_id, owner_id, title) FROM STDIN"
        ) as copy:
            for i, conversation in enumerate(conversations):
                copy.write_row((conversation, str(uuid.uuid4()), owner, f"Contract draft {i}"))
        with conn.cursor().copy(
            "COPY messages (conversation_id, message_id, role, type, content, position, "
            "is_current) FROM STDIN"
        ) as copy:
            for i in range(n):
                conversation = conversations[i % len(conversations)]
                position = i // len(conversations)
                role = "user" if position % 2 == 0 else "assistant"
                copy.write_row(
                    (
                        conversation,
                        str(uuid.uuid4()),
                        role,
                        "human" if role == "user" else "ai",
                        chat.message(role),
                        position,
                        True,
                    )
                )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE conversations")
        conn.execute("VACUUM ANALYZE messages")
    return str(owner)


async def _timed(conn: psycopg.AsyncConnection, query: str, params) -> float:
    start = time.perf_counter()
    cur = await conn.execute(query, params)
    await cur.fetchall()
    return time.perf_counter() - start


#: (row label, whether the connection prepares statements): the server's pool prepares a query
#: from its 6th execution on a connection (psycopg's default), PostgreSQL then plans it custom 5
#: more times and may switch to a generic plan; behind PgBouncer (``DATABASE_POOLER=pgbouncer``)
#: nothing is prepared and every execution gets a plan for its own parameters.
MODES = (
    ("prepared, as the server's pool runs it", True),
    ("unprepared, as behind PgBouncer", False),
)
#: Executions before timing: past psycopg's prepare threshold and PostgreSQL's 5 custom plans,
#: so a long-lived pooled connection's steady state is what is timed.
WARM_UP = 12


async def _timed_ours(conn: psycopg.AsyncConnection, kwargs: dict) -> float:
    start = time.perf_counter()
    await search_messages(conn, **kwargs)
    return time.perf_counter() - start


async def _compare(url: str, prepared: bool, stock_params, ours_kwargs) -> tuple[float, float]:
    """Median seconds of the stock query and of the search route's own function, interleaved on
    one connection configured as the server configures its pool."""
    async with await psycopg.AsyncConnection.connect(
        url, **connection_kwargs(prepare=prepared)
    ) as conn:
        for _ in range(WARM_UP):
            await _timed(conn, STOCK_SEARCH_SQL, stock_params)
            await _timed_ours(conn, ours_kwargs)
        stock, ours = [], []
        for _ in range(SEARCH_RUNS):  # interleaved, so drift hits both alike
            stock.append(await _timed(conn, STOCK_SEARCH_SQL, stock_params))
            ours.append(await _timed_ours(conn, ours_kwargs))
    return statistics.median(stock), statistics.median(ours)


async def search(url: str, n: int) -> list[Row]:
    owner = populate(url, n)
    rows = []
    with psycopg.connect(url, autocommit=True) as conn:
        matches = {
            q: conn.execute(
                "SELECT count(*) FILTER (WHERE content ILIKE %s), "
                "count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', %s)) "
                "FROM messages",
                (pattern, q),
            ).fetchone()
            for _, pattern, q in TERMS
        }
    for label, pattern, q in TERMS:
        ours_params = {"q": q, "owner": owner}  # GET /api/v1/search?q=…, defaults for the rest
        ilike, fts = matches[q]
        for i, (mode, prepared) in enumerate(MODES):
            stock, ours = await _compare(url, prepared, (owner, pattern), ours_params)
            name = f"search {label}, {mode}"
            if i == 0:
                name += f" ({ilike:,} rows match ILIKE, {fts:,} full-text)"
            rows.append(Row(name, stock * 1000, ours * 1000, "ms", "lower"))
            print(rows[-1], flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        index, table, column = conn.execute(
            """
            SELECT pg_relation_size(i.indexrelid), pg_table_size('messages'),
                   (SELECT sum(pg_column_size(search_vector)) FROM messages)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_am am ON am.oid = c.relam
            WHERE i.indrelid = 'messages'::regclass AND am.amname = 'gin'
            """
        ).fetchone()
    rows.append(
        Row(
            f"size of the GIN index (stock: none); the `messages` table is "
            f"{table / 2**20:,.0f} MiB, of which the stored `search_vector` column is "
            f"{column / 2**20:,.0f} MiB (index = {index / table:.0%} of the table)",
            float("nan"),
            index,
            "bytes",
            "lower",
        )
    )
    return rows


# --- 2. authentication overhead ----------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _state_latencies(server: LangGraphServer, requests: int) -> tuple[list[float], float]:
    """Latencies of ``requests`` sequential GET /threads/{id}/state, and requests per second."""
    client = server.client()
    thread_id = (await client.threads.create())["thread_id"]
    await client.runs.wait(
        thread_id,
        "drafter",
        input={"messages": [{"role": "user", "content": "I need to draft an NDA"}]},
    )
    path = f"/threads/{thread_id}/state"
    latencies = []
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as http:
        for _ in range(30):  # warm up
            (await http.get(path)).raise_for_status()
        begin = time.perf_counter()
        for _ in range(requests):
            start = time.perf_counter()
            response = await http.get(path)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()
        elapsed = time.perf_counter() - begin
    return latencies, requests / elapsed


async def auth_overhead(url: str, requests: int) -> list[Row]:
    results = {}
    for label, without_auth in (("stock", True), ("ours", False)):
        server = LangGraphServer(
            url,
            Path(tempfile.mkdtemp(prefix=f"adlaan-bench-api-{label}-")),
            without_auth=without_auth,
        )
        server.start()
        try:
            async with httpx.AsyncClient(base_url=server.url) as http:  # no credentials
                status = (await http.post("/threads/search", json={"limit": 1})).status_code
            if (status == 200) != without_auth:  # is auth really off, or on?
                raise RuntimeError(f"{label} server answered {status} without credentials")
            results[label] = await _state_latencies(server, requests)
        finally:
            server.stop()
    (stock, stock_rps), (ours, ours_rps) = results["stock"], results["ours"]
    what = f"GET /threads/{{id}}/state, {requests} sequential requests"
    return [
        Row(
            f"{what}: latency p50, no auth (stock) vs auth",
            statistics.median(stock) * 1000,
            statistics.median(ours) * 1000,
            "ms",
            "lower",
        ),
        Row(
            f"{what}: latency p99, no auth (stock) vs auth",
            _percentile(stock, 0.99) * 1000,
            _percentile(ours, 0.99) * 1000,
            "ms",
            "lower",
        ),
        Row(f"{what}: throughput, no auth (stock) vs auth", stock_rps, ours_rps, "req/s", "higher"),
    ]


async def run(url: str, quick: bool) -> list[Row]:
    messages, requests = sizes(quick)
    rows = await search(url, messages)
    print(rows[-1], flush=True)
    auth_rows = await auth_overhead(url, requests)
    for row in auth_rows:
        print(row, flush=True)
    return rows + auth_rows
